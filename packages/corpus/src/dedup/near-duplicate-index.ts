import { type SourceType, SourceTypeSchema } from '@cncf-llm/scraper';
import { z } from 'zod';
import { CorpusError } from '../errors.js';
import { parseOptions } from '../parse-options.js';
import { DedupEngine, type EngineDecision } from './engine.js';
import { minHasherShape, signatureSizeCheck } from './minhash.js';
import type { DedupReason, DedupReport, ItemMeta, KeepReason } from './report.js';
import { versionOf } from './versions.js';

/** The default order of source types under the ranked keep policy: the first one wins. */
export const DEFAULT_SOURCE_TYPE_ORDER: readonly SourceType[] = [
  'docs-site',
  'github',
  'whitepaper',
  'stackoverflow',
];

/** The fields shared by the options of {@link createNearDuplicateIndex} and `dedupe`. */
export const dedupShape = {
  ...minHasherShape,
  /**
   * Jaccard similarity from which two texts are near duplicates. LSH with `bands` × `rows`
   * only proposes candidates (a pair at similarity s shares a band with probability
   * `1 − (1 − s^rows)^bands`, an S-curve steepest near `(1/bands)^(1/rows)`, ≈ 0.72 for
   * 14 × 8, that reaches 0.92 at 0.8 and 0.9997 at 0.9); each candidate is then verified by
   * its estimated similarity (see `margin`). `0` removes every candidate unverified, as
   * datatrove does.
   * @default 0.8
   */
  threshold: z.number().min(0).max(1).default(0.8),
  /**
   * How many standard errors the estimated similarity must clear `threshold` by, so that a
   * pair is removed only when it is most likely at least that similar. The estimate pools
   * the signature (`bands × rows` values) and a 256-bin one-permutation sketch; its standard
   * error is about 0.02 at 0.8 for texts of a few hundred words, more for shorter ones. `0`
   * compares the bare estimate, which removes about as many pairs just under the threshold
   * as it keeps pairs just over it. The default was chosen on planted near-duplicates of
   * real pages: it keeps precision above 0.99 at a recall above 0.97 (see the package
   * README).
   * @default 1.5
   */
  margin: z.number().min(0).max(5).default(1.5),
  /**
   * Remove older versions of a docs page (`/docs/v3.5/x/` when `/docs/v3.6/x/` is there).
   * @default true
   */
  collapseVersions: z.boolean().default(true),
  /**
   * Whether the items are whole documents or chunks; only labels the report.
   * @default 'document'
   */
  level: z.enum(['document', 'chunk']).default('document'),
  /**
   * Candidates verified per item at most: bounds the work for a text that shares a band with
   * very many kept texts (templated pages), at the price of maybe missing its best match.
   * @default 100
   */
  maxCandidates: z.number().int().min(1).default(100),
  /**
   * Clusters listed in the report (all are counted).
   * @default 100
   */
  maxClusters: z.number().int().nonnegative().default(100),
  /**
   * Removed items listed per cluster (all are counted).
   * @default 10
   */
  maxClusterMembers: z.number().int().nonnegative().default(10),
};

/** Options of {@link createNearDuplicateIndex}; every field is optional. */
export const NearDuplicateIndexOptionsSchema = z
  .strictObject(dedupShape)
  .refine(...signatureSizeCheck);
/** Options of {@link createNearDuplicateIndex}. */
export type NearDuplicateIndexOptions = z.input<typeof NearDuplicateIndexOptionsSchema>;

/** Where an item came from; everything optional. */
export const DedupItemKeySchema = z.object({
  project: z.string().nullable().optional(),
  sourceType: SourceTypeSchema.nullable().optional(),
  /** The document's URL: versioned copies are found by it, and the report lists it. */
  url: z.string().nullable().optional(),
});
/** One document or chunk to deduplicate. */
export const DedupItemSchema = z.object({
  id: z.string().min(1),
  text: z.string(),
  key: DedupItemKeySchema.optional(),
});
/** One document or chunk to deduplicate. */
export type DedupItem = z.infer<typeof DedupItemSchema>;

