import { strip } from '../python-text.js';
import { defineTokenizer } from './tokenizer.js';
import { mtevalJoined, mtevalSpans } from './tokenizer-13a.js';

// Code point ranges that sacreBLEU's `zh` tokenizer splits into single-character tokens.
// Two entries of the original table were written as 5-hex-digit `\u` escapes, which Python
// reads as a 4-digit escape plus a trailing character; compared as strings, they select
// U+2001–U+2A6D and U+2F81–U+2FA1 (not the CJK Extension B and Compatibility Supplement
// planes). We reproduce the effective ranges, since scores must match sacreBLEU's.
const RANGES: readonly (readonly [number, number])[] = [
  [0x3400, 0x4db5],
  [0x4e00, 0x9fa5],
  [0x9fa6, 0x9fbb],
  [0xf900, 0xfa2d],
  [0xfa30, 0xfa6a],
  [0xfa70, 0xfad9],
  [0x2001, 0x2a6d],
  [0x2f81, 0x2fa1],
  [0xff00, 0xffef],
  [0x2e80, 0x2eff],
  [0x3000, 0x303f],
  [0x31c0, 0x31ef],
  [0x2f00, 0x2fdf],
  [0x2ff0, 0x2fff],
  [0x3100, 0x312f],
  [0x31a0, 0x31bf],
  [0xfe10, 0xfe1f],
  [0xfe30, 0xfe4f],
  [0x2600, 0x26ff],
  [0x2700, 0x27bf],
  [0x3200, 0x32ff],
  [0x3300, 0x33ff],
];

const CHINESE = new RegExp(
  `([${RANGES.map(([a, b]) => `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`).join('')}])`,
  'gu',
);

/**
 * The tokenizer for Chinese: each Chinese character (and CJK punctuation, full-width forms and
 * a few symbol blocks) becomes a token; the rest is tokenized like `13a`.
 */
export const tokenizerZh = defineTokenizer(
  'zh',
  (line) => mtevalJoined(splitChinese(line), false),
  (line, out) => mtevalSpans(splitChinese(line), false, out),
);

function splitChinese(line: string): string {
  return strip(line).replace(CHINESE, ' $1 ');
}
