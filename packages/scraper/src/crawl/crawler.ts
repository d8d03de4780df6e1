import { setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DocumentSchema, documentId, type ScrapedDocument } from '../document.js';
import { isScraperError, ScraperError } from '../errors.js';
import { extractContent } from '../extract/extract-content.js';
import { createFetcher, type FetchResult } from '../http/fetcher.js';
import { HostThrottle } from '../http/host-throttle.js';
import { realSleep } from '../http/sleep.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { acquireDirLock } from '../io/dir-lock.js';
import { compactJsonl, JsonlAppender } from '../io/jsonl.js';
import { fetchRobotsTxt, type RobotsTxt } from '../robots/robots-txt.js';
import { defaultSitemapUrls, sitemapUrls } from '../robots/sitemap.js';
import { normaliseUrl, urlKey } from '../url/normalise.js';
import { createScope } from '../url/scope.js';
import { createVersionPolicy } from '../url/versions.js';
import {
  type CrawlOptions,
  type ResolvedCrawlOptions,
  resolveCrawlOptions,
} from './crawl-options.js';
import { CRAWL_FILES, type DoneMark, doneMark, loadCrawlState } from './crawl-state.js';
import type { DoneEntry, JournalEntry } from './journal.js';
import { type CrawlReport, reasonCode } from './report.js';

/** Running totals of the current generation, sent with every page event. */
export interface CrawlStats {
  /** URLs finished (fetched, skipped or failed) in this generation. */
  done: number;
  /** URLs waiting or in flight. */
  pending: number;
  documents: number;
  failed: number;
  /** Bytes received in this generation. */
  bytes: number;
  /** Milliseconds since this run started. */
  elapsedMs: number;
}

/** Progress of a crawl, as yielded by {@link crawlIter}. */
export type CrawlEvent =
  | {
      type: 'crawl-started';
      run: number;
      mode: 'fresh' | 'resume' | 'refresh';
      seeds: string[];
      pending: number;
      documentsInFile: number;
    }
  | { type: 'robots-loaded'; origin: string; status: 'ok' | 'missing' | 'unreachable' }
  | { type: 'sitemap-read'; urls: number; added: number; errors: string[] }
  | {
      type: 'page-done';
      url: string;
      outcome: DoneEntry['outcome'];
      status?: number;
      reason?: string;
      code?: string;
      stats: CrawlStats;
    }
  | { type: 'page-retry'; url: string; attempt: number; delayMs: number; reason: string }
  | { type: 'crawl-finished'; report: CrawlReport };

interface QueueItem {
  url: string;
  key: string;
  depth: number;
}

/**
 * Events the crawl runs ahead of its consumer. Past this the workers wait, so a consumer that
 * is slow (or stops reading without leaving the loop) holds the crawl back instead of letting
 * the queue of events grow with every page.
 */
const MAX_BUFFERED_EVENTS = 256;
/** Distinct hrefs whose normal form is remembered; sidebars repeat a few hundred. */
const NORMALISED_CACHE_SIZE = 10_000;
/** Finished entries at the front of the frontier before it is compacted. */
const QUEUE_COMPACT_AFTER = 4096;

/**
 * Crawls documentation sites into `outDir/documents.jsonl`, yielding progress events and
 * returning the report (also written to `outDir/crawl-report.json`).
 *
 * Run it again on the same `outDir` and it continues: an unfinished crawl (killed, even with
 * SIGKILL, or interrupted, or stopped at a budget that the new run raises) resumes with no page
 * lost or written twice; a finished one (or one whose budget is spent) is refreshed with
 * conditional requests, so only changed pages are downloaded again, and `documents.jsonl` keeps
 * the newest record of each URL. Seeds added, and URLs a wider scope or depth now takes in, join
 * the crawl. One crawl at a time per `outDir` (`crawl.lock`; a lock left by a dead process is
 * taken over).
 * @throws `ScraperError` `io-error` when another crawl holds `outDir`, or a file cannot be
 * written; `invalid-options` for bad options; `invalid-record` for a crawl directory that
 * something else changed.
 */
