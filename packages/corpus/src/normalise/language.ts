import { eld } from 'eld/medium';
import { findFencedCode } from './code-fences.js';

/** What {@link detectLanguage} found. */
export interface DetectedLanguage {
  /** ISO 639-1 code, as eld names it (`en`, `de`, `zh`, `ja`, …). */
  language: string;
  /**
   * Whether the call can be trusted: most sampled windows of the prose agree, eld itself
   * rates them reliable, and there was enough prose to judge.
   */
  reliable: boolean;
}

/**
 * Weighted letters below which a document has too little prose to judge. CJK, kana and hangul
 * characters weigh three: one carries about as much as a short word of a Latin script.
 */
const MIN_PROSE_WEIGHT = 60;
/** Prose needed before a verdict may be called reliable. */
const RELIABLE_PROSE_WEIGHT = 200;
/** Characters per sampled window: eld reads about 350 bytes of each call anyway. */
const WINDOW_CHARS = 320;
const MAX_WINDOWS = 7;
const EARLY_AGREEMENT = 3;

// The medium database: within a few tenths of a percent of the large one's accuracy on
// sentences (eld's own benchmark), at half the load time and memory.
const detector = eld.newInstance();

/**
 * Markdown syntax, code and addresses say nothing about the language a page is written in and
 * mislead an n-gram detector (`etcdctl --endpoints` reads as no language in particular).
 */
const STRIP_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/<!--[\s\S]*?-->/g, ' '],
  [/(`+)[^`]*?\1/g, ' '], // inline code
  [/!\[([^\]]*)\]\([^)]*\)/g, '$1'], // images: keep the alt text
  [/\[([^\]]*)\]\([^)]*\)/g, '$1'], // links: keep the text
  [/^ {0,3}\[[^\]]+\]:\s*\S+.*$/gm, ' '], // link reference definitions
  [/<\/?[A-Za-z][^>]*>/g, ' '], // HTML tags and autolinks
  [/\b(?:https?|ftp|file):\/\/\S+/gi, ' '],
  [/\bwww\.\S+/gi, ' '],
  [/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, ' '], // e-mail addresses
  // Tokens shaped like code: flags, paths, identifiers, key=value, versions, hashes.
  [
    /(?:^|\s)(?:--?[A-Za-z][\w-]*|\S*[_/\\=<>{}$@#|]\S*|\S*:\S+|\S*\d\S*|\S+\.\S+\.\S+)(?=\s|$)/g,
    ' ',
  ],
];

/** Markdown outside fenced code, in at most `count` line-aligned pieces of about `size` characters. */
function sampleOutsideCode(markdown: string, size: number, count: number): string {
  const fences = findFencedCode(markdown);
  let text = '';
  let cursor = 0;
  for (const fence of fences) {
    text += `${markdown.slice(cursor, fence.start)}\n`;
    cursor = fence.end;
  }
  text += markdown.slice(cursor);
  if (text.length <= size * count) return text;
  // Reading a whole long document costs time and says nothing more: take evenly spread pieces.
  const step = (text.length - size) / (count - 1);
  let sample = '';
  for (let piece = 0; piece < count; piece++) {
    let start = Math.round(piece * step);
    const lineStart = text.lastIndexOf('\n', start);
    start = lineStart === -1 ? 0 : lineStart + 1;
    let end = text.indexOf('\n', start + size);
    if (end === -1) end = text.length;
    sample += `${text.slice(start, end)}\n`;
  }
  return sample;
}

/**
 * The prose of a markdown document: fenced and inline code, URLs and markup removed. Long
 * documents are sampled: `maxChars` (default 8,400) bounds the markdown read, spread evenly over
 * the document.
 */
export function proseOf(markdown: string, maxChars = 8400): string {
  let text = sampleOutsideCode(markdown, Math.ceil(maxChars / MAX_WINDOWS), MAX_WINDOWS);
  for (const [pattern, replacement] of STRIP_PATTERNS) text = text.replace(pattern, replacement);
  // Punctuation and runs of white space are left: eld reads only letters.
  return text.trim();
}

function proseWeight(prose: string): number {
  let weight = 0;
  for (let i = 0; i < prose.length; i++) {
    const code = prose.charCodeAt(i);
    if (code < 0x80) {
      if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) weight += 1;
    } else if (
      (code >= 0x3040 && code <= 0x30ff) || // kana
      (code >= 0x3400 && code <= 0x9fff) || // CJK ideographs
      (code >= 0xac00 && code <= 0xd7af) || // hangul
      (code >= 0xf900 && code <= 0xfaff)
    ) {
      weight += 3;
    } else if (code >= 0xc0 && (code < 0x2000 || code > 0x2bff)) {
      // Letters of other scripts, roughly: punctuation and symbol blocks excluded.
      weight += 1;
    }
  }
  return weight;
}

