// The decision core shared by the streaming index and the two-pass `dedupe`: it holds, per kept
// item, only compact fingerprints (band hashes in one typed-array multimap, a 16-bit-per-value
// copy of the signature for verification, the first 64 bits of the exact key) and never text.

import { compareVersions, type SourceType } from '@cncf-llm/scraper';
import { HashMultimap } from './hash-multimap.js';
import { createSigner, type MinHasherSettings, type Signer, SKETCH_BINS } from './minhash.js';
import {
  type DedupReason,
  DedupReportBuilder,
  type DedupReportSettings,
  type ItemMeta,
  type KeepReason,
} from './report.js';
import { TextScanner } from './scan.js';
import type { PageVersion } from './versions.js';

/** A text's fingerprint, as the engine compares it. Views into scratch or stored arrays. */
export interface Fingerprint {
  exactHigh: number;
  exactLow: number;
  /**
   * Shingles hashed: 0 for a text without words, which then takes no part in near matching;
   * -1 while a lazy fingerprint's MinHash part is not computed.
   */
  shingles: number;
  /** Two 32-bit halves per band. */
  bands: Uint32Array;
  /**
   * What verification compares: each signature value folded to 8 bits, then the
   * {@link SKETCH_BINS} bins of the one-permutation sketch.
   */
  sketch: Uint8Array;
}

/** What the engine decided, with kept items named by their engine number. */
export type EngineDecision =
  | { kept: true; index: number; supersedes: number[] }
  | {
      kept: false;
      reason: DedupReason;
      keptIndex: number;
      similarity: number | null;
      keptBecause: KeepReason;
    };

// Two different minima agree on 8 folded bits with probability 1/256 (1/255 for the bins);
// the estimates are corrected for it, as in b-bit MinHash (Li & König 2010).
const CHANCE = 1 / 256;
const BIN_CHANCE = 1 / 255;
// The finite-population correction never counts the bins as more than 20 times their number.
const MIN_CORRECTION = 0.05;

/** Folds each 32-bit MinHash value to 8 bits (minima are small: the low bits vary most). */
function fold(signature: Uint32Array, out: Uint8Array): void {
  for (let i = 0; i < signature.length; i += 1) {
    const value = signature[i] as number;
    out[i] = (value ^ (value >>> 8) ^ (value >>> 16)) & 0xff;
  }
}

/** `Fingerprint.shingles` of a lazy fingerprint whose MinHash part is not computed yet. */
const PENDING = -1;
const HAS_SHINGLES = 1;
const SUPERSEDED = 2;

/** Settings of the engine beyond the MinHasher's. */
export interface EngineSettings {
  threshold: number;
  margin: number;
  maxCandidates: number;
  level: 'document' | 'chunk';
  collapseVersions: boolean;
  policy: 'first-seen' | 'ranked';
  sourceTypeOrder: SourceType[];
  maxClusters: number;
  maxClusterMembers: number;
}

/** The engine itself; see the file comment. */
export class DedupEngine {
  /** Signature length: bands × rows. */
  readonly size: number;
  readonly #signer: Signer;
  readonly #scanner: TextScanner;
  readonly report: DedupReportBuilder;
  readonly #threshold: number;
  readonly #margin: number;
  /** Evidence behind the last `#similarity`: signature values plus sketch bins compared. */
  #evidence = 0;
  readonly #maxCandidates: number;
  readonly #rank: ((sourceType: SourceType | null) => number) | null;
  readonly #size: number;
  readonly #bands: number;
  readonly #exact = new HashMultimap(1024);
  readonly #bandTable = new HashMultimap(4096);
  readonly #pages = new Map<string, { version: string; kept: number[] }>();
  #ids: string[] = [];
  #urls: (string | null)[] = [];
  #projects: (string | null)[] = [];
  #sourceTypes: (SourceType | null)[] = [];
  #flags = new Uint8Array(1024);
  #stamps = new Uint32Array(1024);
  #stamp = 0;
  #sketches: Uint8Array;
  /** Bytes of verification sketch per item. */
  readonly sketchSize: number;
  #count = 0;
  // Scratch space for the fingerprint of the item being added.
  readonly #signature: Uint32Array;
  readonly #scratch: Fingerprint;

