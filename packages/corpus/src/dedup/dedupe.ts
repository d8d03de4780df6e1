import { compareVersions, SourceTypeSchema } from '@cncf-llm/scraper';
import { z } from 'zod';
import { CorpusError } from '../errors.js';
import { parseOptions } from '../parse-options.js';
import { DedupEngine, type EngineDecision, type Fingerprint } from './engine.js';
import { signatureSizeCheck } from './minhash.js';
import {
  DEFAULT_SOURCE_TYPE_ORDER,
  type DedupDecision,
  type DedupItem,
  dedupShape,
  metaOf,
  publicDecision,
} from './near-duplicate-index.js';
import type { DedupReport, ItemMeta } from './report.js';
import { versionOf } from './versions.js';

/** Options of {@link dedupe} and {@link dedupeIter}. */
export const DedupeOptionsSchema = z
  .strictObject({
    ...dedupShape,
    /** The documents or chunks, read once. */
    items: z.custom<Iterable<DedupItem> | AsyncIterable<DedupItem>>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        (Symbol.iterator in value || Symbol.asyncIterator in value),
      { message: 'expected an iterable or async iterable of items' },
    ),
    /**
     * `ranked`: among duplicates keep the newest docs version, then the source type that comes
     * first in `sourceTypeOrder`, then the first seen. `first-seen`: newest version, then first
     * seen.
     * @default 'ranked'
     */
    policy: z.enum(['ranked', 'first-seen']).default('ranked'),
    /**
     * Source types from most to least preferred; types not listed come last.
     * @default ['docs-site', 'github', 'whitepaper', 'stackoverflow']
     */
    sourceTypeOrder: z.array(SourceTypeSchema).default([...DEFAULT_SOURCE_TYPE_ORDER]),
    /**
     * An `items-fingerprinted` event every this many items.
     * @default 10000
     */
    progressEvery: z.number().int().min(1).default(10_000),
    signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
  })
  .refine(...signatureSizeCheck);
/** Options of {@link dedupe} and {@link dedupeIter}. */
export type DedupeOptions = z.input<typeof DedupeOptionsSchema>;

/** What {@link dedupeIter} yields. */
export type DedupEvent =
  /** Progress of the first pass, which reads and fingerprints every item. */
  | { type: 'items-fingerprinted'; items: number; characters: number }
  /** One per item, in input order, once every item has been read. */
  | { type: 'item-decided'; decision: DedupDecision }
  /** The last event. */
  | { type: 'dedup-finished'; report: DedupReport };

/** Growable typed-array columns for the fingerprints of every item. */
class FingerprintStore {
  readonly #bandWidth: number;
  readonly #size: number;
  count = 0;
  exact = new Uint32Array(2 * 1024);
  shingles = new Uint32Array(1024);
  bands: Uint32Array;
  sketches: Uint8Array;

