import { SpanBuffer, SpanVocabulary } from '../span-vocabulary.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

/**
 * One segment's reference n-grams, clipped to the most any single reference contains, plus the
 * reference lengths.
 *
 * Tokens get per-segment ids (from 1) and an n-gram is the base-`base` number of its ids: exact,
 * collision-free, and different orders never share a key. The keys live in a small
 * open-addressing table of typed arrays (much faster than a `Map` in the matching loop); a
 * table position doubles as the n-gram's slot for counting clipped matches. Hypothesis tokens
 * are looked up by position, so matching allocates no strings. When keys could exceed 2^53
 * (very long segments or orders), n-grams are keyed by their space-joined tokens instead.
 */
export interface ReferenceNgrams {
  readonly lengths: readonly number[];
  readonly vocabulary: SpanVocabulary;
  readonly base: number;
  /** Packed keys by table position (0 = empty); length is a power of two. */
  readonly keys: Float64Array;
  /** Clip count by table position (packed), or by slot (string keys). */
  readonly limits: Int32Array;
  /** String keys → slot, when keys are not packed. */
  readonly stringSlots: Map<string, number> | undefined;
}

const TWO_32 = 4294967296;

function hash(key: number, mask: number): number {
  return Math.imul((key >>> 0) ^ Math.imul((key / TWO_32) >>> 0, 0x85ebca6b), 0x9e3779b1) & mask;
}

/** Position of `key` in the table, or of the empty cell where it would go. */
function probe(keys: Float64Array, key: number): number {
  const mask = keys.length - 1;
  let i = hash(key, mask);
  for (;;) {
    const k = keys[i]!;
    if (k === key || k === 0) return i;
    i = (i + 1) & mask;
  }
}

const spans = new SpanBuffer();

/** Tokenizes references with `tokenizer` and counts their n-grams (orders 1..maxOrder). */
export function indexReferences(
  references: readonly string[],
  tokenizer: Tokenizer,
  maxOrder: number,
): ReferenceNgrams {
  const vocabulary = new SpanVocabulary();
  const idLists: Int32Array[] = [];
  for (const ref of references) {
    const text = tokenizer.spans(ref, spans);
    const ids = new Int32Array(spans.count);
    for (let k = 0; k < spans.count; k++)
      ids[k] = vocabulary.idOf(text, spans.starts[k]!, spans.ends[k]!, true) + 1;
    idLists.push(ids);
  }
  const base = vocabulary.size + 1;
  const lengths = idLists.map((ids) => ids.length);
  if (maxOrder * Math.log2(base) >= 52)
    return indexByStrings(idLists, maxOrder, vocabulary, lengths);

  let ngrams = 0;
  for (const ids of idLists) ngrams += ids.length * maxOrder;
  let capacity = 8;
  while (capacity < 2 * ngrams) capacity *= 2;
  const keys = new Float64Array(capacity);
  const limits = new Int32Array(capacity);
  // With several references, count each in `own` and keep the maximum per n-gram.
  const own = idLists.length > 1 ? new Int32Array(capacity) : limits;
  for (const ids of idLists) {
    const len = ids.length;
    for (let i = 0; i < len; i++) {
      const last = Math.min(len, i + maxOrder);
      let key = 0;
      for (let j = i; j < last; j++) {
        key = key * base + ids[j]!;
        const at = probe(keys, key);
        keys[at] = key;
        own[at]!++;
      }
    }
    if (own !== limits) {
      for (let at = 0; at < capacity; at++) if (own[at]! > limits[at]!) limits[at] = own[at]!;
      own.fill(0);
    }
  }
  return { lengths, vocabulary, base, keys, limits, stringSlots: undefined };
}

