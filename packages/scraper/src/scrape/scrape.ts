import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CrawlOptions } from '../crawl/crawl-options.js';
import { DEFAULT_USER_AGENT } from '../crawl/crawl-options.js';
import { crawlIter } from '../crawl/crawler.js';
import type { CrawlReport } from '../crawl/report.js';
import { DocumentSchema, documentId, type ScrapedDocument } from '../document.js';
import { isScraperError, ScraperError } from '../errors.js';
import { extractContent } from '../extract/extract-content.js';
import { createJsonFileEtagCache } from '../github/etag-cache.js';
import { createGitHubClient, type GitHubClientOptions } from '../github/github-client.js';
import { scrapeGitHubRepo } from '../github/scrape-github-repo.js';
import { createFetcher } from '../http/fetcher.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { acquireDirLock } from '../io/dir-lock.js';
import { compactJsonl, JsonlAppender, readJsonl } from '../io/jsonl.js';
import { DEFAULT_EXCLUSIONS } from '../plan/exclusions.js';
import { planKeyToDir, type SourcePlan } from '../plan/source-plan.js';
import { fetchRobotsTxt } from '../robots/robots-txt.js';
import {
  createStackExchangeClient,
  type StackExchangeClientOptions,
} from '../stackexchange/stackexchange-client.js';
import { threadToDocument } from '../stackexchange/thread-to-document.js';

/** Kinds of planned source. */
export type ScrapeUnitKind = 'site' | 'github' | 'stackoverflow' | 'whitepaper';

/** The outcome of one planned source. */
export const ScrapeUnitResultSchema = z.object({
  key: z.string(),
  kind: z.enum(['site', 'github', 'stackoverflow', 'whitepaper']),
  projects: z.array(z.string()),
  /** Directory of the unit, relative to the scrape's `outDir`. */
  dir: z.string(),
  status: z.enum(['complete', 'partial', 'up-to-date', 'skipped', 'failed']),
  documents: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  message: z.string().nullable(),
  durationMs: z.number().nonnegative(),
});
/** The outcome of one planned source. */
export type ScrapeUnitResult = z.infer<typeof ScrapeUnitResultSchema>;

/** `scrape-report.json`. */
export const ScrapeReportSchema = z.object({
  version: z.literal(1),
  startedAt: z.string(),
  finishedAt: z.string(),
  units: z.array(ScrapeUnitResultSchema),
  /** Every `documents.jsonl` written, relative to `outDir`. */
  documentFiles: z.array(z.string()),
  totals: z.object({
    documents: z.number().int().nonnegative(),
    failedUnits: z.number().int().nonnegative(),
  }),
});
/** `scrape-report.json`. */
export type ScrapeReport = z.infer<typeof ScrapeReportSchema>;

/** Options of {@link scrape}. */
export interface ScrapeOptions {
  plan: SourcePlan;
  /** Output directory: `plan.json`, `scrape-report.json`, and one folder per source under `sources/`. */
  outDir: string;
  /** Source kinds to run. @default all */
  kinds?: ScrapeUnitKind[];
  /** Options passed to every site crawl (politeness, timeouts). */
  crawl?: Omit<CrawlOptions, 'seeds' | 'outDir' | 'project' | 'signal'>;
  /** GitHub client options (`baseUrl`, `accessToken`, …); the token defaults to `GITHUB_TOKEN`. */
  github?: GitHubClientOptions;
  /** StackExchange client options; the key defaults to `STACKEXCHANGE_KEY`. */
  stackExchange?: StackExchangeClientOptions;
  /** Lowest question score taken from StackOverflow. @default 1 */
  minQuestionScore?: number;
  /** Re-read GitHub and StackOverflow sources that finished before. Sites always refresh. @default false */
  refresh?: boolean;
  signal?: AbortSignal;
}

