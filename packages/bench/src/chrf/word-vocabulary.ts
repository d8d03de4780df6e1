import { isPythonSpace } from '../python-text.js';
import { SpanVocabulary } from '../span-vocabulary.js';

// chrF++ tokens are the whitespace-separated words of a line, with one ASCII punctuation character
// split off the end of a word, or else off its start (so `(hi)` gives `(hi` and `)`, as sacreBLEU
// does). Hypothesis words are looked up straight from the text by position (SpanVocabulary), so
// scoring allocates no strings.

// Python's `string.punctuation`.
const PUNCTUATION = new Uint8Array(128);
for (const c of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') PUNCTUATION[c.charCodeAt(0)] = 1;

function isPunctuation(unit: number): boolean {
  return unit < 128 && PUNCTUATION[unit] === 1;
}

/**
 * The words of one segment's references, each with a small id (0, 1, 2, ... in order of first
 * appearance), so that word n-grams can be indexed like character n-grams.
 */
export class WordVocabulary {
  readonly #vocabulary = new SpanVocabulary();

  /** Number of distinct words. */
  get size(): number {
    return this.#vocabulary.size;
  }

  /**
   * Writes the id of each chrF++ token of `text` to `out` (which must hold `text.length`
   * values) and returns how many there are. With `add`, unseen tokens get new ids; without,
   * they get -1, which matches nothing.
   */
  encode(text: string, add: boolean, out: Int32Array): number {
    const vocabulary = this.#vocabulary;
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
        out[count++] = vocabulary.idOf(text, start, i - 1, add);
        out[count++] = vocabulary.idOf(text, i - 1, i, add);
      } else if (i - start > 1 && isPunctuation(text.charCodeAt(start))) {
        out[count++] = vocabulary.idOf(text, start, start + 1, add);
        out[count++] = vocabulary.idOf(text, start + 1, i, add);
      } else out[count++] = vocabulary.idOf(text, start, i, add);
    }
    return count;
  }
}
