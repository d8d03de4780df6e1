import { z } from 'zod';
import { parseOptions } from '../parse-options.js';
import { createPermuteKernel } from './permute-kernel.js';
import { mix32, TextScanner, words } from './scan.js';

/** The fields of {@link MinHasherOptionsSchema}, shared with the index's options. */
export const minHasherShape = {
  /**
   * Words per shingle.
   * @default 5
   */
  shingleSize: z.number().int().min(1).max(64).default(5),
  /**
   * LSH bands. More bands catch pairs of lower similarity (see {@link lshThreshold}).
   * @default 14
   */
  bands: z.number().int().min(1).max(256).default(14),
  /**
   * MinHash values per band. More rows make a band match rarer for dissimilar pairs.
   * @default 8
   */
  rows: z.number().int().min(1).max(64).default(8),
  /**
   * Seed of the permutations and band hashes. Signatures are comparable only between
   * hashers with the same seed, shingle size and number normalisation.
   * @default 1
   */
  seed: z.number().int().min(0).max(0xffffffff).default(1),
  /**
   * Count every run of digits as `0` (as datatrove does), so texts that differ only in
   * numbers (`v3.5` and `v3.6`, a changed port or date) shingle the same.
   * @default true
   */
  normaliseNumbers: z.boolean().default(true),
};

/** bands × rows is the signature length; past 1024 it costs time for no gain in accuracy. */
export const signatureSizeCheck = [
  (options: { bands: number; rows: number }) => options.bands * options.rows <= 1024,
  { message: 'bands × rows must be at most 1024' },
] as const;

/** Options of {@link createMinHasher}; every field is optional. */
export const MinHasherOptionsSchema = z.strictObject(minHasherShape).refine(...signatureSizeCheck);
/** Options of {@link createMinHasher}. */
export type MinHasherOptions = z.input<typeof MinHasherOptionsSchema>;
/** The options of a {@link MinHasher}, defaults filled in. */
export type MinHasherSettings = z.output<typeof MinHasherOptionsSchema>;

/** Computes MinHash signatures of texts; create one with {@link createMinHasher}. */
export interface MinHasher {
  readonly settings: Readonly<MinHasherSettings>;
  /** `bands × rows`: the length of a signature. */
  readonly size: number;
  /**
   * The MinHash signature of `text`: for each of `bands × rows` permutations, the smallest
   * permuted shingle hash. A text without words has the signature of the empty set (every
   * value `0xffffffff`); a text with fewer words than `shingleSize` is one shingle.
   */
  signature(text: string): Uint32Array;
  /**
   * Writes the signature of `text` into `out` (length {@link size}) and returns the number of
   * shingles hashed: 0 for a text without words. Reuses `out`, for loops over many texts.
   */
  signatureInto(text: string, out: Uint32Array): number;
  /**
   * Hashes each band of `signature` to 64 bits, as two 32-bit halves: `out[2b]` and
   * `out[2b + 1]` for band `b`. Two texts are LSH candidates when any band hash is equal.
   */
  bandHashes(signature: Uint32Array, out?: Uint32Array): Uint32Array;
}

const GOLDEN = 0x9e3779b1;

/** A small deterministic generator (splitmix32) for the permutation parameters. */
function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + GOLDEN) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) | 0;
  };
}