  constructor(bands: number, size: number) {
    this.#bandWidth = bands * 2;
    this.#size = size;
    this.bands = new Uint32Array(1024 * this.#bandWidth);
    this.sketches = new Uint8Array(1024 * size);
  }

  push(fingerprint: Fingerprint): void {
    const index = this.count;
    if (index === this.shingles.length) this.#grow();
    this.exact[index * 2] = fingerprint.exactHigh;
    this.exact[index * 2 + 1] = fingerprint.exactLow;
    this.shingles[index] = fingerprint.shingles;
    this.bands.set(fingerprint.bands, index * this.#bandWidth);
    this.sketches.set(fingerprint.sketch, index * this.#size);
    this.count += 1;
  }

  view(index: number): Fingerprint {
    return {
      exactHigh: this.exact[index * 2] as number,
      exactLow: this.exact[index * 2 + 1] as number,
      shingles: this.shingles[index] as number,
      bands: this.bands.subarray(index * this.#bandWidth, (index + 1) * this.#bandWidth),
      sketch: this.sketches.subarray(index * this.#size, (index + 1) * this.#size),
    };
  }

  #grow(): void {
    const grow = <T extends Uint32Array | Uint8Array>(array: T, make: (length: number) => T): T => {
      const grown = make(array.length * 2);
      grown.set(array);
      return grown;
    };
    this.exact = grow(this.exact, (n) => new Uint32Array(n));
    this.shingles = grow(this.shingles, (n) => new Uint32Array(n));
    this.bands = grow(this.bands, (n) => new Uint32Array(n));
    this.sketches = grow(this.sketches, (n) => new Uint8Array(n));
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new CorpusError(
      'aborted',
      'Deduplication was aborted by its signal; start it again to finish.',
      {
        cause: signal.reason,
      },
    );
  }
}

/**
 * Deduplicates a collection with the full keep policy, in two steps: read every item once,
 * keeping only its fingerprint (about 400 bytes with the defaults, plus id and URL; never the
 * text), then decide in policy order: for each docs page only its newest version stays;
 * among exact and near duplicates the item whose source type ranks first wins, then the
 * first seen. Yields progress while reading, then one `item-decided` per item in input order,
 * then the report.
 *
 * Use it for documents (where the version and source rules matter and the count is modest);
 * for chunks, {@link createNearDuplicateIndex} decides as they stream.
 *
 * @throws `CorpusError` with code `invalid-options` when an option is wrong, `aborted` when
 * the signal fires.
 */
export async function* dedupeIter(
  options: DedupeOptions,
): AsyncGenerator<DedupEvent, void, undefined> {
  const settings = parseOptions(DedupeOptionsSchema, options, 'dedupeIter');
  const { shingleSize, bands, rows, seed, normaliseNumbers, signal } = settings;
  const engine = new DedupEngine({ shingleSize, bands, rows, seed, normaliseNumbers }, settings);
  const store = new FingerprintStore(bands, engine.sketchSize);
  const metas: ItemMeta[] = [];
  const versions: (string | null)[] = [];
  const pages = new Map<string, { version: string; newest: number }>();
  const pageOf: (string | null)[] = [];
  let characters = 0;

  // Step 1: fingerprints, and the newest version of every versioned page.
  for await (const item of settings.items) {
    throwIfAborted(signal);
    if (typeof item?.id !== 'string' || typeof item.text !== 'string') {
      throw new CorpusError(
        'invalid-input',
        `dedupe needs items with a string \`id\` and \`text\`; item ${metas.length} has not. Check the input.`,
      );
    }
    const index = metas.length;
    const meta = metaOf(item);
    metas.push(meta);
    store.push(engine.fingerprint(item.text));
    characters += item.text.length;
    const page = settings.collapseVersions && meta.url !== null ? versionOf(meta.url) : null;
    pageOf.push(page?.page ?? null);
    versions.push(page?.version ?? null);
    if (page !== null) {
      const known = pages.get(page.page);
      if (known === undefined || compareVersions(page.version, known.version) > 0) {
        pages.set(page.page, { version: page.version, newest: index });
      }
    }
    if (metas.length % settings.progressEvery === 0) {
      yield { type: 'items-fingerprinted', items: metas.length, characters };
    }
  }
  if (metas.length % settings.progressEvery !== 0) {
    yield { type: 'items-fingerprinted', items: metas.length, characters };
  }

  // Step 2: decide, current versions in policy order first, then the obsolete versions.
  const obsolete = (index: number) => {
    const page = pageOf[index];
    if (page === null || page === undefined) return false;
    const newest = pages.get(page) as { version: string };
    return compareVersions(versions[index] as string, newest.version) < 0;
  };
  const order = settings.sourceTypeOrder;
  const rank = (index: number) => {
    if (settings.policy === 'first-seen') return 0;
    const sourceType = metas[index]?.sourceType;
    const at = sourceType === null || sourceType === undefined ? -1 : order.indexOf(sourceType);
    return at === -1 ? order.length : at;
  };
  const current: number[] = [];
  const old: number[] = [];
  for (let index = 0; index < metas.length; index += 1)
    (obsolete(index) ? old : current).push(index);
  current.sort((a, b) => rank(a) - rank(b) || a - b);

  const decisions: (EngineDecision | undefined)[] = new Array(metas.length);
  for (const index of current) {
    throwIfAborted(signal);
    decisions[index] = engine.decide(store.view(index), metas[index] as ItemMeta, null);
  }
  for (const index of old) {
    const newest = (pages.get(pageOf[index] as string) as { newest: number }).newest;
    const verdict = decisions[newest] as EngineDecision;
    const keptIndex = verdict.kept ? verdict.index : verdict.keptIndex;
    const fingerprint = store.view(index);
    decisions[index] = engine.removeInFavourOf(
      metas[index] as ItemMeta,
      keptIndex,
      'version',
      engine.similarityTo(fingerprint, keptIndex),
      'newest-version',
    );
  }

  for (let index = 0; index < metas.length; index += 1) {
    const meta = metas[index] as ItemMeta;
    yield {
      type: 'item-decided',
      decision: publicDecision(engine, meta.id, decisions[index] as EngineDecision),
    };
  }
  yield { type: 'dedup-finished', report: engine.report.build() };
}

/**
 * Runs {@link dedupeIter} to the end and returns every decision (in input order) and the
 * report.
 */
export async function dedupe(
  options: DedupeOptions,
): Promise<{ decisions: DedupDecision[]; report: DedupReport }> {
  const decisions: DedupDecision[] = [];
  let report: DedupReport | undefined;
  for await (const event of dedupeIter(options)) {
    if (event.type === 'item-decided') decisions.push(event.decision);
    else if (event.type === 'dedup-finished') report = event.report;
  }
  return { decisions, report: report as DedupReport };
}
