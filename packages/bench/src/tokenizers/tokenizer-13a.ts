import { squeezeWhitespace } from '../python-text.js';
import { defineTokenizer } from './tokenizer.js';

// mteval-v13a's language-dependent rules for Western languages, in its order:
// ASCII punctuation and symbols become tokens, except '.' ',' and '-' which are split off
// only when they are not part of a number.
const SYMBOLS = /([{-~[-` -&(-+:-@/])/g;
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/g;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/g;
const DASH_AFTER_DIGIT = /([0-9])(-)/g;

/** The rules shared by `13a` and `zh` after their own preprocessing. */
export function mtevalRules(line: string): string {
  const tokenized = line
    .replace(SYMBOLS, ' $1 ')
    .replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return squeezeWhitespace(tokenized);
}

/**
 * The mteval-v13a tokenizer used by WMT and sacreBLEU's default: unescapes the four common XML
 * entities, drops `<skipped>` markers, then splits punctuation off words.
 */
export const tokenizer13a = defineTokenizer('13a', (line) => {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&'))
    text = text
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  // The padding lets the period/comma rules see a boundary at both ends of the line.
  return mtevalRules(` ${text} `);
});