/** The verdict on one item. */
export type DedupDecision =
  | {
      id: string;
      kept: true;
      /**
       * Ids of items kept earlier that this one makes obsolete, as a newer version of the same
       * docs page: the caller should drop them. Always empty with `dedupe`, which sees every
       * version before it decides.
       */
      supersedes: string[];
    }
  | {
      id: string;
      kept: false;
      reason: DedupReason;
      /** The kept item it duplicates. */
      keptId: string;
      /** Estimated Jaccard similarity to the kept item (1 for exact); `null` when either has no words. */
      similarity: number | null;
      keptBecause: KeepReason;
    };

/** A streaming deduplicator; see {@link createNearDuplicateIndex}. */
export interface NearDuplicateIndex {
  /** Decides one item and, when it is kept, remembers its fingerprint. */
  add(item: DedupItem): DedupDecision;
  /** Items kept so far (minus those superseded by newer versions). */
  readonly kept: number;
  /** Items seen so far. */
  readonly seen: number;
  /** Approximate bytes of fingerprints held (typed arrays; ids and URLs not counted). */
  readonly byteLength: number;
  /** The report so far. */
  report(): DedupReport;
}

/** The report fields of an item. */
export function metaOf(item: DedupItem): ItemMeta {
  return {
    id: item.id,
    url: item.key?.url ?? null,
    project: item.key?.project ?? null,
    sourceType: item.key?.sourceType ?? null,
  };
}

/** Turns an engine decision into the public form. */
export function publicDecision(
  engine: DedupEngine,
  id: string,
  decision: EngineDecision,
): DedupDecision {
  if (decision.kept) {
    return { id, kept: true, supersedes: decision.supersedes.map((index) => engine.idOf(index)) };
  }
  return {
    id,
    kept: false,
    reason: decision.reason,
    keptId: engine.idOf(decision.keptIndex),
    similarity: decision.similarity,
    keptBecause: decision.keptBecause,
  };
}

/**
 * Creates a streaming deduplicator with bounded memory: items arrive one at a time and each
 * is decided at once, against the items kept before it. In order:
 *
 * 1. **exact**: same {@link exactKey} as a kept item;
 * 2. **version**: its URL is an older docs version of a kept page (see `collapseVersions`);
 * 3. **near**: it shares an LSH band with a kept item (datatrove's rule) and their estimated
 *    Jaccard similarity is at least `threshold`; the most similar candidate is named.
 *
 * Otherwise it is kept. The first item seen wins, except that a newer docs version always
 * wins over an older one: when it comes second, it is kept and its decision lists the older
 * items it `supersedes`. For the full keep policy (newest version, then source type order,
 * then first seen) use `dedupe`, which reads everything before deciding.
 *
 * Memory per kept item, not per byte of text: 14 band hashes in a typed-array multimap
 * (~12 bytes per band at ≤ 70% load), the signature folded to 16 bits (224 bytes for 112
 * values), 64 bits of the exact key, plus the id and URL strings. Removed items cost nothing.
 *
 * @throws `CorpusError` with code `invalid-options` when an option is wrong.
 */
export function createNearDuplicateIndex(
  options: NearDuplicateIndexOptions = {},
): NearDuplicateIndex {
  const settings = parseOptions(
    NearDuplicateIndexOptionsSchema,
    options,
    'createNearDuplicateIndex',
  );
  const { shingleSize, bands, rows, seed, normaliseNumbers } = settings;
  const engine = new DedupEngine(
    { shingleSize, bands, rows, seed, normaliseNumbers },
    {
      ...settings,
      policy: 'first-seen',
      sourceTypeOrder: [...DEFAULT_SOURCE_TYPE_ORDER],
    },
  );
  let seen = 0;
  let removed = 0;
  return {
    add(item) {
      if (typeof item?.id !== 'string' || typeof item.text !== 'string') {
        throw new CorpusError(
          'invalid-input',
          'createNearDuplicateIndex().add() needs an item with a string `id` and `text`; check the record passed in.',
        );
      }
      const meta = metaOf(item);
      const page = settings.collapseVersions && meta.url !== null ? versionOf(meta.url) : null;
      const decision = engine.decide(engine.fingerprint(item.text, true), meta, page);
      seen += 1;
      if (decision.kept) removed += decision.supersedes.length;
      else removed += 1;
      return publicDecision(engine, item.id, decision);
    },
    get kept() {
      return seen - removed;
    },
    get seen() {
      return seen;
    },
    get byteLength() {
      return engine.byteLength;
    },
    report: () => engine.report.build(),
  };
}
