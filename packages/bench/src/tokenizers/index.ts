import { BenchError } from '../errors.js';
import type { Tokenizer } from './tokenizer.js';
import { tokenizer13a } from './tokenizer-13a.js';
import { tokenizerChar } from './tokenizer-char.js';
import { tokenizerIntl } from './tokenizer-intl.js';
import { tokenizerNone } from './tokenizer-none.js';
import { tokenizerZh } from './tokenizer-zh.js';

/** The BLEU tokenizers this package implements, by sacreBLEU name. */
export const TOKENIZERS = {
  '13a': tokenizer13a,
  intl: tokenizerIntl,
  zh: tokenizerZh,
  char: tokenizerChar,
  none: tokenizerNone,
} as const satisfies Record<string, Tokenizer>;

export type TokenizerName = keyof typeof TOKENIZERS;

/** sacreBLEU tokenizers that need native or model files and are not implemented here. */
const NOT_IMPLEMENTED = ['ja-mecab', 'ko-mecab', 'spm', 'flores101', 'flores200', 'spBLEU-1K'];

/** Looks a tokenizer up by name, with an error that lists the valid names. */
export function getTokenizer(name: string): Tokenizer {
  if (Object.hasOwn(TOKENIZERS, name)) return TOKENIZERS[name as TokenizerName];
  const valid = Object.keys(TOKENIZERS).join(', ');
  if (NOT_IMPLEMENTED.includes(name))
    throw new BenchError(
      'unknown-tokenizer',
      `tokenizer '${name}' is not available in @cncf-llm/bench (it needs MeCab or SentencePiece models); use one of: ${valid}.`,
    );
  throw new BenchError('unknown-tokenizer', `unknown tokenizer '${name}'; use one of: ${valid}.`);
}

export type { Tokenizer } from './tokenizer.js';