/** Progress of {@link scrapeIter}. */
export type ScrapeEvent =
  | { type: 'unit-started'; key: string; kind: ScrapeUnitKind; index: number; total: number }
  | { type: 'unit-progress'; key: string; documents: number; done: number; pending?: number }
  | { type: 'unit-finished'; result: ScrapeUnitResult; index: number; total: number }
  | { type: 'scrape-finished'; report: ScrapeReport };

const UnitMarkerSchema = z.object({ status: z.string(), finishedAt: z.string() });

/**
 * Runs a source plan: crawls each docs site, reads each GitHub repository's docs, fetches each
 * StackOverflow tag and downloads each whitepaper, one folder per source. A source that fails
 * is reported and the others go on; running it again resumes where it stopped. An abort ends
 * the scrape with a report (the source it cut is `partial`); a source read again keeps one
 * record per URL, the newest. One scrape at a time per `outDir` (`scrape.lock`).
 * @throws `ScraperError` `io-error` when another scrape holds `outDir`.
 */
export async function* scrapeIter(
  options: ScrapeOptions,
): AsyncGenerator<ScrapeEvent, ScrapeReport> {
  await mkdir(join(options.outDir, 'sources'), { recursive: true });
  // One scrape per directory: two would append the same GitHub and StackOverflow files.
  const lock = await acquireDirLock(options.outDir, 'scrape.lock');
  try {
    return yield* runScrape(options);
  } finally {
    await lock.release();
  }
}

