import { z } from 'zod';
import { ScraperError } from '../errors.js';
import { functionSchema, parseOptions } from './parse-options.js';
import { abortedError, realSleep, type Sleep } from './sleep.js';

/** Options of {@link HostThrottle}. */
export interface HostThrottleOptions {
  /** Most tasks running at once against one host. @default 2 */
  concurrencyPerHost?: number;
  /** Least time between the starts of two tasks on one host. @default 0 */
  minDelayMs?: number;
  /** Most the adaptive delay may grow to (a robots crawl-delay may ask for more). @default 10000 */
  maxDelayMs?: number;
  /** Adapt the delay to the host's latency (AutoThrottle-style). @default true */
  adaptive?: boolean;
  /** Requests the adaptive delay aims to keep in flight per host. @default 2 */
  targetConcurrency?: number;
  /** Injectable clock in milliseconds. @default performance.now */
  now?: () => number;
  /** Injectable wait. */
  sleep?: Sleep;
}

const HostThrottleOptionsSchema = z.strictObject({
  concurrencyPerHost: z.number().int().positive().default(2),
  minDelayMs: z.number().min(0).default(0),
  maxDelayMs: z.number().min(0).default(10_000),
  adaptive: z.boolean().default(true),
  targetConcurrency: z.number().positive().default(2),
  now: functionSchema<() => number>().optional(),
  sleep: functionSchema<Sleep>().optional(),
});

interface Waiter {
  start: () => void;
}

interface HostState {
  active: number;
  queue: Waiter[];
  /** When the last task started, or null before the first. */
  lastStart: number | null;
  /** The adaptive part of the delay, in milliseconds. */
  adaptiveDelay: number;
  /** robots.txt `Crawl-delay` for this host, in milliseconds. */
  crawlDelay: number;
  /** No task starts before this time (a 429's `Retry-After`). */
  pausedUntil: number;
  /** Aborts the pending wait for the next start, when the queue empties. */
  waiting: AbortController | null;
}

/**
 * Per-host politeness: at most `concurrencyPerHost` tasks at once on one host, starts spaced
 * by the host's delay, FIFO per host, and hosts independent of each other.
 *
 * The delay adapts in the spirit of Scrapy's AutoThrottle: after each task, the target is its
 * latency divided by `targetConcurrency` (so that about that many requests are in flight), and
 * the delay moves halfway towards it. It never drops below `minDelayMs` or the host's robots
 * `Crawl-delay` and never grows past `maxDelayMs`; a failed task can raise it, never lower it
 * (an error page is fast, and speeding up because of errors is the wrong reflex).
 *
 * A robots `Crawl-delay` longer than `maxDelayMs` is still honoured: `maxDelayMs` bounds only
 * what the throttle decides itself. Callers that will not wait that long should skip the host.
 */
export class HostThrottle {
  readonly #options: z.output<typeof HostThrottleOptionsSchema>;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  readonly #hosts = new Map<string, HostState>();

  constructor(options: HostThrottleOptions = {}) {
    this.#options = parseOptions(HostThrottleOptionsSchema, options, 'HostThrottle');
    this.#now = this.#options.now ?? (() => performance.now());
    this.#sleep = this.#options.sleep ?? realSleep;
  }

  /**
   * Runs `task` when the host of `url` has a free slot and its delay has passed since the
   * previous start; resolves or rejects with the task's own result.
   * @throws `ScraperError` with code `aborted` when `signal` aborts while the task waits (a
   * running task is not interrupted: it should watch the same signal), or `invalid-options`
   * when `url` is not an absolute URL.
   */
  async schedule<T>(url: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const host = hostKey(url);
    const state = this.#state(host);
    await this.#acquire(state, signal);
    const startedAt = this.#now();
    let ok = false;
    try {
      const result = await task();
      ok = true;
      return result;
    } finally {
      this.#observe(state, this.#now() - startedAt, ok);
      state.active -= 1;
      this.#pump(state);
    }
  }

