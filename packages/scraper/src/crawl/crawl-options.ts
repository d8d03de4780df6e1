import { z } from 'zod';
import { SourceTypeSchema } from '../document.js';
import { ScraperError } from '../errors.js';
import { VERSION } from '../version.js';

/** The user agent the crawler sends, and the product token robots.txt groups are matched on. */
export const DEFAULT_USER_AGENT = `cncf-llm-scraper/${VERSION} (+https://github.com/cncf-llm/cncf-llm)`;

/**
 * Options of {@link crawl}. Defaults are polite: robots.txt obeyed, two requests at a time
 * per host, a delay that grows with the server's response time, and retries that wait as
 * long as `Retry-After` asks.
 */
export const CrawlOptionsSchema = z.object({
  /** Start URLs. Each one's host and directory define the crawl's scope. */
  seeds: z.array(z.url({ protocol: /^https?$/ })).min(1),
  /** Directory for `documents.jsonl`, `crawl-journal.jsonl` and `crawl-report.json`. */
  outDir: z.string().min(1),
  /** Landscape project name stamped on every document. @default null */
  project: z.string().nullable().default(null),
  /** Source type of HTML and text documents (PDFs are `whitepaper`). @default 'docs-site' */
  sourceType: SourceTypeSchema.default('docs-site'),
  /** SPDX licence of the site's content, stamped on documents. @default null */
  licence: z.string().nullable().default(null),
  /** Attribution the licence asks for. @default null */
  attribution: z.string().nullable().default(null),
  /** Pages to fetch in this generation (fresh or refresh run, resumes included). @default 10000 */
  maxPages: z.number().int().positive().default(10_000),
  /** Bytes to receive in this generation. @default 1 GiB */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(1024 ** 3),
  /** Links followed from a seed or sitemap entry. @default 20 */
  maxDepth: z.number().int().nonnegative().default(20),
  /** Requests in flight over all hosts. @default 4 */
  concurrency: z.number().int().positive().max(256).default(4),
  /** Requests in flight per host. @default 2 */
  concurrencyPerHost: z.number().int().positive().max(64).default(2),
  /** Least delay between request starts on one host, in ms; adaptive delay adds to it. @default 0 */
  delayMs: z.number().int().nonnegative().default(0),
  /** Grow the per-host delay with response times (AutoThrottle). @default true */
  adaptiveDelay: z.boolean().default(true),
  userAgent: z.string().min(1).default(DEFAULT_USER_AGENT),
  /** Obey robots.txt. @default true */
  respectRobots: z.boolean().default(true),
  /** Read sitemaps (from robots.txt, else `/sitemap.xml`) to discover pages. @default true */
  useSitemaps: z.boolean().default(true),
  /** Path prefixes (`/docs/`) or URL prefixes in scope, instead of each seed's directory. */
  scopePrefixes: z.array(z.string()).default([]),
  /** Path substrings or regular expressions never fetched. */
  exclude: z.array(z.union([z.string(), z.instanceof(RegExp)])).default([]),
  /** `latest`: of versioned docs (`/v3.5/` beside `/v3.6/`) keep only the newest. @default 'latest' */
  versions: z.enum(['latest', 'all']).default('latest'),
  /** Languages kept (primary subtags); a page that declares another is skipped. Empty keeps all. @default ['en'] */
  languages: z.array(z.string()).default(['en']),
  timeoutMs: z.number().int().positive().default(30_000),
  maxRetries: z.number().int().nonnegative().default(3),
  /** Longest `Retry-After` honoured before a URL fails. @default 60000 */
  maxRetryDelayMs: z.number().int().nonnegative().default(60_000),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 ** 2),
  maxRedirects: z.number().int().nonnegative().default(10),
  /** `auto` resumes an unfinished crawl and refreshes a finished one; `refresh` always re-checks. @default 'auto' */
  mode: z.enum(['auto', 'refresh']).default('auto'),
});
/** Options of {@link crawl} as the user writes them. */
export type CrawlOptions = z.input<typeof CrawlOptionsSchema> & {
  signal?: AbortSignal;
  /** Injected sleep, for tests of retry timing. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
};
/** Options with defaults applied. */
export type ResolvedCrawlOptions = z.output<typeof CrawlOptionsSchema>;

/** Validates crawl options, naming the bad option and what is expected. */
export function resolveCrawlOptions(options: CrawlOptions): ResolvedCrawlOptions {
  const { signal: _signal, sleep: _sleep, ...rest } = options;
  const parsed = CrawlOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'options';
    throw new ScraperError(
      'invalid-options',
      `Invalid crawl option ${where}: ${issue?.message ?? 'invalid'}.`,
    );
  }
  return parsed.data;
}
