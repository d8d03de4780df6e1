import type { QualityFilterName, QualityResult } from './check-quality.js';

/** What the quality step did, for the corpus report and the dataset card. */
export interface QualityReport {
  documents: number;
  kept: number;
  dropped: number;
  /**
   * Documents that failed each filter. A dropped document counts under every filter it failed,
   * so these may sum to more than `dropped`.
   */
  failuresByFilter: Partial<Record<QualityFilterName, number>>;
  /** Dropped documents by the first filter they failed (in filter order): sums to `dropped`. */
  droppedByFirstFilter: Partial<Record<QualityFilterName, number>>;
}

/**
 * Accumulates {@link QualityResult}s into a {@link QualityReport}. One per run; `merge` combines
 * the stats of parallel workers.
 */
export class QualityStats {
  #documents = 0;
  #kept = 0;
  readonly #failures = new Map<QualityFilterName, number>();
  readonly #firstFailures = new Map<QualityFilterName, number>();

  /** Counts one document's verdict. */
  add(result: QualityResult): void {
    this.#documents += 1;
    if (result.keep) {
      this.#kept += 1;
      return;
    }
    for (const { filter } of result.failed) bump(this.#failures, filter, 1);
    const first = result.failed[0];
    if (first !== undefined) bump(this.#firstFailures, first.filter, 1);
  }

  /** Adds another accumulator's counts to this one. */
  merge(other: QualityStats): void {
    const report = other.toJSON();
    this.#documents += report.documents;
    this.#kept += report.kept;
    for (const [filter, count] of Object.entries(report.failuresByFilter)) {
      bump(this.#failures, filter as QualityFilterName, count);
    }
    for (const [filter, count] of Object.entries(report.droppedByFirstFilter)) {
      bump(this.#firstFailures, filter as QualityFilterName, count);
    }
  }

  /** The counts so far, as plain data. */
  toJSON(): QualityReport {
    return {
      documents: this.#documents,
      kept: this.#kept,
      dropped: this.#documents - this.#kept,
      failuresByFilter: Object.fromEntries(this.#failures),
      droppedByFirstFilter: Object.fromEntries(this.#firstFailures),
    };
  }
}

function bump<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
