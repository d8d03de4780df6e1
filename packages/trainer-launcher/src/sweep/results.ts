import { type ProgressEvent, summariseProgress } from '../progress.js';
import type { RunState } from '../state.js';
import type { Trial } from './expand.js';

/** One row of a sweep's results table. */
export interface TrialResult {
  index: number;
  name: string;
  values: Trial['values'];
  state: RunState;
  /** Final evaluation loss: the last `eval` line, or the `end` line's. `null` when none. */
  evalLoss: number | null;
  /** Last logged training loss. */
  trainLoss: number | null;
  steps: number;
}

/** The results of a sweep and the trial that won. */
export interface SweepResults {
  rows: TrialResult[];
  /** Lowest final eval loss among succeeded trials; `undefined` while none has one. */
  best: TrialResult | undefined;
}

/**
 * Gathers one row per trial from its progress events and state, and names the best trial (lowest
 * final eval loss among trials that succeeded; ties go to the lower index).
 */
export function collectSweepResults(
  trials: readonly Trial[],
  observed: ReadonlyMap<number, { state: RunState; events: readonly ProgressEvent[] }>,
): SweepResults {
  const rows = trials.map((trial): TrialResult => {
    const seen = observed.get(trial.index);
    const summary = summariseProgress(seen?.events ?? []);
    return {
      index: trial.index,
      name: trial.name,
      values: trial.values,
      state: seen?.state ?? 'unknown',
      evalLoss: summary.evalLoss,
      trainLoss: summary.loss,
      steps: summary.step,
    };
  });
  let best: TrialResult | undefined;
  for (const row of rows) {
    if (row.state !== 'succeeded' || row.evalLoss === null || !Number.isFinite(row.evalLoss))
      continue;
    if (!best || row.evalLoss < best.evalLoss!) best = row;
  }
  return { rows, best };
}

/** A plain-text table of the results, best trial marked with `*`. */
export function formatSweepTable(results: SweepResults): string {
  const keys = [...new Set(results.rows.flatMap((r) => Object.keys(r.values)))];
  const header = ['', 'trial', ...keys, 'state', 'steps', 'train_loss', 'eval_loss'];
  const lines = results.rows.map((r) => [
    results.best?.index === r.index ? '*' : '',
    r.name,
    ...keys.map((k) => String(r.values[k] ?? '')),
    r.state,
    String(r.steps),
    r.trainLoss === null ? '-' : r.trainLoss.toFixed(4),
    r.evalLoss === null ? '-' : r.evalLoss.toFixed(4),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cols: string[]) =>
    cols
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...lines.map(fmt)].join('\n');
}
