import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';
import { z } from 'zod';
import { ScraperError } from '../errors.js';
import { readBody } from './decode-body.js';
import { abortSignalSchema, functionSchema, parseOptions } from './parse-options.js';
import {
  abortedError,
  linkAbort,
  realSleep,
  redactUrl,
  type Sleep,
  throwIfAborted,
} from './sleep.js';

/** One retry about to happen, as reported to {@link FetcherOptions.onRetry}. */
export interface RetryEvent {
  /** The URL whose request failed (a redirect target when the failure was on a later hop). */
  url: string;
  /** The attempt that just failed, from 1. */
  attempt: number;
  /** How long the fetcher waits before the next attempt. */
  delayMs: number;
  /** Why: `status 503`, `timeout`, `network-error`, `truncated-body`. */
  reason: string;
  /** The HTTP status that caused the retry, when it was one. */
  status?: number;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  retryAfterMs?: number;
}

/** Options of {@link createFetcher}. */
export interface FetcherOptions {
  /** Sent as `User-Agent` on every request; name the crawler and a contact URL. */
  userAgent: string;
  /**
   * Limit for the response headers to arrive, and again for the whole body after them.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Most bytes of a body, on the wire and again after decompression.
   * @default 10485760 (10 MiB)
   */
  maxBodyBytes?: number;
  /** @default 10 */
  maxRedirects?: number;
  /**
   * Retries of one fetch (all hops together) after 408, 425, 429, 500, 502, 503, 504, network
   * errors, timeouts and cut-off bodies.
   * @default 3
   */
  maxRetries?: number;
  /** First backoff delay; it doubles with each retry, with jitter. @default 500 */
  retryBaseDelayMs?: number;
  /**
   * Longest wait before a retry. A `Retry-After` asking for more fails the fetch at once with
   * code `rate-limited` instead of stalling the crawl.
   * @default 60000
   */
  maxRetryDelayMs?: number;
  /** The undici dispatcher to use; by default the fetcher owns a keep-alive `Agent`. */
  dispatcher?: Dispatcher;
  /** Aborts every request of this fetcher (a crawl's signal). */
  signal?: AbortSignal;
  /** Called before each retry wait, for logs and progress events. */
  onRetry?: (event: RetryEvent) => void;
  /** Injectable for tests: how to wait between retries. */
  sleep?: Sleep;
  /** Injectable for tests: the jitter source, a number in [0, 1). @default Math.random */
  random?: () => number;
}

/** Per-request options of {@link Fetcher.fetch}. */
export interface FetchRequestOptions {
  /** An `ETag` from an earlier fetch: a `304` then answers with `notModified: true`. */
  ifNoneMatch?: string | null;
  /** A `Last-Modified` value from an earlier fetch. */
  ifModifiedSince?: string | null;
  /** @default 'text/html,application/xhtml+xml,application/xml;q=0.9,*\/*;q=0.8' */
  accept?: string;
  /**
   * Extra request headers. They never appear in errors; `authorization`, `cookie` and
   * `proxy-authorization` are dropped when a redirect leaves the origin.
   */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A successful (2xx) or not-modified (304) response. */
export interface FetchResult {
  status: number;
  /** The final URL, after redirects. */
  url: string;
  requestedUrl: string;
  /** Each redirect's target, in order; empty when there was none. */
  redirects: string[];
  /** Response headers of the final response, names in lower case, repeated ones joined by `, `. */
  headers: Record<string, string>;
  /** The decompressed body; empty for a 304. */
  body: Uint8Array;
  /** Bytes of the final body received on the wire (compressed size when compressed). */
  bytes: number;
  notModified: boolean;
  /** 1 plus the number of retries this fetch needed (redirect hops are not counted). */
  attempts: number;
  elapsedMs: number;
}

/** A configured HTTP client for polite crawling; see {@link createFetcher}. */
export interface Fetcher {
  /**
   * GETs `url`, following redirects and retrying transient failures.
   * @throws `ScraperError` with code `http-error` (any final status but 2xx/304), `timeout`,
   * `too-large`, `truncated-body`, `network-error`, `redirect-loop`, `too-many-redirects`,
   * `rate-limited`, `invalid-response`, `invalid-options` (not an http(s) URL) or `aborted`.
   */
  fetch(url: string, options?: FetchRequestOptions): Promise<FetchResult>;
  /** Closes idle connections of the fetcher's own agent (not of a dispatcher passed in). */
  close(): Promise<void>;
}

const FetcherOptionsSchema = z.strictObject({
  userAgent: z
    .string()
    .trim()
    .min(1, 'name the crawler, e.g. "my-crawler/1.0 (+https://example.org/bot)"')
    .refine((value) => !/[\r\n]/.test(value), 'must be one line'),
  timeoutMs: z.number().int().positive().default(30_000),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  maxRedirects: z.number().int().min(0).default(10),
  maxRetries: z.number().int().min(0).default(3),
  retryBaseDelayMs: z.number().min(0).default(500),
  maxRetryDelayMs: z.number().min(0).default(60_000),
  dispatcher: z
    .custom<Dispatcher>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as Dispatcher).dispatch === 'function',
      { message: 'expected an undici Dispatcher' },
    )
    .optional(),
  signal: abortSignalSchema.optional(),
  onRetry: functionSchema<(event: RetryEvent) => void>().optional(),
  sleep: functionSchema<Sleep>().optional(),
  random: functionSchema<() => number>().optional(),
});

