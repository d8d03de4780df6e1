import { type CorpusStatistics, sumStatistics } from '../corpus.js';
import { BenchError } from '../errors.js';
import type { BaseScore, Metric } from '../metric.js';
import { Signature } from '../signature.js';
import {
  bootstrapIndices,
  createSeededRng,
  DEFAULT_SEED,
  estimateConfidence,
  resampledScores,
} from './bootstrap.js';

/** `bs`: paired bootstrap resampling (Koehn, 2004); `ar`: approximate randomization (Riezler & Maxwell, 2005). */
export type PairedTestType = 'bs' | 'ar';

/** Defaults sacreBLEU uses: 1000 bootstrap resamples, 10000 AR trials. */
export const PAIRED_DEFAULT_SAMPLES = { bs: 1000, ar: 10000 } as const;

/** Options of {@link pairedTest}. */
export interface PairedTestOptions {
  /** Which test. @default 'bs' */
  test?: PairedTestType;
  /** Resamples (bs) or trials (ar). @default 1000 for bs, 10000 for ar */
  samples?: number;
  /** RNG seed; `'none'` for an unseeded run. @default 12345 */
  seed?: number | 'none';
  /**
   * With `ar`, also estimate each system's 95% CI with this many bootstrap resamples.
   * @default 0 (none, as sacreBLEU's CLI)
   */
  confidenceSamples?: number;
}

/** One system's outcome of a paired test against the baseline. */
export interface PairedResult {
  /** The system's actual corpus score. */
  readonly score: number;
  /** p-value of the difference to the baseline; absent for the baseline itself. */
  readonly pValue?: number;
  /** Bootstrap mean of the system's score, when resampling was done. */
  readonly mean?: number;
  /** Half-width of the 95% bootstrap interval, when resampling was done. */
  readonly ci?: number;
}

/** What {@link pairedTest} returns: results in input order, the baseline first. */
export interface PairedTestOutcome {
  readonly baseline: PairedResult;
  readonly systems: PairedResult[];
  readonly signature: Signature;
}

/**
 * Compares systems against a baseline on per-segment statistics, as sacreBLEU's paired tests
 * do. For `bs`, every system is resampled with the same indices as the baseline and the p-value
 * is the share of resamples whose (mean-centred) score difference exceeds the observed one;
 * for `ar`, each trial swaps every segment's statistics between the two systems with
 * probability ½. p-values add one to numerator and denominator.
 */
export function pairedTest<TScore extends BaseScore>(
  metric: Metric<TScore, unknown>,
  baseline: CorpusStatistics,
  systems: readonly CorpusStatistics[],
  nrefs: number | 'var',
  options: PairedTestOptions = {},
): PairedTestOutcome {
  const test = options.test ?? 'bs';
  const samples = options.samples ?? PAIRED_DEFAULT_SAMPLES[test];
  const seed = options.seed ?? DEFAULT_SEED;
  const confidenceSamples = options.confidenceSamples ?? 0;
  if (!Number.isInteger(samples) || samples < 1)
    throw new BenchError(
      'invalid-options',
      `paired test samples must be a positive integer, got ${samples}.`,
    );
  for (const [i, s] of systems.entries())
    if (s.segments !== baseline.segments || s.size !== baseline.size)
      throw new BenchError(
        'length-mismatch',
        `system ${i + 2} has ${s.segments} segments but the baseline has ${baseline.segments}: paired tests need the same test set.`,
      );
  const n = baseline.segments;
  const scoreOf = (stats: CorpusStatistics) =>
    metric.scoreFromStatistics(sumStatistics(stats)).score;
  const baselineScore = scoreOf(baseline);

  let baselineResult: PairedResult = { score: baselineScore };
  const confidenceN = test === 'bs' ? samples : confidenceSamples;
  if (confidenceN > 0) {
    const idx = bootstrapIndices(createSeededRng(seed), n, confidenceN);
    baselineResult = {
      score: baselineScore,
      ...estimateConfidence(resampledScores(metric, baseline, idx, confidenceN)),
    };
  }

  const results = systems.map((system): PairedResult => {
    const score = scoreOf(system);
    const observed = Math.abs(baselineScore - score);
    const rng = createSeededRng(seed);
    if (test === 'bs') {
      const idx = bootstrapIndices(rng, n, samples);
      const bl = resampledScores(metric, baseline, idx, samples);
      const sys = resampledScores(metric, system, idx, samples);
      const diffs = bl.map((b, k) => Math.abs(sys[k]! - b));
      const meanDiff = diffs.reduce((a, b) => a + b, 0) / samples;
      const exceed = diffs.reduce((c, d) => c + (d - meanDiff > observed ? 1 : 0), 0);
      return { score, pValue: (exceed + 1) / (samples + 1), ...estimateConfidence(sys) };
    }
    const swaps = rng.booleans(samples * n);
    let exceed = 0;
    const a = new Float64Array(baseline.size);
    const b = new Float64Array(baseline.size);
    for (let t = 0; t < samples; t++) {
      a.fill(0);
      b.fill(0);
      for (let j = 0; j < n; j++) {
        const fromBaseline = swaps[t * n + j] === 1;
        const base = j * baseline.size;
        for (let s = 0; s < baseline.size; s++) {
          const x = baseline.statistics[base + s]!;
          const y = system.statistics[base + s]!;
          a[s]! += fromBaseline ? x : y;
          b[s]! += fromBaseline ? y : x;
        }
      }
      const d = Math.abs(metric.scoreFromStatistics(a).score - metric.scoreFromStatistics(b).score);
      if (d > observed) exceed++;
    }
    const pValue = (exceed + 1) / (samples + 1);
    if (confidenceSamples <= 0) return { score, pValue };
    const idx = bootstrapIndices(rng, n, confidenceSamples);
    return {
      score,
      pValue,
      ...estimateConfidence(resampledScores(metric, system, idx, confidenceSamples)),
    };
  });

  const signature = new Signature(
    {
      nrefs,
      seed,
      bootstrap: test === 'bs' ? samples : confidenceSamples > 0 ? confidenceSamples : undefined,
      approximateRandomization: test === 'ar' ? samples : undefined,
    },
    metric.signatureFields(),
  );
  return { baseline: baselineResult, systems: results, signature };
}
