import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { SaxesParser } from 'saxes';
import { z } from 'zod';
import { isScraperError, ScraperError } from '../errors.js';
import type { Fetcher } from '../http/fetcher.js';
import { abortSignalSchema, functionSchema, parseOptions } from '../http/parse-options.js';
import { throwIfAborted } from '../http/sleep.js';

/** One page listed by a sitemap. */
export interface SitemapEntry {
  /** The page URL, as the sitemap gives it (absolute, http or https). */
  loc: string;
  /** `<lastmod>` as written (W3C datetime), or `null`. */
  lastmod: string | null;
  /** The sitemap file that listed it. */
  source: string;
}

/** A sitemap file that was skipped, as reported to {@link SitemapUrlsOptions.onError}. */
export interface SitemapError {
  /** The sitemap URL. */
  url: string;
  /** Why it was skipped, in words. */
  message: string;
  error: ScraperError;
  /** 0 for the sitemaps passed in, 1 for their children, and so on. */
  depth: number;
}

/** Options of {@link sitemapUrls}. */
export interface SitemapUrlsOptions {
  fetcher: Fetcher;
  /** Sitemap URLs to read, e.g. from robots.txt or {@link defaultSitemapUrls}. */
  sitemaps: string[];
  /** Stop after this many page URLs. @default 50000 */
  maxUrls?: number;
  /** How deep sitemap indexes may nest below the given sitemaps. @default 3 */
  maxDepth?: number;
  /** Most sitemap files fetched in one call (an index may list 50,000). @default 1000 */
  maxSitemaps?: number;
  /** Most bytes of one sitemap after gunzipping a `.xml.gz` file. @default 52428800 (50 MiB) */
  maxBytes?: number;
  signal?: AbortSignal;
  /** Told about each sitemap that was skipped (unreachable, broken, not a sitemap, too deep). */
  onError?: (error: SitemapError) => void;
}

const SitemapUrlsOptionsSchema = z.strictObject({
  fetcher: z.custom<Fetcher>((value) => typeof (value as Fetcher | null)?.fetch === 'function', {
    message: 'expected a Fetcher (see createFetcher)',
  }),
  sitemaps: z.array(z.string()),
  maxUrls: z.number().int().positive().default(50_000),
  maxDepth: z.number().int().min(0).default(3),
  maxSitemaps: z.number().int().positive().default(1000),
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(50 * 1024 * 1024),
  signal: abortSignalSchema.optional(),
  onError: functionSchema<(error: SitemapError) => void>().optional(),
});

const gunzip = promisify(zlib.gunzip);
const SITEMAP_ACCEPT = 'application/xml, text/xml;q=0.9, text/plain;q=0.8, */*;q=0.5';
/** Characters handed to the XML parser at a time, so entries flow out while a file is parsed. */
const PARSE_CHUNK = 64 * 1024;

/** Where a site's sitemap usually is when robots.txt names none: `${origin}/sitemap.xml`. */
export function defaultSitemapUrls(origin: string): string[] {
  return [new URL('/sitemap.xml', origin).href];
}

/**
 * Reads sitemaps and yields the page URLs they list: XML `urlset` files, `sitemapindex` files
 * (whose children are read in turn, depth first, up to `maxDepth`), gzip-compressed sitemaps
 * (`.xml.gz`, recognised by their magic bytes) and plain-text sitemaps (one URL per line).
 * Each URL is yielded once. A sitemap that cannot be fetched or parsed is skipped and reported
 * to `onError`; entries it yielded before breaking stay yielded. Only an abort ends the
 * generator early with an error.
 *
 * Sitemap files go through `fetcher`, so its `maxBodyBytes` bounds each download; a
 * `.xml.gz` file is additionally bounded by `maxBytes` once decompressed.
 *
 * @example
 * for await (const { loc, lastmod } of sitemapUrls({ fetcher, sitemaps: robots.sitemaps })) { … }
 */
export async function* sitemapUrls(options: SitemapUrlsOptions): AsyncGenerator<SitemapEntry> {
  const config = parseOptions(SitemapUrlsOptionsSchema, options, 'sitemapUrls');
  const { fetcher, signal } = config;
  const work = config.sitemaps.map((url) => ({ url, depth: 0 }));
  const visited = new Set<string>();
  const yielded = new Set<string>();
  let fetched = 0;

  const skip = (url: string, depth: number, error: unknown) => {
    const failure = isScraperError(error)
      ? error
      : new ScraperError(
          'invalid-response',
          `Sitemap ${url} could not be read: ${String(error)}.`,
          {
            url,
            cause: error,
          },
        );
    config.onError?.({ url, message: failure.message, error: failure, depth });
  };

  while (work.length > 0 && yielded.size < config.maxUrls) {
    const { url, depth } = work.shift() as { url: string; depth: number };
    throwIfAborted(signal);
    if (visited.has(url)) continue;
    visited.add(url);
    if (fetched >= config.maxSitemaps) {
      skip(
        url,
        depth,
        new ScraperError(
          'too-large',
          `Sitemap ${url} was not read: already read maxSitemaps (${config.maxSitemaps}) files.`,
          { url },
        ),
      );
      continue;
    }
    fetched += 1;

    const children: string[] = [];
    try {
      const text = await loadSitemap(fetcher, url, config.maxBytes, signal);
      for (const item of parseSitemap(text, url)) {
        if (item.type === 'sitemap') {
          children.push(item.loc);
          continue;
        }
        if (yielded.has(item.loc)) continue;
        yielded.add(item.loc);
        yield { loc: item.loc, lastmod: item.lastmod, source: url };
        if (yielded.size >= config.maxUrls) return;
      }
    } catch (error) {
      if (isScraperError(error, 'aborted')) throw error;
      throwIfAborted(signal);
      skip(url, depth, error);
    }

    const next: { url: string; depth: number }[] = [];
    for (const child of children) {
      if (depth + 1 > config.maxDepth) {
        skip(
          child,
          depth + 1,
          new ScraperError(
            'invalid-response',
            `Sitemap ${child} was not read: sitemap indexes nest deeper than maxDepth (${config.maxDepth}).`,
            { url: child },
          ),
        );
        continue;
      }
      next.push({ url: child, depth: depth + 1 });
    }
    // Children go first, in their listed order: depth first keeps a site's order.
    work.unshift(...next);
  }
}

