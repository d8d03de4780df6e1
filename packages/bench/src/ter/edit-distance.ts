/**
 * Half-width of the band of the edit-distance matrix that is computed around its diagonal
 * (tercom's beam).
 */
export const BEAM_WIDTH = 25;

/**
 * Stands for "not computed" in the matrix. Small enough that adding a few unit costs to it stays
 * an exact 32-bit integer, far above any real distance.
 */
const INF = 0x20000000;

/**
 * How the reference and the hypothesis line up, read from the optimal edit path: which
 * hypothesis position each reference word sits at, and which words on either side are errors.
 * The arrays are owned by the {@link BeamEditDistance} and overwritten by its next `align`.
 */
export interface Alignment {
  /**
   * `position[r]`: index of the hypothesis word that reference word `r` is matched or substituted
   * with, or for a reference word the hypothesis lacks, of the hypothesis word before the gap
   * (`-1` at the start).
   */
  readonly position: Int32Array;
  /** `hypErrors[k]`: number of erroneous hypothesis words before position `k` (prefix sums). */
  readonly hypErrors: Int32Array;
  /** `refErrors[k]`: number of erroneous reference words before position `k` (prefix sums). */
  readonly refErrors: Int32Array;
}

/**
 * Word-level Levenshtein distance between one reference and hypotheses of one length, restricted
 * to a beam around the (length-ratio) diagonal exactly as sacreBLEU's `BeamEditDistance`, so that
 * distances, tie-breaking between edit operations and therefore alignments are the same.
 *
 * The distance is the cost of the cheapest monotone path through the band. For the last aligned
 * hypothesis this class keeps the cost of the cheapest path from the start to every cell (the
 * forward matrix) and, computed on demand, from every cell to the end (the backward matrix). A
 * shift candidate differs from that hypothesis only in a span of rows, so its distance is the
 * forward matrix recomputed over that span and joined with the backward matrix on the span's last
 * row, abandoned as soon as it cannot beat a given limit. That replaces sacreBLEU's prefix-tree row
 * cache, which only ever saves work and never changes a result.
 *
 * Words are integer ids; one instance is reused for every pair (`reset`) so that its typed arrays
 * are allocated once and grow only for longer sentences.
 */
export class BeamEditDistance {
  private ref: Int32Array = new Int32Array(0);
  private nRef = 0;
  private nHyp = 0;
  /** The last aligned hypothesis (not copied: the caller leaves it alone until the next align). */
  private hyp: Int32Array = new Int32Array(0);
  /** Row-major `(nHyp + 3) × (nRef + 1)` forward costs; the last two rows are scratch rows. */
  private forward = new Int32Array(0);
  /** Row-major `(nHyp + 1) × (nRef + 1)` backward costs, valid from row `backwardFrom` on. */
  private backward = new Int32Array(0);
  private backwardFrom = 0;
  private unrestricted = false;
  /** Column range `[rowStart[i], rowEnd[i])` of the band in each row. */
  private rowStart = new Int32Array(0);
  private rowEnd = new Int32Array(0);
  private position = new Int32Array(0);
  private hypErrors = new Int32Array(0);
  private refErrors = new Int32Array(0);
  private hypErrorFlags = new Uint8Array(0);
  private refErrorFlags = new Uint8Array(0);
  private current: Alignment = {
    position: this.position,
    hypErrors: this.hypErrors,
    refErrors: this.refErrors,
  };

