import { isPythonSpace } from '../python-text.js';
import type { SpanBuffer } from '../span-vocabulary.js';

/** A BLEU tokenizer: turns one segment into space-separated tokens. */
export interface Tokenizer {
  /** The `tok:` value of signatures. */
  readonly signature: string;
  /** The tokenized line, tokens separated by single spaces (sacreBLEU's tokenizer output). */
  (line: string): string;
  /**
   * Writes the positions of the tokens into `out` and returns the text they index: the same
   * tokens as splitting the tokenized line on whitespace, without building them as strings.
   */
  spans(line: string, out: SpanBuffer): string;
}

/** Spans of the whitespace-separated runs of `text` (Python's `str.split()`). */
export function whitespaceSpans(text: string, out: SpanBuffer): string {
  out.reset(0);
  const n = text.length;
  let start = -1;
  for (let i = 0; i <= n; i++) {
    if (i === n || isPythonSpace(text.charCodeAt(i))) {
      if (start !== -1) out.push(start, i);
      start = -1;
    } else if (start === -1) start = i;
  }
  return text;
}

/**
 * Attaches a signature to a tokenizing function. `spans` may be given when the tokenizer can
 * find token positions faster than tokenizing to a string and splitting it.
 */
export function defineTokenizer(
  signature: string,
  fn: (line: string) => string,
  spans: (line: string, out: SpanBuffer) => string = (line, out) => whitespaceSpans(fn(line), out),
): Tokenizer {
  return Object.assign((line: string) => fn(line), { signature, spans }) as Tokenizer;
}