async function loadSitemap(
  fetcher: Fetcher,
  url: string,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  const response = await fetcher.fetch(url, {
    accept: SITEMAP_ACCEPT,
    ...(signal === undefined ? {} : { signal }),
  });
  let body = Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength);
  // A .xml.gz file is usually served as application/gzip, not with Content-Encoding.
  if (body[0] === 0x1f && body[1] === 0x8b) {
    try {
      body = await gunzip(body, { maxOutputLength: maxBytes });
    } catch (error) {
      const tooBig = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
      throw new ScraperError(
        tooBig ? 'too-large' : 'invalid-response',
        tooBig
          ? `Sitemap ${url} is larger than ${maxBytes} bytes once gunzipped; it was skipped.`
          : `Sitemap ${url} looks gzip-compressed but does not decompress (${(error as Error).message}).`,
        { url, cause: error },
      );
    }
  }
  return new TextDecoder('utf-8').decode(body);
}

type SitemapItem =
  | { type: 'url'; loc: string; lastmod: string | null }
  | { type: 'sitemap'; loc: string };

/** Yields what one sitemap file lists, XML or plain text, as it goes. */
function* parseSitemap(text: string, source: string): Generator<SitemapItem> {
  const start = text.search(/\S/);
  if (start === -1) return;
  if (text[start] !== '<') {
    for (const line of text.split(/\r\n|\r|\n/)) {
      const loc = httpUrl(line.trim());
      if (loc !== null) yield { type: 'url', loc, lastmod: null };
    }
    return;
  }
  yield* parseSitemapXml(text, source);
}

/**
 * Streams the XML through saxes. Element names are matched by local name, so a prefixed
 * sitemap (`<sm:url>`) reads like a plain one; an undeclared prefix is not an error.
 */
function* parseSitemapXml(text: string, source: string): Generator<SitemapItem> {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const pending: SitemapItem[] = [];
  const path: string[] = [];
  let root: 'urlset' | 'sitemapindex' | null = null;
  let loc = '';
  let lastmod = '';
  // The first problem stops the parse; entries completed before it are still yielded.
  let failure: ScraperError | null = null;

  const local = (name: string) => name.slice(name.indexOf(':') + 1).toLowerCase();
  parser.on('opentag', (tag) => {
    if (failure !== null) return;
    const name = local(tag.name);
    if (path.length === 0) {
      if (name !== 'urlset' && name !== 'sitemapindex') {
        failure = new ScraperError(
          'invalid-response',
          `${source} is not a sitemap: its root element is <${tag.name}>, not <urlset> or <sitemapindex>.`,
          { url: source },
        );
        return;
      }
      root = name;
    }
    path.push(name);
    if (path.length === 2) {
      loc = '';
      lastmod = '';
    }
  });
  const onText = (value: string) => {
    if (failure !== null || path.length !== 3) return;
    if (path[2] === 'loc') loc += value;
    else if (path[2] === 'lastmod') lastmod += value;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    if (failure !== null) return;
    const name = path.pop();
    if (path.length !== 1) return;
    const url = httpUrl(loc.trim(), source);
    if (url === null) return;
    if (root === 'urlset' && name === 'url') {
      pending.push({
        type: 'url',
        loc: url,
        lastmod: lastmod.trim() === '' ? null : lastmod.trim(),
      });
    } else if (root === 'sitemapindex' && name === 'sitemap') {
      pending.push({ type: 'sitemap', loc: url });
    }
  });
  parser.on('error', (error) => {
    failure ??= new ScraperError(
      'invalid-response',
      `Sitemap ${source} is not well-formed XML: ${error.message}`,
      { url: source, cause: error },
    );
  });

  for (let offset = 0; offset < text.length; ) {
    let end = Math.min(text.length, offset + PARSE_CHUNK);
    // Never hand over half of a surrogate pair.
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end += 1;
    parser.write(text.slice(offset, end));
    offset = end;
    yield* pending.splice(0);
    if (failure !== null) throw failure;
  }
  parser.close();
  yield* pending.splice(0);
  if (failure !== null) throw failure;
}

/** `value` as an absolute http(s) URL, resolved against `base` when one is given; else null. */
function httpUrl(value: string, base?: string): string | null {
  if (value === '') return null;
  try {
    const url = new URL(value, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
