import { BeamEditDistance } from './edit-distance.js';
import {
  applyShift,
  collectShiftCandidates,
  decodeShift,
  MAX_SHIFT_CANDIDATES,
  MAX_SHIFT_SIZE,
  type Shift,
} from './shifts.js';

/**
 * Counts TER edits between word-id sequences as sacreBLEU 2.6.0 does (a port of tercom): shifts
 * of word blocks are taken greedily, each round the one that saves the most edits, until none
 * saves any or the candidate budget runs out; then the remaining words are aligned by
 * beam-restricted Levenshtein distance. The result is the number of shifts plus that distance.
 *
 * One instance owns all working memory and is reused for every sentence pair; it is not
 * re-entrant.
 */
export class TranslationEditRate {
  private readonly distance = new BeamEditDistance();
  private words = new Int32Array(0);
  private shifted = new Int32Array(0);
  private sortedRef = new Int32Array(0);
  private readonly candidates = new Float64Array(MAX_SHIFT_CANDIDATES + MAX_SHIFT_SIZE + 1);
  private readonly shift: Shift = { start: 0, length: 0, target: 0 };

  /**
   * Edits that turn `hyp` (its first `nHyp` ids) into `ref` (its first `nRef` ids). Ids are
   * compared for equality only. With an empty reference every hypothesis word is an edit.
   */
  edits(hyp: Int32Array, nHyp: number, ref: Int32Array, nRef: number): number {
    if (nRef === 0) return nHyp;
    if (nHyp === 0) return nRef;
    if (this.words.length < nHyp) {
      const capacity = Math.max(nHyp, this.words.length * 2);
      this.words = new Int32Array(capacity);
      this.shifted = new Int32Array(capacity);
    }
    let words = this.words;
    let shifted = this.shifted;
    for (let k = 0; k < nHyp; k++) words[k] = hyp[k]!;

    const { distance: matrix, candidates, shift } = this;
    matrix.reset(ref, nRef, nHyp);
    let distance = matrix.align(words, 0, nHyp);
    const unrestricted = matrix.isUnrestricted;
    // Shifts keep the words, and every word beyond those the two sides have in common costs an
    // edit whatever the order, so no distance goes below that floor; once there, no shift can help
    // and the search would end without taking one.
    const floor = Math.max(nHyp, nRef) - this.commonWords(words, nHyp, ref, nRef);
    let shifts = 0;
    let checked = 0;
    while (distance > floor) {
      const alignment = matrix.alignment();
      const budget = MAX_SHIFT_CANDIDATES - checked;
      const count = collectShiftCandidates(words, nHyp, ref, nRef, alignment, budget, candidates);
      checked += count;
      if (checked >= MAX_SHIFT_CANDIDATES || count === 0) break;

      // In preference order, a candidate must save strictly more than the best so far; finding
      // that out can stop early, as soon as a candidate's partial matrix rules it out.
      const sorted = candidates.subarray(0, count).sort();
      let bestKey = -1;
      let bestSaving = 0;
      let previousKey = -1;
      for (let k = 0; k < count; k++) {
        const key = sorted[k]!;
        if (key === previousKey) continue;
        previousKey = key;
        if (distance - bestSaving <= floor) break;
        decodeShift(key, nHyp, shift);
        if (unrestricted) {
          // By the triangle inequality a shift saves at most the Levenshtein distance between
          // the hypothesis and its shifted self, at most twice the block's length or the number
          // of words it jumps, whichever is smaller. Blocks only get shorter from here on.
          if (2 * shift.length <= bestSaving) break;
          if (2 * jumpedWords(shift, nHyp) <= bestSaving) continue;
        }
        applyShift(words, nHyp, shift, shifted);
        const from = firstDifference(words, shifted, nHyp);
        const to = lastDifference(words, shifted, from, nHyp);
        const cost = matrix.distanceWithin(shifted, from, to, distance - bestSaving - 1);
        if (cost < distance - bestSaving) {
          bestSaving = distance - cost;
          bestKey = key;
        }
      }
      if (bestKey < 0) break;

      applyShift(words, nHyp, decodeShift(bestKey, nHyp, shift), shifted);
      const from = firstDifference(words, shifted, nHyp);
      const to = lastDifference(words, shifted, from, nHyp);
      [words, shifted] = [shifted, words];
      distance = matrix.align(words, from, to);
      shifts++;
    }
    this.words = words;
    this.shifted = shifted;
    return shifts + distance;
  }

  /** Size of the multiset intersection of the two id sequences (sorted copies, merged). */
  private commonWords(hyp: Int32Array, nHyp: number, ref: Int32Array, nRef: number): number {
    if (this.sortedRef.length < nRef) this.sortedRef = new Int32Array(Math.max(nRef, nHyp));
    const a = this.shifted;
    const b = this.sortedRef;
    sortCopy(hyp, nHyp, a);
    sortCopy(ref, nRef, b);
    let common = 0;
    for (let i = 0, j = 0; i < nHyp && j < nRef; ) {
      if (a[i]! < b[j]!) i++;
      else if (a[i]! > b[j]!) j++;
      else {
        common++;
        i++;
        j++;
      }
    }
    return common;
  }
}

/** The first position where `a` and `b` differ, or `n`. */
function firstDifference(a: Int32Array, b: Int32Array, n: number): number {
  let k = 0;
  while (k < n && a[k] === b[k]) k++;
  return k;
}

/** One past the last position before `n` where `a` and `b` differ, or `from`. */
function lastDifference(a: Int32Array, b: Int32Array, from: number, n: number): number {
  let k = n;
  while (k > from && a[k - 1] === b[k - 1]) k--;
  return k;
}

/** How many words `shift` moves its block past. */
function jumpedWords(shift: Shift, nHyp: number): number {
  const { start, length, target } = shift;
  if (target < start) return start - target;
  if (target > start + length) return target - start - length;
  return Math.min(nHyp, length + target) - start - length;
}

/** Copies the first `n` ids of `from` into `to`, sorted (insertion sort: sentences are short). */
function sortCopy(from: Int32Array, n: number, to: Int32Array): void {
  if (n > 64) {
    to.set(from.subarray(0, n));
    to.subarray(0, n).sort();
    return;
  }
  for (let k = 0; k < n; k++) {
    const value = from[k]!;
    let p = k;
    while (p > 0 && to[p - 1]! > value) {
      to[p] = to[p - 1]!;
      p--;
    }
    to[p] = value;
  }
}
