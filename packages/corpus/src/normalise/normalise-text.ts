import { findFencedCode } from './code-fences.js';

/**
 * Invisible characters that carry nothing in prose: C0/C1 controls other than tab and line
 * feed, DEL, soft hyphen, zero-width space, word joiner, Mongolian vowel separator and the byte
 * order mark. Zero-width (non-)joiners (U+200C, U+200D) are kept on purpose: they change how
 * Persian, Indic scripts and emoji sequences read.
 */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u00ad\u180e\u200b\u2060\ufeff]/g;
/** Controls that break lines: kept as a line break so that removing them never joins two words. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these controls are what it matches
const LINE_BREAKING = /[\u000b\u000c\u0085\u2028\u2029]/g;
const TRAILING_SPACE = /[ \t]+$/gm;
const BLANK_RUNS = /\n{3,}/g;

function cleanProse(text: string): string {
  let out = text.normalize('NFC');
  out = out.replace(LINE_BREAKING, '\n').replace(INVISIBLE, '');
  return out.replace(TRAILING_SPACE, '').replace(BLANK_RUNS, '\n\n');
}

/**
 * Normalises one document's markdown for the corpus, leaving code untouched.
 *
 * Everywhere: `\r\n` and lone `\r` become `\n`. Outside fenced code blocks (``` or ~~~ of any
 * length, also inside lists and block quotes): Unicode NFC (no character is ever dropped for
 * being non-ASCII), invisible and control characters removed (tab and line feed kept; vertical
 * tab, form feed, NEL and the Unicode line/paragraph separators become `\n`), trailing spaces
 * and tabs removed, runs of three or more line breaks collapsed to one blank line, and blank
 * lines at the start and whitespace at the end of the document removed. Fenced code blocks,
 * fence lines included, are kept character for character.
 *
 * Idempotent: `normaliseText(normaliseText(x)) === normaliseText(x)`.
 */
export function normaliseText(markdown: string): string {
  const text = markdown.indexOf('\r') === -1 ? markdown : markdown.replace(/\r\n?/g, '\n');
  const fences = findFencedCode(text);
  let out = '';
  let cursor = 0;
  let codeEnd = 0;
  for (const fence of fences) {
    out += cleanProse(text.slice(cursor, fence.start));
    out += text.slice(fence.start, fence.end);
    codeEnd = out.length;
    cursor = fence.end;
  }
  out += cleanProse(text.slice(cursor));
  // Blank lines before the first content and whitespace after the last are never content (but
  // the tail of a code block left open to the end is code).
  let start = 0;
  while (start < out.length && out.charCodeAt(start) === 0x0a) start++;
  let end = out.length;
  while (end > Math.max(start, codeEnd) && isTrailingSpace(out.charCodeAt(end - 1))) end--;
  return start === 0 && end === out.length ? out : out.slice(start, end);
}

function isTrailingSpace(code: number): boolean {
  return code === 0x0a || code === 0x20 || code === 0x09;
}
