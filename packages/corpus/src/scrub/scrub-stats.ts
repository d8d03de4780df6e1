import type { ScrubResult } from './scrub-text.js';

/** What scrubbing did over a run, for the corpus report and the dataset card. */
export interface ScrubReport {
  documents: number;
  /** Documents in which at least one replacement was made. */
  documentsChanged: number;
  /** Replacements per placeholder type (`EMAIL`, `GITHUB_TOKEN`, …). */
  replacements: Record<string, number>;
}

/**
 * Accumulates {@link ScrubResult}s into a {@link ScrubReport}. One per run; `merge` combines the
 * stats of parallel workers.
 */
export class ScrubStats {
  #documents = 0;
  #documentsChanged = 0;
  readonly #replacements = new Map<string, number>();

  /** Counts one scrubbed document. */
  add(result: Pick<ScrubResult, 'counts'>): void {
    this.#documents += 1;
    let changed = false;
    for (const [type, count] of Object.entries(result.counts)) {
      if (count === 0) continue;
      changed = true;
      this.#replacements.set(type, (this.#replacements.get(type) ?? 0) + count);
    }
    if (changed) this.#documentsChanged += 1;
  }

  /** Adds another accumulator's counts to this one. */
  merge(other: ScrubStats): void {
    const report = other.toJSON();
    this.#documents += report.documents;
    this.#documentsChanged += report.documentsChanged;
    for (const [type, count] of Object.entries(report.replacements)) {
      this.#replacements.set(type, (this.#replacements.get(type) ?? 0) + count);
    }
  }

  /** The counts so far, as plain data, types in alphabetical order. */
  toJSON(): ScrubReport {
    return {
      documents: this.#documents,
      documentsChanged: this.#documentsChanged,
      replacements: Object.fromEntries(
        [...this.#replacements].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ),
    };
  }
}
