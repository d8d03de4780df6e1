import { describe, expect, it } from 'vitest';
import type { LaunchBackend } from '../../src/backend.js';
import type { ProgressEvent } from '../../src/progress.js';
import type { RunState, RunStatus } from '../../src/state.js';
import { waitForRun, watchRun } from '../../src/watch.js';

/** A scripted backend: each status() call returns the next state; progress grows with it. */
function scripted(states: RunState[], progressPerPoll: ProgressEvent[][]): LaunchBackend {
  let poll = -1;
  const status = (state: RunState): RunStatus => ({
    name: 'r',
    id: '1',
    backend: 'slurm',
    state,
    raw: state.toUpperCase(),
  });
  return {
    kind: 'slurm',
    limits: () => Promise.reject(new Error('unused')),
    render: () => {
      throw new Error('unused');
    },
    launch: () => Promise.reject(new Error('unused')),
    status: async () => {
      poll = Math.min(poll + 1, states.length - 1);
      return status(states[poll] as RunState);
    },
    list: async () => [],
    async *logs() {},
    cancel: async () => status('cancelled'),
    progress: async () => progressPerPoll.slice(0, poll + 1).flat(),
  };
}

const t = '2026-11-25T00:00:00Z';
const step = (n: number): ProgressEvent => ({
  event: 'step',
  time: t,
  step: n,
  maxSteps: 3,
  epoch: 0,
  loss: 3 - n / 2,
  learningRate: 1e-4,
  tokensPerSecond: 10,
  etaSeconds: 3 - n,
});

describe('watching a run', () => {
  it('yields each state change once, progress as it grows, and ends on a final state', async () => {
    const backend = scripted(
      ['pending', 'pending', 'running', 'running', 'succeeded'],
      [[], [], [step(1)], [step(2)], [step(3)]],
    );
    const seen: string[] = [];
    for await (const e of watchRun(backend, 'r', { intervalMs: 1 })) {
      seen.push(
        e.type === 'progress' ? `progress:${e.progress.step}` : `${e.type}:${e.status.state}`,
      );
    }
    expect(seen).toEqual([
      'state-changed:pending',
      'state-changed:running',
      'progress:1',
      'progress:2',
      'state-changed:succeeded',
      'progress:3',
      'run-ended:succeeded',
    ]);
  });

  it('ignores a stale answer that would leave a final state', async () => {
    const backend = scripted(['running', 'failed'], [[], []]);
    expect((await waitForRun(backend, 'r', { intervalMs: 1 })).state).toBe('failed');
  });

  it('gives up after timeoutMs with a message saying the run goes on', async () => {
    const backend = scripted(['pending'], [[]]);
    await expect(waitForRun(backend, 'r', { intervalMs: 5, timeoutMs: 20 })).rejects.toMatchObject({
      code: 'timeout',
      message: expect.stringMatching(/still pending .* it keeps running/),
    });
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const backend = scripted(['running'], [[]]);
    setTimeout(() => controller.abort(), 20);
    await expect(
      waitForRun(backend, 'r', { intervalMs: 5, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'aborted' });
  });
});
