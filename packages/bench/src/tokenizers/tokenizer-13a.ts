import { isPythonSpace } from '../python-text.js';
import { SpanBuffer } from '../span-vocabulary.js';
import { defineTokenizer } from './tokenizer.js';

// mteval-v13a's language-dependent rules for Western languages, as sacreBLEU writes them, are
// four regex substitutions applied in order:
//   1. ASCII symbols `{|}~[\]^_` space to `&`, `(`-`+`, `:`-`@` and `/` → " c ";
//   2. `([^0-9])([.,])` → "$1 $2 ";   3. `([.,])([^0-9])` → " $1 $2";   4. `([0-9])(-)` → "$1 $2 ";
// then whitespace is squeezed. The scanner below gives exactly their result (the tests replay
// the regexes on generated and real lines to show it).

// The four substitutions only ever insert spaces, so every final token is a contiguous run of
// the input and can be cut out with `substring`. Rule 1 makes every ASCII symbol a token of its
// own. Rules 2–4 look only at pairs of adjacent characters, and a space is never the character
// two overlapping pairs compete for, so the text between whitespace and symbols ("words") can
// be processed one at a time, each with a space on either side. A word without '.', ',' or '-'
// is a token as it is; the others are replayed through rules 2–4 with their left-to-right,
// non-overlapping matching over a small sequence of positions in which -1 stands for an
// inserted space. No intermediate strings are built; tests check the scanner against the regex
// form above on the golden inputs and on thousands of generated lines.

