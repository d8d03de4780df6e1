import { describe, expect, it } from 'vitest';
import { canTransition, isFinalState, RUN_STATES } from '../../src/state.js';

describe('the run state machine', () => {
  it('has four final states', () => {
    expect(RUN_STATES.filter(isFinalState).sort()).toEqual([
      'cancelled',
      'failed',
      'succeeded',
      'timed-out',
    ]);
  });

  it('never leaves a final state, so a stale answer cannot resurrect a finished run', () => {
    for (const from of RUN_STATES.filter(isFinalState)) {
      for (const to of RUN_STATES) expect(canTransition(from, to)).toBe(from === to);
    }
  });

  it('allows the paths backends take', () => {
    expect(canTransition('pending', 'running')).toBe(true);
    expect(canTransition('pending', 'succeeded')).toBe(true); // a short job seen only while pending
    expect(canTransition('running', 'requeued')).toBe(true);
    expect(canTransition('requeued', 'running')).toBe(true);
    expect(canTransition('running', 'pending')).toBe(false);
    expect(canTransition('unknown', 'running')).toBe(true);
  });
});
