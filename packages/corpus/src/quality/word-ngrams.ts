/**
 * Word n-gram statistics for the repetition filters, built for speed: each distinct word gets a
 * small id, two 32-bit polynomial prefix hashes give any n-gram's 64-bit key in O(1), and counts
 * live in an open-addressing table of typed arrays instead of a `Map` of strings. A document of
 * 20,000 words costs a few milliseconds for all nine n-gram sizes.
 */
export class WordNgrams {
  /** Characters of all words (punctuation trimmed). */
  readonly chars: number;
  readonly #lengths: Int32Array;
  /** Prefix sums of `#lengths`, so an n-gram's characters are one subtraction. */
  readonly #charPrefix: Float64Array;
  readonly #hashA: Int32Array;
  readonly #hashB: Int32Array;
  readonly #powA: Int32Array;
  readonly #powB: Int32Array;
  readonly count: number;

  /** `words` must already be normalised (trimmed, lower-cased). */
  constructor(words: readonly string[]) {
    const count = words.length;
    this.count = count;
    this.#lengths = new Int32Array(count);
    this.#charPrefix = new Float64Array(count + 1);
    this.#hashA = new Int32Array(count + 1);
    this.#hashB = new Int32Array(count + 1);
    const dictionary = new Map<string, number>();
    let chars = 0;
    for (let index = 0; index < count; index++) {
      const word = words[index]!;
      let id = dictionary.get(word);
      if (id === undefined) {
        id = dictionary.size + 1;
        dictionary.set(word, id);
      }
      this.#lengths[index] = word.length;
      chars += word.length;
      this.#charPrefix[index + 1] = chars;
      this.#hashA[index + 1] = (Math.imul(this.#hashA[index]!, BASE_A) + mix(id)) | 0;
      this.#hashB[index + 1] = (Math.imul(this.#hashB[index]!, BASE_B) + mix(id ^ 0x5bd1e995)) | 0;
    }
    this.chars = chars;
    this.#powA = new Int32Array(11);
    this.#powB = new Int32Array(11);
    this.#powA[0] = 1;
    this.#powB[0] = 1;
    for (let n = 1; n <= 10; n++) {
      this.#powA[n] = Math.imul(this.#powA[n - 1]!, BASE_A);
      this.#powB[n] = Math.imul(this.#powB[n - 1]!, BASE_B);
    }
  }

  #keyA(start: number, n: number): number {
    return (this.#hashA[start + n]! - Math.imul(this.#hashA[start]!, this.#powA[n]!)) | 0;
  }

  #keyB(start: number, n: number): number {
    return (this.#hashB[start + n]! - Math.imul(this.#hashB[start]!, this.#powB[n]!)) | 0;
  }

  #ngramChars(start: number, n: number): number {
    return this.#charPrefix[start + n]! - this.#charPrefix[start]!;
  }

  /**
   * Characters covered by the most frequent n-gram (all its occurrences, overlaps included, as
   * Gopher counts them) over all word characters; 0 when no n-gram repeats.
   */
  topNgramCharFraction(n: number): number {
    const windows = this.count - n + 1;
    if (windows < 2 || this.chars === 0) return 0;
    const table = new CountTable(windows);
    let bestCount = 1;
    let bestStart = -1;
    for (let start = 0; start < windows; start++) {
      const seen = table.increment(this.#keyA(start, n), this.#keyB(start, n));
      if (seen > bestCount) {
        bestCount = seen;
        bestStart = start;
      }
    }
    return bestStart === -1 ? 0 : (bestCount * this.#ngramChars(bestStart, n)) / this.chars;
  }

  /**
   * Characters of words covered by n-grams seen before, stepping past each repeat so a long
   * repeated run counts once (Gopher's duplicate n-gram measure), over all word characters.
   */
  duplicateNgramCharFraction(n: number): number {
    if (this.count < 2 * n || this.chars === 0) return 0;
    const table = new CountTable(this.count - n + 1);
    let duplicateChars = 0;
    let start = 0;
    while (start <= this.count - n) {
      if (table.increment(this.#keyA(start, n), this.#keyB(start, n)) > 1) {
        duplicateChars += this.#ngramChars(start, n);
        start += n;
      } else {
        start += 1;
      }
    }
    return duplicateChars / this.chars;
  }
}

const BASE_A = 0x01000193;
const BASE_B = 0x5bd1e995;

function mix(id: number): number {
  let x = Math.imul(id ^ (id >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return x ^ (x >>> 16);
}

/** Open-addressing counts keyed by a 64-bit key held as two 32-bit halves. */
class CountTable {
  readonly #mask: number;
  readonly #a: Int32Array;
  readonly #b: Int32Array;
  readonly #counts: Int32Array;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.#mask = size - 1;
    this.#a = new Int32Array(size);
    this.#b = new Int32Array(size);
    this.#counts = new Int32Array(size);
  }

  /** Adds one to the key's count and returns the new count. */
  increment(a: number, b: number): number {
    let slot = (a ^ Math.imul(b, 0x27d4eb2d)) & this.#mask;
    for (;;) {
      const count = this.#counts[slot]!;
      if (count === 0) {
        this.#a[slot] = a;
        this.#b[slot] = b;
        this.#counts[slot] = 1;
        return 1;
      }
      if (this.#a[slot] === a && this.#b[slot] === b) {
        this.#counts[slot] = count + 1;
        return count + 1;
      }
      slot = (slot + 1) & this.#mask;
    }
  }
}