const DEFAULT_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const ACCEPT_ENCODING = 'gzip, deflate, br';
const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials: they stay with the origin they were meant for. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
/** How much of an error page is kept for `ScraperError.body` (which keeps 500 characters). */
const ERROR_BODY_BYTES = 16 * 1024;
/** How much of a redirect's body is drained so the connection can be reused. */
const REDIRECT_DRAIN_BYTES = 64 * 1024;

/** Why an attempt's own controller was aborted: one of the two timeouts. */
class TimeoutReason {
  constructor(readonly phase: 'headers' | 'body') {}
}

type HopOutcome =
  | {
      kind: 'done';
      status: number;
      headers: Record<string, string>;
      body: Uint8Array;
      bytes: number;
    }
  | { kind: 'redirect'; status: number; location: string | undefined }
  | { kind: 'status'; status: number; headers: Record<string, string>; body: string };

/**
 * Creates the crawler's HTTP client: undici with keep-alive, manual redirects with loop
 * detection, retries with exponential backoff and jitter that honour `Retry-After`, separate
 * header and body timeouts, a body-size cap enforced while streaming (also after
 * decompression), and gzip/deflate/br decoding.
 *
 * @throws `ScraperError` with code `invalid-options` when an option is wrong.
 * @example
 * const fetcher = createFetcher({ userAgent: 'cncf-llm-scraper/0.1 (+https://example.org/bot)' });
 * const page = await fetcher.fetch('https://etcd.io/docs/');
 * await fetcher.close();
 */
