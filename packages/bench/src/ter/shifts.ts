import type { Alignment } from './edit-distance.js';

/** Longest block of words one shift moves (tercom's limit). */
export const MAX_SHIFT_SIZE = 10;
/** Largest distance between a block's hypothesis and reference positions considered for a shift. */
export const MAX_SHIFT_DIST = 50;
/**
 * Shift candidates one TER computation may evaluate in all; the search stops, without taking the
 * shift found in the round that crosses it, once that many were tried (sacreBLEU's own limit).
 */
export const MAX_SHIFT_CANDIDATES = 1000;

/**
 * A shift candidate packed into one number whose ascending order is sacreBLEU's preference among
 * shifts that save as many edits: longer blocks first, then earlier blocks, then earlier targets.
 */
export function encodeShift(length: number, start: number, target: number, nHyp: number): number {
  const n = nHyp + 1;
  return ((MAX_SHIFT_SIZE - length) * n + start) * n + target;
}

/** A shift: move `length` words from `start` to before position `target`. */
export interface Shift {
  start: number;
  length: number;
  target: number;
}

/** Unpacks {@link encodeShift} into `out`. */
export function decodeShift(key: number, nHyp: number, out: Shift): Shift {
  const n = nHyp + 1;
  out.target = key % n;
  const rest = (key - out.target) / n;
  out.start = rest % n;
  out.length = MAX_SHIFT_SIZE - (rest - out.start) / n;
  return out;
}

/**
 * Lists the shifts sacreBLEU would try for the hypothesis `hyp` against `ref`, given their current
 * alignment, into `out` in its order; a shift tried from several block pairs appears each time.
 * Candidates are blocks of up to {@link MAX_SHIFT_SIZE} words that occur in both, at most
 * {@link MAX_SHIFT_DIST} apart, that hold an error on both sides and are not already aligned to
 * themselves; each goes before, or after each word of, the aligned counterpart of its reference
 * block. Stops after the block pair that brings the count to `budget`; returns the count.
 */
export function collectShiftCandidates(
  hyp: Int32Array,
  nHyp: number,
  ref: Int32Array,
  nRef: number,
  alignment: Alignment,
  budget: number,
  out: Float64Array,
): number {
  const { position, hypErrors, refErrors } = alignment;
  let count = 0;
  for (let start = 0; start < nHyp; start++) {
    // Blocks need an error on both sides; skip starts with none within reach.
    if (hypErrors[Math.min(nHyp, start + MAX_SHIFT_SIZE)] === hypErrors[start]) continue;
    const word = hyp[start]!;
    const refFrom = Math.max(0, start - MAX_SHIFT_DIST);
    const refTo = Math.min(nRef - 1, start + MAX_SHIFT_DIST);
    for (let refStart = refFrom; refStart <= refTo; refStart++) {
      if (ref[refStart] !== word) continue;
      if (refErrors[Math.min(nRef, refStart + MAX_SHIFT_SIZE)] === refErrors[refStart]) continue;
      const maxLength = Math.min(MAX_SHIFT_SIZE, nHyp - start, nRef - refStart);
      const anchor = position[refStart]!;
      for (let length = 1; length <= maxLength; length++) {
        if (length > 1 && hyp[start + length - 1] !== ref[refStart + length - 1]) break;
        // A block that is right on both sides, or that would land inside itself, is no shift.
        if (hypErrors[start + length] === hypErrors[start]) continue;
        if (refErrors[refStart + length] === refErrors[refStart]) continue;
        if (start <= anchor && anchor < start + length) continue;
        let previous = -1;
        for (let offset = -1; offset < length; offset++) {
          const target = refStart + offset < 0 ? 0 : position[refStart + offset]! + 1;
          if (target === previous) continue;
          previous = target;
          out[count++] = encodeShift(length, start, target, nHyp);
        }
        if (count >= budget) return count;
      }
    }
  }
  return count;
}

/**
 * Writes `words` (its first `nHyp` ids) with `shift` applied into `out`. A target inside the block
 * moves the block right by the difference between the two, as in sacreBLEU.
 */
export function applyShift(words: Int32Array, nHyp: number, shift: Shift, out: Int32Array): void {
  const { start, length, target } = shift;
  const blockEnd = start + length;
  const changed = Math.min(start, target);
  for (let p = 0; p < changed; p++) out[p] = words[p]!;
  let k = changed;
  if (target < start) {
    for (let p = start; p < blockEnd; p++) out[k++] = words[p]!;
    for (let p = target; p < start; p++) out[k++] = words[p]!;
    for (let p = blockEnd; p < nHyp; p++) out[k++] = words[p]!;
  } else {
    const gapEnd = target > blockEnd ? target : Math.min(nHyp, length + target);
    for (let p = blockEnd; p < gapEnd; p++) out[k++] = words[p]!;
    for (let p = start; p < blockEnd; p++) out[k++] = words[p]!;
    for (let p = gapEnd; p < nHyp; p++) out[k++] = words[p]!;
  }
}
