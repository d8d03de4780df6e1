import { type SourceType, SourceTypeSchema } from '@cncf-llm/scraper';
import { z } from 'zod';

/** Why an item was removed: same normalised text, MinHash near-duplicate, or an older docs version. */
export const DedupReasonSchema = z.enum(['exact', 'near', 'version']);
/** Why an item was removed. */
export type DedupReason = z.infer<typeof DedupReasonSchema>;

/**
 * Why the kept item of a pair won: it came first, it is the newer docs version, or its
 * source type ranks higher (`docs-site` over a `github` copy, with the ranked policy).
 */
export const KeepReasonSchema = z.enum(['first-seen', 'newest-version', 'preferred-source']);
/** Why the kept item of a pair won. */
export type KeepReason = z.infer<typeof KeepReasonSchema>;

/** One removed item, as listed in a {@link DedupCluster}. */
export const DedupRemovalSchema = z.object({
  id: z.string(),
  url: z.string().nullable(),
  project: z.string().nullable(),
  sourceType: SourceTypeSchema.nullable(),
  reason: DedupReasonSchema,
  /** Estimated Jaccard similarity to the kept item (1 for exact); `null` when either has no words. */
  similarity: z.number().min(0).max(1).nullable(),
  keptBecause: KeepReasonSchema,
});
/** One removed item. */
export type DedupRemoval = z.infer<typeof DedupRemovalSchema>;

/** A kept item and the items removed in its favour. */
export const DedupClusterSchema = z.object({
  keptId: z.string(),
  keptUrl: z.string().nullable(),
  /** Items removed in favour of the kept one, listed or not. */
  removedCount: z.number().int().positive(),
  /** The first removals, at most `maxClusterMembers` of them. */
  removed: z.array(DedupRemovalSchema),
});
/** A kept item and the items removed in its favour. */
export type DedupCluster = z.infer<typeof DedupClusterSchema>;

/** Counts for one slice of the items (all, one project, one source type). */
export const DedupCountsSchema = z.object({
  seen: z.number().int().nonnegative(),
  kept: z.number().int().nonnegative(),
  removed: z.number().int().nonnegative(),
  exact: z.number().int().nonnegative(),
  near: z.number().int().nonnegative(),
  version: z.number().int().nonnegative(),
});
/** Counts for one slice of the items. */
export type DedupCounts = z.infer<typeof DedupCountsSchema>;

/**
 * What deduplication did: its settings, counts overall, per project and per source type, and
 * a bounded list of clusters (a kept item with the items removed in its favour). Items with no
 * project count under `(none)`, items with no source type under `(unknown)`.
 */
export const DedupReportSchema = z.object({
  /** What the items were: whole documents or chunks. */
  level: z.enum(['document', 'chunk']),
  settings: z.object({
    shingleSize: z.number().int(),
    bands: z.number().int(),
    rows: z.number().int(),
    seed: z.number().int(),
    normaliseNumbers: z.boolean(),
    /** Jaccard similarity from which a candidate pair counts as near-duplicate. */
    threshold: z.number(),
    /** Standard errors by which the estimated similarity must clear `threshold`. */
    margin: z.number(),
    /** `(1/bands)^(1/rows)`: where the LSH S-curve is steepest. */
    lshThreshold: z.number(),
    collapseVersions: z.boolean(),
    /**
     * `first-seen`: streaming, the earlier item wins (an older docs version still loses);
     * `ranked`: newest version, then `sourceTypeOrder`, then first seen.
     */
    policy: z.enum(['first-seen', 'ranked']),
    sourceTypeOrder: z.array(SourceTypeSchema),
  }),
  totals: DedupCountsSchema,
  byProject: z.record(z.string(), DedupCountsSchema),
  bySourceType: z.record(z.string(), DedupCountsSchema),
  clusters: z.object({
    /** Kept items with at least one removal in their favour. */
    total: z.number().int().nonnegative(),
    listed: z.array(DedupClusterSchema),
    /** Whether clusters or cluster members were left out of `listed`. */
    truncated: z.boolean(),
  }),
});
/** What deduplication did. */
export type DedupReport = z.infer<typeof DedupReportSchema>;
/** The settings part of a {@link DedupReport}. */
export type DedupReportSettings = DedupReport['settings'];

/** The fields of an item that the report needs. */
export interface ItemMeta {
  id: string;
  url: string | null;
  project: string | null;
  sourceType: SourceType | null;
}

