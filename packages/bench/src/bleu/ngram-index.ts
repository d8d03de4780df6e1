import { splitWhitespace } from '../python-text.js';

/**
 * One segment's reference n-grams, clipped to the most any single reference contains, plus the
 * reference lengths. N-grams are keyed by exact integers: tokens get per-segment ids (from 1)
 * and an n-gram is the base-`(vocabulary + 1)` number of its ids, which is collision-free and
 * keeps different orders apart. When that number could exceed 2^53 (huge segments or orders),
 * keys fall back to the space-joined tokens.
 */
export interface ReferenceNgrams {
  readonly lengths: readonly number[];
  readonly vocabulary: Map<string, number>;
  readonly base: number;
  readonly counts: Map<number | string, number>;
  readonly packed: boolean;
}

/** Counts the n-grams (orders 1..maxOrder) of already tokenized references. */
export function indexReferences(references: readonly string[], maxOrder: number): ReferenceNgrams {
  const tokenized = references.map(splitWhitespace);
  const vocabulary = new Map<string, number>();
  for (const tokens of tokenized)
    for (const t of tokens) if (!vocabulary.has(t)) vocabulary.set(t, vocabulary.size + 1);
  const base = vocabulary.size + 1;
  const packed = maxOrder * Math.log2(base) < 52;
  let counts: Map<number | string, number> | undefined;
  for (const tokens of tokenized) {
    const own = countNgrams(tokens, vocabulary, base, packed, maxOrder);
    if (counts === undefined) {
      counts = own;
      continue;
    }
    for (const [key, c] of own) if (c > (counts.get(key) ?? 0)) counts.set(key, c);
  }
  return {
    lengths: tokenized.map((t) => t.length),
    vocabulary,
    base,
    counts: counts ?? new Map(),
    packed,
  };
}

function countNgrams(
  tokens: readonly string[],
  vocabulary: Map<string, number>,
  base: number,
  packed: boolean,
  maxOrder: number,
): Map<number | string, number> {
  const counts = new Map<number | string, number>();
  const len = tokens.length;
  for (let i = 0; i < len; i++) {
    const last = Math.min(len, i + maxOrder);
    let key = 0;
    for (let j = i; j < last; j++) {
      const k: number | string = packed
        ? (key = key * base + vocabulary.get(tokens[j]!)!)
        : tokens.slice(i, j + 1).join(' ');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Matches a tokenized hypothesis against reference n-grams: writes the clipped matches of each
 * order into `correct` and returns the hypothesis length. `used` is scratch space.
 */
export function matchHypothesis(
  tokens: readonly string[],
  reference: ReferenceNgrams,
  maxOrder: number,
  correct: Float64Array,
  used: Map<number | string, number>,
): void {
  const { vocabulary, base, counts, packed } = reference;
  used.clear();
  correct.fill(0);
  const len = tokens.length;
  for (let i = 0; i < len; i++) {
    const last = Math.min(len, i + maxOrder);
    let key = 0;
    for (let j = i; j < last; j++) {
      let k: number | string;
      if (packed) {
        const id = vocabulary.get(tokens[j]!);
        // A token no reference has ends every n-gram starting at i: none of them can match.
        if (id === undefined) break;
        k = key = key * base + id;
      } else {
        k = tokens.slice(i, j + 1).join(' ');
      }
      const available = counts.get(k);
      // A reference holding an n-gram holds its prefixes, so no extension of a miss can match.
      if (available === undefined) break;
      const u = (used.get(k) ?? 0) + 1;
      used.set(k, u);
      if (u <= available) correct[j - i]! += 1;
    }
  }
}
