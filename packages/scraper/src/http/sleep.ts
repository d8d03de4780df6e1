import { setTimeout as delay } from 'node:timers/promises';
import { ScraperError } from '../errors.js';

/** Waits `ms` milliseconds, or rejects as soon as `signal` aborts. Injectable wherever time passes. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real {@link Sleep}: rejects with a `ScraperError` of code `aborted` when `signal` aborts. */
export const realSleep: Sleep = async (ms, signal) => {
  throwIfAborted(signal);
  if (ms <= 0) return;
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    if (signal?.aborted) throw abortedError(signal);
    throw error;
  }
};

/** Throws the `aborted` {@link ScraperError} when `signal` has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined, url?: string): void {
  if (signal?.aborted) throw abortedError(signal, url);
}

/** The error every operation of this package raises when its caller aborts it. */
export function abortedError(signal: AbortSignal, url?: string): ScraperError {
  // A caller that aborts with a ScraperError of its own (a crawl deadline) gets it back intact.
  if (signal.reason instanceof ScraperError) return signal.reason;
  const where = url === undefined ? '' : ` ${redactUrl(url)}`;
  const reason =
    signal.reason instanceof Error
      ? signal.reason.name === 'AbortError'
        ? ''
        : ` (${signal.reason.message})`
      : signal.reason === undefined
        ? ''
        : ` (${String(signal.reason)})`;
  return new ScraperError(
    'aborted',
    `Stopped${where ? ` fetching${where}` : ''}: the caller aborted${reason}.`,
    {
      cause: signal.reason,
      ...(url === undefined ? {} : { url: redactUrl(url) }),
    },
  );
}

/**
 * Removes user name and password from a URL before it goes into an error or a log line:
 * `https://user:token@host/` must never be echoed back.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url;
  }
}

/**
 * Links a child controller to parent signals: when any parent aborts, the child aborts with the
 * same reason. Returns the function that unlinks it, so that a long-lived parent signal (a whole
 * crawl) does not collect one listener per request.
 */
export function linkAbort(
  child: AbortController,
  parents: readonly (AbortSignal | undefined)[],
): () => void {
  const unlinks: (() => void)[] = [];
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      child.abort(parent.reason);
      continue;
    }
    const onAbort = () => child.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    unlinks.push(() => parent.removeEventListener('abort', onAbort));
  }
  return () => {
    for (const unlink of unlinks) unlink();
  };
}

/** Combines optional signals into one (or none). */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return AbortSignal.any(present);
}