  /** Prepares for hypotheses of `nHyp` words against `ref` (its first `nRef` ids). */
  reset(ref: Int32Array, nRef: number, nHyp: number): void {
    this.ref = ref;
    this.nRef = nRef;
    this.nHyp = nHyp;
    const width = nRef + 1;
    const cells = (nHyp + 3) * width;
    if (this.forward.length < cells) {
      const capacity = Math.max(cells, this.forward.length * 2);
      this.forward = new Int32Array(capacity);
      this.backward = new Int32Array(capacity);
    }
    if (this.rowStart.length < nHyp + 1) {
      const capacity = Math.max(nHyp + 1, this.rowStart.length * 2);
      this.rowStart = new Int32Array(capacity);
      this.rowEnd = new Int32Array(capacity);
      this.hypErrors = new Int32Array(capacity);
      this.hypErrorFlags = new Uint8Array(capacity);
    }
    if (this.position.length < width) {
      const capacity = Math.max(width, this.position.length * 2);
      this.position = new Int32Array(capacity);
      this.refErrors = new Int32Array(capacity);
      this.refErrorFlags = new Uint8Array(capacity);
    }

    // The band follows the diagonal scaled by the length ratio; it widens when the lengths differ
    // so much that consecutive rows' bands would not overlap. The floating-point arithmetic is
    // sacreBLEU's, so that the band edges are the same cells. Row 0 and row nHyp are complete.
    const ratio = nHyp > 0 ? nRef / nHyp : 1;
    const beam = BEAM_WIDTH < ratio / 2 ? Math.ceil(ratio / 2 + BEAM_WIDTH) : BEAM_WIDTH;
    this.rowStart[0] = 0;
    this.rowEnd[0] = width;
    let unrestricted = true;
    for (let i = 1; i <= nHyp; i++) {
      const diagonal = Math.floor(i * ratio);
      this.rowStart[i] = Math.max(0, diagonal - beam);
      this.rowEnd[i] = i === nHyp ? width : Math.min(width, diagonal + beam);
      if (this.rowStart[i] !== 0 || this.rowEnd[i] !== width) unrestricted = false;
    }
    this.unrestricted = unrestricted;
    // Reaching reference position j from nothing takes j insertions; from the last hypothesis
    // word, reaching the end takes one insertion per reference word left.
    const last = nHyp * width;
    for (let j = 0; j < width; j++) {
      this.forward[j] = j;
      this.backward[last + j] = nRef - j;
    }
    this.backwardFrom = nHyp;
  }

  /**
   * Whether the band covers the whole matrix, so that distances are plain Levenshtein distances
   * (and obey the triangle inequality).
   */
  get isUnrestricted(): boolean {
    return this.unrestricted;
  }

  /**
   * Computes the distance of `hyp` and keeps its matrices. `hyp` must equal the previously aligned
   * hypothesis outside positions `[fromRow, toRow)` (after `reset`, pass `0` and `nHyp`), and must
   * not change until the next `align`.
   */
  align(hyp: Int32Array, fromRow: number, toRow: number): number {
    this.hyp = hyp;
    const width = this.nRef + 1;
    for (let i = fromRow + 1, prev = fromRow * width; i <= this.nHyp; i++, prev += width)
      this.forwardRow(hyp[i - 1]!, i, prev, prev + width);
    // Costs to the end depend on the words from their row on only.
    if (this.backwardFrom < toRow) this.backwardFrom = toRow;
    return this.forward[this.nHyp * width + this.nRef]!;
  }

  /**
   * The alignment on the optimal path of the last aligned hypothesis. sacreBLEU reads it as if the
   * reference were rewritten into the hypothesis (insertions and deletions swapped), which is what
   * the fields describe.
   */
  alignment(): Alignment {
    const { forward, hyp, ref, nRef, nHyp, position, hypErrorFlags, refErrorFlags } = this;
    const width = nRef + 1;
    let i = nHyp;
    let j = nRef;
    // Walk the optimal path back. sacreBLEU records, in each cell, the first of match or
    // substitution, deletion and insertion that reaches its cost; that operation is recovered here
    // from the costs alone.
    while (i > 0 || j > 0) {
      const here = forward[i * width + j]!;
      const above = (i - 1) * width + j;
      if (i > 0 && j > 0 && forward[above - 1]! + (hyp[i - 1] === ref[j - 1] ? 0 : 1) === here) {
        const error = hyp[i - 1] === ref[j - 1] ? 0 : 1;
        i--;
        j--;
        position[j] = i;
        hypErrorFlags[i] = error;
        refErrorFlags[j] = error;
      } else if (i > 0 && (j === 0 || forward[above]! + 1 === here)) {
        // A hypothesis word with no counterpart in the reference.
        i--;
        hypErrorFlags[i] = 1;
      } else {
        // A reference word missing from the hypothesis.
        j--;
        position[j] = i - 1;
        refErrorFlags[j] = 1;
      }
    }
    const { hypErrors, refErrors } = this;
    hypErrors[0] = 0;
    for (let k = 0; k < nHyp; k++) hypErrors[k + 1] = hypErrors[k]! + hypErrorFlags[k]!;
    refErrors[0] = 0;
    for (let k = 0; k < nRef; k++) refErrors[k + 1] = refErrors[k]! + refErrorFlags[k]!;
    if (this.current.position !== position || this.current.hypErrors !== hypErrors)
      this.current = { position, hypErrors, refErrors };
    return this.current;
  }

