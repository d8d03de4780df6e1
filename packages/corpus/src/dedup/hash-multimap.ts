const EMPTY = 0xffffffff;

/**
 * A multimap from 64-bit hashes (two 32-bit halves) to 32-bit item numbers, in three typed
 * arrays with linear probing: 12 bytes a slot, against 50–100 bytes an entry for a `Map`, and
 * no per-entry objects for the garbage collector to walk. Insert-only, since deduplication
 * never forgets a kept item. Keys must already be well mixed (they are hashes).
 */
export class HashMultimap {
  #high: Uint32Array;
  #low: Uint32Array;
  #values: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#values = new Uint32Array(capacity).fill(EMPTY);
    this.#mask = capacity - 1;
  }

  /** Entries stored. */
  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table's arrays. */
  get byteLength(): number {
    return this.#high.byteLength + this.#low.byteLength + this.#values.byteLength;
  }

  /** Adds `value` under the key; a key may hold several values. */
  insert(high: number, low: number, value: number): void {
    if ((this.#size + 1) * 10 > this.#values.length * 7) this.#grow();
    this.#place(high >>> 0, low >>> 0, value);
    this.#size += 1;
  }

  /** Calls `visit` with each value stored under the key until it returns `true`. */
  lookup(high: number, low: number, visit: (value: number) => boolean | undefined): void {
    const values = this.#values;
    const highs = this.#high;
    const lows = this.#low;
    const mask = this.#mask;
    const h = high >>> 0;
    const l = low >>> 0;
    for (let slot = l & mask; ; slot = (slot + 1) & mask) {
      const value = values[slot] as number;
      if (value === EMPTY) return;
      if (highs[slot] === h && lows[slot] === l && visit(value) === true) return;
    }
  }

  #place(high: number, low: number, value: number): void {
    const mask = this.#mask;
    let slot = low & mask;
    while (this.#values[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.#high[slot] = high;
    this.#low[slot] = low;
    this.#values[slot] = value;
  }

  #grow(): void {
    const highs = this.#high;
    const lows = this.#low;
    const values = this.#values;
    const capacity = values.length * 2;
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#values = new Uint32Array(capacity).fill(EMPTY);
    this.#mask = capacity - 1;
    for (let slot = 0; slot < values.length; slot += 1) {
      const value = values[slot] as number;
      if (value !== EMPTY) this.#place(highs[slot] as number, lows[slot] as number, value);
    }
  }
}
