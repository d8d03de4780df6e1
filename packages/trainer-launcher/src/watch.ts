import type { LaunchBackend } from './backend.js';
import { LauncherError } from './errors.js';
import { type ProgressSummary, summariseProgress } from './progress.js';
import { sleep } from './sleep.js';
import { canTransition, isFinalState, type RunStatus } from './state.js';

/** What a watcher sees, in order. */
export type RunWatchEvent =
  | { type: 'state-changed'; status: RunStatus; previous: RunStatus['state'] | undefined }
  | { type: 'progress'; status: RunStatus; progress: ProgressSummary }
  | { type: 'run-ended'; status: RunStatus; progress: ProgressSummary };

export interface WatchOptions {
  /** Time between polls. @default 5000 */
  intervalMs?: number;
  /** Give up after this long; throws `timeout`. @default no limit */
  timeoutMs?: number;
  /** Sweep trial whose progress to follow. */
  trial?: number;
  signal?: AbortSignal;
}

/**
 * Follows a run on any backend until it reaches a final state: yields `state-changed` when the
 * launcher state moves (stale answers that would leave a final state are ignored), `progress`
 * when the payload has written new step or eval lines, and `run-ended` last.
 */
export async function* watchRun(
  backend: LaunchBackend,
  run: string,
  options: WatchOptions = {},
): AsyncGenerator<RunWatchEvent> {
  const intervalMs = options.intervalMs ?? 5000;
  const started = Date.now();
  let previous: RunStatus | undefined;
  let lastStep = -1;
  let lastEval: number | null = null;
  for (;;) {
    const status = await backend.status(run, { signal: options.signal });
    const moved =
      previous === undefined ||
      (status.state !== previous.state && canTransition(previous.state, status.state));
    if (moved) {
      yield { type: 'state-changed', status, previous: previous?.state };
      previous = status;
    }
    const events = await backend
      .progress(run, { trial: options.trial, signal: options.signal })
      .catch(() => []);
    const progress = summariseProgress(events);
    if (progress.step !== lastStep || progress.evalLoss !== lastEval) {
      lastStep = progress.step;
      lastEval = progress.evalLoss;
      if (events.length > 0) yield { type: 'progress', status: previous ?? status, progress };
    }
    if (previous && isFinalState(previous.state)) {
      yield { type: 'run-ended', status: previous, progress };
      return;
    }
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      throw new LauncherError(
        'timeout',
        `${run} was still ${previous?.state ?? 'unknown'} after ${options.timeoutMs} ms; it keeps running: check it later with \`cncf-llm train status\`.`,
      );
    }
    await sleep(intervalMs, options.signal, 'watching');
  }
}

/** Drains {@link watchRun} and returns the final status. */
export async function waitForRun(
  backend: LaunchBackend,
  run: string,
  options: WatchOptions = {},
): Promise<RunStatus> {
  let last: RunStatus | undefined;
  for await (const event of watchRun(backend, run, options)) last = event.status;
  if (!last) throw new LauncherError('job-not-found', `${run}: no status was observed`);
  return last;
}
