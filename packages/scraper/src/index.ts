// The public door of @cncf-llm/scraper: everything a user may import, and nothing else.

// Crawling and scraping
export {
  type CrawlOptions,
  CrawlOptionsSchema,
  DEFAULT_USER_AGENT,
  type ResolvedCrawlOptions,
} from './crawl/crawl-options.js';
export { CRAWL_FILES } from './crawl/crawl-state.js';
export { type CrawlEvent, type CrawlStats, crawl, crawlIter } from './crawl/crawler.js';
export { type JournalEntry, JournalEntrySchema } from './crawl/journal.js';
export { type CrawlReport, CrawlReportSchema } from './crawl/report.js';
export {
  DocumentSchema,
  documentId,
  normaliseForId,
  type ScrapedDocument,
  type SourceType,
  SourceTypeSchema,
} from './document.js';
export { isScraperError, ScraperError, type ScraperErrorCode } from './errors.js';
export { cleanAsciidoc } from './extract/asciidoc.js';
// Extraction
export {
  type ContentKind,
  contentKindOf,
  type ExtractedContent,
  type ExtractInput,
  extractContent,
} from './extract/extract-content.js';
export { type HtmlExtraction, type HtmlToMarkdownOptions, htmlToMarkdown } from './extract/html.js';
export type { JsonValue } from './extract/json-value.js';
export {
  type CleanedMarkdown,
  type CleanMarkdownOptions,
  cleanMarkdown,
} from './extract/markdown.js';
export { mediaTypeOf } from './extract/media-type.js';
export { type PdfText, pdfToText } from './extract/pdf.js';
export { type CleanedMarkup, cleanRst } from './extract/rst.js';
export {
  createJsonFileEtagCache,
  createMemoryEtagCache,
  type EtagCache,
  type EtagCacheEntry,
  EtagCacheEntrySchema,
} from './github/etag-cache.js';
export type { ExtractFn } from './github/extract-fn.js';
export {
  CONTENTS_API_MAX_BYTES,
  createGitHubClient,
  type GitHubClient,
  type GitHubClientOptions,
  type GitHubContent,
  type GitHubRepo,
  type GitHubRequestOptions,
  type GitHubTree,
  RATE_LIMIT_MARGIN_MS,
  type RateLimitWait,
  SECONDARY_LIMIT_MIN_WAIT_MS,
  type TreeEntry,
} from './github/github-client.js';
// GitHub
export { parseRepoUrl, type RepoRef } from './github/repo-url.js';
export {
  blobUrl,
  contentTypeForPath,
  type GitHubEvent,
  type ScrapeGitHubRepoOptions,
  scrapeGitHubRepo,
} from './github/scrape-github-repo.js';
export {
  type DocFileSelection,
  isDocCandidate,
  mayHoldDocFiles,
  type PathPattern,
  type SelectDocFilesOptions,
  selectDocFiles,
} from './github/select-doc-files.js';
// HTTP, robots.txt, sitemaps and URLs
export {
  createFetcher,
  type Fetcher,
  type FetcherOptions,
  type FetchRequestOptions,
  type FetchResult,
  parseRetryAfter,
  type RetryEvent,
} from './http/fetcher.js';
export { HostThrottle, type HostThrottleOptions } from './http/host-throttle.js';
export type { Sleep } from './http/sleep.js';
export { writeFileAtomic } from './io/atomic-write.js';
export { JsonlAppender, readJsonl, repairJsonl } from './io/jsonl.js';
export {
  type CncfProject,
  CncfProjectSchema,
  type CncfProjectsOptions,
  cncfProjects,
  findProject,
  slugify,
} from './landscape/cncf-projects.js';
// Landscape and source planning
export {
  type Landscape,
  type LandscapeAudit,
  LandscapeAuditSchema,
  type LandscapeCategory,
  LandscapeCategorySchema,
  LandscapeDateSchema,
  type LandscapeExtra,
  LandscapeExtraSchema,
  type LandscapeItem,
  LandscapeItemSchema,
  type LandscapeLink,
  LandscapeLinkSchema,
  type LandscapeRepo,
  LandscapeRepoSchema,
  LandscapeSchema,
  type LandscapeSubcategory,
  LandscapeSubcategorySchema,
  type Maturity,
  MaturitySchema,
} from './landscape/landscape-schema.js';
export {
  DEFAULT_LANDSCAPE_URL,
  type LandscapeEntry,
  type LandscapeIssue,
  type LoadLandscapeOptions,
  loadLandscape,
  type ParsedLandscape,
  type ParseLandscapeOptions,
  parseLandscape,
} from './landscape/parse-landscape.js';
export { parseStackOverflowUrl, type StackOverflowQuery } from './landscape/stack-overflow-url.js';
export {
  DEFAULT_EXCLUSIONS,
  type ExclusionRule,
  ExclusionRuleSchema,
  isExcludedPath,
} from './plan/exclusions.js';
export { type GitHubRepoRef, parseGitHubRepoUrl } from './plan/github-repo.js';
export { type PlanOptions, PlanOptionsSchema, planSources } from './plan/plan-sources.js';
export {
  type Budget,
  BudgetSchema,
  DEFAULT_BUDGET,
  isInSiteScope,
  type PlannedProject,
  PlannedProjectSchema,
  type PlannedRepo,
  PlannedRepoSchema,
  type PlannedSite,
  PlannedSiteSchema,
  type PlannedTag,
  PlannedTagSchema,
  type PlannedWhitepaper,
  PlannedWhitepaperSchema,
  parseSourcePlan,
  planKeyToDir,
  type SkippedSource,
  SkippedSourceSchema,
  type SourcePlan,
  SourcePlanSchema,
} from './plan/source-plan.js';
export {
  allowAllRobots,
  disallowAllRobots,
  fetchRobotsTxt,
  parseRobotsTxt,
  productToken,
  ROBOTS_MAX_BYTES,
  type RobotsStatus,
  type RobotsTxt,
} from './robots/robots-txt.js';
export {
  defaultSitemapUrls,
  type SitemapEntry,
  type SitemapError,
  type SitemapUrlsOptions,
  sitemapUrls,
} from './robots/sitemap.js';
export {
  type ScrapeEvent,
  type ScrapeOptions,
  type ScrapeReport,
  ScrapeReportSchema,
  type ScrapeUnitKind,
  type ScrapeUnitResult,
  ScrapeUnitResultSchema,
  scrape,
  scrapeIter,
} from './scrape/scrape.js';
export { parseTags, type ReadPostsXmlOptions, readPostsXml } from './stackexchange/posts-xml.js';
// StackOverflow
export {
  createStackExchangeClient,
  type QuestionsByTagOptions,
  STACKEXCHANGE_MAX_PAGE_SIZE,
  type StackExchangeClient,
  type StackExchangeClientOptions,
  type StackExchangeWait,
} from './stackexchange/stackexchange-client.js';
export {
  type AnswerSelection,
  AnswerSelectionSchema,
  decodeHtmlEntities,
  type PostOwner,
  PostOwnerSchema,
  type StackOverflowAnswer,
  StackOverflowAnswerSchema,
  type StackOverflowThread,
  StackOverflowThreadSchema,
  selectAnswers,
  siteHost,
  spdxFromContentLicense,
} from './stackexchange/thread.js';
export {
  type ThreadToDocumentOptions,
  threadToDocument,
} from './stackexchange/thread-to-document.js';
export {
  isTrackingParameter,
  normaliseUrl,
  TRACKING_PARAMETER_PREFIXES,
  TRACKING_PARAMETERS,
  urlKey,
} from './url/normalise.js';
export { createScope, type Scope, type ScopeCheck, type ScopeOptions } from './url/scope.js';
export {
  compareVersions,
  createVersionPolicy,
  isVersionSegment,
  parseVersionedPath,
  VERSION_ALIASES,
  type VersionedPath,
  type VersionPolicy,
  type VersionPolicyOptions,
} from './url/versions.js';
