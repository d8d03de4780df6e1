import { isPythonSpace } from '../python-text.js';

// chrF++ tokens are the whitespace-separated words of a line, with one ASCII punctuation character
// split off the end of a word, or else off its start (so `(hi)` gives `(hi` and `)`, as sacreBLEU
// does). Hypothesis words are looked up straight from the text by position, so scoring allocates
// no strings.

// Python's `string.punctuation`.
const PUNCTUATION = new Uint8Array(128);
for (const c of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') PUNCTUATION[c.charCodeAt(0)] = 1;

function isPunctuation(unit: number): boolean {
  return unit < 128 && PUNCTUATION[unit] === 1;
}

const EMPTY = -1;

function hashOf(text: string, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}

/**
 * The words of one segment's references, each with a small id (0, 1, 2, ... in order of first
 * appearance), so that word n-grams can be indexed like character n-grams.
 */
export class WordVocabulary {
  readonly #words: string[] = [];
  readonly #hashes: number[] = [];
  #slots = new Int32Array(16).fill(EMPTY);

  /** Number of distinct words. */
  get size(): number {
    return this.#words.length;
  }

  /**
   * Writes the id of each chrF++ token of `text` to `out` (which must hold `text.length`
   * values) and returns how many there are. With `add`, unseen tokens get new ids; without,
   * they get -1, which matches nothing.
   */
  encode(text: string, add: boolean, out: Int32Array): number {
    const units = text.length;
    let count = 0;
    let i = 0;
    while (i < units) {
      while (i < units && isPythonSpace(text.charCodeAt(i))) i++;
      if (i === units) break;
      const start = i;
      while (i < units && !isPythonSpace(text.charCodeAt(i))) i++;
      // A one-unit word is one character. A longer word with ASCII punctuation at an end has at
      // least two characters, so UTF-16 lengths decide as Python's code-point lengths do.
      if (i - start > 1 && isPunctuation(text.charCodeAt(i - 1))) {
        out[count++] = this.#idOf(text, start, i - 1, add);
        out[count++] = this.#idOf(text, i - 1, i, add);
      } else if (i - start > 1 && isPunctuation(text.charCodeAt(start))) {
        out[count++] = this.#idOf(text, start, start + 1, add);
        out[count++] = this.#idOf(text, start + 1, i, add);
      } else out[count++] = this.#idOf(text, start, i, add);
    }
    return count;
  }

  #idOf(text: string, start: number, end: number, add: boolean): number {
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
