import type { SignatureField } from './signature.js';

/** The metrics this package implements. */
export type MetricId = 'bleu' | 'chrf' | 'ter';

/** The part every metric's score shares. */
export interface BaseScore {
  /** Display name: `BLEU`, `chrF2`, `chrF2++`, `TER`. */
  readonly name: string;
  /** The score, on sacreBLEU's 0–100 scale. */
  readonly score: number;
  /**
   * What sacreBLEU prints after the score in its one-line format, e.g. BLEU's
   * `82.4/50.0/45.5/37.5 (BP = 1.000 ratio = 1.000 hyp_len = 9 ref_len = 9)`. Empty when none.
   */
  readonly verbose: string;
}

/**
 * A metric as the scoring engine sees it: references are prepared once per segment, each
 * hypothesis is reduced to a fixed-size vector of sufficient statistics, and a score is computed
 * from any sum of those vectors. That split is what makes corpus scores, streaming, reference
 * caching across systems, bootstrap resampling and paired tests one code path for every metric.
 *
 * @typeParam TScore - the score object this metric returns.
 * @typeParam TRef - the metric's prepared form of one segment's references (opaque to callers).
 */
export interface Metric<TScore extends BaseScore = BaseScore, TRef = unknown> {
  readonly id: MetricId;
  /** Display name of the score (`BLEU`, `chrF2++`, ...). */
  readonly name: string;
  /** `false` for error rates such as TER. */
  readonly higherIsBetter: boolean;
  /** Length of one segment's statistics vector. */
  readonly statisticsSize: number;
  /** Tokenizes and indexes one segment's references (one string per reference stream). */
  prepareReferences(references: readonly string[]): TRef;
  /** Writes the statistics of `hypothesis` against prepared references into `out[offset..]`. */
  segmentStatistics(hypothesis: string, references: TRef, out: Float64Array, offset: number): void;
  /**
   * Computes a score from statistics summed over any set of segments (one segment for a
   * sentence score). Reads `statisticsSize` values from `statistics[offset..]`.
   */
  scoreFromStatistics(statistics: ArrayLike<number>, offset?: number): TScore;
  /** The metric's own signature fields (sacreBLEU order), without `nrefs` and `version`. */
  signatureFields(): SignatureField[];
}