const NO_PROJECT = '(none)';
const NO_SOURCE_TYPE = '(unknown)';

const emptyCounts = (): DedupCounts => ({
  seen: 0,
  kept: 0,
  removed: 0,
  exact: 0,
  near: 0,
  version: 0,
});

/**
 * Accumulates a {@link DedupReport} as decisions are made. Memory: counters, one bit per kept
 * item (has it a cluster?) and at most `maxClusters × maxClusterMembers` listed removals.
 */
export class DedupReportBuilder {
  readonly #level: DedupReport['level'];
  readonly #settings: DedupReportSettings;
  readonly #maxClusters: number;
  readonly #maxMembers: number;
  readonly #totals = emptyCounts();
  readonly #byProject = new Map<string, DedupCounts>();
  readonly #bySourceType = new Map<string, DedupCounts>();
  readonly #listed = new Map<number, DedupCluster>();
  #hasCluster = new Uint8Array(1024);
  #clusterTotal = 0;
  #truncated = false;

  constructor(options: {
    level: DedupReport['level'];
    settings: DedupReportSettings;
    maxClusters: number;
    maxClusterMembers: number;
  }) {
    this.#level = options.level;
    this.#settings = options.settings;
    this.#maxClusters = options.maxClusters;
    this.#maxMembers = options.maxClusterMembers;
  }

  /** Counts an item as seen and kept. */
  kept(item: ItemMeta): void {
    for (const counts of this.#slices(item)) {
      counts.seen += 1;
      counts.kept += 1;
    }
  }

  /**
   * Counts an item as removed in favour of kept item number `keptIndex`. With `wasKept`, the
   * item had been counted as kept before (a later, newer version made it obsolete).
   */
  removed(
    item: ItemMeta,
    removal: { reason: DedupReason; similarity: number | null; keptBecause: KeepReason },
    kept: { index: number; id: string; url: string | null },
    wasKept = false,
  ): void {
    for (const counts of this.#slices(item)) {
      if (wasKept) counts.kept -= 1;
      else counts.seen += 1;
      counts.removed += 1;
      counts[removal.reason] += 1;
    }
    if (kept.index >= this.#hasCluster.length) {
      const grown = new Uint8Array(Math.max(kept.index + 1, this.#hasCluster.length * 2));
      grown.set(this.#hasCluster);
      this.#hasCluster = grown;
    }
    if (this.#hasCluster[kept.index] === 0) {
      this.#hasCluster[kept.index] = 1;
      this.#clusterTotal += 1;
      if (this.#listed.size < this.#maxClusters) {
        this.#listed.set(kept.index, {
          keptId: kept.id,
          keptUrl: kept.url,
          removedCount: 0,
          removed: [],
        });
      } else {
        this.#truncated = true;
      }
    }
    const cluster = this.#listed.get(kept.index);
    if (cluster === undefined) return;
    cluster.removedCount += 1;
    if (cluster.removed.length < this.#maxMembers) {
      cluster.removed.push({
        id: item.id,
        url: item.url,
        project: item.project,
        sourceType: item.sourceType,
        ...removal,
      });
    } else {
      this.#truncated = true;
    }
  }

  /** The report so far. */
  build(): DedupReport {
    const record = (map: Map<string, DedupCounts>) =>
      Object.fromEntries(
        [...map.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, v]) => [k, { ...v }]),
      );
    return {
      level: this.#level,
      settings: { ...this.#settings, sourceTypeOrder: [...this.#settings.sourceTypeOrder] },
      totals: { ...this.#totals },
      byProject: record(this.#byProject),
      bySourceType: record(this.#bySourceType),
      clusters: {
        total: this.#clusterTotal,
        listed: [...this.#listed.values()].map((cluster) => ({
          ...cluster,
          removed: [...cluster.removed],
        })),
        truncated: this.#truncated,
      },
    };
  }

  #slices(item: ItemMeta): DedupCounts[] {
    const project = item.project ?? NO_PROJECT;
    const sourceType = item.sourceType ?? NO_SOURCE_TYPE;
    let byProject = this.#byProject.get(project);
    if (byProject === undefined) {
      byProject = emptyCounts();
      this.#byProject.set(project, byProject);
    }
    let bySourceType = this.#bySourceType.get(sourceType);
    if (bySourceType === undefined) {
      bySourceType = emptyCounts();
      this.#bySourceType.set(sourceType, bySourceType);
    }
    return [this.#totals, byProject, bySourceType];
  }
}
