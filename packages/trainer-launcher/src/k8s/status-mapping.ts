import { isFinalState, type RunState, type RunStatus } from '../state.js';
import type { PodView } from './pod-view.js';
import type { Condition, WorkloadObject } from './schemas.js';
import type { WorkloadKind } from './workload-kinds.js';

/** The state part of a {@link RunStatus}. */
export type StateView = Pick<
  RunStatus,
  'state' | 'raw' | 'reason' | 'exitCode' | 'submittedAt' | 'startedAt' | 'endedAt'
>;

/** What was seen of one unit (a run, or one trial of a sweep) on the cluster. */
export interface UnitObservation {
  unit: string;
  namespace: string;
  kind: WorkloadKind;
  trial: number | undefined;
  workload: WorkloadObject | undefined;
  pods: PodView[];
  /** Left by `cancel`: when, and the uid of the workload it deleted. */
  tombstone: { cancelledAt: string | undefined; uid: string | undefined } | undefined;
}

/** A workload created suspended, waiting for Kueue to admit it. */
function queued(message?: string): Pick<StateView, 'state' | 'raw' | 'reason'> {
  return {
    state: 'pending',
    raw: 'Suspended',
    reason: message ?? 'suspended until its queue (Kueue) admits it',
  };
}

function trueCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type && c.status === 'True');
}

function failedState(condition: Condition): RunState {
  const text = `${condition.reason ?? ''} ${condition.message ?? ''}`;
  return /DeadlineExceeded|deadline/i.test(text) ? 'timed-out' : 'failed';
}

function exitCodeOf(pods: readonly PodView[]): number | undefined {
  const ended = pods
    .filter((p) => p.exitCode !== undefined)
    .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  return ended[0]?.exitCode;
}

/**
 * The state of a unit whose workload has not ended, from its pods: running when a pod runs;
 * pending with the scheduler's message when a pod cannot be placed ("0/1 nodes are available:
 * 1 Insufficient nvidia.com/gpu."); pending while pods are created or wait for their containers.
 */
export function stateFromPods(
  pods: readonly PodView[],
): Pick<StateView, 'state' | 'raw' | 'reason'> {
  const live = pods.filter((p) => !p.deleting);
  if (live.some((p) => p.phase === 'Running')) return { state: 'running', raw: 'Running' };
  const unschedulable = live.find((p) => p.unschedulable !== undefined);
  if (unschedulable) {
    return { state: 'pending', raw: 'Unschedulable', reason: unschedulable.unschedulable };
  }
  const waiting = live.find((p) => p.phase === 'Pending');
  if (waiting) {
    if (waiting.waiting)
      return { state: 'pending', raw: 'ContainerWaiting', reason: waiting.waiting };
    return waiting.nodeName
      ? {
          state: 'pending',
          raw: 'Scheduled',
          reason: `pod ${waiting.name} is on node ${waiting.nodeName}, starting`,
        }
      : { state: 'pending', raw: 'Pending', reason: `pod ${waiting.name} waits for the scheduler` };
  }
  if (live.some((p) => p.phase === 'Succeeded' || p.phase === 'Failed')) {
    // The pod ended; the workload's controller has not recorded it yet.
    return { state: 'running', raw: 'Finishing' };
  }
  return { state: 'pending', raw: 'Created', reason: 'waiting for the controller to create pods' };
}

/** batch/v1 Job: conditions Complete / Failed (DeadlineExceeded, BackoffLimitExceeded), else pods. */
export function jobState(job: WorkloadObject, pods: readonly PodView[]): StateView {
  const conditions = job.status?.conditions ?? [];
  const times = {
    submittedAt: job.metadata.creationTimestamp,
    startedAt: job.status?.startTime,
    exitCode: exitCodeOf(pods),
  };
  const complete = trueCondition(conditions, 'Complete');
  if (complete) {
    return {
      ...times,
      state: 'succeeded',
      raw: 'Complete',
      endedAt: job.status?.completionTime ?? complete.lastTransitionTime,
    };
  }
  const failed = trueCondition(conditions, 'Failed');
  if (failed) {
    return {
      ...times,
      state: failedState(failed),
      raw: failed.reason ?? 'Failed',
      reason: failed.message,
      endedAt: failed.lastTransitionTime,
    };
  }
  if (job.spec?.suspend === true && pods.length === 0) return { ...times, ...queued() };
  return { ...times, ...stateFromPods(pods) };
}

/**
 * Kubeflow training-operator PyTorchJob: the latest of Succeeded / Failed / Restarting / Running
 * / Created / Suspended that is true. Restarting (pods failed and are being recreated) maps to
 * `requeued`.
 */
export function pytorchJobState(job: WorkloadObject, pods: readonly PodView[]): StateView {
  const conditions = job.status?.conditions ?? [];
  const times = {
    submittedAt: job.metadata.creationTimestamp,
    startedAt: job.status?.startTime,
    exitCode: exitCodeOf(pods),
  };
  const succeeded = trueCondition(conditions, 'Succeeded');
  if (succeeded) {
    return {
      ...times,
      state: 'succeeded',
      raw: succeeded.reason ?? 'Succeeded',
      endedAt: job.status?.completionTime ?? succeeded.lastTransitionTime,
    };
  }
  const failed = trueCondition(conditions, 'Failed');
  if (failed) {
    return {
      ...times,
      state: failedState(failed),
      raw: failed.reason ?? 'Failed',
      reason: failed.message,
      endedAt: job.status?.completionTime ?? failed.lastTransitionTime,
    };
  }
  const suspendedCondition = trueCondition(conditions, 'Suspended');
  if (suspendedCondition) return { ...times, ...queued(suspendedCondition.message) };
  const restarting = trueCondition(conditions, 'Restarting');
  if (restarting) {
    return {
      ...times,
      state: 'requeued',
      raw: restarting.reason ?? 'Restarting',
      reason: restarting.message,
    };
  }
  const running = trueCondition(conditions, 'Running');
  if (running) return { ...times, state: 'running', raw: running.reason ?? 'Running' };
  // Conditions first: they say what the operator did, the spec only what was asked.
  if (job.spec?.runPolicy?.suspend === true && pods.length === 0) return { ...times, ...queued() };
  return { ...times, ...stateFromPods(pods) };
}