function indexByStrings(
  idLists: readonly Int32Array[],
  maxOrder: number,
  vocabulary: SpanVocabulary,
  lengths: number[],
): ReferenceNgrams {
  const stringSlots = new Map<string, number>();
  const limits: number[] = [];
  for (const ids of idLists) {
    const tokens = Array.from(ids, (id) => vocabulary.word(id - 1));
    const own = new Map<number, number>();
    for (let i = 0; i < tokens.length; i++)
      for (let j = i; j < Math.min(tokens.length, i + maxOrder); j++) {
        const k = tokens.slice(i, j + 1).join(' ');
        let slot = stringSlots.get(k);
        if (slot === undefined) {
          slot = limits.length;
          stringSlots.set(k, slot);
          limits.push(0);
        }
        own.set(slot, (own.get(slot) ?? 0) + 1);
      }
    for (const [slot, c] of own) if (c > limits[slot]!) limits[slot] = c;
  }
  return {
    lengths,
    vocabulary,
    base: vocabulary.size + 1,
    keys: new Float64Array(0),
    limits: Int32Array.from(limits),
    stringSlots,
  };
}

let used = new Int32Array(1024);
let touched = new Int32Array(1024);
let hypIds = new Float64Array(256);

/**
 * Tokenizes a hypothesis and matches it against reference n-grams: writes the clipped matches
 * of each order into `correct` and returns the hypothesis length in tokens.
 */
export function matchHypothesis(
  hypothesis: string,
  tokenizer: Tokenizer,
  reference: ReferenceNgrams,
  maxOrder: number,
  correct: Float64Array,
): number {
  const text = tokenizer.spans(hypothesis, spans);
  const len = spans.count;
  correct.fill(0);
  const limits = reference.limits;
  if (used.length < limits.length) used = new Int32Array(limits.length * 2);
  if (touched.length < len * maxOrder) touched = new Int32Array(len * maxOrder * 2);
  const nTouched =
    reference.stringSlots === undefined
      ? matchPacked(text, len, reference, maxOrder, correct)
      : matchStrings(text, len, reference, maxOrder, correct);
  for (let t = 0; t < nTouched; t++) used[touched[t]!] = 0;
  return len;
}

/** The common case: integer n-gram keys in the typed-array table. Returns the slots touched. */
function matchPacked(
  text: string,
  len: number,
  reference: ReferenceNgrams,
  maxOrder: number,
  correct: Float64Array,
): number {
  const { vocabulary, base, keys, limits } = reference;
  if (hypIds.length < len) hypIds = new Float64Array(len * 2);
  const ids = hypIds;
  const starts = spans.starts;
  const ends = spans.ends;
  // Each token is looked up once; 0 marks a token that no reference has.
  for (let j = 0; j < len; j++) ids[j] = vocabulary.idOf(text, starts[j]!, ends[j]!, false) + 1;
  const u = used;
  const tch = touched;
  let nTouched = 0;
  for (let i = 0; i < len; i++) {
    const last = Math.min(len, i + maxOrder);
    let key = 0;
    for (let j = i; j < last; j++) {
      const id = ids[j]!;
      // A token no reference has ends every n-gram starting at i: none of them can match.
      if (id === 0) break;
      key = key * base + id;
      const slot = probe(keys, key);
      // A reference holding an n-gram holds its prefixes, so no extension of a miss matches.
      if (keys[slot] === 0) break;
      if (u[slot] === 0) tch[nTouched++] = slot;
      const n = ++u[slot]!;
      if (n <= limits[slot]!) correct[j - i]!++;
    }
  }
  return nTouched;
}

/** The fallback for enormous vocabularies: n-grams keyed by their space-joined tokens. */
function matchStrings(
  text: string,
  len: number,
  reference: ReferenceNgrams,
  maxOrder: number,
  correct: Float64Array,
): number {
  const { stringSlots, limits } = reference;
  const words = Array.from({ length: len }, (_, j) =>
    text.substring(spans.starts[j]!, spans.ends[j]!),
  );
  let nTouched = 0;
  for (let i = 0; i < len; i++) {
    const last = Math.min(len, i + maxOrder);
    for (let j = i; j < last; j++) {
      const slot = stringSlots!.get(words.slice(i, j + 1).join(' '));
      if (slot === undefined) break;
      if (used[slot] === 0) touched[nTouched++] = slot;
      used[slot]!++;
      if (used[slot]! <= limits[slot]!) correct[j - i]!++;
    }
  }
  return nTouched;
}
