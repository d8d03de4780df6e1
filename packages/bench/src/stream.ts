import { type CorpusStatistics, nrefsOf } from './corpus.js';
import { BenchError } from './errors.js';
import type { BaseScore, Metric } from './metric.js';

/** One segment of a streamed test set: its references and one hypothesis per system. */
export interface StreamSegment {
  /** This segment's references, one per reference stream (`null` = none in that stream). */
  readonly references: readonly (string | null | undefined)[];
  /** One hypothesis per system, in system order. */
  readonly hypotheses: readonly string[];
}

/** Per-system statistics of each metric, collected from a stream. */
export interface StreamStatistics {
  /** `statistics[m][s]`: metric `m`, system `s`. */
  readonly statistics: CorpusStatistics[][];
  /** Reference count per segment if constant, else `'var'`. */
  readonly nrefs: number | 'var';
  readonly segments: number;
}

/**
 * Reduces a stream of segments to sufficient statistics without keeping any text: memory grows
 * with `segments × systems × statistics size`, not with the length of the lines. References are
 * prepared once per segment and shared by all systems.
 */
export async function collectStreamStatistics(
  metrics: readonly Metric<BaseScore, unknown>[],
  segments: AsyncIterable<StreamSegment> | Iterable<StreamSegment>,
  options: { onSegment?: (count: number) => void } = {},
): Promise<StreamStatistics> {
  let systems = -1;
  let count = 0;
  const refCounts = new Set<number>();
  const builders: StatisticsBuilder[][] = [];
  const refs: string[] = [];
  for await (const segment of segments) {
    if (systems === -1) {
      systems = segment.hypotheses.length;
      for (const m of metrics)
        builders.push(
          Array.from({ length: systems }, () => new StatisticsBuilder(m.statisticsSize)),
        );
    } else if (segment.hypotheses.length !== systems) {
      throw new BenchError(
        'invalid-input',
        `segment ${count + 1} has ${segment.hypotheses.length} hypotheses but segment 1 had ${systems}: give every system a line for every segment.`,
      );
    }
    refs.length = 0;
    for (const r of segment.references) if (r !== null && r !== undefined) refs.push(r);
    refCounts.add(refs.length);
    metrics.forEach((metric, m) => {
      const prepared = metric.prepareReferences(refs);
      for (let s = 0; s < systems; s++) {
        const b = builders[m]![s]!;
        metric.segmentStatistics(segment.hypotheses[s]!, prepared, b.next(), b.offset());
      }
    });
    count++;
    options.onSegment?.(count);
  }
  return {
    statistics: builders.map((perSystem) => perSystem.map((b) => b.finish())),
    nrefs: nrefsOf(refCounts),
    segments: count,
  };
}

/** A growable row-major statistics matrix. */
class StatisticsBuilder {
  private data: Float64Array;
  private rows = 0;

  constructor(private readonly size: number) {
    this.data = new Float64Array(size * 1024);
  }

  /** Reserves the next row and returns the backing array to write it into. */
  next(): Float64Array {
    if ((this.rows + 1) * this.size > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.rows++;
    return this.data;
  }

  offset(): number {
    return (this.rows - 1) * this.size;
  }

  finish(): CorpusStatistics {
    return {
      statistics: this.data.slice(0, this.rows * this.size),
      segments: this.rows,
      size: this.size,
    };
  }
}