const SPACE = -1;
const OTHER = 0;
const DIGIT = 1;
const PERIOD_COMMA = 2;
const DASH = 3;
const SYMBOL = 4;
const WHITESPACE = 5;
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (c >= 48 && c <= 57) ASCII_CLASS[c] = DIGIT;
  else if (ch === '.' || ch === ',') ASCII_CLASS[c] = PERIOD_COMMA;
  else if (ch === '-') ASCII_CLASS[c] = DASH;
  else if (isPythonSpace(c)) ASCII_CLASS[c] = WHITESPACE;
  else if (/[{-~[-` -&(-+:-@/]/.test(ch)) ASCII_CLASS[c] = SYMBOL;
}

function classOf(c: number): number {
  if (c < 128) return ASCII_CLASS[c]!;
  return isPythonSpace(c) ? WHITESPACE : OTHER;
}

// Scratch sequences for rules 2–4: input positions (or SPACE) and their classes.
let posA = new Int32Array(64);
let posB = new Int32Array(64);
let clsA = new Uint8Array(64);
let clsB = new Uint8Array(64);

/**
 * Rules 2–4 on the word `text[start, end)`. Inside the text a word has a space on either side;
 * at the very start or end of an unpadded text it has nothing there, and the rules that need a
 * neighbour cannot match.
 */
function splitWord(
  text: string,
  start: number,
  end: number,
  padded: boolean,
  spans: SpanBuffer,
): void {
  const size = 3 * (end - start) + 8;
  if (posA.length < size) {
    posA = new Int32Array(size * 2);
    posB = new Int32Array(size * 2);
    clsA = new Uint8Array(size * 2);
    clsB = new Uint8Array(size * 2);
  }
  const pa = posA;
  const ca = clsA;
  const pb = posB;
  const cb = clsB;
  let len = 0;
  if (padded || start > 0) {
    pa[len] = SPACE;
    ca[len++] = OTHER;
  }
  for (let i = start; i < end; i++) {
    pa[len] = i;
    ca[len++] = classOf(text.charCodeAt(i));
  }
  if (padded || end < text.length) {
    pa[len] = SPACE;
    ca[len++] = OTHER;
  }

  // Rule 2: a period or comma after a non-digit: "x." → "x . ".
  let n = 0;
  for (let i = 0; i < len; i++) {
    if (i + 1 < len && ca[i] !== DIGIT && ca[i + 1] === PERIOD_COMMA) {
      pb[n] = pa[i]!;
      cb[n++] = ca[i]!;
      pb[n] = SPACE;
      cb[n++] = OTHER;
      pb[n] = pa[i + 1]!;
      cb[n++] = PERIOD_COMMA;
      pb[n] = SPACE;
      cb[n++] = OTHER;
      i++;
    } else {
      pb[n] = pa[i]!;
      cb[n++] = ca[i]!;
    }
  }
  len = n;
  // Rule 3: a period or comma before a non-digit: ".x" → " . x".
  n = 0;
  for (let i = 0; i < len; i++) {
    if (i + 1 < len && cb[i] === PERIOD_COMMA && cb[i + 1] !== DIGIT) {
      pa[n] = SPACE;
      ca[n++] = OTHER;
      pa[n] = pb[i]!;
      ca[n++] = PERIOD_COMMA;
      pa[n] = SPACE;
      ca[n++] = OTHER;
      pa[n] = pb[i + 1]!;
      ca[n++] = cb[i + 1]!;
      i++;
    } else {
      pa[n] = pb[i]!;
      ca[n++] = cb[i]!;
    }
  }
  len = n;
  // Rule 4: a dash after a digit: "3-" → "3 - ".
  n = 0;
  for (let i = 0; i < len; i++) {
    if (i + 1 < len && ca[i] === DIGIT && ca[i + 1] === DASH) {
      pb[n++] = pa[i]!;
      pb[n++] = SPACE;
      pb[n++] = pa[i + 1]!;
      pb[n++] = SPACE;
      i++;
    } else pb[n++] = pa[i]!;
  }
  len = n;
  // Tokens: maximal runs of input positions between spaces.
  let first = -1;
  let prev = -1;
  for (let i = 0; i < len; i++) {
    const p = pb[i]!;
    if (p === SPACE) {
      if (first !== -1) spans.push(first, prev + 1);
      first = -1;
    } else {
      if (first === -1) first = p;
      prev = p;
    }
  }
  if (first !== -1) spans.push(first, prev + 1);
}

/**
 * Spans of the tokens of `text` under the mteval rules. `padded`: apply them as if the text had a
 * space at each end, as 13a does (zh does not pad).
 */
export function mtevalSpans(text: string, padded: boolean, out: SpanBuffer): string {
  out.reset(0);
  const n = text.length;
  let start = -1;
  let special = false;
  for (let i = 0; i <= n; i++) {
    const k = i < n ? classOf(text.charCodeAt(i)) : WHITESPACE;
    if (k === WHITESPACE || k === SYMBOL) {
      if (start !== -1) {
        if (special) splitWord(text, start, i, padded, out);
        else out.push(start, i);
        start = -1;
      }
      if (k === SYMBOL) out.push(i, i + 1);
    } else {
      if (start === -1) {
        start = i;
        special = false;
      }
      if (k === PERIOD_COMMA || k === DASH) special = true;
    }
  }
  return text;
}

const scratch = new SpanBuffer();

/** Tokens of `text` under the mteval rules, joined by single spaces. */
export function mtevalJoined(text: string, padded: boolean): string {
  mtevalSpans(text, padded, scratch);
  const parts: string[] = new Array(scratch.count);
  for (let k = 0; k < scratch.count; k++)
    parts[k] = text.substring(scratch.starts[k]!, scratch.ends[k]!);
  return parts.join(' ');
}

/** The language-independent part of 13a: entities, `<skipped>` markers and line breaks. */
function unescape13a(line: string): string {
  let text = line;
  if (text.includes('<skipped>')) text = text.replaceAll('<skipped>', '');
  if (text.includes('\n')) text = text.replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&'))
    text = text
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  return text;
}

/**
 * The mteval-v13a tokenizer used by WMT and sacreBLEU's default: unescapes the four common XML
 * entities, drops `<skipped>` markers, then splits punctuation off words.
 */
// sacreBLEU pads the line with a space on each side so that the rules see a boundary at both
// ends; `padded` gives the scanner the same view without building the padded string.
export const tokenizer13a = defineTokenizer(
  '13a',
  (line) => mtevalJoined(unescape13a(line), true),
  (line, out) => mtevalSpans(unescape13a(line), true, out),
);
