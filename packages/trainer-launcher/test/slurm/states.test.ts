import { describe, expect, it } from 'vitest';
import { aggregateState } from '../../src/slurm/run-status.js';
import {
  decodeExitCode,
  mapSlurmState,
  normaliseSlurmState,
  SLURM_JOB_STATES,
} from '../../src/slurm/states.js';
import { canTransition, type RunState } from '../../src/state.js';

/** Written out by hand (not derived from the source table), so a wrong mapping fails here. */
const EXPECTED: Record<string, [code: string, state: RunState]> = {
  PENDING: ['PD', 'pending'],
  CONFIGURING: ['CF', 'pending'],
  POWER_UP_NODE: ['PU', 'pending'],
  RESV_DEL_HOLD: ['RD', 'pending'],
  RUNNING: ['R', 'running'],
  COMPLETING: ['CG', 'running'],
  SIGNALING: ['SI', 'running'],
  STAGE_OUT: ['SO', 'running'],
  RESIZING: ['RS', 'running'],
  SUSPENDED: ['S', 'running'],
  STOPPED: ['ST', 'running'],
  UPDATE_DB: ['UD', 'running'],
  REQUEUED: ['RQ', 'requeued'],
  REQUEUE_HOLD: ['RH', 'requeued'],
  REQUEUE_FED: ['RF', 'requeued'],
  SPECIAL_EXIT: ['SE', 'requeued'],
  COMPLETED: ['CD', 'succeeded'],
  FAILED: ['F', 'failed'],
  NODE_FAIL: ['NF', 'failed'],
  OUT_OF_MEMORY: ['OOM', 'failed'],
  BOOT_FAIL: ['BF', 'failed'],
  LAUNCH_FAILED: ['LF', 'failed'],
  RECONFIG_FAIL: ['RF', 'failed'],
  CANCELLED: ['CA', 'cancelled'],
  PREEMPTED: ['PR', 'cancelled'],
  REVOKED: ['RV', 'cancelled'],
  TIMEOUT: ['TO', 'timed-out'],
  DEADLINE: ['DL', 'timed-out'],
};

describe('mapSlurmState', () => {
  it('knows every Slurm 22.05 job state', () => {
    expect(Object.keys(SLURM_JOB_STATES).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s → %j', (name, [code, state]) => {
    expect(mapSlurmState(name).state).toBe(state);
    expect(mapSlurmState(name.toLowerCase()).state).toBe(state);
    expect(SLURM_JOB_STATES[name as keyof typeof SLURM_JOB_STATES].code).toBe(code);
    // RF is squeue's word for REQUEUE_FED.
    if (name !== 'RECONFIG_FAIL') expect(mapSlurmState(code).state).toBe(state);
  });

  it('keeps the reason: PENDING (Resources) with words a user can act on', () => {
    expect(mapSlurmState('PENDING', { reason: 'Resources' })).toEqual({
      state: 'pending',
      raw: 'PENDING (Resources)',
      reason: 'Resources: waiting for resources (GPUs, CPUs or memory) to free up',
    });
    expect(mapSlurmState('PENDING', { reason: 'PartitionTimeLimit' }).reason).toMatch(
      /will never start: cancel it and shorten resources.timeLimit/,
    );
    expect(mapSlurmState('FAILED', { reason: 'NonZeroExitCode' }).raw).toBe(
      'FAILED (NonZeroExitCode)',
    );
    expect(mapSlurmState('OUT_OF_MEMORY', { reason: 'OutOfMemory' }).reason).toMatch(
      /raise resources.memory/,
    );
    expect(mapSlurmState('PENDING', { reason: 'SomethingNew' }).reason).toBe(
      'SomethingNew: SomethingNew',
    );
    expect(mapSlurmState('COMPLETED', { reason: 'None' })).toEqual({
      state: 'succeeded',
      raw: 'COMPLETED',
      reason: undefined,
    });
  });

  it('calls a pending job that already ran requeued', () => {
    expect(mapSlurmState('PENDING', { reason: 'BeginTime', restarts: 1 })).toMatchObject({
      state: 'requeued',
      raw: 'PENDING (BeginTime)',
      reason: expect.stringContaining('requeued 1 time; it resumes from its last checkpoint'),
    });
    expect(mapSlurmState('RUNNING', { restarts: 2 }).state).toBe('running');
  });

  it("reads scontrol's 'CANCELLED by 0' and keeps unknown words as unknown", () => {
    expect(normaliseSlurmState('CANCELLED by 0')).toBe('CANCELLED');
    expect(mapSlurmState('CANCELLED by 0').state).toBe('cancelled');
    expect(mapSlurmState('WARPING', { reason: 'Flux' })).toMatchObject({
      state: 'unknown',
      raw: 'WARPING (Flux)',
    });
  });

  it('maps the states a requeued job passes through onto legal transitions', () => {
    // RUNNING → COMPLETING (requeue kills the steps) → PENDING with a restart → RUNNING → COMPLETED
    const path = [
      mapSlurmState('RUNNING'),
      mapSlurmState('COMPLETING'),
      mapSlurmState('PENDING', { reason: 'BeginTime', restarts: 1 }),
      mapSlurmState('RUNNING', { restarts: 1 }),
      mapSlurmState('COMPLETED', { restarts: 1 }),
    ].map((m) => m.state);
    for (let i = 1; i < path.length; i++)
      expect(canTransition(path[i - 1] as RunState, path[i] as RunState)).toBe(true);
  });
});

describe('decodeExitCode', () => {
  it('decodes wait statuses (squeue --json, slurmrestd) and code:signal (scontrol)', () => {
    expect(decodeExitCode(0)).toBe(0);
    expect(decodeExitCode(256)).toBe(1);
    expect(decodeExitCode(768)).toBe(3);
    expect(decodeExitCode(9)).toBe(137);
    expect(decodeExitCode('3:0')).toBe(3);
    expect(decodeExitCode('0:15')).toBe(143);
    expect(decodeExitCode(null)).toBeUndefined();
    expect(decodeExitCode('N/A')).toBeUndefined();
  });
});

describe('aggregateState (a sweep from its trials)', () => {
  it.each([
    [['succeeded', 'succeeded'], 'succeeded'],
    [['succeeded', 'running', 'pending'], 'running'],
    [['pending', 'pending'], 'pending'],
    [['succeeded', 'requeued'], 'requeued'],
    [['succeeded', 'failed', 'cancelled'], 'failed'],
    [['succeeded', 'timed-out'], 'timed-out'],
    [['cancelled', 'succeeded'], 'cancelled'],
    [[], 'unknown'],
  ] as [RunState[], RunState][])('%j → %s', (states, expected) => {
    expect(aggregateState(states)).toBe(expected);
  });
});
