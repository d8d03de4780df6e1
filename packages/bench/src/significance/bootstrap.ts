import { randomInt } from 'node:crypto';
import type { ConfidenceInterval, CorpusStatistics } from '../corpus.js';
import { sumStatistics } from '../corpus.js';
import type { BaseScore, Metric } from '../metric.js';
import { createNumpyGenerator } from './numpy-random.js';
import type { ResamplingRng } from './rng.js';

/** sacreBLEU's default seed for every resampling. */
export const DEFAULT_SEED = 12345;

/**
 * A generator seeded the way sacreBLEU seeds numpy's `default_rng`, so a given seed draws the
 * very same resamples as sacreBLEU does. `'none'` seeds from the OS.
 */
export function createSeededRng(seed: number | 'none'): ResamplingRng {
  return createNumpyGenerator(seed === 'none' ? randomInt(0, 2 ** 47) : seed);
}

/**
 * Scores of `samples` bootstrap resamples of a system: each resample draws as many segments as
 * the corpus has, with replacement, and scores their summed statistics.
 */
export function resampledScores(
  metric: Metric<BaseScore, unknown>,
  stats: CorpusStatistics,
  indices: Uint32Array,
  samples: number,
): Float64Array {
  const n = stats.segments;
  const scores = new Float64Array(samples);
  const sum = new Float64Array(stats.size);
  for (let b = 0; b < samples; b++) {
    sumStatistics(stats, indices.subarray(b * n, (b + 1) * n), sum);
    scores[b] = metric.scoreFromStatistics(sum).score;
  }
  return scores;
}

/** Draws the `samples × segments` resampling indices sacreBLEU draws for this seed. */
export function bootstrapIndices(rng: ResamplingRng, segments: number, samples: number) {
  return rng.choice(segments, samples * segments);
}

/**
 * Mean and half-width of the 95% interval of resampled scores, as sacreBLEU estimates them:
 * sort, take the `⌊n/40⌋`-th score from each end.
 */
export function estimateConfidence(scores: Float64Array): { mean: number; ci: number } {
  const sorted = Float64Array.from(scores).sort();
  const n = sorted.length;
  const lower = Math.floor(n / 40);
  const upper = n - lower - 1;
  return { mean: accurateMean(sorted), ci: 0.5 * (sorted[upper]! - sorted[lower]!) };
}

/** A 95% bootstrap confidence interval of a system's corpus score. */
export function bootstrapConfidence(
  metric: Metric<BaseScore, unknown>,
  stats: CorpusStatistics,
  samples: number,
  seed: number | 'none',
): ConfidenceInterval {
  const rng = createSeededRng(seed);
  const scores = resampledScores(
    metric,
    stats,
    bootstrapIndices(rng, stats.segments, samples),
    samples,
  );
  return { ...estimateConfidence(scores), samples, seed };
}

/** Mean with compensated (Neumaier) summation, so it does not drift with the sample count. */
function accurateMean(values: Float64Array): number {
  let sum = 0;
  let compensation = 0;
  for (const v of values) {
    const t = sum + v;
    compensation += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return values.length === 0 ? Number.NaN : (sum + compensation) / values.length;
}