export function createFetcher(options: FetcherOptions): Fetcher {
  const config = parseOptions(FetcherOptionsSchema, options, 'createFetcher');
  const ownAgent =
    config.dispatcher === undefined
      ? new Agent({
          keepAliveTimeout: 10_000,
          keepAliveMaxTimeout: 60_000,
          headersTimeout: config.timeoutMs,
          bodyTimeout: config.timeoutMs,
          connect: { timeout: config.timeoutMs },
        })
      : undefined;
  const dispatcher: Dispatcher = config.dispatcher ?? (ownAgent as Dispatcher);
  const sleep = config.sleep ?? realSleep;
  const random = config.random ?? Math.random;
  let closed = false;

  async function hop(
    url: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<HopOutcome> {
    const attempt = new AbortController();
    const unlink = linkAbort(attempt, [signal]);
    let phase: 'headers' | 'body' = 'headers';
    let timer = setTimeout(() => attempt.abort(new TimeoutReason('headers')), config.timeoutMs);
    try {
      const response = await request(url, {
        dispatcher,
        method: 'GET',
        headers,
        signal: attempt.signal,
        // undici's own timers are a backstop; ours above name the phase in the error.
        headersTimeout: config.timeoutMs + 1_000,
        bodyTimeout: config.timeoutMs + 1_000,
      });
      clearTimeout(timer);
      phase = 'body';
      // The body gets its own full timeout; `bodyTimeout` alone only limits a silence.
      timer = setTimeout(() => attempt.abort(new TimeoutReason('body')), config.timeoutMs);
      const status = response.statusCode;
      const responseHeaders = flattenHeaders(response.headers);
      const body = response.body as unknown as Readable & {
        dump(options?: { limit: number }): Promise<void>;
      };

      if (REDIRECT_STATUSES.has(status)) {
        await body.dump({ limit: REDIRECT_DRAIN_BYTES }).catch(() => {});
        return { kind: 'redirect', status, location: responseHeaders.location };
      }
      if (status === 304) {
        await body.dump({ limit: REDIRECT_DRAIN_BYTES }).catch(() => {});
        return {
          kind: 'done',
          status,
          headers: responseHeaders,
          body: new Uint8Array(0),
          bytes: 0,
        };
      }
      const contentLength = parseContentLength(responseHeaders['content-length']);
      if (status < 200 || status > 299) {
        const excerpt = await readBody(body, {
          url,
          limit: ERROR_BODY_BYTES,
          contentLength,
          contentEncoding: responseHeaders['content-encoding'],
          overLimit: 'truncate',
        }).catch(() => ({ data: new Uint8Array(0) }));
        return {
          kind: 'status',
          status,
          headers: responseHeaders,
          body: new TextDecoder().decode(excerpt.data).trim(),
        };
      }
      if (contentLength !== null && contentLength > config.maxBodyBytes) {
        body.destroy();
        throw new ScraperError(
          'too-large',
          `${url} announces ${contentLength} bytes (Content-Length), more than the limit of ${config.maxBodyBytes}; it was not downloaded. Raise maxBodyBytes if the page is wanted.`,
          { url, status },
        );
      }
      const read = await readBody(body, {
        url,
        limit: config.maxBodyBytes,
        contentLength,
        contentEncoding: responseHeaders['content-encoding'],
        overLimit: 'throw',
      });
      return {
        kind: 'done',
        status,
        headers: responseHeaders,
        body: read.data,
        bytes: read.wireBytes,
      };
    } catch (error) {
      throw classifyError(error, {
        url,
        phase,
        attempt: attempt.signal,
        caller: signal,
        timeoutMs: config.timeoutMs,
      });
    } finally {
      clearTimeout(timer);
      unlink();
    }
  }

  async function fetch(
    rawUrl: string,
    requestOptions: FetchRequestOptions = {},
  ): Promise<FetchResult> {
    const started = performance.now();
    const requestedUrl = parseRequestUrl(rawUrl);
    if (closed) {
      throw new ScraperError(
        'aborted',
        `Cannot fetch ${requestedUrl}: the fetcher was closed. Create a new one.`,
        {
          url: requestedUrl,
        },
      );
    }
    const controller = new AbortController();
    const unlink = linkAbort(controller, [config.signal, requestOptions.signal]);
    const signal = controller.signal;
    try {
      throwIfAborted(signal, requestedUrl);
      const baseHeaders = requestHeaders(config.userAgent, requestOptions);
      const redirects: string[] = [];
      const seen = new Set([requestedUrl]);
      let url = requestedUrl;
      let retries = 0;

      for (;;) {
        let headers =
          new URL(url).origin === new URL(requestedUrl).origin
            ? baseHeaders
            : withoutCredentials(baseHeaders);
        // Validators belong to the requested URL: sent to a redirect target they could match a
        // different resource by accident and turn its first download into a 304.
        if (url !== requestedUrl) headers = withoutValidators(headers);
        let outcome: HopOutcome;
        try {
          outcome = await hop(url, headers, signal);
        } catch (error) {
          const failure = error as ScraperError;
          if (!failure.isRetryable || retries >= config.maxRetries) {
            throw retries === 0 ? failure : withAttempts(failure, retries + 1);
          }
          const delayMs = backoffDelay(retries);
          config.onRetry?.({
            url: redactUrl(url),
            attempt: retries + 1,
            delayMs,
            reason: failure.code,
          });
          retries += 1;
          await sleep(delayMs, signal);
          continue;
        }

        if (outcome.kind === 'done') {
          return {
            status: outcome.status,
            url,
            requestedUrl,
            redirects,
            headers: outcome.headers,
            body: outcome.body,
            bytes: outcome.bytes,
            notModified: outcome.status === 304,
            attempts: retries + 1,
            elapsedMs: Math.round(performance.now() - started),
          };
        }

        if (outcome.kind === 'redirect') {
          const target = redirectTarget(url, outcome.status, outcome.location);
          if (seen.has(target)) {
            throw new ScraperError(
              'redirect-loop',
              `Redirects from ${redactUrl(requestedUrl)} loop back to ${redactUrl(target)} (chain: ${[requestedUrl, ...redirects, target].map(redactUrl).join(' -> ')}); the site is misconfigured, skip the page.`,
              { url: redactUrl(requestedUrl), status: outcome.status },
            );
          }
          if (redirects.length >= config.maxRedirects) {
            throw new ScraperError(
              'too-many-redirects',
              `${redactUrl(requestedUrl)} redirected more than ${config.maxRedirects} times (last to ${redactUrl(target)}); raise maxRedirects or skip the page.`,
              { url: redactUrl(requestedUrl), status: outcome.status },
            );
          }
          seen.add(target);
          redirects.push(target);
          url = target;
          continue;
        }

        // Any other status: retry the transient ones, fail on the rest.
        const { status } = outcome;
        const retryable = RETRYABLE_STATUSES.has(status);
        const retryAfterMs =
          status === 429 || status === 503 ? parseRetryAfter(outcome.headers['retry-after']) : null;
        if (retryAfterMs !== null && retryAfterMs > config.maxRetryDelayMs) {
          throw new ScraperError(
            'rate-limited',
            `${redactUrl(url)} answered ${describeStatus(status)} asking to wait ${Math.ceil(retryAfterMs / 1000)} s (Retry-After), longer than maxRetryDelayMs (${config.maxRetryDelayMs} ms); slow down and try this host later.`,
            { url: redactUrl(url), status, body: outcome.body, isRetryable: true },
          );
        }
        if (!retryable || retries >= config.maxRetries) {
          const tries = retries + 1;
          throw new ScraperError(
            'http-error',
            `GET ${redactUrl(url)} answered ${describeStatus(status)}${tries > 1 ? ` after ${tries} attempts` : ''}; ${adviceFor(status)}`,
            { url: redactUrl(url), status, body: outcome.body, isRetryable: retryable },
          );
        }
        const delayMs = retryAfterMs ?? backoffDelay(retries);
        config.onRetry?.({
          url: redactUrl(url),
          attempt: retries + 1,
          delayMs,
          reason: `status ${status}`,
          status,
          ...(retryAfterMs === null ? {} : { retryAfterMs }),
        });
        retries += 1;
        await sleep(delayMs, signal);
      }
    } catch (error) {
      if (signal.aborted && !(error instanceof ScraperError && error.code === 'aborted')) {
        throw abortedError(signal, requestedUrl);
      }
      throw error;
    } finally {
      unlink();
    }
  }

  /** Exponential backoff with "equal jitter": never zero, never more than the cap. */
  function backoffDelay(retriesSoFar: number): number {
    const ceiling = Math.min(config.maxRetryDelayMs, config.retryBaseDelayMs * 2 ** retriesSoFar);
    return Math.round(ceiling / 2 + random() * (ceiling / 2));
  }

  return {
    fetch,
    async close() {
      if (closed) return;
      closed = true;
      await ownAgent?.close();
    },
  };
}

/**
 * Parses a `Retry-After` value (delay in seconds, or an HTTP-date) into milliseconds from now;
 * `null` when absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(
  value: string | undefined,
  now: number = Date.now(),
): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only HTTP-dates (which name a weekday or month); Date.parse would also take "12" or "1.5".
  if (!/[a-z]{3}/i.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function parseRequestUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ScraperError(
      'invalid-options',
      `Cannot fetch "${redactUrl(raw)}": it is not an absolute URL.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ScraperError(
      'invalid-options',
      `Cannot fetch ${redactUrl(url.href)}: only http and https URLs can be fetched.`,
    );
  }
  url.hash = '';
  return url.href;
}

function redirectTarget(from: string, status: number, location: string | undefined): string {
  if (location === undefined || location.trim() === '') {
    throw new ScraperError(
      'invalid-response',
      `${redactUrl(from)} answered ${describeStatus(status)} without a Location header; the redirect cannot be followed.`,
      { url: redactUrl(from), status },
    );
  }
  let target: URL;
  try {
    target = new URL(location.trim(), from);
  } catch {
    throw new ScraperError(
      'invalid-response',
      `${redactUrl(from)} redirects to "${location}", which is not a valid URL.`,
      { url: redactUrl(from), status },
    );
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new ScraperError(
      'invalid-response',
      `${redactUrl(from)} redirects to a ${target.protocol} URL; only http and https redirects are followed.`,
      { url: redactUrl(from), status },
    );
  }
  target.hash = '';
  return target.href;
}

function requestHeaders(userAgent: string, options: FetchRequestOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {}))
    headers[name.toLowerCase()] = value;
  headers['user-agent'] = userAgent;
  headers.accept = options.accept ?? headers.accept ?? DEFAULT_ACCEPT;
  headers['accept-encoding'] ??= ACCEPT_ENCODING;
  if (options.ifNoneMatch) headers['if-none-match'] = options.ifNoneMatch;
  if (options.ifModifiedSince) headers['if-modified-since'] = options.ifModifiedSince;
  return headers;
}

function withoutValidators(headers: Record<string, string>): Record<string, string> {
  const { 'if-none-match': _etag, 'if-modified-since': _date, ...rest } = headers;
  return rest;
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name)),
  );
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function parseContentLength(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

function describeStatus(status: number): string {
  const text = STATUS_CODES[status];
  return text === undefined ? `${status}` : `${status} ${text}`;
}

function adviceFor(status: number): string {
  if (status === 404 || status === 410) return 'the page does not exist, drop the link.';
  if (status === 401 || status === 403) return 'the page is not public, skip it.';
  if (RETRYABLE_STATUSES.has(status))
    return 'the server is overloaded or failing, try again later.';
  return 'the page cannot be fetched as it is.';
}

function withAttempts(error: ScraperError, attempts: number): ScraperError {
  return new ScraperError(error.code, `${error.message} (gave up after ${attempts} attempts)`, {
    cause: error.cause ?? error,
    ...(error.url === undefined ? {} : { url: error.url }),
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.body === undefined ? {} : { body: error.body }),
    isRetryable: error.isRetryable,
  });
}

interface ErrorContext {
  url: string;
  phase: 'headers' | 'body';
  attempt: AbortSignal;
  caller: AbortSignal;
  timeoutMs: number;
}

/** Turns whatever undici, zlib or a stream threw into a `ScraperError` with the right code. */
function classifyError(error: unknown, context: ErrorContext): ScraperError {
  const url = redactUrl(context.url);
  if (context.caller.aborted) return abortedError(context.caller, url);
  if (error instanceof ScraperError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const reason = context.attempt.aborted ? context.attempt.reason : undefined;
  if (
    reason instanceof TimeoutReason ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    const phase = reason instanceof TimeoutReason ? reason.phase : context.phase;
    const what = phase === 'headers' ? 'response headers' : 'the whole body';
    return new ScraperError(
      'timeout',
      `GET ${url} timed out: ${what} did not arrive within ${context.timeoutMs} ms; the server is slow, try again later or raise timeoutMs.`,
      { url, cause: error, isRetryable: true },
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  if (context.phase === 'body') {
    return new ScraperError(
      'truncated-body',
      `The connection broke while reading the body of ${url} (${detail}); try again.`,
      { url, cause: error, isRetryable: true },
    );
  }
  // A name that does not resolve will not resolve on a retry; a refused or reset connection may.
  const permanent =
    code === 'ENOTFOUND' || code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL';
  return new ScraperError(
    'network-error',
    `GET ${url} failed before a response arrived (${detail}); check that the host is up and reachable.`,
    { url, cause: error, isRetryable: !permanent },
  );
}
