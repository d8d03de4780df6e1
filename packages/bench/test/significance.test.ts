import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeStatistics, prepareReferences } from '../src/corpus.js';
import { createMetric } from '../src/metrics.js';
import { corpusScore } from '../src/score.js';
import { pairedTest } from '../src/significance/paired.js';

const dir = new URL('./fixtures/significance/', import.meta.url);
const lines = (name: string) =>
  readFileSync(new URL(name, dir), 'utf8').replace(/\n$/, '').split('\n');
const reference = lines('reference.txt');
const systems = ['01', '02', '03', '04'].map((n) => lines(`system-${n}.txt`));

interface Expected {
  confidence: {
    metric: string;
    system: string;
    n: number;
    score: number;
    mean: number;
    ci: number;
    signature: string;
  }[];
  paired: {
    test: 'bs' | 'ar';
    n: number;
    metric: string;
    signature: string;
    results: { score: number; p_value: number | null; mean: number | null; ci: number | null }[];
  }[];
}
const expected: Expected = JSON.parse(
  readFileSync(new URL('sacrebleu-significance.json', dir), 'utf8'),
);

const metricFor = (name: string) =>
  name === 'BLEU'
    ? createMetric('bleu')
    : name.startsWith('chrF') || name === 'CHRF'
      ? createMetric('chrf', { chrf: { wordOrder: 2 } })
      : createMetric('ter');

const sansVersion = (s: string) => s.replace(/\|version:.*$/, '');

// sacreBLEU resamples float32 copies of the statistics and numpy 2 keeps some of the score
// arithmetic in float32; we stay in float64. The resamples are identical (same seed, same
// numpy-exact generator), so means and intervals agree to float32 precision.
const CLOSE = 1e-5;

describe('bootstrap confidence intervals equal sacreBLEU 2.6.0', () => {
  it.each(expected.confidence.map((c) => [`${c.metric} system ${c.system}`, c] as const))(
    '%s',
    (_label, c) => {
      const hyps = systems[Number(c.system) - 1]!;
      const result = corpusScore(metricFor(c.metric), hyps, [reference], { bootstrap: c.n });
      expect(result.score).toBeCloseTo(c.score, 9);
      expect(Math.abs(result.confidence!.mean - c.mean)).toBeLessThan(CLOSE);
      expect(Math.abs(result.confidence!.ci - c.ci)).toBeLessThan(CLOSE);
      expect(sansVersion(result.signature.format())).toBe(sansVersion(c.signature));
    },
  );

  it('is reproducible for a seed and changes with it', () => {
    const metric = createMetric('bleu');
    const a = corpusScore(metric, systems[0]!, [reference], { bootstrap: 100, seed: 7 });
    const b = corpusScore(metric, systems[0]!, [reference], { bootstrap: 100, seed: 7 });
    const c = corpusScore(metric, systems[0]!, [reference], { bootstrap: 100, seed: 8 });
    expect(a.confidence).toEqual(b.confidence);
    expect(c.confidence!.mean).not.toBe(a.confidence!.mean);
    expect(a.signature.format()).toContain('bs:100|seed:7|');
  });
});

describe('paired tests equal sacreBLEU 2.6.0', () => {
  it.each(expected.paired.map((p) => [`${p.test} ${p.metric}`, p] as const))('%s', (_label, p) => {
    const metric = metricFor(p.metric);
    const refs = prepareReferences(metric, [reference]);
    const stats = systems.map((s) => computeStatistics(metric, s, refs));
    const outcome = pairedTest(metric, stats[0]!, stats.slice(1), refs.nrefs, {
      test: p.test,
      samples: p.n,
    });
    const all = [outcome.baseline, ...outcome.systems];
    p.results.forEach((want, i) => {
      const got = all[i]!;
      expect(got.score).toBeCloseTo(want.score, 9);
      if (want.p_value === null) expect(got.pValue).toBeUndefined();
      else expect(got.pValue).toBeCloseTo(want.p_value, 12);
      if (want.mean === null) expect(got.mean).toBeUndefined();
      else {
        expect(Math.abs(got.mean! - want.mean)).toBeLessThan(CLOSE);
        expect(Math.abs(got.ci! - want.ci!)).toBeLessThan(CLOSE);
      }
    });
    expect(sansVersion(outcome.signature.format())).toBe(sansVersion(p.signature));
  });
});
