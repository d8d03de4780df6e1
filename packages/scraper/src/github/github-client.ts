import { z } from 'zod';
import { ScraperError } from '../errors.js';
import { envFallback, redact } from '../http/env-fallback.js';
import { anySignal, realSleep, type Sleep, throwIfAborted } from '../http/sleep.js';
import { createMemoryEtagCache, type EtagCache, type EtagCacheEntry } from './etag-cache.js';

/** Added to every wait for a primary-limit reset: GitHub's and our clocks are not in step. */
export const RATE_LIMIT_MARGIN_MS = 1000;
/** Shortest wait after a secondary limit without `retry-after`, as GitHub's docs ask. */
export const SECONDARY_LIMIT_MIN_WAIT_MS = 60_000;
/** Files above this size come back without content from the contents API. */
export const CONTENTS_API_MAX_BYTES = 1024 * 1024;

// A request whose primary limit is still exhausted after this many waits for the reset is
// a server that keeps moving the reset; give up instead of looping.
const MAX_PRIMARY_WAITS = 3;
const JSON_ACCEPT = 'application/vnd.github+json';
const API_VERSION = '2022-11-28';

/** A wait the client is about to do because of a rate limit. */
export interface RateLimitWait {
  /** `primary`: the hourly quota is used up; `secondary`: GitHub asked us to slow down. */
  kind: 'primary' | 'secondary';
  waitMs: number;
  /** When the wait ends (ISO 8601). */
  untilIso: string;
  /** The request that will be retried (API path, no credentials). */
  url: string;
}

/** Per-call options of every client method. */
export interface GitHubRequestOptions {
  signal?: AbortSignal;
  /** Told before each rate-limit sleep (in addition to the client-wide listener). */
  onRateLimitWait?: (wait: RateLimitWait) => void;
}

/** Options of {@link createGitHubClient}. */
export interface GitHubClientOptions {
  /** @default 'https://api.github.com' */
  baseUrl?: string;
  /** Personal access token or app token. @default process.env.GITHUB_TOKEN */
  accessToken?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default '@cncf-llm/scraper' */
  userAgent?: string;
  /** The longest the client sleeps for one rate-limit wait before it gives up with `rate-limited`. @default 900000 (15 min) */
  maxWaitMs?: number;
  /** Retries of network errors, 5xx, 408 and secondary limits. @default 4 */
  maxRetries?: number;
  /** Per-request time limit. @default 30000 */
  timeoutMs?: number;
  /** @default a real, abortable sleep */
  sleep?: Sleep;
  /** Clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Remembers ETags and bodies for conditional requests. @default an in-memory cache */
  cache?: EtagCache;
  /** Cancels every request of this client. */
  signal?: AbortSignal;
  /** Told before every rate-limit sleep. */
  onRateLimitWait?: (wait: RateLimitWait) => void;
}

const ClientOptionsSchema = z.object({
  baseUrl: z.url().optional(),
  accessToken: z.string().optional(),
  userAgent: z.string().min(1).optional(),
  maxWaitMs: z.number().int().nonnegative().optional(),
  maxRetries: z.number().int().min(0).max(20).optional(),
  timeoutMs: z.number().int().positive().optional(),
});

/** Repository facts the scraper needs. */
export interface GitHubRepo {
  owner: string;
  repo: string;
  fullName: string;
  defaultBranch: string;
  /** SPDX id of the repository licence; `null` when none or `NOASSERTION`. */
  licence: string | null;
  archived: boolean;
  htmlUrl: string;
}

/** One file or directory of a repository tree. */
export interface TreeEntry {
  path: string;
  /** `blob` file, `tree` directory, `commit` submodule. */
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  /** Bytes, for blobs. */
  size?: number;
  /** Git file mode; `120000` is a symbolic link. */
  mode?: string;
}

/** A repository listing. */
export interface GitHubTree {
  sha: string;
  entries: TreeEntry[];
  /** GitHub cut the recursive listing short (over 100,000 entries or 7 MB). */
  truncated: boolean;
  /** The entries come from walking the contents API because the tree was truncated. */
  walked: boolean;
}

/** A file's bytes and how they were obtained. */
export interface GitHubContent {
  bytes: Uint8Array;
  sha: string;
  etag: string | null;
  lastModified: string | null;
  /** Status of the original response (a 304 revalidation reports the cached 200). */
  status: number;
  /** The body came from the ETag cache after a `304`. */
  fromCache: boolean;
}

