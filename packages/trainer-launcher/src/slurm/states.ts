import type { RunState } from '../state.js';

/**
 * Every job state Slurm 22.05 reports (base states and the flag states `squeue`/`scontrol` show
 * instead of them), with the compact code `squeue %t` prints, mapped to the launcher's state.
 */
export const SLURM_JOB_STATES = {
  PENDING: { code: 'PD', state: 'pending' },
  CONFIGURING: { code: 'CF', state: 'pending' },
  POWER_UP_NODE: { code: 'PU', state: 'pending' },
  RESV_DEL_HOLD: { code: 'RD', state: 'pending' },
  RUNNING: { code: 'R', state: 'running' },
  COMPLETING: { code: 'CG', state: 'running' },
  SIGNALING: { code: 'SI', state: 'running' },
  STAGE_OUT: { code: 'SO', state: 'running' },
  RESIZING: { code: 'RS', state: 'running' },
  SUSPENDED: { code: 'S', state: 'running' },
  STOPPED: { code: 'ST', state: 'running' },
  UPDATE_DB: { code: 'UD', state: 'running' },
  REQUEUED: { code: 'RQ', state: 'requeued' },
  REQUEUE_HOLD: { code: 'RH', state: 'requeued' },
  REQUEUE_FED: { code: 'RF', state: 'requeued' },
  SPECIAL_EXIT: { code: 'SE', state: 'requeued' },
  COMPLETED: { code: 'CD', state: 'succeeded' },
  FAILED: { code: 'F', state: 'failed' },
  NODE_FAIL: { code: 'NF', state: 'failed' },
  OUT_OF_MEMORY: { code: 'OOM', state: 'failed' },
  BOOT_FAIL: { code: 'BF', state: 'failed' },
  LAUNCH_FAILED: { code: 'LF', state: 'failed' },
  RECONFIG_FAIL: { code: 'RF', state: 'failed' },
  CANCELLED: { code: 'CA', state: 'cancelled' },
  PREEMPTED: { code: 'PR', state: 'cancelled' },
  REVOKED: { code: 'RV', state: 'cancelled' },
  TIMEOUT: { code: 'TO', state: 'timed-out' },
  DEADLINE: { code: 'DL', state: 'timed-out' },
} as const satisfies Record<string, { code: string; state: RunState }>;

/** A Slurm job state name, as `squeue --json`, slurmrestd and `scontrol show job` spell it. */
export type SlurmJobState = keyof typeof SLURM_JOB_STATES;

/** Why a state is what it is, where Slurm's word alone would not tell a user what to do. */
const STATE_NOTES: Partial<Record<SlurmJobState, string>> = {
  CONFIGURING: 'nodes are being booted or configured for the job',
  POWER_UP_NODE: 'a powered-down node is starting for the job',
  RESV_DEL_HOLD:
    'held because its reservation was deleted; release it with `scontrol release <id>`',
  COMPLETING: 'processes are ending',
  SUSPENDED: 'suspended by the scheduler; it resumes in place',
  STOPPED: 'stopped (SIGSTOP) with its resources kept; `scontrol resume <id>` continues it',
  REQUEUED: 'put back in the queue; it resumes from its last checkpoint',
  REQUEUE_HOLD:
    'requeued and held; `scontrol release <id>` lets it run again from its last checkpoint',
  REQUEUE_FED: 'requeued by the federation',
  SPECIAL_EXIT:
    'requeued and held after a special exit code; `scontrol release <id>` runs it again',
  NODE_FAIL: 'a node of the job failed; relaunch to resume from the last checkpoint',
  OUT_OF_MEMORY: 'out of memory: raise resources.memory or lower the batch size / sequence length',
  BOOT_FAIL: 'a node failed to boot for the job; relaunch it',
  LAUNCH_FAILED: 'the job could not be started on its nodes; see the job log',
  RECONFIG_FAIL: 'node reconfiguration for the job failed; relaunch it',
  PREEMPTED:
    'preempted by a higher-priority job and not requeued; relaunch to resume from the last checkpoint',
  REVOKED: 'revoked: a sibling of this federated job started on another cluster',
  TIMEOUT:
    'hit its time limit; relaunch to resume from the last checkpoint, or raise resources.timeLimit',
  DEADLINE: 'could not finish before its --deadline',
};

