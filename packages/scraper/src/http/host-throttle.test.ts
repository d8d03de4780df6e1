import { describe, expect, it } from 'vitest';
import { isScraperError } from '../errors.js';
import { HostThrottle, type HostThrottleOptions } from './host-throttle.js';

/**
 * Virtual time: `sleep` registers a timer, and `run` fires timers in time order once the
 * program has nothing else to do, so orderings and spacings are exact and nothing waits.
 */
class VirtualClock {
  time = 0;
  readonly #timers: { at: number; fire: () => void }[] = [];

  now = (): number => this.time;

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const timer = { at: this.time + ms, fire: resolve };
      this.#timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.#timers.splice(this.#timers.indexOf(timer), 1);
        reject(new Error('aborted'));
      });
    });

  /** Runs until `work` settles, advancing time only when everything else is idle. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => {
      settled = true;
    });
    done.catch(() => {});
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) break;
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers.shift();
      if (next === undefined)
        throw new Error('deadlock: nothing to run and the work has not settled');
      this.time = Math.max(this.time, next.at);
      next.fire();
    }
    return done;
  }
}

function setup(options: HostThrottleOptions = {}) {
  const clock = new VirtualClock();
  const throttle = new HostThrottle({ now: clock.now, sleep: clock.sleep, ...options });
  const starts: { name: string; at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  /** A task that starts, records itself, and takes `latency` virtual milliseconds. */
  const task =
    (name: string, latency: number, fail = false) =>
    async () => {
      starts.push({ name, at: clock.time });
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await clock.sleep(latency);
      inFlight -= 1;
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
  return { clock, throttle, starts, task, maxInFlight: () => maxInFlight };
}

describe('HostThrottle: concurrency and spacing', () => {
  it('runs at most concurrencyPerHost tasks on a host, in FIFO order', async () => {
    const { clock, throttle, starts, task, maxInFlight } = setup({
      concurrencyPerHost: 2,
      adaptive: false,
    });
    const names = ['a', 'b', 'c', 'd', 'e'];
    const results = await clock.run(
      Promise.all(
        names.map((name) => throttle.schedule(`https://etcd.io/${name}`, task(name, 100))),
      ),
    );
    expect(results).toEqual(names);
    expect(maxInFlight()).toBe(2);
    expect(starts).toEqual([
      { name: 'a', at: 0 },
      { name: 'b', at: 0 },
      { name: 'c', at: 100 },
      { name: 'd', at: 100 },
      { name: 'e', at: 200 },
    ]);
  });

  it('spaces starts on one host by minDelayMs even when slots are free', async () => {
    const { clock, throttle, starts, task } = setup({
      concurrencyPerHost: 2,
      minDelayMs: 100,
      adaptive: false,
    });
    await clock.run(
      Promise.all(
        ['a', 'b', 'c', 'd'].map((name) => throttle.schedule('https://etcd.io/', task(name, 1000))),
      ),
    );
    // Two starts 100 ms apart fill both slots; the third waits for a slot, not just the delay.
    expect(starts.map((s) => s.at)).toEqual([0, 100, 1000, 1100]);
  });

  it('keeps hosts independent of each other', async () => {
    const { clock, throttle, starts, task } = setup({
      concurrencyPerHost: 1,
      minDelayMs: 100,
      adaptive: false,
    });
    await clock.run(
      Promise.all([
        throttle.schedule('https://etcd.io/1', task('etcd-1', 10)),
        throttle.schedule('https://prometheus.io/1', task('prom-1', 10)),
        throttle.schedule('https://etcd.io/2', task('etcd-2', 10)),
        throttle.schedule('https://prometheus.io/2', task('prom-2', 10)),
      ]),
    );
    expect(Object.fromEntries(starts.map((s) => [s.name, s.at]))).toEqual({
      'etcd-1': 0,
      'prom-1': 0,
      'etcd-2': 100,
      'prom-2': 100,
    });
    expect(throttle.delayFor('etcd.io')).toBe(100);
  });

  it('pauses a host after backoff() and resumes when the pause is over', async () => {
    const { clock, throttle, starts, task } = setup({ adaptive: false });
    await clock.run(throttle.schedule('https://etcd.io/a', task('a', 10)));
    throttle.backoff('etcd.io', 5000);
    await clock.run(
      Promise.all([
        throttle.schedule('https://etcd.io/b', task('b', 10)),
        throttle.schedule('https://other.example/c', task('c', 10)),
      ]),
    );
    expect(starts).toEqual([
      { name: 'a', at: 0 },
      { name: 'c', at: 10 },
      { name: 'b', at: 5010 },
    ]);
  });
});

