import { pythonLower, rstrip, splitWhitespace } from '../python-text.js';

/** Options of the tercom tokenizer (sacreBLEU's `TercomTokenizer`, after tercom's `Normalizer`). */
export interface TercomTokenizerOptions {
  /**
   * Join lines, decode `&quot;`/`&amp;`/`&lt;`/`&gt;` and split punctuation off words; with
   * `asianSupport`, also split CJK ideographs and CJK punctuation into tokens of their own.
   * @default false
   */
  readonly normalized?: boolean;
  /**
   * Delete `.,?:;!"()`; with `asianSupport`, also CJK and full-width punctuation.
   * @default false
   */
  readonly noPunct?: boolean;
  /**
   * Extend `normalized` and `noPunct` to CJK text. Has no effect on its own.
   * @default false
   */
  readonly asianSupport?: boolean;
  /**
   * Keep case; otherwise the text is lowercased first.
   * @default false
   */
  readonly caseSensitive?: boolean;
}

/** Turns one line of text into the words TER aligns. */
export type TercomTokenizer = (text: string) => string[];

// The punctuation tercom pads with spaces: `{|}~`, `[\]^_` and the backtick, space to `&`,
// `()*+`, `:;<=>?@` and `/`. Apostrophe, hyphen, period and comma have rules of their own below.
const WESTERN_PUNCT = /([{-~[-` -&(-+:-@/])/gu;
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;

function normalizeWestern(text: string): string {
  let s = text
    .replaceAll('\n-', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  s = ` ${s} `.replace(WESTERN_PUNCT, ' $1 ').replaceAll("'s ", " 's ");
  // tercom also splits a possessive at the very end of the line, but the padding above means the
  // line always ends in a space, so that rule can never fire and is left out.
  return s
    .replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(DASH_AFTER_DIGIT, '$1 $2 ');
}

// CJK punctuation and full-width punctuation, as sacreBLEU lists them.
const ASIAN_PUNCT = '\u3001\u3002\u3008-\u3011\u3014-\u301f\uff61-\uff65\u30fb';
const FULL_WIDTH_PUNCT = '\uff0e\uff0c\uff1f\uff1a\uff1b\uff01\uff02\uff08\uff09';

// Every Asian rule pads single characters with spaces, and words are split on whitespace at the
// end, so applying the rules one after another equals padding their union once. The union: CJK
// ideographs and Extension A, strokes, radicals, compatibility characters and forms, the
// 3200–3F22 span sacreBLEU uses for enclosed letters, and the two punctuation sets.
const ASIAN_CHAR = new RegExp(
  `([\u4e00-\u9fff\u3400-\u4dbf\u31c0-\u31ef\u2e80-\u2eff\u3300-\u33ff\uf900-\ufaff\ufe30-\ufe4f\u3200-\u3f22${ASIAN_PUNCT}${FULL_WIDTH_PUNCT}])`,
  'gu',
);
// sacreBLEU also has rules that split runs of kana, but they are anchored to the start of the line,
// which after the western padding is always a space: they can never fire and are left out.

const PUNCT = /[.,?:;!"()]/gu;
const ASIAN_AND_FULL_WIDTH_PUNCT = new RegExp(`[${ASIAN_PUNCT}${FULL_WIDTH_PUNCT}]`, 'gu');

/**
 * Creates the tokenizer TER uses (`tok:tercom` in signatures), equal to sacreBLEU 2.6.0's: trailing
 * whitespace is trimmed, the line lowercased unless `caseSensitive`, normalized and stripped of
 * punctuation as the options say, and split on whitespace.
 */
export function createTercomTokenizer(options: TercomTokenizerOptions = {}): TercomTokenizer {
  const {
    normalized = false,
    noPunct = false,
    asianSupport = false,
    caseSensitive = false,
  } = options;
  return (text) => {
    let s = rstrip(text);
    if (s === '') return [];
    if (!caseSensitive) s = pythonLower(s);
    if (normalized) {
      s = normalizeWestern(s);
      if (asianSupport) s = s.replace(ASIAN_CHAR, ' $1 ');
    }
    if (noPunct) {
      s = s.replace(PUNCT, '');
      if (asianSupport) s = s.replace(ASIAN_AND_FULL_WIDTH_PUNCT, '');
    }
    return splitWhitespace(s);
  };
}
