import { setMaxListeners } from 'node:events';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DocumentSchema, documentId, type ScrapedDocument } from '../document.js';
import { isScraperError, ScraperError } from '../errors.js';
import { extractContent } from '../extract/extract-content.js';
import { createFetcher, type FetchResult } from '../http/fetcher.js';
import { HostThrottle } from '../http/host-throttle.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { JsonlAppender, readJsonl } from '../io/jsonl.js';
import { fetchRobotsTxt, type RobotsTxt } from '../robots/robots-txt.js';
import { defaultSitemapUrls, sitemapUrls } from '../robots/sitemap.js';
import { normaliseUrl, urlKey } from '../url/normalise.js';
import { createScope } from '../url/scope.js';
import { createVersionPolicy } from '../url/versions.js';
import { type CrawlOptions, resolveCrawlOptions } from './crawl-options.js';
import { CRAWL_FILES, loadCrawlState } from './crawl-state.js';
import type { DoneEntry, JournalEntry } from './journal.js';
import type { CrawlReport } from './report.js';

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

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Crawls documentation sites into `outDir/documents.jsonl`, yielding progress events and
 * returning the report (also written to `outDir/crawl-report.json`).
 *
 * Run it again on the same `outDir` and it continues: an unfinished crawl (killed, even with
 * SIGKILL, or interrupted) resumes with no page lost or written twice; a finished one is
 * refreshed with conditional requests, so only changed pages are downloaded again.
 */
