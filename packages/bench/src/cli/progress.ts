/** Where progress goes: a terminal gets one updating line, anything else JSON lines. */
export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Reports the progress of long work, throttled: nothing for work that ends within `delayMs`,
 * then at most one update per `everyMs` — a rewritten line with count, rate and (when the
 * total is known) ETA on a terminal, or `{"event":"progress",...}` JSON lines otherwise.
 */
export function createProgress(
  label: string,
  sink: ProgressSink,
  options: { total?: number; delayMs?: number; everyMs?: number; now?: () => number } = {},
) {
  const now = options.now ?? (() => performance.now());
  const start = now();
  const delay = options.delayMs ?? 1000;
  const every = options.everyMs ?? (sink.isTTY ? 200 : 2000);
  let last = -Infinity;
  let shown = false;
  const render = (count: number, done: boolean) => {
    const seconds = (now() - start) / 1000;
    const rate = seconds > 0 ? count / seconds : 0;
    const total = options.total;
    const eta = total && rate > 0 ? Math.max(0, (total - count) / rate) : undefined;
    if (sink.isTTY) {
      const of = total ? `/${total}` : '';
      const etaText = eta !== undefined && !done ? `, ETA ${eta.toFixed(0)} s` : '';
      sink.write(`\r${label}: ${count}${of} (${rate.toFixed(0)}/s${etaText})${done ? '\n' : ''}`);
    } else {
      sink.write(
        `${JSON.stringify({ event: done ? 'progress-done' : 'progress', label, count, total, seconds: Number(seconds.toFixed(3)), rate: Math.round(rate), etaSeconds: eta === undefined ? undefined : Math.round(eta) })}\n`,
      );
    }
  };
  return {
    /** Records that `count` items are done. */
    update(count: number) {
      const t = now();
      if (t - start < delay || t - last < every) return;
      last = t;
      shown = true;
      render(count, false);
    },
    /** Ends the report; prints a final line only if progress was shown. */
    done(count: number) {
      if (shown) render(count, true);
    },
  };
}