  /**
   * Distance of `hyp`, which equals the last aligned hypothesis outside positions
   * `[fromRow, toRow)`, or any value above `limit` as soon as the distance is known to exceed it.
   * Leaves the aligned hypothesis's matrices as they are.
   */
  distanceWithin(hyp: Int32Array, fromRow: number, toRow: number, limit: number): number {
    const { forward, backward, nRef, nHyp } = this;
    const width = nRef + 1;
    if (this.backwardFrom > toRow) this.extendBackward(toRow);
    let prev = fromRow * width;
    let cur = (nHyp + 1) * width;
    let spare = cur + width;
    for (let i = fromRow + 1; i <= toRow; i++) {
      if (this.forwardRow(hyp[i - 1]!, i, prev, cur) > limit) return limit + 1;
      prev = cur;
      cur = spare;
      spare = prev;
    }
    // From row `toRow` on the words are the aligned hypothesis's, and so are the costs to the end.
    const end = this.rowEnd[toRow]!;
    const tail = toRow * width;
    let distance = INF;
    for (let j = this.rowStart[toRow]!; j < end; j++) {
      const through = forward[prev + j]! + backward[tail + j]!;
      if (through < distance) distance = through;
    }
    return distance;
  }

  /**
   * Computes forward row `i` (hypothesis word `word`) at offset `cur` from the row before it at
   * `prev`; cells outside the band become unreachable for the next row. Returns a lower bound of
   * the distance of any hypothesis that starts with these `i` words.
   */
  private forwardRow(word: number, i: number, prev: number, cur: number): number {
    const { forward, ref, nRef, nHyp } = this;
    const start = this.rowStart[i]!;
    const end = this.rowEnd[i]!;
    // Every path to the end crosses this row at some j and then still needs at least as many
    // edits as the remaining lengths differ, |(nHyp - i) - (nRef - j)|.
    const remaining = nHyp - i - nRef;
    let bound = INF;
    let left: number;
    if (start === 0) {
      left = forward[prev]! + 1;
      forward[cur] = left;
      bound = left + Math.abs(remaining);
    } else {
      left = INF;
      forward[cur + start - 1] = INF;
    }
    let diagonal = forward[prev + (start === 0 ? 0 : start - 1)]!;
    for (let j = start === 0 ? 1 : start; j < end; j++) {
      const up = forward[prev + j]!;
      let value = diagonal + (word === ref[j - 1] ? 0 : 1);
      if (up + 1 < value) value = up + 1;
      if (left + 1 < value) value = left + 1;
      forward[cur + j] = value;
      left = value;
      diagonal = up;
      const lower = value + Math.abs(remaining + j);
      if (lower < bound) bound = lower;
    }
    if (end <= nRef) forward.fill(INF, cur + end, cur + nRef + 1);
    return bound;
  }

  /** Computes the backward matrix of the aligned hypothesis down to row `toRow`. */
  private extendBackward(toRow: number): void {
    const { backward, hyp, ref, nRef, rowStart, rowEnd } = this;
    const width = nRef + 1;
    for (let i = this.backwardFrom - 1; i >= toRow; i--) {
      const cur = i * width;
      const next = cur + width;
      const start = rowStart[i]!;
      const end = rowEnd[i]!;
      const word = hyp[i]!;
      // Cells outside the band are unreachable; the rows above read them.
      if (start > 0) backward.fill(INF, cur, cur + start);
      let j = end - 1;
      if (end === width) {
        backward[cur + nRef] = backward[next + nRef]! + 1;
        j = nRef - 1;
      } else {
        backward.fill(INF, cur + end, cur + width);
      }
      for (; j >= start; j--) {
        let value = backward[next + j + 1]! + (word === ref[j] ? 0 : 1);
        const down = backward[next + j]! + 1;
        if (down < value) value = down;
        const right = backward[cur + j + 1]! + 1;
        if (right < value) value = right;
        backward[cur + j] = value;
      }
    }
    this.backwardFrom = toRow;
  }
}
