import type { ProgressEvent } from '../progress.js';
import { isFinalState, type RunState, type RunStatus } from '../state.js';
import { trialName } from '../sweep/expand.js';
import type { SlurmJobInfo } from './job-info.js';
import { mapSlurmState } from './states.js';

/** One job or array task as a {@link RunStatus}. */
export function jobStatus(job: SlurmJobInfo, name: string, id = job.jobId): RunStatus {
  const mapped = mapSlurmState(job.state, { reason: job.reason, restarts: job.restarts });
  return {
    name,
    id,
    backend: 'slurm',
    state: mapped.state,
    raw: mapped.raw,
    reason: mapped.reason,
    exitCode: isFinalState(mapped.state) ? job.exitCode : undefined,
    submittedAt: job.submitTime,
    startedAt: job.startTime,
    endedAt: isFinalState(mapped.state) ? job.endTime : undefined,
  };
}

/** The state of a whole sweep from its trials' states. */
export function aggregateState(states: readonly RunState[]): RunState {
  if (states.length === 0) return 'unknown';
  const has = (s: RunState) => states.includes(s);
  if (!states.every(isFinalState)) {
    if (has('running')) return 'running';
    if (has('pending')) return 'pending';
    if (has('requeued')) return 'requeued';
    return 'unknown';
  }
  if (has('failed')) return 'failed';
  if (has('timed-out')) return 'timed-out';
  if (has('cancelled')) return 'cancelled';
  return 'succeeded';
}

function counts(states: readonly string[]): string {
  const n = new Map<string, number>();
  for (const s of states) n.set(s, (n.get(s) ?? 0) + 1);
  return [...n].map(([s, c]) => `${c} ${s}`).join(', ');
}

/**
 * Builds the status of one submission from what Slurm knows of it: a single job, or the tasks of
 * a job array (a pending record standing for several tasks is split into one per task).
 */
export function submissionStatus(
  jobs: readonly SlurmJobInfo[],
  runName: string,
  expectedTasks?: number,
): RunStatus {
  const first = jobs[0];
  const arrayJobId = jobs.find((j) => j.arrayJobId)?.arrayJobId;
  if (!first) {
    return {
      name: runName,
      id: '',
      backend: 'slurm',
      state: 'unknown',
      raw: 'UNKNOWN',
      reason: 'Slurm returned no job',
    };
  }
  if (!arrayJobId) return jobStatus(first, runName);
  const tasks = new Map<number, RunStatus>();
  for (const job of jobs) {
    const indices = job.arrayTaskId !== undefined ? [job.arrayTaskId] : (job.arrayTasks ?? []);
    for (const index of indices)
      tasks.set(index, jobStatus(job, trialName(runName, index), `${arrayJobId}_${index}`));
  }
  for (let index = 0; index < (expectedTasks ?? 0); index++) {
    if (!tasks.has(index)) {
      tasks.set(index, {
        name: trialName(runName, index),
        id: `${arrayJobId}_${index}`,
        backend: 'slurm',
        state: 'unknown',
        raw: 'UNKNOWN',
        reason: 'Slurm no longer reports this array task',
      });
    }
  }
  const list = [...tasks.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
  const state = aggregateState(list.map((t) => t.state));
  const final = isFinalState(state);
  const times = (pick: (s: RunStatus) => string | undefined) =>
    list
      .map(pick)
      .filter((t): t is string => t !== undefined)
      .sort();
  const exitCodes = list.map((t) => t.exitCode).filter((c): c is number => c !== undefined);
  return {
    name: runName,
    id: arrayJobId,
    backend: 'slurm',
    state,
    raw: `ARRAY (${counts(list.map((t) => t.raw.split(' ')[0] ?? t.raw))})`,
    reason: `${list.length} trial${list.length === 1 ? '' : 's'}: ${counts(list.map((t) => t.state))}`,
    exitCode: final && exitCodes.length > 0 ? Math.max(...exitCodes) : undefined,
    submittedAt: times((s) => s.submittedAt)[0],
    startedAt: times((s) => s.startedAt)[0],
    endedAt: final ? times((s) => s.endedAt).at(-1) : undefined,
    tasks: list,
  };
}

/**
 * The status of a job slurmctld has forgotten (older than MinJobAge) on a cluster without
 * accounting: the payload's `end` progress line says how it ended; without one it is `unknown`.
 */
export function statusFromProgress(
  name: string,
  id: string,
  events: readonly ProgressEvent[] | undefined,
  jobId: string,
): RunStatus {
  const end = [...(events ?? [])].reverse().find((e) => e.event === 'end');
  const gone = `slurmctld no longer knows job ${jobId} (finished longer ago than MinJobAge) and the cluster keeps no accounting`;
  if (end?.event === 'end') {
    return {
      name,
      id,
      backend: 'slurm',
      state: end.status,
      raw: `GONE (payload ended ${end.status})`,
      reason: `${gone}; the payload's end line says ${end.status}${end.error ? `: ${end.error}` : ''}`,
      endedAt: end.time,
    };
  }
  return {
    name,
    id,
    backend: 'slurm',
    state: 'unknown',
    raw: 'GONE',
    reason: `${gone}, and the payload wrote no end line`,
  };
}