async function* runScrape(options: ScrapeOptions): AsyncGenerator<ScrapeEvent, ScrapeReport> {
  const startedAt = new Date().toISOString();
  await writeFileAtomic(
    join(options.outDir, 'plan.json'),
    `${JSON.stringify(options.plan, null, 2)}\n`,
  );
  const kinds = new Set<ScrapeUnitKind>(
    options.kinds ?? ['site', 'github', 'stackoverflow', 'whitepaper'],
  );
  type UnitRun = (dir: string) => AsyncGenerator<ScrapeEvent, UnitOutcome>;
  const units: { key: string; kind: ScrapeUnitKind; projects: string[]; run: UnitRun }[] = [];
  const add = <T extends { key: string; projects: string[] }>(
    kind: ScrapeUnitKind,
    items: readonly T[],
    run: (item: T, dir: string) => AsyncGenerator<ScrapeEvent, UnitOutcome>,
  ) => {
    if (!kinds.has(kind)) return;
    for (const item of items) {
      units.push({ key: item.key, kind, projects: item.projects, run: (dir) => run(item, dir) });
    }
  };
  const plan = options.plan;
  add('site', plan.sites, (site, dir) => runSite(options, site, dir));
  add('github', plan.github, (repo, dir) =>
    unlessComplete(options, dir, (docs) => runGitHub(options, repo, dir, docs)),
  );
  if (kinds.has('stackoverflow') && plan.stackOverflow.length > 0) {
    // One client for every tag: the API's backoff and quota are per key, not per tag.
    const client = createStackExchangeClient({
      ...options.stackExchange,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    add('stackoverflow', plan.stackOverflow, (tag, dir) =>
      unlessComplete(options, dir, (docs) => runStackOverflow(options, client, tag, docs)),
    );
  }
  add('whitepaper', plan.whitepapers, (paper, dir) =>
    unlessComplete(options, dir, (docs) => runWhitepaper(options, paper, docs)),
  );

  const results: ScrapeUnitResult[] = [];
  const documentFiles: string[] = [];
  for (const [index, unit] of units.entries()) {
    if (options.signal?.aborted) break;
    const rel = join('sources', planKeyToDir(unit.key));
    const dir = join(options.outDir, rel);
    await mkdir(dir, { recursive: true });
    yield { type: 'unit-started', key: unit.key, kind: unit.kind, index, total: units.length };
    const started = Date.now();
    let result: ScrapeUnitResult;
    try {
      // `yield*` passes a consumer's early exit on to the unit, whose generators then close
      // their files and stop their workers instead of running on unseen.
      const outcome = yield* unit.run(dir);
      result = {
        key: unit.key,
        kind: unit.kind,
        projects: unit.projects,
        dir: rel,
        durationMs: Date.now() - started,
        ...outcome,
      };
    } catch (error) {
      // An abort ends the scrape like a finished one (a report, the unit partial), so that
      // the run can be resumed and the work so far is accounted for.
      const aborted = options.signal?.aborted === true;
      result = {
        key: unit.key,
        kind: unit.kind,
        projects: unit.projects,
        dir: rel,
        status: aborted ? 'partial' : 'failed',
        // What earlier runs of the unit wrote is still there.
        documents: await countLines(join(dir, 'documents.jsonl')),
        skipped: 0,
        failed: 0,
        message: aborted ? 'interrupted' : error instanceof Error ? error.message : String(error),
        durationMs: Date.now() - started,
      };
    }
    if (result.status === 'complete') {
      await writeFileAtomic(
        join(dir, 'unit-complete.json'),
        `${JSON.stringify({ status: result.status, finishedAt: new Date().toISOString() })}\n`,
      );
    }
    results.push(result);
    // Listed by what is on disk: a failed unit may hold the documents of earlier runs, and a
    // skipped one may have no file at all.
    if (await hasRecords(join(dir, 'documents.jsonl'))) {
      documentFiles.push(join(rel, 'documents.jsonl'));
    }
    yield { type: 'unit-finished', result, index, total: units.length };
  }
  const report: ScrapeReport = {
    version: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    units: results,
    documentFiles,
    totals: {
      documents: results.reduce((n, r) => n + r.documents, 0),
      failedUnits: results.filter((r) => r.status === 'failed').length,
    },
  };
  await writeFileAtomic(
    join(options.outDir, 'scrape-report.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  yield { type: 'scrape-finished', report };
  return report;
}

/** Runs a source plan and returns the report; see {@link scrapeIter}. */
export async function scrape(options: ScrapeOptions): Promise<ScrapeReport> {
  const it = scrapeIter(options);
  while (true) {
    const step = await it.next();
    if (step.done) return step.value;
  }
}

type UnitOutcome = Omit<ScrapeUnitResult, 'key' | 'kind' | 'projects' | 'dir' | 'durationMs'>;

async function* runSite(
  options: ScrapeOptions,
  site: SourcePlan['sites'][number],
  dir: string,
): AsyncGenerator<ScrapeEvent, UnitOutcome> {
  const it = crawlIter({
    ...options.crawl,
    seeds: site.seedUrls,
    outDir: dir,
    project: site.projects[0] ?? null,
    maxPages: options.crawl?.maxPages ?? site.budget.maxPages,
    maxBytes: options.crawl?.maxBytes ?? site.budget.maxBytes,
    languages: options.crawl?.languages ?? [site.language],
    exclude: [
      ...(options.crawl?.exclude ?? []),
      ...DEFAULT_EXCLUSIONS.filter((r) => r.minBytes === undefined).map(
        (r) => new RegExp(r.pattern, 'i'),
      ),
    ],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let report: CrawlReport | undefined;
  // for-await closes the crawl (its workers and files) when this generator is closed early.
  for await (const event of it) {
    if (event.type === 'page-done') {
      yield {
        type: 'unit-progress',
        key: site.key,
        documents: event.stats.documents,
        done: event.stats.done,
        pending: event.stats.pending,
      };
    } else if (event.type === 'crawl-finished') report = event.report;
  }
  if (report === undefined) throw new Error(`The crawl of ${site.key} ended without a report.`);
  return {
    status: report.complete ? 'complete' : 'partial',
    documents: report.documentsInFile,
    skipped: report.pages.skipped,
    failed: report.pages.failed,
    message: report.complete ? null : `stopped: ${report.stoppedBy}`,
  };
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    const marker = UnitMarkerSchema.parse(
      JSON.parse(await readFile(join(dir, 'unit-complete.json'), 'utf8')),
    );
    return marker.status === 'complete';
  } catch {
    return false;
  }
}

/** Lines of a JSON Lines file (its records), 0 when it does not exist. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      for (const byte of chunk as Buffer) if (byte === 0x0a) lines++;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return lines;
}

async function hasRecords(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

/** The documents file of a GitHub, StackOverflow or whitepaper unit, as a run adds to it. */
interface UnitDocuments {
  /** Documents in the file, one per URL. */
  readonly count: number;
  /** Appends `doc` unless a record with its id is there already; true when appended. */
  add(doc: ScrapedDocument): Promise<boolean>;
  /**
   * Closes the file. With `compact` (a run that came to its end), a URL appended again with new
   * content (a re-read after the source changed) keeps only its newest record.
   */
  close(compact: boolean): Promise<void>;
}

async function openUnitDocuments(path: string): Promise<UnitDocuments> {
  const ids = new Set<string>();
  const urls = new Set<string>();
  let records = 0;
  for await (const doc of readJsonl(path, DocumentSchema)) {
    ids.add(doc.id);
    urls.add(doc.url);
    records++;
  }
  // More records than URLs: an earlier run appended new versions and stopped before compacting.
  let replaced = records > urls.size;
  // Opened at the first new document, so a unit that writes nothing leaves no empty file.
  let out: JsonlAppender | null = null;
  return {
    get count() {
      return urls.size;
    },
    async add(doc) {
      if (ids.has(doc.id)) return false;
      out ??= await JsonlAppender.open(path);
      await out.append(doc);
      ids.add(doc.id);
      if (urls.has(doc.url)) replaced = true;
      else urls.add(doc.url);
      return true;
    },
    async close(compact) {
      const open = out;
      out = null;
      await open?.close();
      if (compact && replaced) {
        await compactJsonl(path, DocumentSchema, (doc) => doc.url);
        replaced = false;
      }
    },
  };
}

/**
 * Runs a GitHub, StackOverflow or whitepaper unit over its documents file, unless an earlier
 * run finished it (and no refresh was asked for): then it is up to date and nothing is read.
 */
async function* unlessComplete(
  options: ScrapeOptions,
  dir: string,
  run: (docs: UnitDocuments) => AsyncGenerator<ScrapeEvent, UnitOutcome>,
): AsyncGenerator<ScrapeEvent, UnitOutcome> {
  const docs = await openUnitDocuments(join(dir, 'documents.jsonl'));
  if (!options.refresh && (await isComplete(dir))) {
    return { status: 'up-to-date', documents: docs.count, skipped: 0, failed: 0, message: null };
  }
  return yield* run(docs);
}

async function* runGitHub(
  options: ScrapeOptions,
  repo: SourcePlan['github'][number],
  dir: string,
  docs: UnitDocuments,
): AsyncGenerator<ScrapeEvent, UnitOutcome> {
  // An ETag cache per repository: a re-run costs 304s, which GitHub does not count.
  const client = createGitHubClient({
    ...options.github,
    cache: createJsonFileEtagCache({ path: join(dir, 'etag-cache.json') }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let skipped = 0;
  let failed = 0;
  let message: string | null = null;
  let seenFiles = 0;
  let ended = false;
  try {
    for await (const event of scrapeGitHubRepo({
      client,
      repoUrl: repo.url,
      project: repo.projects[0] ?? null,
      ...(repo.branch ? { ref: repo.branch } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      if (event.type === 'file-scraped') {
        seenFiles++;
        await docs.add(event.document);
        if (seenFiles >= repo.budget.maxPages) {
          message = `stopped at the budget of ${repo.budget.maxPages} files`;
          break;
        }
      } else if (event.type === 'file-skipped') skipped++;
      else if (event.type === 'file-failed') failed++;
      else if (event.type === 'repo-skipped') {
        return { status: 'skipped', documents: docs.count, skipped, failed, message: event.reason };
      }
      yield {
        type: 'unit-progress',
        key: repo.key,
        documents: docs.count,
        done: seenFiles + skipped + failed,
      };
    }
    ended = true;
  } finally {
    await docs.close(ended);
  }
  return { status: 'complete', documents: docs.count, skipped, failed, message };
}

async function* runStackOverflow(
  options: ScrapeOptions,
  client: ReturnType<typeof createStackExchangeClient>,
  tag: SourcePlan['stackOverflow'][number],
  docs: UnitDocuments,
): AsyncGenerator<ScrapeEvent, UnitOutcome> {
  let threads = 0;
  let failed = 0;
  let ended = false;
  try {
    for await (const thread of client.questionsByTag({
      // `all` means every tag at once, which the API writes with `;`.
      tag: tag.tags.join(';'),
      minScore: options.minQuestionScore ?? 1,
      maxQuestions: tag.budget.maxPages,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      threads++;
      let doc: ScrapedDocument;
      try {
        doc = await threadToDocument(thread, {
          project: tag.projects[0] ?? null,
          extract: extractContent,
        });
      } catch {
        failed++;
        continue;
      }
      await docs.add(doc);
      yield { type: 'unit-progress', key: tag.key, documents: docs.count, done: threads };
    }
    ended = true;
  } finally {
    await docs.close(ended);
  }
  return { status: 'complete', documents: docs.count, skipped: 0, failed, message: null };
}

async function* runWhitepaper(
  options: ScrapeOptions,
  paper: SourcePlan['whitepapers'][number],
  docs: UnitDocuments,
): AsyncGenerator<ScrapeEvent, UnitOutcome> {
  const userAgent = options.crawl?.userAgent ?? DEFAULT_USER_AGENT;
  const fetcher = createFetcher({
    userAgent,
    ...(options.crawl?.timeoutMs !== undefined ? { timeoutMs: options.crawl.timeoutMs } : {}),
    maxBodyBytes: options.crawl?.maxBodyBytes ?? 64 * 1024 ** 2,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    if (options.crawl?.respectRobots !== false) {
      const { robots } = await fetchRobotsTxt(fetcher, new URL(paper.url).origin);
      if (!robots.isAllowed(paper.url, userAgent)) {
        return {
          status: 'skipped',
          documents: docs.count,
          skipped: 1,
          failed: 0,
          message: `robots.txt disallows ${paper.url}`,
        };
      }
    }
    const result = await fetcher.fetch(paper.url);
    const extracted = await extractContent({
      body: result.body,
      contentType: result.headers['content-type'] ?? 'application/pdf',
      url: result.url,
    });
    const doc = DocumentSchema.parse({
      id: documentId(extracted.markdown),
      url: result.url,
      canonicalUrl: paper.sourceUrl,
      project: paper.projects[0] ?? null,
      sourceType: 'whitepaper',
      title: extracted.title || paper.title,
      markdown: extracted.markdown,
      contentType: extracted.mediaType,
      language: extracted.language ?? paper.language,
      licence: null,
      attribution: null,
      fetchedAt: new Date().toISOString(),
      etag: result.headers.etag ?? null,
      lastModified: result.headers['last-modified'] ?? null,
      httpStatus: result.status,
      bytes: result.bytes,
      links: [],
      metadata: {
        ...extracted.metadata,
        kind: paper.kind,
        date: paper.date,
        plannedTitle: paper.title,
      },
    });
    if (await docs.add(doc)) {
      await docs.close(true);
      yield { type: 'unit-progress', key: paper.key, documents: docs.count, done: 1 };
    }
    return { status: 'complete', documents: docs.count, skipped: 0, failed: 0, message: null };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const message = isScraperError(error)
      ? error.message
      : new ScraperError('extract-failed', String(error)).message;
    return { status: 'failed', documents: docs.count, skipped: 0, failed: 1, message };
  } finally {
    await docs.close(false);
    await fetcher.close();
  }
}
