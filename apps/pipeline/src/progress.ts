/** Where progress goes: a terminal gets one rewritten line, anything else JSON lines. */
export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Counters a long job reports; `pending` makes an ETA possible. */
export interface ProgressCounts {
  done: number;
  pending?: number;
  [name: string]: number | undefined;
}

/**
 * Throttled progress for jobs whose total grows as they go (a crawl discovers pages): count,
 * rate and ETA from what is still pending, on one terminal line, or one JSON line per update
 * (`{"event":"progress",...}`) for logs and CI.
 */
export function createJobProgress(
  label: string,
  sink: ProgressSink,
  options: { everyMs?: number; now?: () => number } = {},
) {
  const now = options.now ?? (() => performance.now());
  const start = now();
  const every = options.everyMs ?? (sink.isTTY ? 250 : 5000);
  let last = -Infinity;
  let shown = false;
  const render = (counts: ProgressCounts, final: boolean) => {
    const seconds = (now() - start) / 1000;
    const rate = seconds > 0 ? counts.done / seconds : 0;
    const eta =
      counts.pending !== undefined && rate > 0 ? Math.round(counts.pending / rate) : undefined;
    if (sink.isTTY) {
      const extras = Object.entries(counts)
        .filter(([k, v]) => k !== 'done' && k !== 'pending' && v !== undefined)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const pending = counts.pending !== undefined ? `, ${counts.pending} pending` : '';
      const etaText = eta !== undefined && !final ? `, ETA ${formatSeconds(eta)}` : '';
      sink.write(
        `\r\x1b[K${label}: ${counts.done} done${pending}${extras ? `, ${extras}` : ''} (${rate.toFixed(1)}/s${etaText})${final ? '\n' : ''}`,
      );
    } else {
      sink.write(
        `${JSON.stringify({ event: final ? 'progress-done' : 'progress', label, ...counts, seconds: Number(seconds.toFixed(1)), rate: Number(rate.toFixed(2)), etaSeconds: eta })}\n`,
      );
    }
  };
  return {
    update(counts: ProgressCounts) {
      const t = now();
      if (t - last < every) return;
      last = t;
      shown = true;
      render(counts, false);
    },
    done(counts: ProgressCounts) {
      if (shown || !sink.isTTY) render(counts, true);
    },
    /** Prints a message on its own line without breaking the progress line. */
    note(text: string) {
      if (sink.isTTY) sink.write(`\r\x1b[K${text}\n`);
      else sink.write(`${JSON.stringify({ event: 'note', label, message: text })}\n`);
    },
  };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