export async function* crawlIter(options: CrawlOptions): AsyncGenerator<CrawlEvent, CrawlReport> {
  const opts = resolveCrawlOptions(options);
  // Our own controller stops the workers when the consumer leaves the loop early.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  // Every request in flight and every task waiting on a host listens to this one signal.
  setMaxListeners(0, signal);
  const sleep = options.sleep ?? defaultSleep;
  const runStarted = Date.now();
  await mkdir(opts.outDir, { recursive: true });
  const state = await loadCrawlState(opts.outDir);

  const frontierLeft = [...state.seen.keys()].some((key) => !state.done.has(key));
  const unfinished =
    state.lastRun > 0 &&
    (state.lastRunEnded === null || (state.lastRunEnded !== 'complete' && frontierLeft));
  const mode: 'fresh' | 'resume' | 'refresh' =
    state.lastRun === 0 ? 'fresh' : opts.mode === 'refresh' || !unfinished ? 'refresh' : 'resume';
  const run = state.lastRun + 1;
  if (mode === 'refresh') {
    state.done.clear();
    state.report.reset();
    state.generationDurationMs = 0;
    state.generationStartedAt = new Date().toISOString();
    state.generationDocumentIds.clear();
  }

  const journal = await JsonlAppender.open(join(opts.outDir, CRAWL_FILES.journal));
  const documents = await JsonlAppender.open(join(opts.outDir, CRAWL_FILES.documents));
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
  const record = (entry: JournalEntry) => state.report.add(entry);

  const runEntry: JournalEntry = {
    t: 'run',
    run,
    mode,
    at: new Date().toISOString(),
    seeds: opts.seeds,
    documents: state.documentCount,
  };
  await journal.append(runEntry);
  if (mode !== 'resume') state.generationStart = run;
  state.generationStartedAt ??= runEntry.at;

  const scope = createScope({
    seeds: opts.seeds,
    ...(opts.scopePrefixes.length > 0 ? { prefixes: opts.scopePrefixes } : {}),
    exclude: opts.exclude,
  });
  const versions = createVersionPolicy({ mode: opts.versions, pinned: opts.seeds });
  const throttle = new HostThrottle({
    concurrencyPerHost: opts.concurrencyPerHost,
    minDelayMs: opts.delayMs,
    adaptive: opts.adaptiveDelay,
    sleep,
  });
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
      if (/\b(429|503)\b/.test(e.reason)) throttle.backoff(new URL(e.url).host, e.delayMs);
      emit({ type: 'page-retry', ...e });
    },
  });

  // Frontier: learnt, not finished in this generation, not skipped. Versions are observed
  // first so the latest-only rule sees every version already known.
  const queue: QueueItem[] = [];
  let head = 0;
  for (const { url } of state.seen.values()) versions.observe(url);
  for (const [key, { url, depth }] of state.seen) {
    if (!state.done.has(key) && !state.skipped.has(key)) queue.push({ url, key, depth });
  }
  if (mode === 'refresh') {
    const refreshed: JournalEntry[] = queue.map((q) => ({
      t: 'seen',
      url: q.url,
      depth: q.depth,
      via: 'refresh',
    }));
    await journal.appendMany(refreshed);
    for (const entry of refreshed) record(entry);
  }

  // Sidebars repeat the same few hundred links on every page: normalise each href once.
  const normalised = new Map<string, string | null>();
  const normalise = (href: string): string | null => {
    let n = normalised.get(href);
    if (n === undefined) {
      if (normalised.size > 100_000) normalised.clear();
      n = normaliseUrl(href);
      normalised.set(href, n);
    }
    return n;
  };
  const pendingDiscoveries: JournalEntry[] = [];
  const discover = (
    raw: string,
    depth: number,
    via: 'seed' | 'sitemap' | 'link' | 'canonical' | 'redirect',
  ): boolean => {
    const url = normaliseUrl(raw);
    if (url === null) return false;
    const key = urlKey(url);
    if (state.seen.has(key) || state.skipped.has(key)) return false;
    const inScope = scope.check(url);
    if (!inScope.inScope) {
      state.skipped.set(key, { url, reason: inScope.reason });
      pendingDiscoveries.push({ t: 'skip', url, reason: `out-of-scope: ${inScope.reason}` });
      return false;
    }
    if (depth > opts.maxDepth) {
      state.skipped.set(key, { url, reason: 'max-depth' });
      pendingDiscoveries.push({ t: 'skip', url, reason: `max-depth: ${depth}` });
      return false;
    }
    versions.observe(url);
    state.seen.set(key, { url, depth });
    pendingDiscoveries.push({ t: 'seen', url, depth, via });
    queue.push({ url, key, depth });
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

  if (mode !== 'refresh') for (const seed of opts.seeds) discover(seed, 0, 'seed');
  let sitemapTotal = 0;
  if (opts.useSitemaps) {
    const origins = [...new Set(opts.seeds.map((s) => new URL(s).origin))];
    for (const origin of origins) {
      const robots = await robotsFor(origin);
      const listed = robots?.sitemaps.length ? robots.sitemaps : defaultSitemapUrls(origin);
      const errors: string[] = [];
      let urls = 0;
      let added = 0;
      try {
        for await (const entry of sitemapUrls({
          fetcher,
          sitemaps: listed,
          signal,
          onError: (e: { url: string; message: string }) => errors.push(`${e.url}: ${e.message}`),
        })) {
          urls++;
          if (discover(entry.loc, 0, 'sitemap')) added++;
        }
      } catch (error) {
        errors.push((error as Error).message);
      }
      sitemapTotal += urls;
      emit({ type: 'sitemap-read', urls, added, errors });
    }
  }
  await flushDiscoveries();

  let fetchedInGeneration = 0;
  let bytesInGeneration = 0;
  let documentsInGeneration = 0;
  let failedInGeneration = 0;
  for (const entry of state.done.values()) {
    if (entry.status !== undefined) fetchedInGeneration++;
    bytesInGeneration += entry.bytes ?? 0;
    if (entry.outcome === 'document') documentsInGeneration++;
    if (entry.outcome === 'failed') failedInGeneration++;
  }
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
      state.done.set(urlKey(e.url), e);
      record(e);
    }
    await journal.appendMany([...extra, entry]);
    doneCount += 1 + extra.length;
    if (entry.status !== undefined) fetchedInGeneration++;
    if (entry.outcome === 'document') documentsInGeneration++;
    if (entry.outcome === 'failed') failedInGeneration++;
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
    const robots = await robotsFor(item.url);
    if (robots && !robots.isAllowed(item.url, opts.userAgent)) {
      return finish(item, {
        ...base,
        outcome: 'skipped',
        reason: `robots-disallowed: ${new URL(item.url).pathname}`,
      });
    }

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
    bytesInGeneration += result.bytes;
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
      const finalScope = scope.check(finalUrl);
      if (!finalScope.inScope) {
        return finish(item, {
          ...base,
          ...fetched,
          outcome: 'skipped',
          reason: `redirected-out-of-scope: ${finalUrl}`,
        });
      }
      if (state.seen.has(finalKey) && finalKey !== item.key) {
        return finish(item, {
          ...base,
          ...fetched,
          outcome: 'skipped',
          reason: `redirected: ${finalUrl}`,
        });
      }
      discover(finalUrl, item.depth, 'redirect');
      // The final URL is handled here, not from the queue.
      state.done.set(finalKey, { ...base, url: finalUrl, outcome: 'skipped' });
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
    await documents.append(parsed.data);
    state.documentIds.set(id, page.url);
    state.generationDocumentIds.add(id);
    state.documents.set(page.key, { id, etag: fetched.etag, lastModified: fetched.lastModified });
    state.documentCount++;
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
  const next = (): QueueItem | null => {
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
      } finally {
        inFlight--;
        wakeWorkers();
      }
    }
    wakeWorkers();
  };
  let workersDone = false;
  const workers = Promise.all(Array.from({ length: opts.concurrency }, worker)).finally(() => {
    workersDone = true;
    notify();
  });

  try {
    while (true) {
      while (events.length > 0) yield events.shift() as CrawlEvent;
      if (workersDone) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (events.length > 0 || workersDone) notify();
      });
    }
    await workers;
    if (workerError !== null) throw workerError;

    let pending = inFlight;
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
    let documentsInFile = state.documentCount;
    if (ended === 'complete' && mode === 'refresh') {
      documentsInFile = await compactDocuments(opts.outDir);
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
    await workers.catch(() => {});
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
async function compactDocuments(outDir: string): Promise<number> {
  const path = join(outDir, CRAWL_FILES.documents);
  const latest = new Map<string, number>();
  let index = 0;
  for await (const doc of readJsonl(path, DocumentSchema)) latest.set(urlKey(doc.url), index++);
  if (latest.size === index) return index;
  const keep = new Set(latest.values());
  const temp = `${path}.compact.tmp`;
  await rm(temp, { force: true });
  const out = await JsonlAppender.open(temp);
  index = 0;
  try {
    for await (const doc of readJsonl(path, DocumentSchema)) {
      if (keep.has(index++)) await out.append(doc);
    }
  } finally {
    await out.close();
  }
  await rename(temp, path);
  return keep.size;
}
