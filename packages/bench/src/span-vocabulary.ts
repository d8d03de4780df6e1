// Tokens are looked up straight from the text by position (`text[start, end)`), so scoring a
// hypothesis allocates no strings: a hash over the UTF-16 units finds candidates in an
// open-addressing table, and a unit-by-unit comparison confirms them.

const EMPTY = -1;

function hashOf(text: string, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}

/** Growable spans of tokens: token `k` is `text[starts[k], ends[k])`. */
export class SpanBuffer {
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  count = 0;

  /** Makes room for `n` spans, keeping none. */
  reset(n: number): void {
    if (this.starts.length < n) {
      this.starts = new Int32Array(n * 2);
      this.ends = new Int32Array(n * 2);
    }
    this.count = 0;
  }

  push(start: number, end: number): void {
    if (this.count === this.starts.length) {
      const starts = new Int32Array(this.count * 2);
      const ends = new Int32Array(this.count * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[this.count] = start;
    this.ends[this.count++] = end;
  }
}

/**
 * Distinct tokens with small ids (0, 1, 2, ... in order of first appearance), found by the
 * position of a token in a text rather than by a string.
 */
export class SpanVocabulary {
  readonly #words: string[] = [];
  readonly #hashes: number[] = [];
  #slots = new Int32Array(16).fill(EMPTY);

  /** Number of distinct tokens. */
  get size(): number {
    return this.#words.length;
  }

  /** The token with id `id`. */
  word(id: number): string {
    return this.#words[id]!;
  }

  /**
   * The id of `text[start, end)`. With `add`, an unseen token gets a new id; without, it gets
   * -1, which matches nothing.
   */
  idOf(text: string, start: number, end: number, add: boolean): number {
    const hash = hashOf(text, start, end);
    const slots = this.#slots;
    const mask = slots.length - 1;
    const length = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = slots[slot]!;
      if (id === EMPTY) break;
      if (this.#hashes[id] !== hash) continue;
      const word = this.#words[id]!;
      if (word.length !== length) continue;
      let same = true;
      for (let k = 0; k < length && same; k++)
        same = word.charCodeAt(k) === text.charCodeAt(start + k);
      if (same) return id;
    }
    if (!add) return -1;
    const id = this.#words.length;
    this.#words.push(text.slice(start, end));
    this.#hashes.push(hash);
    if ((id + 1) * 2 > slots.length) this.#rehash(slots.length * 2);
    else this.#place(id);
    return id;
  }

  #place(id: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let slot = this.#hashes[id]! & mask;
    while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    slots[slot] = id;
  }

  #rehash(capacity: number): void {
    this.#slots = new Int32Array(capacity).fill(EMPTY);
    for (let id = 0; id < this.#words.length; id++) this.#place(id);
  }
}
