/**
 * The one lifecycle every backend reports, whatever its own words are (Slurm's PENDING,
 * CONFIGURING, NODE_FAIL…; a Kubernetes Job's conditions and pod phases).
 *
 * - `pending`: accepted, waiting for resources (queued, unschedulable for now, held).
 * - `running`: at least one process of the run is executing.
 * - `requeued`: stopped by preemption or node failure and put back in the queue; it resumes from
 *   its last checkpoint when it runs again.
 * - `succeeded`, `failed`, `cancelled`, `timed-out`: final.
 * - `unknown`: the backend answered with a state this package does not know; `raw` says which.
 */
export type RunState =
  | 'pending'
  | 'running'
  | 'requeued'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'timed-out'
  | 'unknown';

export const RUN_STATES: readonly RunState[] = [
  'pending',
  'running',
  'requeued',
  'succeeded',
  'failed',
  'cancelled',
  'timed-out',
  'unknown',
];

const FINAL: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'cancelled', 'timed-out']);

/** True for states a run never leaves. */
export function isFinalState(state: RunState): boolean {
  return FINAL.has(state);
}

const NEXT: Readonly<Record<RunState, readonly RunState[]>> = {
  pending: ['running', 'cancelled', 'failed', 'requeued', 'succeeded', 'timed-out'],
  running: ['succeeded', 'failed', 'cancelled', 'timed-out', 'requeued'],
  requeued: ['pending', 'running', 'cancelled', 'failed'],
  succeeded: [],
  failed: [],
  cancelled: [],
  'timed-out': [],
  unknown: RUN_STATES,
};

/**
 * Whether a watcher may move from `from` to `to`. A backend that jumps (a short job seen only
 * as pending, then succeeded) is allowed; going back from a final state is not, so a stale
 * answer from a lagging API cannot resurrect a finished run.
 */
export function canTransition(from: RunState, to: RunState): boolean {
  if (from === to) return true;
  if (to === 'unknown') return !isFinalState(from);
  return NEXT[from].includes(to);
}

/** One observation of a run on its backend. */
export interface RunStatus {
  /** The launcher's run name (also the Slurm job name / Kubernetes object name). */
  name: string;
  /** Backend id: Slurm job id (`123`, `123_4` for an array task), or `namespace/name`. */
  id: string;
  backend: 'slurm' | 'k8s';
  state: RunState;
  /** The backend's own word for it, e.g. `PENDING (Resources)` or `BackoffLimitExceeded`. */
  raw: string;
  /** Why it waits or why it ended, when the backend says. */
  reason?: string | undefined;
  /** Exit code of the payload, when it ended and the backend reports one. */
  exitCode?: number | undefined;
  submittedAt?: string | undefined;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  /** Array tasks / trials, when the run is a sweep. */
  tasks?: RunStatus[] | undefined;
}