/** Slurm's pending/ending reasons that need words (from `squeue --help` and slurm.h). */
const REASON_NOTES: Record<string, string> = {
  Resources: 'waiting for resources (GPUs, CPUs or memory) to free up',
  Priority: 'jobs with higher priority are ahead in the queue',
  Dependency: 'waiting for a job it depends on',
  DependencyNeverSatisfied: 'a job it depends on failed; cancel this one',
  BeginTime: 'waiting for its begin time (a requeued job waits a few seconds)',
  JobArrayTaskLimit:
    'the sweep already runs its maximum number of trials at once (sweep.maxParallel)',
  PartitionTimeLimit:
    'its time limit is over the partition MaxTime; it will never start: cancel it and shorten resources.timeLimit',
  PartitionNodeLimit:
    'it asks for more nodes than the partition allows; cancel it and lower resources.nodes',
  PartitionDown: 'the partition is down',
  PartitionInactive: 'the partition is inactive',
  ReqNodeNotAvail: 'a required node is down, drained or reserved',
  NodeDown: 'a node it needs is down',
  BadConstraints: 'no node can ever satisfy its request',
  JobHeldUser: 'held by its user; `scontrol release <id>`',
  JobHeldAdmin: 'held by an administrator',
  QOSMaxGRESPerUser: 'its QoS limit on GPUs per user is reached',
  QOSMaxJobsPerUserLimit: 'its QoS limit on jobs per user is reached',
  QOSMaxWallDurationPerJobLimit:
    'its time limit is over the QoS maximum; shorten resources.timeLimit',
  AssocGrpGRES: 'the account has used its GPU allocation',
  AssocMaxJobsLimit: 'the account runs its maximum number of jobs',
  InvalidAccount: 'the account is not valid: fix slurm.account',
  InvalidQOS: 'the QoS is not valid: fix slurm.qos',
  NonZeroExitCode: 'the payload exited with a non-zero status; see the job log',
  RaisedSignal: 'the payload was killed by a signal; see the job log',
  TimeLimit: 'it reached its time limit',
  OutOfMemory: 'it ran out of memory',
  NodeFail: 'a node failed',
  Prolog: 'the prolog is running',
};

/** The launcher's view of one Slurm state. */
export interface MappedSlurmState {
  state: RunState;
  /** Slurm's word with its reason, e.g. `PENDING (Resources)`. */
  raw: string;
  /** Why it waits or ended, in words, when Slurm gives a reason or the state needs one. */
  reason: string | undefined;
}

const BY_CODE: ReadonlyMap<string, SlurmJobState> = new Map(
  (Object.entries(SLURM_JOB_STATES) as [SlurmJobState, { code: string }][])
    // RF is both REQUEUE_FED and RECONFIG_FAIL; squeue prints it for the former.
    .filter(([name]) => name !== 'RECONFIG_FAIL')
    .map(([name, { code }]) => [code, name]),
);

/** Accepts `PENDING`, `pending`, `PD`, and `CANCELLED by 0` (scontrol), returning the state name. */
export function normaliseSlurmState(word: string): SlurmJobState | undefined {
  const head = word.trim().split(/[\s+]/)[0]?.toUpperCase() ?? '';
  if (head in SLURM_JOB_STATES) return head as SlurmJobState;
  return BY_CODE.get(head);
}

/**
 * Maps a Slurm job state (and its reason) to the launcher's {@link RunState}. A pending job that
 * has already run (`restarts` > 0: requeued by `scontrol requeue`, preemption or a node failure)
 * is `requeued`. An unknown word is `unknown`, its raw text kept.
 */
export function mapSlurmState(
  slurmState: string,
  options: { reason?: string | undefined; restarts?: number | undefined } = {},
): MappedSlurmState {
  const name = normaliseSlurmState(slurmState);
  const reasonCode = options.reason?.trim();
  const hasReason =
    reasonCode !== undefined &&
    reasonCode !== '' &&
    reasonCode !== 'None' &&
    reasonCode !== '(null)';
  const shown = name ?? slurmState.trim();
  const raw = hasReason ? `${shown} (${reasonCode})` : shown;
  if (name === undefined) {
    return {
      state: 'unknown',
      raw,
      reason: `Slurm reported "${slurmState}", a state this launcher does not know`,
    };
  }
  let state: RunState = SLURM_JOB_STATES[name].state;
  const notes: string[] = [];
  if (hasReason) notes.push(`${reasonCode}: ${REASON_NOTES[reasonCode] ?? reasonCode}`);
  const stateNote = STATE_NOTES[name];
  if (stateNote) notes.push(stateNote);
  if (name === 'PENDING' && (options.restarts ?? 0) > 0) {
    state = 'requeued';
    notes.push(
      `requeued ${options.restarts} time${options.restarts === 1 ? '' : 's'}; it resumes from its last checkpoint`,
    );
  }
  return { state, raw, reason: notes.length > 0 ? notes.join('; ') : undefined };
}

/**
 * Decodes the exit code Slurm reports: `squeue --json`/slurmrestd give the raw wait status
 * (`256` for exit 1, `9` for SIGKILL); `scontrol` gives `code:signal`. A signal becomes 128+n,
 * as a shell reports it.
 */
export function decodeExitCode(value: number | string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'string') {
    const m = /^(\d+):(\d+)$/.exec(value.trim());
    if (!m) return undefined;
    const signal = Number(m[2]);
    return signal > 0 ? 128 + signal : Number(m[1]);
  }
  if (!Number.isInteger(value) || value < 0) return undefined;
  const signal = value & 0x7f;
  return signal > 0 ? 128 + signal : (value >> 8) & 0xff;
}