/** A GitHub REST client with rate-limit handling and conditional requests. */
export interface GitHubClient {
  readonly baseUrl: string;
  /** Whether requests carry a token (never the token itself). */
  readonly authenticated: boolean;
  getRepo(owner: string, repo: string, options?: GitHubRequestOptions): Promise<GitHubRepo>;
  /**
   * Lists every path at `ref` with the git trees API (`recursive=1`). When GitHub truncates
   * the listing, walks the contents API directory by directory instead; `descend` lets the
   * caller skip directories it would drop anyway (`vendor/`, `node_modules/`).
   */
  getTree(
    owner: string,
    repo: string,
    ref: string,
    options?: GitHubRequestOptions & { descend?: (directory: string) => boolean },
  ): Promise<GitHubTree>;
  /**
   * A file's raw bytes at `ref`: base64 from the contents API, or from the blob API for files
   * over 1 MB (pass the tree entry's `sha` and `size` to go there directly).
   */
  getContent(
    owner: string,
    repo: string,
    path: string,
    ref: string,
    options?: GitHubRequestOptions & { sha?: string; size?: number },
  ): Promise<GitHubContent>;
  /** A blob's bytes by SHA (up to 100 MB). */
  getBlob(
    owner: string,
    repo: string,
    sha: string,
    options?: GitHubRequestOptions,
  ): Promise<GitHubContent>;
  /** Writes the ETag cache, when it is persistent. */
  flushCache(): Promise<void>;
}

const RepoResponseSchema = z.object({
  name: z.string(),
  full_name: z.string(),
  owner: z.object({ login: z.string() }),
  default_branch: z.string(),
  archived: z.boolean().optional(),
  html_url: z.string(),
  license: z.object({ spdx_id: z.string().nullable().optional() }).nullable().optional(),
});

const TreeResponseSchema = z.object({
  sha: z.string(),
  truncated: z.boolean(),
  tree: z.array(
    z.object({
      path: z.string(),
      mode: z.string(),
      type: z.enum(['blob', 'tree', 'commit']),
      sha: z.string(),
      size: z.number().int().nonnegative().optional(),
    }),
  ),
});

const ContentsEntrySchema = z.object({
  type: z.enum(['file', 'dir', 'symlink', 'submodule']),
  path: z.string(),
  sha: z.string(),
  size: z.number().int().nonnegative(),
});

const ContentsFileSchema = z.object({
  type: z.literal('file'),
  path: z.string(),
  sha: z.string(),
  size: z.number().int().nonnegative(),
  encoding: z.string().optional(),
  content: z.string().optional(),
});

const BlobResponseSchema = z.object({
  sha: z.string(),
  size: z.number().int().nonnegative().nullable().optional(),
  encoding: z.string(),
  content: z.string(),
});

const ErrorBodySchema = z.object({ message: z.string() }).loose();

interface RawResponse {
  status: number;
  body: Uint8Array;
  etag: string | null;
  lastModified: string | null;
  fromCache: boolean;
}

interface RateState {
  limit: number;
  remaining: number;
  /** Epoch seconds. */
  reset: number;
  resource: string;
}

/**
 * Creates a GitHub REST client. It sends the token as `Authorization: Bearer …`, revalidates
 * with `If-None-Match`, waits out primary limits until `x-ratelimit-reset` and secondary limits
 * for `retry-after` (or at least a minute, doubling), and stops with `rate-limited` when a wait
 * would exceed `maxWaitMs`. Messages never contain the token.
 */
