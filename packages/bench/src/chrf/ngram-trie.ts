// Exact n-gram counting without building n-gram strings. A reference's n-grams of every order up
// to `maxOrder` are stored as a trie: node = (parent node, next symbol), where symbols are code
// points (character n-grams) or word ids (word n-grams). A node is identified by its slot in an
// open-addressing hash table keyed by that pair, so an n-gram is found by walking n exact integer
// lookups and two different n-grams can never share a node. Each node keeps how often its n-gram
// occurs in the reference; a hypothesis is matched by walking the same trie from every start
// position, spending a working copy of those counts, so each n-gram's matches are clipped at its
// reference count as sacreBLEU's `min(hyp count, ref count)` does.

const ROOT = -1;
const EMPTY = -1;
// Slot layout in `slots`: [parent, symbol, reference count].
const WIDTH = 3;

function slotOf(parent: number, symbol: number, mask: number): number {
  let h = Math.imul(parent ^ Math.imul(symbol, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  return h & mask;
}

/**
 * Per-hypothesis working copy of a trie's reference counts: each match spends one, so a
 * hypothesis n-gram never matches more often than the reference has it (sacreBLEU's clipping).
 */
export class MatchScratch {
  /** Reference counts not yet matched, per trie slot; grown on demand. */
  remaining = new Int32Array(1024);
}

/** Every n-gram of orders 1..`maxOrder` of one symbol sequence, with its count. */
export class NgramTrie {
  readonly maxOrder: number;
  /** Number of symbols in the indexed sequence. */
  readonly length: number;
  readonly #slots: Int32Array;
  readonly #mask: number;

  /** Indexes `symbols[0..length)`; every symbol must be a non-negative integer. */
  constructor(symbols: Int32Array, length: number, maxOrder: number) {
    this.maxOrder = maxOrder;
    this.length = length;
    let bound = 0;
    for (let n = 1; n <= maxOrder && n <= length; n++) bound += length - n + 1;
    // At most two thirds full, so that linear probing stays short.
    let capacity = 4;
    while (capacity * 2 < bound * 3) capacity *= 2;
    const slots = new Int32Array(capacity * WIDTH).fill(EMPTY);
    const mask = capacity - 1;
    for (let start = 0; start < length; start++) {
      let node = ROOT;
      const end = Math.min(length, start + maxOrder);
      for (let i = start; i < end; i++) {
        const symbol = symbols[i]!;
        let slot = slotOf(node, symbol, mask);
        for (;;) {
          const at = slot * WIDTH;
          const stored = slots[at + 1]!;
          if (stored === EMPTY) {
            slots[at] = node;
            slots[at + 1] = symbol;
            slots[at + 2] = 1;
            break;
          }
          if (stored === symbol && slots[at] === node) {
            slots[at + 2]!++;
            break;
          }
          slot = (slot + 1) & mask;
        }
        node = slot;
      }
    }
    this.#slots = slots;
    this.#mask = mask;
  }

  /** Number of n-grams of order `n` (1-based) in the indexed sequence, repeats included. */
  total(n: number): number {
    return Math.max(0, this.length - n + 1);
  }

  /**
   * Counts, per order, the hypothesis n-grams that the reference also has, each distinct n-gram
   * clipped at its reference count. A negative symbol never matches (a word the reference lacks).
   * Adds the counts to `matches[0..maxOrder)`, which the caller zeroes.
   */
  countMatches(
    symbols: Int32Array,
    length: number,
    scratch: MatchScratch,
    matches: Int32Array,
  ): void {
    const slots = this.#slots;
    const mask = this.#mask;
    const maxOrder = this.maxOrder;
    const capacity = mask + 1;
    if (scratch.remaining.length < capacity) scratch.remaining = new Int32Array(capacity * 2);
    const remaining = scratch.remaining;
    // Copying in slot order also pulls the whole table into cache with sequential reads, which
    // is much cheaper than the random misses the walk below would otherwise take.
    for (let slot = 0, at = 2; slot < capacity; slot++, at += WIDTH) remaining[slot] = slots[at]!;
    for (let start = 0; start < length; start++) {
      let node = ROOT;
      const end = Math.min(length, start + maxOrder);
      for (let i = start; i < end; i++) {
        const symbol = symbols[i]!;
        if (symbol < 0) break;
        let slot = slotOf(node, symbol, mask);
        for (;;) {
          const stored = slots[slot * WIDTH + 1]!;
          if (stored === symbol && slots[slot * WIDTH] === node) break;
          if (stored === EMPTY) {
            slot = -1;
            break;
          }
          slot = (slot + 1) & mask;
        }
        if (slot < 0) break;
        node = slot;
        if (remaining[slot]!-- > 0) matches[i - start]!++;
      }
    }
  }
}