export async function* crawlIter(options: CrawlOptions): AsyncGenerator<CrawlEvent, CrawlReport> {
  const opts = resolveCrawlOptions(options);
  await mkdir(opts.outDir, { recursive: true });
  // One crawl per directory: a second one would repair, append and compact the same files.
  const lock = await acquireDirLock(opts.outDir, CRAWL_FILES.lock);
  try {
    // yield* hands an early exit of the consumer on to the crawl, which stops and closes.
    return yield* runCrawl(opts, options);
  } finally {
    await lock.release();
  }
}

async function* runCrawl(
  opts: ResolvedCrawlOptions,
  options: CrawlOptions,
): AsyncGenerator<CrawlEvent, CrawlReport> {
  // Our own controller stops the workers when the consumer leaves the loop early.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  // Every request in flight and every task waiting on a host listens to this one signal.
  setMaxListeners(0, signal);
  const sleep = options.sleep ?? realSleep;
  const runStarted = Date.now();
  const state = await loadCrawlState(opts.outDir);

  // Budget spent by the current generation so far.
  let fetchedInGeneration = 0;
  let bytesInGeneration = 0;
  let documentsInGeneration = 0;
  let failedInGeneration = 0;
  const count = (mark: DoneMark) => {
    if (mark.fetched) fetchedInGeneration++;
    bytesInGeneration += mark.bytes;
    if (mark.outcome === 'document') documentsInGeneration++;
    if (mark.outcome === 'failed') failedInGeneration++;
  };
  for (const mark of state.done.values()) count(mark);

  // An unfinished generation resumes: one cut short, or one that stopped at its budget when
  // this run's budget leaves room. Anything else (a finished generation, or a budget stop run
  // again with a budget already spent) starts a refresh, which re-checks the known pages.
  let frontierLeft = false;
  for (const key of state.seen.keys()) {
    if (!state.done.has(key)) {
      frontierLeft = true;
      break;
    }
  }
  const budgetLeft = fetchedInGeneration < opts.maxPages && bytesInGeneration < opts.maxBytes;
  const unfinished =
    state.lastRun > 0 &&
    (state.lastRunEnded === null ||
      (state.lastRunEnded !== 'complete' && frontierLeft && budgetLeft));
  const mode: 'fresh' | 'resume' | 'refresh' =
    state.lastRun === 0 ? 'fresh' : opts.mode === 'refresh' || !unfinished ? 'refresh' : 'resume';
  const run = state.lastRun + 1;
  if (mode === 'refresh') {
    state.done.clear();
    state.report.reset();
    state.generationDurationMs = 0;
    state.generationStartedAt = new Date().toISOString();
    state.generationDocumentIds.clear();
    fetchedInGeneration = 0;
    bytesInGeneration = 0;
    documentsInGeneration = 0;
    failedInGeneration = 0;
  }
  if (mode !== 'resume') state.generationStart = run;

  const fetcher = createFetcher({
    userAgent: opts.userAgent,
    timeoutMs: opts.timeoutMs,
    maxBodyBytes: opts.maxBodyBytes,
    maxRedirects: opts.maxRedirects,
    maxRetries: opts.maxRetries,
    maxRetryDelayMs: opts.maxRetryDelayMs,
    sleep,
    signal,
    onRetry: (e) => {
      if (e.status === 429 || e.status === 503) throttle.backoff(new URL(e.url).host, e.delayMs);
      emit({ type: 'page-retry', ...e });
    },
  });
  const throttle = new HostThrottle({
    concurrencyPerHost: opts.concurrencyPerHost,
    minDelayMs: opts.delayMs,
    adaptive: opts.adaptiveDelay,
    sleep,
  });
  let journal: JsonlAppender;
  let documents: JsonlAppender;
  try {
    journal = await JsonlAppender.open(join(opts.outDir, CRAWL_FILES.journal));
    try {
      documents = await JsonlAppender.open(join(opts.outDir, CRAWL_FILES.documents));
    } catch (error) {
      await journal.close();
      throw error;
    }
  } catch (error) {
    await fetcher.close();
    throw error;
  }

  const events: CrawlEvent[] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const emit = (event: CrawlEvent) => {
    events.push(event);
    notify();
  };
  // Workers waiting for the consumer to catch up with the events.
  let readers: (() => void)[] = [];
  const releaseReaders = () => {
    const waiting = readers;
    readers = [];
    for (const r of waiting) r();
  };
  signal.addEventListener('abort', releaseReaders, { once: true });
  const record = (entry: JournalEntry) => state.report.add(entry);
  let workers: Promise<unknown> | null = null;
  let workersDone = false;

  // Everything from here on runs with the files open: whatever ends the generator (an error,
  // an abort, a consumer leaving the loop) goes through `finally`, which closes them.
  try {
    // Done lines a kill lost (see loadCrawlState) belong to the run that wrote the documents.
    await journal.appendMany(state.unjournaled);

    const scope = createScope({
      seeds: opts.seeds,
      ...(opts.scopePrefixes.length > 0 ? { prefixes: opts.scopePrefixes } : {}),
      exclude: opts.exclude,
    });
    const versions = createVersionPolicy({ mode: opts.versions, pinned: opts.seeds });

    // Frontier: learnt, not finished in this generation, not skipped. Versions are observed
    // first so the latest-only rule sees every version already known.
    const queue: QueueItem[] = [];
    let head = 0;
    for (const { url } of state.seen.values()) versions.observe(url);
    // URLs an earlier run left out under other options (seeds, scope, depth) that this run's
    // options take in.
    const readmitted: JournalEntry[] = [];
    for (const [key, { url, reason, depth }] of state.skipped) {
      const code = reasonCode(reason);
      if (code !== 'out-of-scope' && code !== 'max-depth') continue;
      if (depth > opts.maxDepth || !scope.check(url).inScope) continue;
      state.skipped.delete(key);
      state.seen.set(key, { url, depth, run });
      versions.observe(url);
      readmitted.push({ t: 'seen', url, depth, via: 'refresh' });
    }
    // Each URL of the frontier is discovered once per generation in the journal: a refresh
    // journals them all again, a resume those whose line a kill cut from the refresh's batch.
    const rejournaled: JournalEntry[] = [];
    for (const [key, seen] of state.seen) {
      if (state.done.has(key)) continue;
      queue.push({ url: seen.url, key, depth: seen.depth });
      if (seen.run < state.generationStart) {
        seen.run = run;
        rejournaled.push({ t: 'seen', url: seen.url, depth: seen.depth, via: 'refresh' });
      }
    }
    const runEntry: JournalEntry = {
      t: 'run',
      run,
      mode,
      at: new Date().toISOString(),
      seeds: opts.seeds,
      documents: state.documentCount,
    };
    await journal.appendMany([runEntry, ...rejournaled, ...readmitted]);
    for (const entry of rejournaled) record(entry);
    for (const entry of readmitted) record(entry);
    state.generationStartedAt ??= runEntry.at;

    // Sidebars repeat the same few hundred links on every page: normalise each href once.
    const normalised = new Map<string, string | null>();
    const normalise = (href: string): string | null => {
      let n = normalised.get(href);
      if (n === undefined) {
        if (normalised.size >= NORMALISED_CACHE_SIZE) normalised.clear();
        n = normaliseUrl(href);
        normalised.set(href, n);
      }
      return n;
    };
    const pendingDiscoveries: JournalEntry[] = [];
    /**
     * Learns a URL: journals it as seen (and queues it, unless `enqueue` is false because the
     * caller handles it itself) or as skipped. False when it was known already or is skipped.
     */
    const discover = (
      raw: string,
      depth: number,
      via: 'seed' | 'sitemap' | 'link' | 'canonical' | 'redirect',
      enqueue = true,
    ): boolean => {
      const url = normaliseUrl(raw);
      if (url === null) return false;
      const key = urlKey(url);
      if (state.seen.has(key)) return false;
      const skipped = state.skipped.get(key);
      // Found too deep before, found within the depth limit now (workers finish pages out of
      // breadth-first order, and a redirect keeps its source's depth): take it in.
      if (skipped !== undefined) {
        if (reasonCode(skipped.reason) !== 'max-depth' || depth > opts.maxDepth) return false;
      }
      const inScope = scope.check(url);
      if (!inScope.inScope) {
        const reason = `out-of-scope: ${inScope.reason}`;
        state.skipped.set(key, { url, reason, depth });
        pendingDiscoveries.push({ t: 'skip', url, reason, depth });
        return false;
      }
      if (depth > opts.maxDepth) {
        const reason = `max-depth: ${depth}`;
        state.skipped.set(key, { url, reason, depth });
        pendingDiscoveries.push({ t: 'skip', url, reason, depth });
        return false;
      }
      state.skipped.delete(key);
      versions.observe(url);
      state.seen.set(key, { url, depth, run });
      pendingDiscoveries.push({ t: 'seen', url, depth, via });
      if (enqueue) queue.push({ url, key, depth });
      return true;
    };
    const flushDiscoveries = async () => {
      if (pendingDiscoveries.length === 0) return;
      const batch = pendingDiscoveries.splice(0);
      await journal.appendMany(batch);
      for (const entry of batch) record(entry);
    };

    // Robots, per origin, loaded once and shared by the workers.
    const robotsByOrigin = new Map<string, Promise<RobotsTxt | null>>();
    const robotsStatus: Record<string, 'ok' | 'missing' | 'unreachable' | 'ignored'> = {};
    const robotsFor = (url: string): Promise<RobotsTxt | null> => {
      const origin = new URL(url).origin;
      let pending = robotsByOrigin.get(origin);
      if (!pending) {
        pending = opts.respectRobots
          ? fetchRobotsTxt(fetcher, origin).then(({ robots, status }) => {
              robotsStatus[origin] = status;
              const delay = robots.crawlDelayMs(opts.userAgent);
              if (delay !== null) throttle.setCrawlDelay(new URL(origin).host, delay);
              emit({ type: 'robots-loaded', origin, status });
              return robots;
            })
          : Promise.resolve(null).then(() => {
              robotsStatus[origin] = 'ignored';
              return null;
            });
        robotsByOrigin.set(origin, pending);
      }
      return pending;
    };
    /** Why robots.txt keeps the crawl from `url`, or null when it may be fetched. */
    const robotsSkip = async (url: string): Promise<string | null> => {
      const robots = await robotsFor(url);
      if (robots === null || robots.isAllowed(url, opts.userAgent)) return null;
      const { origin, pathname } = new URL(url);
      // An unreadable robots.txt forbids the whole origin for now (RFC 9309); say so, rather
      // than blaming rules the site never sent.
      return robotsStatus[origin] === 'unreachable'
        ? `robots-unreachable: ${origin}/robots.txt`
        : `robots-disallowed: ${pathname}`;
    };

    // Seeds are discovered on every run: one added since the last run joins the crawl.
    for (const seed of opts.seeds) discover(seed, 0, 'seed');
    let sitemapTotal = 0;
    if (opts.useSitemaps) {
      try {
        const origins = [...new Set(opts.seeds.map((s) => new URL(s).origin))];
        for (const origin of origins) {
          const robots = await robotsFor(origin);
          if (robotsStatus[origin] === 'unreachable') {
            // The site may not be crawled for now (RFC 9309), its sitemaps included.
            const error = `${origin}/robots.txt is unreachable: sitemaps not read`;
            emit({ type: 'sitemap-read', urls: 0, added: 0, errors: [error] });
            continue;
          }
          const listed = robots?.sitemaps.length ? robots.sitemaps : defaultSitemapUrls(origin);
          const errors: string[] = [];
          let urls = 0;
          let added = 0;
          try {
            for await (const entry of sitemapUrls({
              fetcher,
              sitemaps: listed,
              signal,
              onError: (e: { url: string; message: string }) =>
                errors.push(`${e.url}: ${e.message}`),
            })) {
              urls++;
              if (discover(entry.loc, 0, 'sitemap')) added++;
            }
          } catch (error) {
            if (signal.aborted) throw error;
            errors.push((error as Error).message);
          }
          sitemapTotal += urls;
          emit({ type: 'sitemap-read', urls, added, errors });
        }
      } catch (error) {
        // An abort while robots.txt or a sitemap loads ends the run like any other abort.
        if (!signal.aborted) throw error;
      }
    }
    await flushDiscoveries();

    let doneCount = state.done.size;
    let stoppedBy: CrawlReport['stoppedBy'] | null = null;
    let inFlight = 0;
    const stats = (): CrawlStats => ({
      done: doneCount,
      pending: queue.length - head + inFlight,
      documents: documentsInGeneration,
      failed: failedInGeneration,
      bytes: bytesInGeneration,
      elapsedMs: Date.now() - runStarted,
    });

    emit({
      type: 'crawl-started',
      run,
      mode,
      seeds: opts.seeds,
      pending: queue.length - head,
      documentsInFile: state.documentCount,
    });

    const finish = async (item: QueueItem, entry: DoneEntry, extra: DoneEntry[] = []) => {
      for (const e of [...extra, entry]) {
        const mark = doneMark(e);
        state.done.set(urlKey(e.url), mark);
        record(e);
        count(mark);
      }
      await journal.appendMany([...extra, entry]);
      doneCount += 1 + extra.length;
      emit({
        type: 'page-done',
        url: item.url,
        outcome: entry.outcome,
        ...(entry.status !== undefined ? { status: entry.status } : {}),
        ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
        ...(entry.code !== undefined ? { code: entry.code } : {}),
        stats: stats(),
      });
    };

    const processItem = async (item: QueueItem): Promise<void> => {
      const base = { t: 'done' as const, url: item.url, run };
      const inScope = scope.check(item.url);
      if (!inScope.inScope) {
        return finish(item, {
          ...base,
          outcome: 'skipped',
          reason: `out-of-scope: ${inScope.reason}`,
        });
      }
      const newer = versions.supersededBy(item.url);
      if (newer !== null) {
        return finish(item, {
          ...base,
          outcome: 'skipped',
          reason: `older-version: superseded by ${newer}`,
        });
      }
      const disallowed = await robotsSkip(item.url);
      if (disallowed !== null)
        return finish(item, { ...base, outcome: 'skipped', reason: disallowed });

      const known = state.documents.get(item.key);
      let result: FetchResult;
      try {
        result = await throttle.schedule(
          item.url,
          () =>
            fetcher.fetch(item.url, {
              ifNoneMatch: known?.etag ?? null,
              ifModifiedSince: known?.lastModified ?? null,
            }),
          signal,
        );
      } catch (error) {
        if (signal.aborted) throw error;
        const e = isScraperError(error)
          ? error
          : new ScraperError('network-error', String((error as Error)?.message ?? error), {
              url: item.url,
            });
        return finish(item, {
          ...base,
          outcome: 'failed',
          code: e.code,
          ...(e.status !== undefined ? { status: e.status } : {}),
          message: e.message,
        });
      }
      const fetched = {
        status: result.status,
        bytes: result.bytes,
        retries: Math.max(0, result.attempts - 1),
        etag: result.headers.etag ?? null,
        lastModified: result.headers['last-modified'] ?? null,
      };

      // Redirects: the final URL is the page; the requested one is recorded as a redirect.
      const finalUrl = normaliseUrl(result.url) ?? result.url;
      const finalKey = urlKey(finalUrl);
      const extra: DoneEntry[] = [];
      let page = item;
      if (finalKey !== item.key) {
        const redirected = { ...base, ...fetched, outcome: 'skipped' as const };
        if (!scope.check(finalUrl).inScope) {
          return finish(item, { ...redirected, reason: `redirected-out-of-scope: ${finalUrl}` });
        }
        // A URL the crawl knows has its own turn (done, queued, or in flight right now).
        if (state.seen.has(finalKey)) {
          return finish(item, { ...redirected, reason: `redirected: ${finalUrl}` });
        }
        // The fetcher followed the redirect before robots.txt could be asked: keep nothing
        // from a page the site forbids.
        const forbidden = await robotsSkip(finalUrl);
        if (forbidden !== null) {
          return finish(item, { ...redirected, reason: `${forbidden} (redirected from here)` });
        }
        if (result.notModified) {
          // The 304 answered validators sent for the requested URL; they say nothing about the
          // final one, which is queued to be fetched on its own.
          discover(finalUrl, item.depth, 'redirect');
          await flushDiscoveries();
          return finish(item, { ...redirected, reason: `redirected: ${finalUrl}` });
        }
        // Handled here, not from the queue; false when a rule (depth) leaves it out.
        if (!discover(finalUrl, item.depth, 'redirect', false)) {
          await flushDiscoveries();
          return finish(item, { ...redirected, reason: `redirected: ${finalUrl}` });
        }
        // The fetch is counted once, on the final URL's line.
        extra.push({ ...base, outcome: 'skipped', reason: `redirected: ${finalUrl}` });
        page = { url: finalUrl, key: finalKey, depth: item.depth };
      }
      const pageBase = { t: 'done' as const, url: page.url, run, ...fetched, finalUrl };

      if (result.notModified) {
        await flushDiscoveries();
        const outcome = state.generationDocumentIds.has(known?.id ?? '')
          ? 'document'
          : 'not-modified';
        return finish(
          page,
          { ...pageBase, outcome, ...(known ? { documentId: known.id } : {}) },
          extra,
        );
      }

      const mediaType =
        (result.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      let extracted: Awaited<ReturnType<typeof extractContent>>;
      try {
        extracted = await extractContent({
          body: result.body,
          contentType: result.headers['content-type'] ?? '',
          url: page.url,
        });
      } catch (error) {
        await flushDiscoveries();
        const e = isScraperError(error) ? error : null;
        const code = e?.code ?? 'extract-failed';
        return finish(
          page,
          code === 'unsupported-content-type'
            ? {
                ...pageBase,
                contentType: mediaType,
                outcome: 'skipped',
                reason: `unsupported-content-type: ${mediaType || 'none'}`,
              }
            : {
                ...pageBase,
                contentType: mediaType,
                outcome: 'failed',
                code,
                message: (error as Error).message,
              },
          extra,
        );
      }
      const contentType = extracted.mediaType;

      const links: string[] = [];
      const linkSet = new Set<string>();
      for (const href of extracted.links) {
        const n = normalise(href);
        if (n !== null && !linkSet.has(n)) {
          linkSet.add(n);
          links.push(n);
        }
      }
      if (!extracted.robots.nofollow)
        for (const link of links) discover(link, page.depth + 1, 'link');

      const canonical = extracted.canonicalUrl ? normaliseUrl(extracted.canonicalUrl) : null;
      if (canonical !== null && urlKey(canonical) !== page.key && scope.check(canonical).inScope) {
        discover(canonical, page.depth, 'canonical');
        await flushDiscoveries();
        return finish(
          page,
          { ...pageBase, contentType, outcome: 'skipped', reason: `non-canonical: ${canonical}` },
          extra,
        );
      }
      await flushDiscoveries();
      if (extracted.robots.noindex) {
        return finish(
          page,
          { ...pageBase, contentType, outcome: 'skipped', reason: 'noindex' },
          extra,
        );
      }
      const language = extracted.language?.toLowerCase() ?? null;
      const primary = language?.split(/[-_]/)[0] ?? null;
      if (primary !== null && opts.languages.length > 0 && !opts.languages.includes(primary)) {
        return finish(
          page,
          { ...pageBase, contentType, outcome: 'skipped', reason: `language: ${language}` },
          extra,
        );
      }
      if (extracted.markdown.trim().length === 0) {
        return finish(
          page,
          { ...pageBase, contentType, outcome: 'skipped', reason: 'empty: no text content' },
          extra,
        );
      }

      const id = documentId(extracted.markdown);
      const sameIdUrl = state.documentIds.get(id);
      if (sameIdUrl !== undefined) {
        const sameKey = urlKey(sameIdUrl) === page.key;
        const outcome: DoneEntry['outcome'] = !sameKey
          ? 'duplicate'
          : state.generationDocumentIds.has(id)
            ? 'document'
            : 'not-modified';
        return finish(
          page,
          {
            ...pageBase,
            contentType,
            outcome,
            documentId: id,
            ...(sameKey ? {} : { reason: `duplicate-content: same as ${sameIdUrl}` }),
          },
          extra,
        );
      }

      const metadata: ScrapedDocument['metadata'] = { ...extracted.metadata, depth: page.depth };
      if (page.url !== item.url) metadata.requestedUrl = item.url;
      if (extracted.warnings.length > 0) metadata.warnings = extracted.warnings;
      const candidate = {
        id,
        url: page.url,
        canonicalUrl: canonical ?? page.url,
        project: opts.project,
        sourceType: extracted.kind === 'pdf' ? 'whitepaper' : opts.sourceType,
        title: extracted.title.trim() || page.url,
        markdown: extracted.markdown,
        contentType,
        language: language ?? 'en',
        licence: opts.licence,
        attribution: opts.attribution,
        fetchedAt: new Date().toISOString(),
        etag: fetched.etag,
        lastModified: fetched.lastModified,
        httpStatus: result.status,
        bytes: result.bytes,
        links,
        metadata,
      };
      const parsed = DocumentSchema.safeParse(candidate);
      if (!parsed.success) {
        return finish(
          page,
          {
            ...pageBase,
            contentType,
            outcome: 'failed',
            code: 'invalid-record',
            message: `The document built from ${page.url} is invalid (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); it was not written. Please report this.`,
          },
          extra,
        );
      }
      // Claim the id before the write yields: a worker that extracts the same content from
      // another URL meanwhile must see it as a duplicate, not write it a second time.
      const previous = state.documents.get(page.key);
      if (previous !== undefined && state.documentIds.get(previous.id) === page.url) {
        // The page's old content is no longer at this URL (the record goes at compaction).
        state.documentIds.delete(previous.id);
      }
      state.documentIds.set(id, page.url);
      state.generationDocumentIds.add(id);
      state.documents.set(page.key, { id, etag: fetched.etag, lastModified: fetched.lastModified });
      state.documentCount++;
      await documents.append(parsed.data);
      return finish(
        page,
        {
          ...pageBase,
          contentType,
          outcome: 'document',
          documentId: id,
          markdownBytes: Buffer.byteLength(extracted.markdown),
        },
        extra,
      );
    };

    // Workers take from the queue until it is empty and nothing is in flight (a page in
    // flight can still add links), or a budget is spent, or the signal aborts.
    let workerError: unknown = null;
    // Items taken from the queue whose processing an abort cut short: still pending.
    let abandoned = 0;
    const next = (): QueueItem | null => {
      // Drop the finished front of the frontier now and then: it would otherwise keep an
      // entry for every URL of the run.
      if (head >= QUEUE_COMPACT_AFTER && head * 2 >= queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      while (head < queue.length) {
        const item = queue[head++] as QueueItem;
        if (!state.done.has(item.key)) return item;
      }
      return null;
    };
    let idle: (() => void)[] = [];
    const wakeWorkers = () => {
      const waiting = idle;
      idle = [];
      for (const w of waiting) w();
    };
    const worker = async () => {
      while (workerError === null && !signal.aborted && stoppedBy === null) {
        if (events.length >= MAX_BUFFERED_EVENTS) {
          await new Promise<void>((r) => readers.push(r));
          continue;
        }
        if (fetchedInGeneration + inFlight >= opts.maxPages) {
          if (inFlight === 0) stoppedBy = 'max-pages';
          else await new Promise<void>((r) => idle.push(r));
          continue;
        }
        if (bytesInGeneration >= opts.maxBytes) {
          if (inFlight === 0) stoppedBy = 'max-bytes';
          else await new Promise<void>((r) => idle.push(r));
          continue;
        }
        const item = next();
        if (item === null) {
          if (inFlight === 0) break;
          await new Promise<void>((r) => idle.push(r));
          continue;
        }
        inFlight++;
        try {
          await processItem(item);
        } catch (error) {
          if (!signal.aborted) workerError = error;
          if (!state.done.has(item.key)) abandoned++;
        } finally {
          inFlight--;
          wakeWorkers();
        }
      }
      wakeWorkers();
    };
    workers = Promise.all(Array.from({ length: opts.concurrency }, worker)).finally(() => {
      workersDone = true;
      notify();
    });

    while (true) {
      while (events.length > 0) {
        yield events.shift() as CrawlEvent;
        if (events.length <= MAX_BUFFERED_EVENTS / 2) releaseReaders();
      }
      releaseReaders();
      if (workersDone) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (events.length > 0 || workersDone) notify();
      });
    }
    await workers;
    if (workerError !== null) throw workerError;

    let pending = inFlight + abandoned;
    for (let i = head; i < queue.length; i++) {
      if (!state.done.has((queue[i] as QueueItem).key)) pending++;
    }
    const ended: CrawlReport['stoppedBy'] = signal.aborted
      ? 'interrupted'
      : (stoppedBy ?? (pending === 0 ? 'complete' : 'interrupted'));
    const durationMs = Date.now() - runStarted;
    if (ended !== 'interrupted') {
      await journal.append({
        t: 'end',
        run,
        at: new Date().toISOString(),
        durationMs,
        stoppedBy: ended,
      });
    }
    // A URL with several records (a refresh, a resumed refresh, a page written again after a
    // kill) keeps only its newest once a run has come to its end.
    let documentsInFile = state.documentCount;
    if (ended !== 'interrupted' && state.documentCount > state.documents.size) {
      documentsInFile = await compactDocuments(opts.outDir);
      state.documentCount = documentsInFile;
    }
    const report = state.report.build({
      seeds: opts.seeds,
      startedAt: state.generationStartedAt,
      durationMs: state.generationDurationMs + durationMs,
      runs: run - state.generationStart + 1,
      stoppedBy: ended,
      pending,
      documentsInFile,
      robots: robotsStatus,
      sitemapUrls: sitemapTotal,
    });
    await writeFileAtomic(
      join(opts.outDir, CRAWL_FILES.report),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    yield { type: 'crawl-finished', report };
    return report;
  } finally {
    if (!workersDone)
      stop.abort(new ScraperError('aborted', 'The crawl was stopped by its consumer.'));
    signal.removeEventListener('abort', releaseReaders);
    releaseReaders();
    await workers?.catch(() => {});
    await journal.close();
    await documents.close();
    await fetcher.close();
  }
}

/** Crawls and returns the report; see {@link crawlIter}. */
export async function crawl(options: CrawlOptions): Promise<CrawlReport> {
  const it = crawlIter(options);
  while (true) {
    const step = await it.next();
    if (step.done) return step.value;
  }
}

/**
 * After a refresh, `documents.jsonl` holds old and new versions of changed pages. Keeps the
 * newest record per URL, rewriting the file atomically (temp file, then rename).
 */
function compactDocuments(outDir: string): Promise<number> {
  return compactJsonl(join(outDir, CRAWL_FILES.documents), DocumentSchema, (doc) =>
    urlKey(doc.url),
  );
}