export function createGitHubClient(options: GitHubClientOptions = {}): GitHubClient {
  const parsed = ClientOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ScraperError(
      'invalid-options',
      `Invalid GitHub client options: ${z.prettifyError(parsed.error)}`,
    );
  }
  const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const token = envFallback(options.accessToken, 'GITHUB_TOKEN');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const userAgent = options.userAgent ?? '@cncf-llm/scraper';
  const maxWaitMs = options.maxWaitMs ?? 15 * 60_000;
  const maxRetries = options.maxRetries ?? 4;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const cache = options.cache ?? createMemoryEtagCache();
  let rate: RateState | undefined;

  const clean = (text: string): string => redact(text, token);

  function notifyWait(wait: RateLimitWait, request: GitHubRequestOptions): void {
    options.onRateLimitWait?.(wait);
    request.onRateLimitWait?.(wait);
  }

  function rateLimitedError(
    kind: RateLimitWait['kind'],
    untilMs: number,
    path: string,
    retriesSpent?: number,
  ) {
    const untilIso = new Date(untilMs).toISOString();
    const minutes = Math.ceil((untilMs - now()) / 60_000);
    const what =
      kind === 'primary'
        ? `The GitHub API rate limit${rate === undefined ? '' : ` (${rate.limit} requests per hour)`} is used up`
        : 'GitHub asked us to slow down (secondary rate limit)';
    const why =
      retriesSpent === undefined
        ? `it resets at ${untilIso}, ${minutes} min from now, longer than the ${Math.round(maxWaitMs / 1000)} s we are allowed to wait (maxWaitMs)`
        : `it was still limited after ${retriesSpent} waits (maxRetries)`;
    const advice =
      token === undefined
        ? `Set GITHUB_TOKEN to a personal access token (5,000 requests per hour instead of 60) or try again after ${untilIso}.`
        : `Try again after ${untilIso}.`;
    return new ScraperError('rate-limited', `${what} while requesting ${path}; ${why}. ${advice}`, {
      url: `${baseUrl}${path}`,
      status: 403,
      isRetryable: true,
    });
  }

  async function waitFor(
    kind: RateLimitWait['kind'],
    waitMs: number,
    path: string,
    request: GitHubRequestOptions,
    signal: AbortSignal | undefined,
    resetAtMs: number = now() + waitMs,
  ): Promise<void> {
    const untilMs = now() + waitMs;
    if (waitMs > maxWaitMs) throw rateLimitedError(kind, resetAtMs, path);
    notifyWait({ kind, waitMs, untilIso: new Date(untilMs).toISOString(), url: path }, request);
    await sleep(waitMs, signal);
  }

  function primaryWaitMs(resetSeconds: number): number {
    // x-ratelimit-reset is epoch *seconds*.
    return Math.max(0, resetSeconds * 1000 - now()) + RATE_LIMIT_MARGIN_MS;
  }

  function recordRate(headers: Headers): void {
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (headers.get('x-ratelimit-remaining') === null || !Number.isFinite(remaining)) return;
    if (!Number.isFinite(reset)) return;
    rate = {
      remaining,
      reset,
      limit: Number(headers.get('x-ratelimit-limit') ?? 0),
      resource: headers.get('x-ratelimit-resource') ?? 'core',
    };
  }

  function httpError(status: number, path: string, body: Uint8Array): ScraperError {
    const text = clean(new TextDecoder().decode(body));
    let message = text.slice(0, 200);
    try {
      const parsedBody = ErrorBodySchema.safeParse(JSON.parse(text));
      if (parsedBody.success) message = parsedBody.data.message;
    } catch {
      // not JSON: keep the text
    }
    const hint =
      status === 404
        ? 'It does not exist at this ref, or the repository is private (a token with access would see it).'
        : status === 401
          ? 'The token was rejected: check GITHUB_TOKEN.'
          : status === 403
            ? 'Access is forbidden: the token may lack the needed scope.'
            : status >= 500
              ? 'GitHub had a server error; try again later.'
              : '';
    return new ScraperError(
      'http-error',
      `GitHub answered ${status} for GET ${path}: ${message}.${hint === '' ? '' : ` ${hint}`}`,
      {
        url: `${baseUrl}${path}`,
        status,
        body: text,
        isRetryable: status >= 500 || status === 408,
      },
    );
  }

  async function request(
    path: string,
    accept: string,
    requestOptions: GitHubRequestOptions = {},
  ): Promise<RawResponse> {
    const url = `${baseUrl}${path}`;
    const signal = anySignal(options.signal, requestOptions.signal);
    const cacheKey = `GET ${accept} ${url}`;
    let retries = 0;
    let primaryWaits = 0;
    let secondaryStreak = 0;
    for (;;) {
      throwIfAborted(signal);
      // Known exhausted quota: wait for the reset instead of spending a request on a 403.
      if (rate !== undefined && rate.remaining <= 0 && rate.reset * 1000 > now()) {
        const resetAtMs = rate.reset * 1000;
        if (primaryWaits >= MAX_PRIMARY_WAITS) {
          throw rateLimitedError('primary', resetAtMs, path, primaryWaits);
        }
        primaryWaits += 1;
        await waitFor(
          'primary',
          primaryWaitMs(rate.reset),
          path,
          requestOptions,
          signal,
          resetAtMs,
        );
        rate = undefined;
        continue;
      }
      const cached = await cache.get(cacheKey);
      const headers: Record<string, string> = {
        accept,
        'user-agent': userAgent,
        'x-github-api-version': API_VERSION,
      };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (cached !== undefined) headers['if-none-match'] = cached.etag;

      let response: Response;
      try {
        response = await fetchImpl(url, {
          headers,
          signal: anySignal(signal, AbortSignal.timeout(timeoutMs)),
        });
      } catch (error) {
        throwIfAborted(signal);
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        if (retries < maxRetries) {
          await sleep(backoffMs(retries), signal);
          retries += 1;
          continue;
        }
        throw new ScraperError(
          timedOut ? 'timeout' : 'network-error',
          timedOut
            ? `GitHub did not answer GET ${path} within ${timeoutMs} ms, ${retries + 1} attempts; check the network or raise timeoutMs.`
            : `Could not reach GitHub for GET ${path} after ${retries + 1} attempts: ${clean(error instanceof Error ? error.message : String(error))}.`,
          { url, cause: error, isRetryable: true },
        );
      }
      recordRate(response.headers);

      if (response.status === 304 && cached !== undefined) {
        await response.body?.cancel();
        return {
          status: cached.status,
          body: new Uint8Array(Buffer.from(cached.body, 'base64')),
          etag: cached.etag,
          lastModified: cached.lastModified,
          fromCache: true,
        };
      }
      const body = new Uint8Array(await response.arrayBuffer());
      if (response.ok) {
        const etag = response.headers.get('etag');
        const lastModified = response.headers.get('last-modified');
        if (etag !== null) {
          const entry: EtagCacheEntry = {
            etag,
            status: response.status,
            body: Buffer.from(body).toString('base64'),
            contentType: response.headers.get('content-type'),
            lastModified,
          };
          await cache.set(cacheKey, entry);
        }
        return { status: response.status, body, etag, lastModified, fromCache: false };
      }

      if (response.status === 403 || response.status === 429) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now());
        const text = new TextDecoder().decode(body);
        const remaining = response.headers.get('x-ratelimit-remaining');
        const reset = Number(response.headers.get('x-ratelimit-reset'));
        if (retryAfter !== null) {
          if (retries >= maxRetries) {
            throw rateLimitedError('secondary', now() + retryAfter, path, retries);
          }
          retries += 1;
          secondaryStreak += 1;
          await waitFor('secondary', retryAfter, path, requestOptions, signal);
          continue;
        }
        if (remaining === '0' && Number.isFinite(reset)) {
          if (primaryWaits >= MAX_PRIMARY_WAITS) {
            throw rateLimitedError('primary', reset * 1000, path, primaryWaits);
          }
          primaryWaits += 1;
          await waitFor(
            'primary',
            primaryWaitMs(reset),
            path,
            requestOptions,
            signal,
            reset * 1000,
          );
          rate = undefined;
          continue;
        }
        if (response.status === 429 || /rate limit/i.test(text)) {
          const waitMs = SECONDARY_LIMIT_MIN_WAIT_MS * 2 ** secondaryStreak;
          if (retries >= maxRetries)
            throw rateLimitedError('secondary', now() + waitMs, path, retries);
          retries += 1;
          secondaryStreak += 1;
          await waitFor('secondary', waitMs, path, requestOptions, signal);
          continue;
        }
      }
      if ((response.status >= 500 || response.status === 408) && retries < maxRetries) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now());
        await sleep(retryAfter ?? backoffMs(retries), signal);
        retries += 1;
        continue;
      }
      throw httpError(response.status, path, body);
    }
  }

  async function requestJson<S extends z.ZodType>(
    path: string,
    schema: S,
    requestOptions: GitHubRequestOptions | undefined,
  ): Promise<{ data: z.infer<S>; raw: RawResponse }> {
    const raw = await request(path, JSON_ACCEPT, requestOptions);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(raw.body));
    } catch (error) {
      throw new ScraperError('invalid-response', `GitHub answered GET ${path} with invalid JSON.`, {
        url: `${baseUrl}${path}`,
        status: raw.status,
        cause: error,
      });
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      throw new ScraperError(
        'invalid-response',
        `GitHub's answer to GET ${path} does not have the expected shape: ${z.prettifyError(result.error)}`,
        { url: `${baseUrl}${path}`, status: raw.status },
      );
    }
    return { data: result.data, raw };
  }

  const repoPath = (owner: string, repo: string) =>
    `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;

  async function getBlob(
    owner: string,
    repo: string,
    sha: string,
    requestOptions?: GitHubRequestOptions,
  ): Promise<GitHubContent> {
    const path = `${repoPath(owner, repo)}/git/blobs/${encodeURIComponent(sha)}`;
    const { data, raw } = await requestJson(path, BlobResponseSchema, requestOptions);
    if (data.encoding !== 'base64' && data.encoding !== 'utf-8') {
      throw new ScraperError(
        'invalid-response',
        `GitHub sent blob ${sha} in an unknown encoding "${data.encoding}".`,
        { url: `${baseUrl}${path}` },
      );
    }
    const bytes =
      data.encoding === 'base64'
        ? new Uint8Array(Buffer.from(data.content, 'base64'))
        : new TextEncoder().encode(data.content);
    return {
      bytes,
      sha: data.sha,
      etag: raw.etag,
      lastModified: raw.lastModified,
      status: raw.status,
      fromCache: raw.fromCache,
    };
  }

  async function walkContents(
    owner: string,
    repo: string,
    ref: string,
    requestOptions: GitHubRequestOptions & { descend?: (directory: string) => boolean },
  ): Promise<TreeEntry[]> {
    const entries: TreeEntry[] = [];
    const pending = [''];
    for (let directory = pending.shift(); directory !== undefined; directory = pending.shift()) {
      const path = `${repoPath(owner, repo)}/contents/${encodePath(directory)}?ref=${encodeURIComponent(ref)}`;
      const { data } = await requestJson(path, z.array(ContentsEntrySchema), requestOptions);
      for (const item of data) {
        if (item.type === 'dir') {
          entries.push({ path: item.path, type: 'tree', sha: item.sha });
          if (requestOptions.descend?.(item.path) ?? true) pending.push(item.path);
        } else if (item.type === 'submodule') {
          entries.push({ path: item.path, type: 'commit', sha: item.sha });
        } else {
          entries.push({
            path: item.path,
            type: 'blob',
            sha: item.sha,
            size: item.size,
            mode: item.type === 'symlink' ? '120000' : '100644',
          });
        }
      }
    }
    return entries;
  }

  return {
    baseUrl,
    authenticated: token !== undefined,

    async getRepo(owner, repo, requestOptions) {
      const { data } = await requestJson(repoPath(owner, repo), RepoResponseSchema, requestOptions);
      const spdx = data.license?.spdx_id ?? null;
      return {
        owner: data.owner.login,
        repo: data.name,
        fullName: data.full_name,
        defaultBranch: data.default_branch,
        licence: spdx === null || spdx === 'NOASSERTION' || spdx === '' ? null : spdx,
        archived: data.archived ?? false,
        htmlUrl: data.html_url,
      };
    },

    async getTree(owner, repo, ref, requestOptions = {}) {
      const path = `${repoPath(owner, repo)}/git/trees/${encodePath(ref)}?recursive=1`;
      const { data } = await requestJson(path, TreeResponseSchema, requestOptions);
      if (!data.truncated) {
        return {
          sha: data.sha,
          truncated: false,
          walked: false,
          entries: data.tree.map((e) => ({ ...e })),
        };
      }
      const entries = await walkContents(owner, repo, ref, requestOptions);
      return { sha: data.sha, truncated: true, walked: true, entries };
    },

    async getContent(owner, repo, filePath, ref, requestOptions = {}) {
      if (
        requestOptions.sha !== undefined &&
        requestOptions.size !== undefined &&
        requestOptions.size > CONTENTS_API_MAX_BYTES
      ) {
        return getBlob(owner, repo, requestOptions.sha, requestOptions);
      }
      const path = `${repoPath(owner, repo)}/contents/${encodePath(filePath)}?ref=${encodeURIComponent(ref)}`;
      const { data, raw } = await requestJson(path, ContentsFileSchema, requestOptions);
      if (data.encoding === 'base64' && (data.content !== undefined || data.size === 0)) {
        return {
          bytes: new Uint8Array(Buffer.from(data.content ?? '', 'base64')),
          sha: data.sha,
          etag: raw.etag,
          lastModified: raw.lastModified,
          status: raw.status,
          fromCache: raw.fromCache,
        };
      }
      // Over 1 MB the contents API answers with `encoding: "none"` and no content.
      return getBlob(owner, repo, data.sha, requestOptions);
    },

    getBlob,

    async flushCache() {
      await cache.flush?.();
    },
  };
}

function encodePath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

function backoffMs(retry: number): number {
  return 1000 * 2 ** retry;
}

/** `retry-after` as milliseconds: delta seconds or an HTTP date; `null` when absent or bad. */
function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}