/** One step of murmur3's body: folds `value` into the running hash `h`. */
function combine(h: number, value: number): number {
  let k = Math.imul(value, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let next = h ^ k;
  next = (next << 13) | (next >>> 19);
  return (Math.imul(next, 5) + 0xe6546b64) | 0;
}

/** The part of a {@link MinHasher} that works from word hashes; the engine scans texts itself. */
export interface Signer {
  readonly size: number;
  /** Writes the signature of the words into `out`; returns the number of shingles (0: no words). */
  signatureFromWords(wordHashes: Int32Array, wordCount: number, out: Uint32Array): number;
  bandHashes(signature: Uint32Array, out?: Uint32Array): Uint32Array;
  /**
   * Writes a one-permutation sketch of the shingles of the last `signatureFromWords` call
   * into `out[offset .. offset + SKETCH_BINS)`: the shingles are spread over the bins by one
   * more hash, and each bin keeps its smallest value folded to 8 bits (0: empty bin).
   */
  binSketch(out: Uint8Array, offset: number): void;
}

/**
 * Bins of the one-permutation sketch that complements the signature when a candidate pair is
 * verified. It costs one hash per shingle instead of one per permutation, so it more than
 * triples the evidence for long texts almost for free (see `DedupEngine`).
 */
export const SKETCH_BINS = 256;

/** Builds the permutations and band hashing of validated settings. */
export function createSigner(
  settings: MinHasherSettings,
  kernelKind: 'auto' | 'js' = 'auto',
): Signer {
  const { shingleSize, bands, rows, seed } = settings;
  const size = bands * rows;
  // Padded to a multiple of 16, the SIMD kernel's step; the extra minima are not used.
  const padded = Math.ceil(size / 16) * 16;
  const random = seededRandom(seed);
  const multipliers = new Int32Array(padded);
  const offsets = new Int32Array(padded);
  for (let i = 0; i < size; i += 1) {
    multipliers[i] = random() | 1;
    offsets[i] = random();
  }
  for (let i = size; i < padded; i += 1) multipliers[i] = 1;
  const shingleSeed = random();
  const bandSeedHigh = random();
  const bandSeedLow = random();
  const binSeed = random();
  const binMinima = new Int32Array(SKETCH_BINS);
  const kernel = createPermuteKernel(multipliers, offsets, kernelKind);
  const minima = new Uint32Array(padded);
  let lastCount = 0;
  let lastShingles = kernel.shingles(0);

  // A shingle's hash folds its word hashes in order; a text shorter than a shingle is one.
  const shingleHashes = (words: Int32Array, count: number): number => {
    const n = count >= shingleSize ? count - shingleSize + 1 : count > 0 ? 1 : 0;
    const width = Math.min(shingleSize, count);
    const shingles = kernel.shingles(n);
    for (let start = 0; start < n; start += 1) {
      let x = shingleSeed;
      for (let j = start; j < start + width; j += 1) {
        x = Math.imul(x ^ (words[j] as number), GOLDEN);
        x = (x << 13) | (x >>> 19);
      }
      shingles[start] = mix32(x ^ width);
    }
    lastShingles = shingles;
    return n;
  };

  return {
    size,
    signatureFromWords(words, count, out) {
      const n = shingleHashes(words, count);
      lastCount = n;
      if (n === 0) {
        out.fill(0xffffffff, 0, size);
        return 0;
      }
      kernel.run(n, minima);
      for (let i = 0; i < size; i += 1) out[i] = minima[i] as number;
      return n;
    },
    binSketch(out, offset) {
      // The top 8 bits of a second hash choose the bin, the low 24 bits compete within it.
      binMinima.fill(0x7fffffff);
      for (let j = 0; j < lastCount; j += 1) {
        const y = mix32((lastShingles[j] as number) ^ binSeed);
        const bin = y >>> 24;
        const value = y & 0xffffff;
        if (value < (binMinima[bin] as number)) binMinima[bin] = value;
      }
      for (let bin = 0; bin < SKETCH_BINS; bin += 1) {
        const value = binMinima[bin] as number;
        out[offset + bin] =
          value === 0x7fffffff ? 0 : 1 + ((value ^ (value >>> 8) ^ (value >>> 16)) % 255);
      }
    },
    bandHashes(signature, out = new Uint32Array(bands * 2)) {
      for (let band = 0; band < bands; band += 1) {
        let high = bandSeedHigh ^ band;
        let low = bandSeedLow ^ Math.imul(band + 1, GOLDEN);
        for (let row = 0; row < rows; row += 1) {
          const value = (signature[band * rows + row] as number) | 0;
          high = combine(high, value);
          low = combine(low, value);
        }
        out[band * 2] = mix32(high ^ rows) >>> 0;
        out[band * 2 + 1] = mix32(low ^ rows) >>> 0;
      }
      return out;
    },
  };
}

/**
 * Creates a MinHash signer in the spirit of datatrove's `MinhashDedupSignature`: word
 * 5-gram shingles, 14 bands × 8 rows.
 *
 * How it is fast: the text is read once, unit by unit, and each word is hashed as it is read
 * (no string per word, shingle or normalised text); each shingle is hashed once to 32 bits by
 * folding its word hashes; the `bands × rows` permutations are `(a·x + b) mod 2³²` with odd
 * `a`, computed by a small WebAssembly SIMD kernel (16 permutations per shingle in four
 * vector steps; a plain typed-array loop where WebAssembly SIMD is missing). With odd `a`
 * that map is a bijection of the 32-bit space, so over hashed shingles it plays the part of
 * the textbook `(a·x + b) mod p` (which needs 64-bit products that JavaScript only has as
 * BigInt); the tests check that the estimated Jaccard similarity stays within the binomial
 * error of the exact one. 32-bit shingle hashes collide within a pair of texts with
 * probability about `n² / 2³²` (n shingles per text), far below the estimator's own error.
 *
 * @throws `CorpusError` with code `invalid-options` when an option is wrong.
 */
export function createMinHasher(options: MinHasherOptions = {}): MinHasher {
  const settings = parseOptions(MinHasherOptionsSchema, options, 'createMinHasher');
  const signer = createSigner(settings);
  const scanner = new TextScanner({ normaliseNumbers: settings.normaliseNumbers });
  const signatureInto = (text: string, out: Uint32Array): number => {
    scanner.scan(text);
    return signer.signatureFromWords(scanner.wordHashes, scanner.wordCount, out);
  };
  return {
    settings,
    size: signer.size,
    signature(text) {
      const out = new Uint32Array(signer.size);
      signatureInto(text, out);
      return out;
    },
    signatureInto,
    bandHashes: (signature, out) => signer.bandHashes(signature, out),
  };
}

/**
 * The fraction of positions where two signatures agree: an unbiased estimate of the Jaccard
 * similarity of the two shingle sets, with standard error `√(J(1−J)/n)` for `n` values.
 *
 * @throws `RangeError` when the signatures differ in length.
 */
export function estimateJaccard(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(
      `Signatures differ in length (${a.length} and ${b.length}); compare signatures of one MinHasher.`,
    );
  }
  if (a.length === 0) return 0;
  let equal = 0;
  for (let i = 0; i < a.length; i += 1) if (a[i] === b[i]) equal += 1;
  return equal / a.length;
}

