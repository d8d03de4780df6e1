import { describe, expect, it } from 'vitest';
import { PROGRESS_PREFIX, parseProgress, summariseProgress } from '../../src/progress.js';

const t = '2026-11-25T12:00:00.000Z';
const step = (n: number, loss: number) =>
  JSON.stringify({
    event: 'step',
    time: t,
    step: n,
    maxSteps: 20,
    epoch: n / 10,
    loss,
    learningRate: 1e-4,
    tokensPerSecond: 900,
    etaSeconds: 20 - n,
  });

describe('progress lines', () => {
  it('reads a progress.jsonl file', () => {
    const text = [
      JSON.stringify({ event: 'start', time: t, run: 'r', maxSteps: 20, epochs: 2, worldSize: 1 }),
      step(10, 2.5),
      JSON.stringify({ event: 'eval', time: t, step: 10, evalLoss: 2.7 }),
      step(20, 2.1),
      JSON.stringify({
        event: 'end',
        time: t,
        status: 'succeeded',
        step: 20,
        trainLoss: 2.2,
        evalLoss: 2.4,
      }),
      '',
    ].join('\n');
    const { events, invalid } = parseProgress(text);
    expect(invalid).toEqual([]);
    expect(events.map((e) => e.event)).toEqual(['start', 'step', 'eval', 'step', 'end']);
    expect(summariseProgress(events)).toMatchObject({
      step: 20,
      maxSteps: 20,
      loss: 2.1,
      evalLoss: 2.4,
      ended: 'succeeded',
    });
  });

  it('picks progress lines out of a job log and ignores the rest', () => {
    const log = [
      'Loading checkpoint shards: 100%',
      `${PROGRESS_PREFIX}${step(5, 3)}`,
      "{'loss': 3.0, 'grad_norm': 1.2}",
      `[rank0]: ${PROGRESS_PREFIX}${step(6, 2.9)}`,
    ].join('\n');
    const { events, invalid } = parseProgress(log);
    expect(events.map((e) => (e.event === 'step' ? e.step : -1))).toEqual([5, 6]);
    expect(invalid).toEqual([]);
  });

  it('reports a malformed progress line with its line number instead of dropping it', () => {
    const text = `${step(1, 3)}\n${PROGRESS_PREFIX}{"event":"step","step":"two"}\n${step(3, 2)}\n`;
    const { events, invalid } = parseProgress(text);
    expect(events).toHaveLength(2);
    expect(invalid).toEqual([{ line: 2, error: expect.stringContaining('step') }]);
  });

  it('tolerates a torn last line of a file still being written', () => {
    const text = `${step(1, 3)}\n{"event":"step","ti`;
    expect(parseProgress(text)).toEqual({
      events: [expect.objectContaining({ step: 1 })],
      invalid: [],
    });
  });
});
