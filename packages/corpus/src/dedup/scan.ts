// One pass over a text gives everything deduplication needs from it: the 32-bit hash of each
// word (for MinHash) and a 128-bit hash of the text normalised for exact matching. The pass
// reads UTF-16 code units straight from the string, lower-cases them from a table and builds
// no string per word, per shingle or per normalised text. Texts that the table cannot handle
// (combining marks, Hangul jamo, astral characters, …) are normalised and lower-cased by the
// engine first and scanned again; documentation is almost all on the fast path.

// Per BMP code unit, learnt on first sight: bits 0–2 are the class of its lower-case form,
// bit 3 marks whitespace, bit 4 marks units the fast path cannot take, bit 7 marks "learnt".
const SEPARATOR = 1;
const WORD = 2;
/** A CJK ideograph or kana: a word by itself, as those scripts put no spaces between words. */
const SINGLE = 3;
const DIGIT = 4;
const CLASS = 7;
const SPACE = 8;
const SLOW = 16;
const LEARNT = 128;

const info = new Uint8Array(0x10000);
const lower = new Uint16Array(0x10000);

const WORD_CHAR = /^[\p{L}\p{N}\p{M}\p{Pc}]$/u;
const SINGLE_CHAR = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]$/u;
const MARK = /^\p{M}$/u;
const WHITESPACE = /^\s$/;

/** The class of a character (one code point, already lower case). */
function classify(character: string): number {
  if (SINGLE_CHAR.test(character)) return SINGLE;
  if (character >= '0' && character <= '9' && character.length === 1) return DIGIT;
  // `_` joins identifiers (`max_request_bytes`), which read as one word in docs.
  if (WORD_CHAR.test(character)) return WORD;
  return SEPARATOR;
}

function learn(unit: number): number {
  const character = String.fromCharCode(unit);
  let entry: number;
  if (unit >= 0xd800 && unit <= 0xdfff) {
    entry = SEPARATOR | SLOW;
    lower[unit] = unit;
  } else {
    const lowered = character.toLowerCase();
    const single = lowered.length === 1;
    lower[unit] = single ? lowered.charCodeAt(0) : unit;
    entry = classify(single ? lowered : character);
    if (WHITESPACE.test(character)) entry |= SPACE;
    // The fast path skips NFC and lower-cases unit by unit; both are exact only for
    // characters that NFC leaves alone and that do not combine with their neighbours, and
    // whose lower case is one unit and context-free (capital sigma is not: final ς).
    const unsafe =
      !single ||
      unit === 0x03a3 ||
      MARK.test(character) ||
      (unit >= 0x1100 && unit <= 0x11ff) ||
      (unit >= 0xa960 && unit <= 0xa97f) ||
      (unit >= 0xd7b0 && unit <= 0xd7ff) ||
      character.normalize('NFC') !== character;
    if (unsafe) entry |= SLOW;
  }
  info[unit] = entry | LEARNT;
  return entry | LEARNT;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const DIGIT_ZERO = 0x30;

/** The murmur3 finaliser: spreads every input bit over the whole 32-bit result. */
export function mix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;
const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

/**
 * MurmurHash3 x86_128 (seed 0) of `length` UTF-16 code units taken as little-endian bytes,
 * written as its four 32-bit words h1…h4 (the canonical 16-byte output is each word in
 * little-endian order). Not cryptographic: the exact keys only need to be unique among the
 * texts of one corpus, where a collision among 10⁸ texts has probability about 10⁻²³.
 */
export function murmur3x86128(units: Uint16Array, length: number, out: Uint32Array): void {
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let h4 = 0;
  const blocks = length >> 3;
  for (let block = 0; block < blocks; block += 1) {
    const at = block << 3;
    let k1 = (units[at] as number) | ((units[at + 1] as number) << 16);
    let k2 = (units[at + 2] as number) | ((units[at + 3] as number) << 16);
    let k3 = (units[at + 4] as number) | ((units[at + 5] as number) << 16);
    let k4 = (units[at + 6] as number) | ((units[at + 7] as number) << 16);
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // The tail: up to 7 units, i.e. up to 14 bytes over the four lanes.
  const tail = blocks << 3;
  const rest = length - tail;
  const unit = (i: number) => (i < rest ? (units[tail + i] as number) : 0);
  if (rest > 6) h4 ^= Math.imul(rotl(Math.imul(unit(6), C4), 18), C1);
  if (rest > 4) h3 ^= Math.imul(rotl(Math.imul(unit(4) | (unit(5) << 16), C3), 17), C4);
  if (rest > 2) h2 ^= Math.imul(rotl(Math.imul(unit(2) | (unit(3) << 16), C2), 16), C3);
  if (rest > 0) h1 ^= Math.imul(rotl(Math.imul(unit(0) | (unit(1) << 16), C1), 15), C2);
  const bytes = length * 2;
  h1 ^= bytes;
  h2 ^= bytes;
  h3 ^= bytes;
  h4 ^= bytes;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = mix32(h1);
  h2 = mix32(h2);
  h3 = mix32(h3);
  h4 = mix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1 >>> 0;
  out[1] = h2 >>> 0;
  out[2] = h3 >>> 0;
  out[3] = h4 >>> 0;
}

/** {@link murmur3x86128} of a string's UTF-16 code units. */
export function hashUnits(text: string, out = new Uint32Array(4)): Uint32Array {
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i += 1) units[i] = text.charCodeAt(i);
  murmur3x86128(units, text.length, out);
  return out;
}

/** How text is turned into words. */
export interface TokeniseOptions {
  /** Every run of digits counts as `0`, so `v3.5` and `v3.6` are the same words. */
  normaliseNumbers: boolean;
}

/** The hash of one word as the scanner computes it, from the word as a string (for tests). */
export function hashWord(word: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < word.length; i += 1) hash = Math.imul(hash ^ word.charCodeAt(i), FNV_PRIME);
  return mix32(hash);
}