  constructor(hasherSettings: MinHasherSettings, settings: EngineSettings) {
    this.#signer = createSigner(hasherSettings);
    this.#scanner = new TextScanner({ normaliseNumbers: hasherSettings.normaliseNumbers });
    this.size = this.#signer.size;
    this.#threshold = settings.threshold;
    this.#margin = settings.margin;
    this.#maxCandidates = settings.maxCandidates;
    this.#size = this.size;
    this.#bands = hasherSettings.bands;
    this.sketchSize = this.#size + SKETCH_BINS;
    this.#sketches = new Uint8Array(1024 * this.sketchSize);
    this.#signature = new Uint32Array(this.#size);
    this.#scratch = {
      exactHigh: 0,
      exactLow: 0,
      shingles: 0,
      bands: new Uint32Array(this.#bands * 2),
      sketch: new Uint8Array(this.#size + SKETCH_BINS),
    };
    const order = settings.sourceTypeOrder;
    this.#rank =
      settings.policy === 'ranked'
        ? (sourceType) => {
            const at = sourceType === null ? -1 : order.indexOf(sourceType);
            return at === -1 ? order.length : at;
          }
        : null;
    const { shingleSize, bands, rows, seed, normaliseNumbers } = hasherSettings;
    const reportSettings: DedupReportSettings = {
      shingleSize,
      bands,
      rows,
      seed,
      normaliseNumbers,
      threshold: settings.threshold,
      margin: settings.margin,
      lshThreshold: (1 / bands) ** (1 / rows),
      collapseVersions: settings.collapseVersions,
      policy: settings.policy,
      sourceTypeOrder: [...settings.sourceTypeOrder],
    };
    this.report = new DedupReportBuilder({
      level: settings.level,
      settings: reportSettings,
      maxClusters: settings.maxClusters,
      maxClusterMembers: settings.maxClusterMembers,
    });
  }

  /** Kept items so far (superseded ones included). */
  get keptCount(): number {
    return this.#count;
  }

  /** Bytes held in typed arrays (the bulk of the engine's memory; strings not counted). */
  get byteLength(): number {
    return (
      this.#exact.byteLength +
      this.#bandTable.byteLength +
      this.#sketches.byteLength +
      this.#flags.byteLength +
      this.#stamps.byteLength
    );
  }

  /** The id of kept item `index`. */
  idOf(index: number): string {
    return this.#ids[index] as string;
  }

  /**
   * Fingerprints `text` into the engine's scratch space (valid until the next call). With
   * `lazy`, only the exact key is computed now and the rest when `decide` first needs it, so
   * an exact duplicate costs one pass over its text and no MinHash.
   */
  fingerprint(text: string, lazy = false): Fingerprint {
    const scratch = this.#scratch;
    const scanner = this.#scanner;
    scanner.scan(text);
    scratch.exactHigh = scanner.exact[0] as number;
    scratch.exactLow = scanner.exact[1] as number;
    scratch.shingles = PENDING;
    if (!lazy) this.#complete(scratch);
    return scratch;
  }

  // Computes the MinHash part of the scratch fingerprint from the words of the last scan.
  #complete(fingerprint: Fingerprint): void {
    if (fingerprint.shingles !== PENDING) return;
    const scanner = this.#scanner;
    fingerprint.shingles = this.#signer.signatureFromWords(
      scanner.wordHashes,
      scanner.wordCount,
      this.#signature,
    );
    this.#signer.bandHashes(this.#signature, fingerprint.bands);
    fold(this.#signature, fingerprint.sketch);
    this.#signer.binSketch(fingerprint.sketch, this.#size);
  }

