/** A fenced code block: from the start of its opening fence line to the end of its closing one. */
export interface FencedCodeRange {
  /** Offset of the first character of the opening fence line. */
  start: number;
  /**
   * Offset just past the last character of the closing fence line (its `\n` excluded), or the
   * end of the text when the fence is never closed (CommonMark runs it to the end).
   */
  end: number;
}

const BACKTICK = 0x60;
const TILDE = 0x7e;
const SPACE = 0x20;
const TAB = 0x09;
const GT = 0x3e;

/**
 * Characters skipped before a fence marker. Invisible ones are included so that a fence hidden
 * behind a stray zero-width space is seen as a fence before and after normalisation removes
 * that character: otherwise normalising twice could move code/prose boundaries.
 */
function isPrefixSpace(code: number): boolean {
  return code === SPACE || code === TAB || code === 0x200b || code === 0x2060 || code === 0xfeff;
}

/** Skips one list marker (`-`, `*`, `+`, `1.`, `1)`) followed by spaces; returns the new index. */
function skipListMarker(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  let j = i;
  if (c === 0x2d || c === 0x2a || c === 0x2b) {
    j = i + 1;
  } else if (c >= 0x30 && c <= 0x39) {
    while (j < end && j - i < 9 && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
    const d = text.charCodeAt(j);
    if (d !== 0x2e && d !== 0x29) return i;
    j++;
  } else {
    return i;
  }
  if (j >= end) return i;
  const after = text.charCodeAt(j);
  if (after !== SPACE && after !== TAB) return i;
  while (j < end && isPrefixSpace(text.charCodeAt(j))) j++;
  return j;
}

/**
 * Finds every fenced code block (``` or ~~~, three or more, any indentation, also inside list
 * items and block quotes) in markdown with `\n` line ends.
 *
 * Deliberately more eager than CommonMark: a fence indented four spaces outside a list, which
 * CommonMark reads as indented code containing backticks, is still taken as a fence, and a
 * closing fence may have any indentation. Both err towards keeping text verbatim and in one
 * piece, which is what normalisation and chunking need from this.
 */
export function findFencedCode(markdown: string): FencedCodeRange[] {
  const ranges: FencedCodeRange[] = [];
  const length = markdown.length;
  let open: { start: number; char: number; size: number } | null = null;
  let lineStart = 0;
  while (lineStart <= length) {
    let lineEnd = markdown.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = length;

    let i = lineStart;
    while (i < lineEnd && isPrefixSpace(markdown.charCodeAt(i))) i++;
    // Container markers: `>` (block quote) and, for openers only, list markers.
    for (;;) {
      if (i < lineEnd && markdown.charCodeAt(i) === GT) {
        i++;
        while (i < lineEnd && isPrefixSpace(markdown.charCodeAt(i))) i++;
        continue;
      }
      if (open === null) {
        const j = skipListMarker(markdown, i, lineEnd);
        if (j !== i) {
          i = j;
          continue;
        }
      }
      break;
    }

    const c = i < lineEnd ? markdown.charCodeAt(i) : -1;
    if (c === BACKTICK || c === TILDE) {
      let j = i;
      while (j < lineEnd && markdown.charCodeAt(j) === c) j++;
      const size = j - i;
      if (size >= 3) {
        if (open === null) {
          // A backtick fence's info string may not contain a backtick (that is inline code).
          let infoHasBacktick = false;
          if (c === BACKTICK) {
            for (let k = j; k < lineEnd; k++) {
              if (markdown.charCodeAt(k) === BACKTICK) {
                infoHasBacktick = true;
                break;
              }
            }
          }
          if (!infoHasBacktick) open = { start: lineStart, char: c, size };
        } else if (c === open.char && size >= open.size) {
          let k = j;
          while (k < lineEnd && isPrefixSpace(markdown.charCodeAt(k))) k++;
          if (k === lineEnd) {
            ranges.push({ start: open.start, end: lineEnd });
            open = null;
          }
        }
      }
    }
    lineStart = lineEnd + 1;
  }
  if (open !== null) ranges.push({ start: open.start, end: length });
  return ranges;
}
