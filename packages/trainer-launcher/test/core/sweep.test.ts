import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/load.js';
import { expandSweep, trialName } from '../../src/sweep/expand.js';
import { collectSweepResults, formatSweepTable } from '../../src/sweep/results.js';

const base = {
  name: 'sweep',
  baseModel: { id: 'org/model' },
  dataset: { path: '/d.jsonl' },
  method: { type: 'lora' },
  hyperparameters: { learningRate: 1e-4 },
  eval: { split: 'validation' },
  output: { dir: '/scratch/sweep/', hub: { adapterRepo: 'org/adapter' } },
};

describe('sweeps', () => {
  it('expands a grid in order, last parameter fastest, each trial with its own name and output dir', () => {
    const trials = expandSweep(
      parseSpec({
        ...base,
        sweep: { strategy: 'grid', parameters: { learningRate: [1e-5, 3e-5], rank: [8, 16, 32] } },
      }),
    );
    expect(trials).toHaveLength(6);
    expect(trials.map((t) => [t.spec.hyperparameters.learningRate, t.spec.method.rank])).toEqual([
      [1e-5, 8],
      [1e-5, 16],
      [1e-5, 32],
      [3e-5, 8],
      [3e-5, 16],
      [3e-5, 32],
    ]);
    expect(trials[4]).toMatchObject({
      index: 4,
      name: 'sweep-t004',
      values: { learningRate: 3e-5, rank: 16 },
    });
    expect(trials[4]?.spec.output.dir).toBe('/scratch/sweep/sweep-t004');
    expect(trials[4]?.spec.sweep).toBeUndefined();
    // Trials are candidates: nothing is pushed to the Hub from inside a sweep.
    expect(trials[4]?.spec.output.hub).toBeUndefined();
  });

  it('draws the same random trials for the same seed, within the ranges', () => {
    const spec = parseSpec({
      ...base,
      sweep: {
        strategy: 'random',
        trials: 8,
        seed: 7,
        parameters: {
          learningRate: { min: 1e-6, max: 1e-3, log: true },
          rank: [8, 16],
          seed: { min: 0, max: 100, integer: true },
        },
      },
    });
    const a = expandSweep(spec);
    const b = expandSweep(spec);
    expect(a.map((t) => t.values)).toEqual(b.map((t) => t.values));
    for (const t of a) {
      expect(t.spec.hyperparameters.learningRate).toBeGreaterThanOrEqual(1e-6);
      expect(t.spec.hyperparameters.learningRate).toBeLessThanOrEqual(1e-3);
      expect([8, 16]).toContain(t.spec.method.rank);
      expect(Number.isInteger(t.spec.hyperparameters.seed)).toBe(true);
    }
    const other = expandSweep(parseSpec({ ...spec, sweep: { ...spec.sweep, seed: 8 } }));
    expect(other.map((t) => t.values)).not.toEqual(a.map((t) => t.values));
  });

  it('is one trial named after the run when there is no sweep', () => {
    const [only, ...rest] = expandSweep(parseSpec(base));
    expect(rest).toEqual([]);
    expect(only?.name).toBe('sweep');
  });

  it('refuses a grid too large for a job array', () => {
    const values = Array.from({ length: 40 }, (_, i) => i + 1);
    expect(() =>
      expandSweep(
        parseSpec({
          ...base,
          sweep: { strategy: 'grid', parameters: { rank: values, seed: values } },
        }),
      ),
    ).toThrow(/more than 1000 trials/);
  });

  it('names the best trial by final eval loss among succeeded trials', () => {
    const trials = expandSweep(
      parseSpec({
        ...base,
        sweep: { strategy: 'grid', parameters: { learningRate: [1e-5, 2e-5, 3e-5] } },
      }),
    );
    const t = '2026-11-25T00:00:00Z';
    const evalAt = (loss: number) => [
      { event: 'eval' as const, time: t, step: 10, evalLoss: loss + 1 },
      { event: 'eval' as const, time: t, step: 20, evalLoss: loss },
    ];
    const results = collectSweepResults(
      trials,
      new Map([
        [0, { state: 'succeeded' as const, events: evalAt(1.9) }],
        [1, { state: 'failed' as const, events: evalAt(0.5) }],
        [2, { state: 'succeeded' as const, events: evalAt(1.4) }],
      ]),
    );
    expect(results.best?.name).toBe(trialName('sweep', 2));
    expect(results.rows.map((r) => r.evalLoss)).toEqual([1.9, 0.5, 1.4]);
    const table = formatSweepTable(results);
    expect(table.split('\n')[3]).toMatch(/^\* +sweep-t002 +0\.00003 +succeeded +0 +- +1\.4000$/);
  });
});