/**
 * Scans texts; reuse one instance for many texts (its buffers grow to the longest text).
 * After {@link scan}, `wordHashes[0 .. wordCount)` hold the words' hashes and `exact` the
 * 128-bit hash ({@link hashUnits}) of the text normalised by {@link normaliseForExactMatch}.
 */
export class TextScanner {
  wordHashes = new Int32Array(1024);
  wordCount = 0;
  readonly exact = new Uint32Array(4);
  readonly #normaliseNumbers: boolean;
  // The text normalised for exact matching, as code units; never longer than the text.
  #units = new Uint16Array(4096);
  #unitCount = 0;

  constructor(options: TokeniseOptions) {
    this.#normaliseNumbers = options.normaliseNumbers;
  }

  scan(text: string): void {
    if (!this.#pass(text, true)) this.#pass(text.normalize('NFC').toLowerCase(), false);
    murmur3x86128(this.#units, this.#unitCount, this.exact);
  }

  // One loop with all state in locals: private fields and method calls cost several times
  // the work per character here. The normalised text goes to a code-unit buffer, hashed in
  // one branch-free loop afterwards.
  //
  // `fast`: `text` is raw and is abandoned (returning false) at the first unit the tables
  // cannot lower-case or that NFC might change. Otherwise `text` is NFC and lower case
  // already, and astral characters are classified one by one.
  #pass(text: string, fast: boolean): boolean {
    const normaliseNumbers = this.#normaliseNumbers;
    let words = this.wordHashes;
    let wordCount = 0;
    const length = text.length;
    if (this.#units.length < length)
      this.#units = new Uint16Array(Math.max(length, this.#units.length * 2));
    const units = this.#units;
    let unitCount = 0;
    let inWord = false;
    let lastWasDigit = false;
    let hash = FNV_OFFSET;
    let pendingSpace = false;
    let emitted = false;
    for (let i = 0; i < length; i += 1) {
      const unit = text.charCodeAt(i);
      let entry = info[unit] as number;
      if (entry === 0) entry = learn(unit);
      // On the slow path the text is lower case already: lower-casing it again unit by unit
      // could only drift from `normaliseForExactMatch`.
      const lowered = fast ? (lower[unit] as number) : unit;
      let kind = entry & CLASS;
      let width = 1;
      if ((entry & SLOW) !== 0) {
        if (fast) return false;
        if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < length) {
          const low = text.charCodeAt(i + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            kind = classify(text.slice(i, i + 2));
            width = 2;
          }
        }
      }
      // The exact-match stream: whitespace runs become one space, none at either end.
      if ((entry & SPACE) !== 0) {
        pendingSpace = emitted;
      } else {
        if (pendingSpace) {
          units[unitCount] = 0x20;
          unitCount += 1;
          pendingSpace = false;
        }
        units[unitCount] = lowered;
        unitCount += 1;
        if (width === 2) {
          units[unitCount] = text.charCodeAt(i + 1);
          unitCount += 1;
        }
        emitted = true;
      }
      // The word stream.
      if (kind === WORD || kind === DIGIT) {
        if (!inWord) {
          inWord = true;
          hash = FNV_OFFSET;
          lastWasDigit = false;
        }
        if (kind === DIGIT && normaliseNumbers) {
          if (!lastWasDigit) hash = Math.imul(hash ^ DIGIT_ZERO, FNV_PRIME);
          lastWasDigit = true;
        } else {
          lastWasDigit = false;
          hash = Math.imul(hash ^ lowered, FNV_PRIME);
          if (width === 2) hash = Math.imul(hash ^ text.charCodeAt(i + 1), FNV_PRIME);
        }
      } else {
        if (inWord || kind === SINGLE) {
          if (wordCount + 2 > words.length) {
            const grown = new Int32Array(words.length * 2);
            grown.set(words);
            words = grown;
          }
          if (inWord) {
            words[wordCount] = mix32(hash);
            wordCount += 1;
            inWord = false;
          }
          if (kind === SINGLE) {
            let single = Math.imul(FNV_OFFSET ^ lowered, FNV_PRIME);
            if (width === 2) single = Math.imul(single ^ text.charCodeAt(i + 1), FNV_PRIME);
            words[wordCount] = mix32(single);
            wordCount += 1;
          }
        }
      }
      i += width - 1;
    }
    if (inWord) {
      if (wordCount === words.length) {
        const grown = new Int32Array(words.length * 2);
        grown.set(words);
        words = grown;
      }
      words[wordCount] = mix32(hash);
      wordCount += 1;
    }
    this.wordHashes = words;
    this.wordCount = wordCount;
    this.#unitCount = unitCount;
    return true;
  }
}

/**
 * The form of text that exact deduplication compares: Unicode NFC, lower case, every run of
 * whitespace one space, no leading or trailing space. Punctuation and symbols are kept, so
 * `a = b;` and `a = b` stay different (in code they are).
 */
export function normaliseForExactMatch(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * The words of `text` as strings, exactly as {@link TextScanner} sees them (same boundaries,
 * numbers normalised the same way): `hashWord` of each is the scanner's word hash. For tests
 * and `exactJaccard`; far too slow for a corpus.
 */
export function words(text: string, options: TokeniseOptions): string[] {
  const prepared = text.normalize('NFC').toLowerCase();
  const out: string[] = [];
  let current = '';
  let lastWasDigit = false;
  const flush = () => {
    if (current !== '') out.push(current);
    current = '';
    lastWasDigit = false;
  };
  for (const character of prepared) {
    // The same table as the scanner for one-unit characters (it is also much faster than
    // the property regexes); astral characters one by one.
    const kind =
      character.length === 1
        ? (info[character.charCodeAt(0)] || learn(character.charCodeAt(0))) & CLASS
        : classify(character);
    if (kind === SEPARATOR) {
      flush();
    } else if (kind === SINGLE) {
      flush();
      out.push(character);
    } else if (kind === DIGIT && options.normaliseNumbers) {
      if (!lastWasDigit) current += '0';
      lastWasDigit = true;
    } else {
      current += character;
      lastWasDigit = false;
    }
  }
  flush();
  return out;
}

// ASCII is learnt up front so the hot loop's common case never calls `learn`.
for (let unit = 0; unit < 0x80; unit += 1) learn(unit);
