import { BenchError } from './errors.js';
import type { BaseScore, Metric } from './metric.js';
import type { Signature } from './signature.js';

/**
 * References as reference streams: `references[i][j]` is segment `j` of stream `i` (sacreBLEU's
 * layout). A `null`/`undefined` segment means "this segment has no reference in this stream",
 * which is how segments get different numbers of references.
 */
export type ReferenceStreams = readonly (readonly (string | null | undefined)[])[];

/** Per-segment sufficient statistics of one system, `segments × size` values, row-major. */
export interface CorpusStatistics {
  readonly statistics: Float64Array;
  readonly segments: number;
  readonly size: number;
}

/** A score with the signature that makes it reproducible, and its confidence interval if asked. */
export type ScoreResult<TScore extends BaseScore = BaseScore> = TScore & {
  readonly signature: Signature;
  readonly confidence?: ConfidenceInterval;
};

/** A bootstrap estimate around a score, as sacreBLEU reports it (`μ = mean ± ci`). */
export interface ConfidenceInterval {
  /** Mean of the resampled scores. */
  readonly mean: number;
  /** Half-width of the 95% interval of the resampled scores. */
  readonly ci: number;
  /** Number of bootstrap resamples. */
  readonly samples: number;
  /** RNG seed, or `'none'` when unseeded. */
  readonly seed: number | 'none';
}

/**
 * Checks that every reference stream has one segment per hypothesis, and that all values are
 * strings. Errors name the stream and both lengths.
 */
export function checkStreams(hypotheses: readonly unknown[], references: ReferenceStreams): void {
  if (!Array.isArray(hypotheses))
    throw new BenchError(
      'invalid-input',
      'hypotheses must be an array of strings, one per segment.',
    );
  if (!Array.isArray(references) || references.length === 0)
    throw new BenchError(
      'invalid-input',
      'references must be a non-empty array of reference streams (string[][]): pass [refs] for a single reference.',
    );
  references.forEach((stream, i) => {
    if (!Array.isArray(stream))
      throw new BenchError(
        'invalid-input',
        `reference stream ${i + 1} is not an array: references are streams × segments, e.g. [["ref of segment 1", "ref of segment 2"]].`,
      );
    if (stream.length !== hypotheses.length)
      throw new BenchError(
        'length-mismatch',
        `reference stream ${i + 1} has ${stream.length} segments but the hypotheses have ${hypotheses.length}: every stream needs one line per hypothesis.`,
      );
  });
  hypotheses.forEach((h, j) => {
    if (typeof h !== 'string')
      throw new BenchError(
        'invalid-input',
        `hypothesis ${j + 1} is ${h === null ? 'null' : typeof h}, not a string: use '' for an empty output.`,
      );
  });
}

/**
 * References prepared once for a metric, so that many systems are scored against them without
 * re-tokenizing (sacreBLEU's reference cache).
 */
export interface PreparedReferences<TRef> {
  readonly prepared: readonly TRef[];
  readonly nrefs: number | 'var';
}

/** Tokenizes and indexes all reference segments for `metric`. */
export function prepareReferences<TRef>(
  metric: Metric<BaseScore, TRef>,
  references: ReferenceStreams,
): PreparedReferences<TRef> {
  const segments = references[0]?.length ?? 0;
  const prepared: TRef[] = new Array(segments);
  const counts = new Set<number>();
  const lines: string[] = [];
  for (let j = 0; j < segments; j++) {
    lines.length = 0;
    for (let i = 0; i < references.length; i++) {
      const line = references[i]![j];
      if (line === null || line === undefined) continue;
      if (typeof line !== 'string')
        throw new BenchError(
          'invalid-input',
          `reference stream ${i + 1}, segment ${j + 1} is ${typeof line}, not a string.`,
        );
      lines.push(line);
    }
    counts.add(lines.length);
    prepared[j] = metric.prepareReferences(lines);
  }
  return { prepared, nrefs: nrefsOf(counts) };
}

/**
 * The `nrefs` of a signature from the reference counts seen per segment: the count when every
 * segment had the same, else `'var'` (sacreBLEU's rule).
 */
export function nrefsOf(counts: ReadonlySet<number>): number | 'var' {
  return counts.size <= 1 ? ([...counts][0] ?? 0) : 'var';
}

/** Computes per-segment statistics of `hypotheses` against prepared references. */
export function computeStatistics<TRef>(
  metric: Metric<BaseScore, TRef>,
  hypotheses: readonly string[],
  references: PreparedReferences<TRef>,
): CorpusStatistics {
  const size = metric.statisticsSize;
  const segments = hypotheses.length;
  if (references.prepared.length !== segments)
    throw new BenchError(
      'length-mismatch',
      `the hypotheses have ${segments} segments but the references have ${references.prepared.length}.`,
    );
  const statistics = new Float64Array(segments * size);
  for (let j = 0; j < segments; j++)
    metric.segmentStatistics(hypotheses[j]!, references.prepared[j]!, statistics, j * size);
  return { statistics, segments, size };
}

/** Sums per-segment statistics into one vector (over `indices` when given, with repetition). */
export function sumStatistics(
  stats: CorpusStatistics,
  indices?: ArrayLike<number>,
  out: Float64Array = new Float64Array(stats.size),
): Float64Array {
  const { statistics, size } = stats;
  out.fill(0);
  const n = indices ? indices.length : stats.segments;
  for (let k = 0; k < n; k++) {
    const base = (indices ? indices[k]! : k) * size;
    for (let s = 0; s < size; s++) out[s]! += statistics[base + s]!;
  }
  return out;
}