/** Up to {@link MAX_WINDOWS} windows spread over the prose, each cut at white space. */
function windowsOf(prose: string): string[] {
  if (prose.length <= WINDOW_CHARS) return [prose];
  const count = Math.min(MAX_WINDOWS, Math.ceil(prose.length / WINDOW_CHARS));
  const step = (prose.length - WINDOW_CHARS) / Math.max(1, count - 1);
  const windows: string[] = [];
  for (let w = 0; w < count; w++) {
    let start = Math.round(w * step);
    // Start on a word: skip to just after the next white space, unless that is far away.
    for (let i = start; start > 0 && i < start + 40 && i < prose.length; i++) {
      if (isSpace(prose.charCodeAt(i))) {
        start = i + 1;
        break;
      }
    }
    let end = Math.min(prose.length, start + WINDOW_CHARS);
    for (let i = end; end < prose.length && i > start + WINDOW_CHARS / 2; i--) {
      if (isSpace(prose.charCodeAt(i))) {
        end = i;
        break;
      }
    }
    windows.push(prose.slice(start, end));
  }
  return windows;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09;
}

/**
 * Identifies the natural language of a markdown document with eld, on its prose only (fenced
 * and inline code, URLs, addresses and code-shaped tokens removed), so that a page of shell
 * sessions with a few English sentences still reads as English.
 *
 * Long prose is judged on up to seven windows spread over the document, and the language most
 * windows name wins. Returns `null` when there is too little prose to judge (about a dozen
 * words of a Latin script, or twenty CJK characters).
 */
export function detectLanguage(markdown: string): DetectedLanguage | null {
  const prose = proseOf(markdown);
  const weight = proseWeight(prose);
  if (weight < MIN_PROSE_WEIGHT) return null;

  const votes = new Map<string, { count: number; reliable: number; score: number }>();
  const windows = windowsOf(prose);
  let judged = 0;
  for (const window of windows) {
    const result = detector.detect(window);
    judged += 1;
    if (result.language === '') continue;
    const vote = votes.get(result.language) ?? { count: 0, reliable: 0, score: 0 };
    vote.count += 1;
    if (result.isReliable()) vote.reliable += 1;
    vote.score += result.getScores()[result.language] ?? 0;
    votes.set(result.language, vote);
    // Three windows that agree, reliably, settle it: the rest would cost time and say the same.
    if (votes.size === 1 && vote.count >= EARLY_AGREEMENT && vote.reliable >= EARLY_AGREEMENT)
      break;
  }
  let best: [string, { count: number; reliable: number; score: number }] | null = null;
  for (const entry of votes) {
    if (
      best === null ||
      entry[1].count > best[1].count ||
      (entry[1].count === best[1].count && entry[1].score > best[1].score)
    ) {
      best = entry;
    }
  }
  if (best === null) return null;
  const [language, vote] = best;
  const reliable =
    weight >= RELIABLE_PROSE_WEIGHT &&
    vote.count * 3 >= judged * 2 &&
    vote.reliable * 2 >= vote.count;
  return { language, reliable };
}