/** The word shingles of `text` as strings, as the MinHasher sees them. For tests and audits. */
export function shingleSet(
  text: string,
  shingleSize = 5,
  options: { normaliseNumbers?: boolean } = {},
): Set<string> {
  const list = words(text, { normaliseNumbers: options.normaliseNumbers ?? true });
  const out = new Set<string>();
  if (list.length === 0) return out;
  if (list.length < shingleSize) {
    out.add(list.join(' '));
    return out;
  }
  for (let i = 0; i + shingleSize <= list.length; i += 1) {
    out.add(list.slice(i, i + shingleSize).join(' '));
  }
  return out;
}

/**
 * The exact Jaccard similarity of the word-shingle sets of two texts, tokenised exactly as
 * the MinHasher does: |A ∩ B| / |A ∪ B|. Two texts without words are identical (1). Builds
 * strings per shingle: meant for tests and audits, not for a corpus.
 */
export function exactJaccard(
  textA: string,
  textB: string,
  shingleSize = 5,
  options: { normaliseNumbers?: boolean } = {},
): number {
  const a = shingleSet(textA, shingleSize, options);
  const b = shingleSet(textB, shingleSize, options);
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const shingle of a) if (b.has(shingle)) shared += 1;
  return shared / (a.size + b.size - shared);
}

/**
 * Where the LSH S-curve is steepest, the usual rule of thumb for the similarity that bands ×
 * rows select: `(1/bands)^(1/rows)`, ≈ 0.72 for 14 × 8. A pair that similar becomes a
 * candidate with probability `1 − (1 − 1/bands)^bands` (≈ 0.65); at 0.8 with ≈ 0.92 and at
 * 0.9 with ≈ 0.9997 (see {@link candidateProbability}).
 */
export function lshThreshold(bands: number, rows: number): number {
  return (1 / bands) ** (1 / rows);
}

/**
 * The probability that a pair of Jaccard similarity `similarity` shares at least one band:
 * `1 − (1 − s^rows)^bands`, the LSH S-curve.
 */
export function candidateProbability(similarity: number, bands: number, rows: number): number {
  return 1 - (1 - similarity ** rows) ** bands;
}
