/** Statuses worth another try: timeouts, rate limits and server-side trouble. */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const MAX_DELAY_MS = 60_000;

/** Options of {@link createHubFetch}. */
export interface HubFetchOptions {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Aborts every request made through the returned fetch, and any wait between tries. */
  signal?: AbortSignal;
  /** Further tries after a retryable status or a network error. @default 3 */
  maxRetries?: number;
  /** First wait when the server sends no `Retry-After`; doubles each try. @default 1000 */
  retryBaseDelayMs?: number;
}

/**
 * A `fetch` for `@huggingface/hub` that retries 408/425/429/5xx (honouring `Retry-After`) and
 * network errors of idempotent requests, and ties every request to one abort signal. The
 * client itself retries nothing and takes no signal on most calls, so both live here, where
 * every call it makes passes through.
 *
 * A request whose body is a stream is never retried: it cannot be sent twice. The client sends
 * strings and Blobs, which can.
 */
export function createHubFetch(options: HubFetchOptions = {}): typeof fetch {
  const base = options.fetch ?? globalThis.fetch;
  const maxRetries = options.maxRetries ?? 3;
  const baseDelay = options.retryBaseDelayMs ?? 1000;

  const hubFetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const signal = anySignal(init.signal ?? undefined, options.signal);
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const replayable = !(init.body instanceof ReadableStream) && !(input instanceof Request);
    for (let attempt = 0; ; attempt += 1) {
      signal?.throwIfAborted();
      let response: Response;
      try {
        response = await base(input, { ...init, ...(signal && { signal }) });
      } catch (error) {
        const retry =
          !signal?.aborted && replayable && attempt < maxRetries && IDEMPOTENT_METHODS.has(method);
        if (!retry) throw error;
        await sleep(backoff(baseDelay, attempt), signal);
        continue;
      }
      if (!RETRYABLE_STATUS.has(response.status) || attempt >= maxRetries || !replayable) {
        return response;
      }
      const delay =
        retryAfterMs(response.headers.get('retry-after')) ?? backoff(baseDelay, attempt);
      await response.body?.cancel();
      await sleep(delay, signal);
    }
  };
  return hubFetch as typeof fetch;
}

function anySignal(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

function backoff(baseDelay: number, attempt: number): number {
  return Math.min(baseDelay * 2 ** attempt, MAX_DELAY_MS);
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or bad. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(Math.max(0, seconds * 1000), MAX_DELAY_MS);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_DELAY_MS);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