  /** Estimated Jaccard similarity of a fingerprint and kept item `index`; `null` without words. */
  similarityTo(fingerprint: Fingerprint, index: number): number | null {
    this.#complete(fingerprint);
    if (fingerprint.shingles === 0 || ((this.#flags[index] as number) & HAS_SHINGLES) === 0)
      return null;
    return this.#similarity(fingerprint.sketch, index);
  }

  /**
   * Decides one item: exact duplicate of a kept item, older version of a kept page (when
   * `page` is given), near duplicate of a kept item, or kept. Candidates that are older
   * versions of the item's own page do not count: the item supersedes them instead.
   */
  decide(fingerprint: Fingerprint, item: ItemMeta, page: PageVersion | null): EngineDecision {
    const group = page === null ? undefined : this.#pages.get(page.page);
    let newer: number | null = null;
    let older: number[] | null = null;
    if (group !== undefined && page !== null) {
      const order = compareVersions(group.version, page.version);
      if (order > 0) newer = group.kept[0] ?? null;
      else if (order < 0) older = group.kept;
    }
    const ignored = (index: number) =>
      ((this.#flags[index] as number) & SUPERSEDED) !== 0 || older?.includes(index) === true;

    let exact = -1;
    this.#exact.lookup(fingerprint.exactHigh, fingerprint.exactLow, (index) => {
      if (ignored(index)) return false;
      exact = index;
      return true;
    });
    if (exact !== -1) return this.#remove(item, 'exact', exact, 1);

    if (newer !== null) {
      return this.#remove(
        item,
        'version',
        newer,
        this.similarityTo(fingerprint, newer),
        'newest-version',
      );
    }

    this.#complete(fingerprint);
    if (fingerprint.shingles > 0) {
      const near = this.#nearest(fingerprint, ignored);
      if (near.index !== -1 && (near.score >= this.#threshold || this.#threshold === 0)) {
        return this.#remove(item, 'near', near.index, near.similarity);
      }
    }

    const index = this.#keep(fingerprint, item);
    const supersedes: number[] = [];
    if (page !== null) {
      if (group === undefined) {
        this.#pages.set(page.page, { version: page.version, kept: [index] });
      } else if (older !== null) {
        for (const old of older) {
          this.#flags[old] = (this.#flags[old] as number) | SUPERSEDED;
          supersedes.push(old);
          this.report.removed(
            this.#metaOf(old),
            {
              reason: 'version',
              similarity: this.similarityTo(fingerprint, old),
              keptBecause: 'newest-version',
            },
            { index, id: item.id, url: item.url },
            true,
          );
        }
        group.version = page.version;
        group.kept = [index];
      } else {
        group.kept.push(index);
      }
    }
    return { kept: true, index, supersedes };
  }

  /**
   * Records `item` as removed in favour of kept item `keptIndex` for a reason decided outside
   * the engine (the two-pass policy's version rule).
   */
  removeInFavourOf(
    item: ItemMeta,
    keptIndex: number,
    reason: DedupReason,
    similarity: number | null,
    keptBecause: KeepReason,
  ): EngineDecision {
    return this.#remove(item, reason, keptIndex, similarity, keptBecause);
  }

  #remove(
    item: ItemMeta,
    reason: DedupReason,
    keptIndex: number,
    similarity: number | null,
    because?: KeepReason,
  ): EngineDecision {
    let keptBecause: KeepReason = because ?? 'first-seen';
    if (because === undefined && this.#rank !== null) {
      const keptRank = this.#rank(this.#sourceTypes[keptIndex] ?? null);
      if (keptRank < this.#rank(item.sourceType)) keptBecause = 'preferred-source';
    }
    this.report.removed(
      item,
      { reason, similarity, keptBecause },
      { index: keptIndex, id: this.#ids[keptIndex] as string, url: this.#urls[keptIndex] ?? null },
    );
    return { kept: false, reason, keptIndex, similarity, keptBecause };
  }

  #nearest(
    fingerprint: Fingerprint,
    ignored: (index: number) => boolean,
  ): { index: number; similarity: number; score: number } {
    this.#stamp = (this.#stamp + 1) >>> 0;
    if (this.#stamp === 0) {
      this.#stamps.fill(0);
      this.#stamp = 1;
    }
    const stamp = this.#stamp;
    const stamps = this.#stamps;
    let best = -1;
    let bestSimilarity = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    let checked = 0;
    const margin = this.#margin;
    const visit = (index: number) => {
      if (stamps[index] === stamp) return false;
      stamps[index] = stamp;
      if (ignored(index) || ((this.#flags[index] as number) & HAS_SHINGLES) === 0) return false;
      const similarity = this.#similarity(fingerprint.sketch, index);
      // The estimate less `margin` standard errors: a pair must clear the threshold by more
      // when there is less evidence (short texts), and the candidate named is the one most
      // surely similar rather than the luckiest estimate.
      const score =
        similarity - margin * Math.sqrt((similarity * (1 - similarity)) / this.#evidence);
      if (score > bestScore) {
        best = index;
        bestSimilarity = similarity;
        bestScore = score;
      }
      checked += 1;
      return checked >= this.#maxCandidates;
    };
    const bands = fingerprint.bands;
    for (let band = 0; band < this.#bands && checked < this.#maxCandidates; band += 1) {
      this.#bandTable.lookup(bands[band * 2] as number, bands[band * 2 + 1] as number, visit);
    }
    return { index: best, similarity: bestSimilarity, score: bestScore };
  }

  // Pools two estimates of the Jaccard similarity, each weighted by its evidence (its inverse
  // variance, up to the common factor J(1 − J)):
  // - the `size` signature values: `size` independent draws;
  // - the sketch bins that are not empty in both texts (a bin empty in one text only is a
  //   mismatch): each is one shingle of the union drawn without replacement, so when the
  //   union has few more shingles than there are such bins, the bins are nearly a census and
  //   weigh more (the finite-population correction (N − U)/(N − 1), with the union's size N
  //   estimated from how many of the bins are filled).
  // Together they have a third to a tenth of the variance of the signature alone, which
  // keeps pairs just under the threshold from slipping over it and lets short texts, whose
  // signatures are noisiest, be judged almost exactly.
  #similarity(sketch: Uint8Array, index: number): number {
    const stored = this.#sketches;
    const size = this.#size;
    const offset = index * this.sketchSize;
    let equal = 0;
    for (let i = 0; i < size; i += 1) if (sketch[i] === stored[offset + i]) equal += 1;
    const fromSignature = (equal / size - CHANCE) / (1 - CHANCE);
    let union = 0;
    let both = 0;
    let same = 0;
    for (let bin = size; bin < this.sketchSize; bin += 1) {
      const a = sketch[bin] as number;
      const b = stored[offset + bin] as number;
      if (a === 0 && b === 0) continue;
      union += 1;
      if (a !== 0 && b !== 0) {
        both += 1;
        if (a === b) same += 1;
      }
    }
    if (union === 0) {
      this.#evidence = size;
      return Math.min(1, Math.max(fromSignature, 0));
    }
    const fromBins = (same - BIN_CHANCE * both) / (union * (1 - BIN_CHANCE));
    let binWeight = union;
    if (union < SKETCH_BINS) {
      const shingles = -SKETCH_BINS * Math.log(1 - union / SKETCH_BINS);
      const correction = shingles <= 1 ? MIN_CORRECTION : (shingles - union) / (shingles - 1);
      binWeight = union / Math.max(correction, MIN_CORRECTION);
    }
    this.#evidence = size + binWeight;
    const pooled = (size * fromSignature + binWeight * fromBins) / (size + binWeight);
    return Math.min(1, Math.max(pooled, 0));
  }

  #keep(fingerprint: Fingerprint, item: ItemMeta): number {
    this.#complete(fingerprint);
    const index = this.#count;
    this.#count += 1;
    this.#ensureCapacity(this.#count);
    this.#ids.push(item.id);
    this.#urls.push(item.url);
    this.#projects.push(item.project);
    this.#sourceTypes.push(item.sourceType);
    this.#exact.insert(fingerprint.exactHigh, fingerprint.exactLow, index);
    if (fingerprint.shingles > 0) {
      this.#flags[index] = HAS_SHINGLES;
      this.#sketches.set(fingerprint.sketch, index * this.sketchSize);
      const bands = fingerprint.bands;
      for (let band = 0; band < this.#bands; band += 1) {
        this.#bandTable.insert(bands[band * 2] as number, bands[band * 2 + 1] as number, index);
      }
    }
    this.report.kept(item);
    return index;
  }

  #metaOf(index: number): ItemMeta {
    return {
      id: this.#ids[index] as string,
      url: this.#urls[index] ?? null,
      project: this.#projects[index] ?? null,
      sourceType: this.#sourceTypes[index] ?? null,
    };
  }

  #ensureCapacity(items: number): void {
    if (items <= this.#flags.length) return;
    const capacity = Math.max(items, this.#flags.length * 2);
    const flags = new Uint8Array(capacity);
    flags.set(this.#flags);
    this.#flags = flags;
    const stamps = new Uint32Array(capacity);
    stamps.set(this.#stamps);
    this.#stamps = stamps;
    const sketches = new Uint8Array(capacity * this.sketchSize);
    sketches.set(this.#sketches);
    this.#sketches = sketches;
  }
}