  /**
   * Sets the robots.txt `Crawl-delay` of `host` (a host such as `etcd.io` or `127.0.0.1:8080`,
   * or any URL on it) in milliseconds; the delay never goes below it.
   */
  setCrawlDelay(host: string, ms: number): void {
    const state = this.#state(hostKey(host));
    state.crawlDelay = Math.max(0, ms);
  }

  /** Starts nothing on `host` for the next `ms` milliseconds (after a 429 or 503). */
  backoff(host: string, ms: number): void {
    const state = this.#state(hostKey(host));
    state.pausedUntil = Math.max(state.pausedUntil, this.#now() + Math.max(0, ms));
  }

  /** The current delay between two starts on `host`, in milliseconds. */
  delayFor(host: string): number {
    return this.#delay(this.#state(hostKey(host)));
  }

  #state(host: string): HostState {
    let state = this.#hosts.get(host);
    if (state === undefined) {
      state = {
        active: 0,
        queue: [],
        lastStart: null,
        adaptiveDelay: this.#options.minDelayMs,
        crawlDelay: 0,
        pausedUntil: Number.NEGATIVE_INFINITY,
        waiting: null,
      };
      this.#hosts.set(host, state);
    }
    return state;
  }

  #delay(state: HostState): number {
    const { minDelayMs, maxDelayMs, adaptive } = this.#options;
    const own = adaptive
      ? Math.min(maxDelayMs, Math.max(minDelayMs, state.adaptiveDelay))
      : minDelayMs;
    return Math.max(own, state.crawlDelay);
  }

  #observe(state: HostState, latency: number, ok: boolean): void {
    const { adaptive, targetConcurrency, minDelayMs, maxDelayMs } = this.#options;
    if (!adaptive) return;
    const target = Math.max(0, latency) / targetConcurrency;
    let next = (state.adaptiveDelay + target) / 2;
    if (!ok) next = Math.max(next, state.adaptiveDelay);
    state.adaptiveDelay = Math.min(maxDelayMs, Math.max(minDelayMs, state.crawlDelay, next));
  }

  #acquire(state: HostState, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = state.queue.indexOf(waiter);
        if (index === -1) return;
        state.queue.splice(index, 1);
        if (state.queue.length === 0) state.waiting?.abort();
        reject(abortedError(signal as AbortSignal));
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      state.queue.push(waiter);
      this.#pump(state);
    });
  }

  /** Starts queued tasks while slots are free and the delay allows; else waits once. */
  #pump(state: HostState): void {
    if (state.waiting !== null) return;
    while (state.queue.length > 0 && state.active < this.#options.concurrencyPerHost) {
      const now = this.#now();
      const earliest = Math.max(
        state.lastStart === null ? Number.NEGATIVE_INFINITY : state.lastStart + this.#delay(state),
        state.pausedUntil,
      );
      if (earliest > now) {
        const waiting = new AbortController();
        state.waiting = waiting;
        this.#sleep(earliest - now, waiting.signal)
          .catch(() => {})
          .then(() => {
            state.waiting = null;
            this.#pump(state);
          });
        return;
      }
      const waiter = state.queue.shift() as Waiter;
      state.active += 1;
      state.lastStart = now;
      waiter.start();
    }
  }
}

/** The key a host is throttled under: `host[:port]` in lower case, from a host or a URL. */
function hostKey(hostOrUrl: string): string {
  const value = hostOrUrl.trim();
  if (value.includes('://')) {
    try {
      return new URL(value).host;
    } catch {
      // Fall through to the error below.
    }
  } else if (value !== '' && !/[\s/?#@]/.test(value)) {
    return value.toLowerCase();
  }
  throw new ScraperError(
    'invalid-options',
    `HostThrottle needs an absolute URL or a host name, got "${hostOrUrl}".`,
  );
}
