import { squeezeWhitespace } from '../python-text.js';
import { defineTokenizer } from './tokenizer.js';

const PUNCT_AFTER_NON_NUMBER = /(\P{N})(\p{P})/gu;
const PUNCT_BEFORE_NON_NUMBER = /(\p{P})(\P{N})/gu;
const SYMBOL = /(\p{S})/gu;

/**
 * mteval-v14's international tokenizer: Unicode punctuation is split off unless it sits between
 * digits (thousand and decimal separators), and every Unicode symbol is its own token. Like the
 * original, a number followed by a final period keeps the period.
 */
export const tokenizerIntl = defineTokenizer('intl', (line) =>
  squeezeWhitespace(
    line
      .replace(PUNCT_AFTER_NON_NUMBER, '$1 $2 ')
      .replace(PUNCT_BEFORE_NON_NUMBER, ' $1 $2')
      .replace(SYMBOL, ' $1 '),
  ),
);