/** Kubeflow Trainer v2 TrainJob: conditions Complete / Failed / Suspended, else pods. */
export function trainJobState(job: WorkloadObject, pods: readonly PodView[]): StateView {
  const conditions = job.status?.conditions ?? [];
  const times = { submittedAt: job.metadata.creationTimestamp, exitCode: exitCodeOf(pods) };
  const complete = trueCondition(conditions, 'Complete');
  if (complete) {
    return {
      ...times,
      state: 'succeeded',
      raw: complete.reason ?? 'Complete',
      endedAt: complete.lastTransitionTime,
    };
  }
  const failed = trueCondition(conditions, 'Failed');
  if (failed) {
    return {
      ...times,
      state: failedState(failed),
      raw: failed.reason ?? 'Failed',
      reason: failed.message,
      endedAt: failed.lastTransitionTime,
    };
  }
  const suspendedCondition = trueCondition(conditions, 'Suspended');
  if (suspendedCondition) return { ...times, ...queued(suspendedCondition.message) };
  if (job.spec?.suspend === true && pods.length === 0) return { ...times, ...queued() };
  return { ...times, ...stateFromPods(pods) };
}

/** The state of a workload of any kind. */
export function workloadState(
  kind: WorkloadKind,
  job: WorkloadObject,
  pods: readonly PodView[],
): StateView {
  if (kind === 'Job') return jobState(job, pods);
  if (kind === 'PyTorchJob') return pytorchJobState(job, pods);
  return trainJobState(job, pods);
}

/**
 * One unit's status. Cancellation is remembered by a tombstone ConfigMap that `cancel` writes
 * before deleting the workload: a workload being deleted, or gone with a tombstone left, is
 * `cancelled`; gone without one is `unknown` (deleted by hand, or by its TTL after it ended).
 */
export function unitStatus(obs: UnitObservation): RunStatus {
  const id = `${obs.namespace}/${obs.unit}`;
  const base = { name: obs.unit, id, backend: 'k8s' as const };
  const { workload, tombstone } = obs;
  const cancelledByUs =
    tombstone !== undefined &&
    (workload === undefined ||
      tombstone.uid === undefined ||
      tombstone.uid === workload.metadata.uid);
  const cancelled = (raw: string): RunStatus => ({
    ...base,
    state: 'cancelled',
    raw,
    reason: `cancelled${tombstone?.cancelledAt ? ` at ${tombstone.cancelledAt}` : ''}; its ${obs.kind} and pods are deleted`,
    submittedAt: workload?.metadata.creationTimestamp,
    endedAt: tombstone?.cancelledAt ?? workload?.metadata.deletionTimestamp,
  });
  if (!workload) {
    if (cancelledByUs) return cancelled('Deleted');
    return {
      ...base,
      state: 'unknown',
      raw: 'NotFound',
      reason: `its payload ConfigMap exists but the ${obs.kind} does not (deleted outside the launcher?). Launch it again`,
    };
  }
  // Cancel only acts on runs that have not ended, so its tombstone wins over whatever the
  // controller records while the pods go away (a Job may turn Failed as they are deleted).
  if (cancelledByUs) return cancelled('Deleting');
  const view = workloadState(obs.kind, workload, obs.pods);
  // Deleted by someone else: a finished run keeps its result (its TTL ran out), others were cancelled.
  if (workload.metadata.deletionTimestamp !== undefined && !isFinalState(view.state)) {
    return cancelled('Deleting');
  }
  return { ...base, ...view };
}

const ORDER: readonly RunState[] = ['running', 'requeued', 'pending', 'unknown'];

/**
 * A sweep's status from its trials': running while any trial runs (else pending/requeued while
 * any waits); once all have ended, succeeded when every trial succeeded, cancelled when any was
 * cancelled, timed-out or failed otherwise. `raw` counts the trials per state.
 */
export function combineStatuses(
  name: string,
  namespace: string,
  tasks: readonly RunStatus[],
): RunStatus {
  const counts = new Map<RunState, number>();
  for (const t of tasks) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  const raw = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  let state: RunState;
  const active = ORDER.find((s) => counts.has(s));
  if (active) state = active;
  else if (counts.get('succeeded') === tasks.length) state = 'succeeded';
  else if (counts.has('cancelled')) state = 'cancelled';
  else if (counts.has('failed')) state = 'failed';
  else state = 'timed-out';
  const submitted = tasks
    .map((t) => t.submittedAt)
    .filter((t): t is string => t !== undefined)
    .sort();
  const started = tasks
    .map((t) => t.startedAt)
    .filter((t): t is string => t !== undefined)
    .sort();
  const ended = tasks
    .map((t) => t.endedAt)
    .filter((t): t is string => t !== undefined)
    .sort();
  return {
    name,
    id: `${namespace}/${name}`,
    backend: 'k8s',
    state,
    raw: `${tasks.length} trials: ${raw}`,
    submittedAt: submitted[0],
    startedAt: started[0],
    endedAt: isFinalState(state) ? ended.at(-1) : undefined,
    tasks: [...tasks],
  };
}
