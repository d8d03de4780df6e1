import {
  type CorpusStatistics,
  checkStreams,
  computeStatistics,
  type PreparedReferences,
  prepareReferences,
  type ReferenceStreams,
  type ScoreResult,
  sumStatistics,
} from './corpus.js';
import { BenchError } from './errors.js';
import type { BaseScore, Metric } from './metric.js';
import { Signature } from './signature.js';
import { bootstrapConfidence, DEFAULT_SEED } from './significance/bootstrap.js';

/** Options shared by every corpus-level scoring call. */
export interface CorpusScoreOptions {
  /**
   * Number of bootstrap resamples for a 95% confidence interval; `1` (or unset) computes none.
   * sacreBLEU's CLI uses 1000.
   * @default 1
   */
  bootstrap?: number;
  /**
   * Seed of the resampling RNG. `'none'` draws entropy from the OS (not reproducible).
   * @default 12345 (sacreBLEU's default, also read from `SACREBLEU_SEED`)
   */
  seed?: number | 'none';
}

/**
 * Scores a whole corpus: per-segment statistics are summed and the score computed once, as
 * sacreBLEU's `corpus_score` does.
 */
export function corpusScore<TScore extends BaseScore, TRef>(
  metric: Metric<TScore, TRef>,
  hypotheses: readonly string[],
  references: ReferenceStreams | PreparedReferences<TRef>,
  options: CorpusScoreOptions = {},
): ScoreResult<TScore> {
  let prepared: PreparedReferences<TRef>;
  if (isPrepared<TRef>(references)) prepared = references;
  else {
    checkStreams(hypotheses, references);
    prepared = prepareReferences(metric, references);
  }
  const stats = computeStatistics(metric, hypotheses, prepared);
  return scoreStatistics(metric, stats, prepared.nrefs, options);
}

/** Computes the corpus score (and optional confidence interval) from per-segment statistics. */
export function scoreStatistics<TScore extends BaseScore>(
  metric: Metric<TScore, unknown>,
  stats: CorpusStatistics,
  nrefs: number | 'var',
  options: CorpusScoreOptions = {},
): ScoreResult<TScore> {
  const score = metric.scoreFromStatistics(sumStatistics(stats));
  const samples = options.bootstrap ?? 1;
  if (!Number.isInteger(samples) || samples < 1)
    throw new BenchError(
      'invalid-options',
      `bootstrap must be a positive integer number of resamples, got ${samples}.`,
    );
  if (samples <= 1)
    return { ...score, signature: new Signature({ nrefs }, metric.signatureFields()) };
  const seed = options.seed ?? defaultSeed();
  const confidence = bootstrapConfidence(metric, stats, samples, seed);
  return {
    ...score,
    confidence,
    signature: new Signature(
      { nrefs, bootstrap: samples, seed: confidence.seed },
      metric.signatureFields(),
    ),
  };
}

/** Scores one hypothesis against its references (one string per reference). */
export function sentenceScore<TScore extends BaseScore, TRef>(
  metric: Metric<TScore, TRef>,
  hypothesis: string,
  references: readonly string[],
): ScoreResult<TScore> {
  if (typeof hypothesis !== 'string')
    throw new BenchError('invalid-input', 'the hypothesis must be a string.');
  if (!Array.isArray(references) || references.some((r) => typeof r !== 'string'))
    throw new BenchError(
      'invalid-input',
      'sentence references must be an array of strings, one per reference.',
    );
  const prepared = metric.prepareReferences(references);
  const out = new Float64Array(metric.statisticsSize);
  metric.segmentStatistics(hypothesis, prepared, out, 0);
  return {
    ...metric.scoreFromStatistics(out),
    signature: new Signature({ nrefs: references.length }, metric.signatureFields()),
  };
}

/** The seed sacreBLEU uses: `SACREBLEU_SEED` when set (`none` for unseeded), else 12345. */
export function defaultSeed(): number | 'none' {
  const env = process.env.SACREBLEU_SEED;
  if (env === undefined || env === '') return DEFAULT_SEED;
  if (env.toLowerCase() === 'none') return 'none';
  const seed = Number(env);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new BenchError(
      'invalid-options',
      `SACREBLEU_SEED must be a non-negative integer or 'none', got '${env}'.`,
    );
  return seed;
}

function isPrepared<TRef>(value: unknown): value is PreparedReferences<TRef> {
  return typeof value === 'object' && value !== null && 'prepared' in value && 'nrefs' in value;
}