describe('HostThrottle: adaptive delay', () => {
  it('moves the delay halfway towards latency / targetConcurrency after each task', async () => {
    const { clock, throttle, task } = setup({ concurrencyPerHost: 1, targetConcurrency: 2 });
    const delays: number[] = [];
    for (const name of ['a', 'b', 'c']) {
      await clock.run(throttle.schedule('https://etcd.io/', task(name, 400)));
      delays.push(throttle.delayFor('etcd.io'));
    }
    // Target 400 / 2 = 200: 0 → 100 → 150 → 175.
    expect(delays).toEqual([100, 150, 175]);
  });

  it('lowers the delay on fast successes, but never below minDelayMs', async () => {
    const { clock, throttle, task } = setup({ concurrencyPerHost: 1, minDelayMs: 50 });
    await clock.run(throttle.schedule('https://etcd.io/', task('slow', 1000)));
    expect(throttle.delayFor('etcd.io')).toBe(275);
    const delays: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      await clock.run(throttle.schedule('https://etcd.io/', task(`fast-${i}`, 0)));
      delays.push(throttle.delayFor('etcd.io'));
    }
    expect(delays).toEqual([137.5, 68.75, 50, 50]);
  });

  it('lets a failure raise the delay but never lower it', async () => {
    const { clock, throttle, task } = setup({ concurrencyPerHost: 1 });
    await clock.run(throttle.schedule('https://etcd.io/', task('slow', 400)));
    expect(throttle.delayFor('etcd.io')).toBe(100);

    const fastFailure = throttle.schedule('https://etcd.io/', task('fast-error', 0, true));
    await expect(clock.run(fastFailure)).rejects.toThrow('fast-error failed');
    expect(throttle.delayFor('etcd.io')).toBe(100);

    const slowFailure = throttle.schedule('https://etcd.io/', task('slow-error', 1000, true));
    await expect(clock.run(slowFailure)).rejects.toThrow('slow-error failed');
    expect(throttle.delayFor('etcd.io')).toBe(300);
  });

  it('caps the adaptive delay at maxDelayMs', async () => {
    const { clock, throttle, task } = setup({ concurrencyPerHost: 1, maxDelayMs: 2000 });
    await clock.run(throttle.schedule('https://etcd.io/', task('very-slow', 60_000)));
    expect(throttle.delayFor('etcd.io')).toBe(2000);
  });

  it('never goes below the robots Crawl-delay, which may exceed maxDelayMs', async () => {
    const { clock, throttle, starts, task } = setup({ concurrencyPerHost: 1, maxDelayMs: 1000 });
    throttle.setCrawlDelay('https://etcd.io/robots.txt', 3000);
    expect(throttle.delayFor('ETCD.io')).toBe(3000);
    await clock.run(
      Promise.all([
        throttle.schedule('https://etcd.io/a', task('a', 0)),
        throttle.schedule('https://etcd.io/b', task('b', 0)),
      ]),
    );
    expect(starts.map((s) => s.at)).toEqual([0, 3000]);
    expect(throttle.delayFor('etcd.io')).toBe(3000);
  });

  it('keeps the delay at minDelayMs when adaptive is off', async () => {
    const { clock, throttle, task } = setup({
      concurrencyPerHost: 1,
      minDelayMs: 20,
      adaptive: false,
    });
    await clock.run(throttle.schedule('https://etcd.io/', task('slow', 5000)));
    expect(throttle.delayFor('etcd.io')).toBe(20);
  });
});

describe('HostThrottle: aborting and bad input', () => {
  it('drops a waiting task when its signal aborts, without disturbing the others', async () => {
    const { clock, throttle, starts, task } = setup({ concurrencyPerHost: 1, adaptive: false });
    const controller = new AbortController();
    const first = throttle.schedule('https://etcd.io/1', task('first', 100));
    const second = throttle.schedule('https://etcd.io/2', task('second', 100), controller.signal);
    const third = throttle.schedule('https://etcd.io/3', task('third', 100));
    controller.abort();
    const [a, b, c] = await clock.run(Promise.allSettled([first, second, third]));
    expect(a).toEqual({ status: 'fulfilled', value: 'first' });
    expect(b.status).toBe('rejected');
    expect(isScraperError((b as PromiseRejectedResult).reason, 'aborted')).toBe(true);
    expect(c).toEqual({ status: 'fulfilled', value: 'third' });
    expect(starts.map((s) => s.name)).toEqual(['first', 'third']);
  });

  it('rejects a signal that is already aborted and an unparsable URL', async () => {
    const throttle = new HostThrottle();
    let ran = false;
    const run = async () => {
      ran = true;
    };
    await expect(
      throttle.schedule('https://etcd.io/', run, AbortSignal.abort()),
    ).rejects.toMatchObject({
      code: 'aborted',
    });
    await expect(throttle.schedule('not a url', run)).rejects.toMatchObject({
      code: 'invalid-options',
    });
    expect(ran).toBe(false);
    expect(() => new HostThrottle({ concurrencyPerHost: 0 })).toThrow(/concurrencyPerHost/);
  });
});
