import { findFencedCode } from '../normalise/code-fences.js';

/** The kinds of top-level markdown block the chunker knows. */
export type MarkdownBlockKind =
  | 'heading'
  | 'paragraph'
  | 'code'
  | 'table'
  | 'list'
  | 'blockquote'
  | 'html'
  | 'thematic-break';

/** A range of the markdown, `[start, end)` in UTF-16 code units. */
export interface TextRange {
  start: number;
  end: number;
}

/** One top-level block of a markdown document. */
export interface MarkdownBlock extends TextRange {
  kind: MarkdownBlockKind;
  /** Heading level, 1–6 (setext: 1 for `===`, 2 for `---`); headings only. */
  level?: number;
  /** Heading text without `#`, emphasis, links or inline-code marks; headings only. */
  text?: string;
  /**
   * Fenced code blocks and tables nested in a list or block quote: ranges a split must not
   * enter. Line-aligned, sorted.
   */
  atomic?: TextRange[];
  /** Offsets where the top-level items of a list (or the paragraphs of a block quote) start. */
  items?: number[];
}

interface Lines {
  texts: string[];
  starts: number[];
  ends: number[];
}

function splitLines(markdown: string): Lines {
  const texts = markdown.split('\n');
  const starts = new Array<number>(texts.length);
  const ends = new Array<number>(texts.length);
  let start = 0;
  for (let i = 0; i < texts.length; i++) {
    starts[i] = start;
    start += (texts[i] as string).length;
    ends[i] = start;
    start += 1;
  }
  return { texts, starts, ends };
}

const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const THEMATIC_BREAK = /^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
const LIST_MARKER = /^( {0,3})([-*+]|(\d{1,9})[.)])(?:([ \t]+)(\S?)|$)/;
const BLOCKQUOTE = /^ {0,3}>/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const HTML_RAW = /^ {0,3}<(?:script|pre|style|textarea)(?:[\s>]|$)/i;
const HTML_RAW_END = /<\/(?:script|pre|style|textarea)>/i;
const HTML_BLOCK_TAG =
  /^ {0,3}<\/?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:[\s>]|\/>|$)/i;
const HTML_ANY_TAG =
  /^ {0,3}(?:<[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?\/?>|<\/[A-Za-z][A-Za-z0-9-]*\s*>)[ \t]*$/;

/** How an HTML block starting on this line ends (CommonMark's seven kinds, folded). */
function htmlStart(line: string, canInterruptParagraph: boolean): RegExp | 'blank' | null {
  const trimmed = line.trimStart();
  if (!trimmed.startsWith('<') || line.length - trimmed.length > 3) return null;
  if (HTML_RAW.test(line)) return HTML_RAW_END;
  if (trimmed.startsWith('<!--')) return /-->/;
  if (trimmed.startsWith('<?')) return /\?>/;
  if (trimmed.startsWith('<![CDATA[')) return /\]\]>/;
  if (/^<![A-Za-z]/.test(trimmed)) return />/;
  if (HTML_BLOCK_TAG.test(line)) return 'blank';
  if (!canInterruptParagraph && HTML_ANY_TAG.test(line)) return 'blank';
  return null;
}

/**
 * Whether the first non-blank character of a line could open a heading, break, quote, list or
 * HTML block: a cheap test that spares ordinary prose lines every regular expression.
 */
function mayStartBlock(line: string): boolean {
  let i = 0;
  while (i < 4 && i < line.length && line.charCodeAt(i) === 0x20) i++;
  const c = line.charCodeAt(i);
  // # * + - < > _ and digits
  return (
    c === 0x23 ||
    c === 0x2a ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x3c ||
    c === 0x3e ||
    c === 0x5f ||
    (c >= 0x30 && c <= 0x39)
  );
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Columns of leading white space (a tab advances to the next multiple of four). */
function indentOf(line: string): number {
  let columns = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x20) columns++;
    else if (c === 0x09) columns += 4 - (columns % 4);
    else break;
  }
  return columns;
}

/** Cells of a table row: outer pipes dropped, split at unescaped pipes. */
function cellCount(row: string): number {
  let text = row.trim();
  if (text.startsWith('|')) text = text.slice(1);
  if (text.endsWith('|') && !text.endsWith('\\|')) text = text.slice(0, -1);
  let cells = 1;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 0x5c) i++;
    else if (text.charCodeAt(i) === 0x7c) cells++;
  }
  return cells;
}

function isTableStart(header: string, delimiter: string | undefined): boolean {
  return (
    delimiter !== undefined &&
    header.includes('|') &&
    delimiter.includes('|') &&
    TABLE_DELIMITER.test(delimiter) &&
    cellCount(header) === cellCount(delimiter)
  );
}

interface ListMarker {
  /** Column where the item's content starts: lines indented this far belong to the item. */
  contentIndent: number;
  /** Whether the item has content on the marker line (an empty item cannot interrupt a paragraph). */
  hasContent: boolean;
  /** The ordered-list start number, or null for a bullet. */
  number: number | null;
}

function listMarkerOf(line: string): ListMarker | null {
  const match = LIST_MARKER.exec(line);
  if (match === null) return null;
  const indent = match[1]?.length ?? 0;
  const marker = match[2] ?? '';
  const spacing = match[4] ?? '';
  const hasContent = (match[5] ?? '') !== '';
  // More than four spaces after the marker: the content is indented code; it starts one in.
  const gap = spacing.length === 0 || !hasContent ? 1 : spacing.length > 4 ? 1 : spacing.length;
  return {
    contentIndent: indent + marker.length + gap,
    hasContent,
    number: match[3] === undefined ? null : Number(match[3]),
  };
}

/** Heading text as a reader sees it: no `#`, emphasis, link targets, code marks or HTML. */
export function headingText(raw: string): string {
  if (!/[[\]<>`*_~\\{]/.test(raw)) return raw.replace(/\s+/g, ' ').trim();
  return (
    raw
      // Escaped punctuation is literal: park it in the private-use area while markup goes.
      .replace(/\\([!-/:-@[-`{-~])/g, (_, char: string) =>
        String.fromCharCode(0xe000 + char.charCodeAt(0)),
      )
      .replace(/\s*\{#[^}]*\}\s*$/, '') // Hugo/Pandoc anchors: `## Title {#title}`
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1')
      .replace(/<\/?[A-Za-z][^>]*>/g, '')
      .replace(/(`+)(.+?)\1/g, '$2')
      .replace(/(\*{1,3}|~~)(\S(?:.*?\S)?)\1/g, '$2')
      .replace(/(^|[^\w])(_{1,3})(\S(?:.*?\S)?)\2(?!\w)/g, '$1$3')
      .replace(/[\ue021-\ue07e]/g, (char) => String.fromCharCode(char.charCodeAt(0) - 0xe000))
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/**
 * Splits markdown into its top-level blocks, with offsets: ATX and setext headings,
 * paragraphs, fenced and indented code, GFM tables, lists, block quotes, HTML blocks and
 * thematic breaks. Blank lines between blocks belong to no block.
 *
 * A block spans whole lines: `start` is the offset of its first line, `end` the end of its last
 * line (before the `\n`). Fenced code is found first ({@link findFencedCode}) and is never
 * split: a fence inside a list or block quote makes that container longer rather than ending it,
 * and is recorded in the container's `atomic` ranges, as are nested tables.
 */
export function parseMarkdownBlocks(markdown: string): MarkdownBlock[] {
  const { texts, starts, ends } = splitLines(markdown);
  const lineCount = starts.length;
  const lineAt = (i: number): string => texts[i] as string;
  // Fences by the line they open on.
  const fenceEndByLine = new Map<number, number>();
  {
    const fences = findFencedCode(markdown);
    let line = 0;
    for (const fence of fences) {
      while (line < lineCount && (starts[line] as number) < fence.start) line++;
      let last = line;
      while (last + 1 < lineCount && (starts[last + 1] as number) <= fence.end) last++;
      fenceEndByLine.set(line, last);
    }
  }

  const blocks: MarkdownBlock[] = [];
  const push = (block: MarkdownBlock): void => {
    blocks.push(block);
  };
  const range = (first: number, last: number): TextRange => ({
    start: starts[first] as number,
    end: ends[last] as number,
  });

  /** Whether this line starts a block that may interrupt a paragraph (or a lazy continuation). */
  const interruptsParagraph = (i: number, line: string): boolean => {
    if (fenceEndByLine.has(i)) return true;
    if (!mayStartBlock(line))
      return (
        line.includes('|') && isTableStart(line, i + 1 < lineCount ? lineAt(i + 1) : undefined)
      );
    if (ATX_HEADING.test(line) || THEMATIC_BREAK.test(line) || BLOCKQUOTE.test(line)) return true;
    if (htmlStart(line, true) !== null) return true;
    const marker = listMarkerOf(line);
    if (marker?.hasContent && (marker.number === null || marker.number === 1)) return true;
    return isTableStart(line, i + 1 < lineCount ? lineAt(i + 1) : undefined);
  };

  /** Nested tables of a container, found on lines with their container marks removed. */
  const nestedTables = (
    first: number,
    last: number,
    strip: (line: string) => string,
  ): TextRange[] => {
    const tables: TextRange[] = [];
    for (let i = first; i < last; i++) {
      const fenceEnd = fenceEndByLine.get(i);
      if (fenceEnd !== undefined) {
        i = fenceEnd;
        continue;
      }
      if (!isTableStart(strip(lineAt(i)), strip(lineAt(i + 1)))) continue;
      let j = i + 1;
      while (j + 1 <= last && !fenceEndByLine.has(j + 1) && strip(lineAt(j + 1)).includes('|')) j++;
      tables.push(range(i, j));
      i = j;
    }
    return tables;
  };

  const withFences = (first: number, last: number, tables: TextRange[]): TextRange[] => {
    const atomic = [...tables];
    for (let i = first; i <= last; i++) {
      const fenceEnd = fenceEndByLine.get(i);
      if (fenceEnd !== undefined) {
        atomic.push(range(i, fenceEnd));
        i = fenceEnd;
      }
    }
    return atomic.sort((a, b) => a.start - b.start);
  };

  let i = 0;
  while (i < lineCount) {
    const line = lineAt(i);
    if (isBlank(line)) {
      i++;
      continue;
    }

    const fenceEnd = fenceEndByLine.get(i);
    if (fenceEnd !== undefined) {
      push({ kind: 'code', ...range(i, fenceEnd) });
      i = fenceEnd + 1;
      continue;
    }

    if (indentOf(line) >= 4) {
      // Indented code: runs over blank lines while the next non-blank line is indented too.
      let last = i;
      let j = i + 1;
      while (j < lineCount && !fenceEndByLine.has(j)) {
        const next = lineAt(j);
        if (isBlank(next)) {
          j++;
          continue;
        }
        if (indentOf(next) < 4) break;
        last = j;
        j++;
      }
      push({ kind: 'code', ...range(i, last) });
      i = last + 1;
      continue;
    }

    const special = mayStartBlock(line);
    const atx = special ? ATX_HEADING.exec(line) : null;
    if (atx !== null) {
      push({
        kind: 'heading',
        ...range(i, i),
        level: atx[1]?.length ?? 1,
        text: headingText(atx[2] ?? ''),
      });
      i++;
      continue;
    }

    if (special && THEMATIC_BREAK.test(line)) {
      push({ kind: 'thematic-break', ...range(i, i) });
      i++;
      continue;
    }

    if (special && BLOCKQUOTE.test(line)) {
      let last = i;
      let j = i + 1;
      const items = [starts[i] as number];
      let previousEmpty = false;
      while (j < lineCount) {
        const next = lineAt(j);
        if (isBlank(next)) break;
        const quoted = BLOCKQUOTE.test(next);
        if (!quoted && interruptsParagraph(j, next)) break;
        const content = next.replace(/^(?: {0,3}>[ \t]?)+/, '');
        const empty = quoted && isBlank(content);
        if (previousEmpty && !empty) items.push(starts[j] as number);
        previousEmpty = empty;
        const nestedFence = fenceEndByLine.get(j);
        last = nestedFence ?? j;
        j = last + 1;
      }
      const strip = (text: string): string => text.replace(/^(?: {0,3}>[ \t]?)+/, '');
      push({
        kind: 'blockquote',
        ...range(i, last),
        atomic: withFences(i, last, nestedTables(i, last, strip)),
        items,
      });
      i = last + 1;
      continue;
    }

    const marker = special ? listMarkerOf(line) : null;
    if (marker !== null) {
      let contentIndent = marker.contentIndent;
      const baseIndent = indentOf(line);
      const items = [starts[i] as number];
      let last = fenceEndByLine.get(i) ?? i;
      let j = last + 1;
      let previousBlank = false;
      let inParagraph = last === i && marker.hasContent;
      while (j < lineCount) {
        const next = lineAt(j);
        if (isBlank(next)) {
          previousBlank = true;
          inParagraph = false;
          j++;
          continue;
        }
        const indent = indentOf(next);
        const nextMarker =
          indent < contentIndent && !THEMATIC_BREAK.test(next) ? listMarkerOf(next) : null;
        let accepted = false;
        if (nextMarker !== null) {
          // A sibling item (or an item of an enclosing list: still this block).
          if (indent <= baseIndent + 3) items.push(starts[j] as number);
          contentIndent = nextMarker.contentIndent;
          accepted = true;
        } else if (indent >= contentIndent) {
          accepted = true; // content of the current item, nested lists included
        } else if (!previousBlank && inParagraph && !interruptsParagraph(j, next)) {
          accepted = true; // lazy continuation of a paragraph
        }
        if (!accepted) break;
        const nestedFence = fenceEndByLine.get(j);
        last = nestedFence ?? j;
        inParagraph = nestedFence === undefined && !ATX_HEADING.test(next);
        previousBlank = false;
        j = last + 1;
      }
      const strip = (text: string): string => {
        const rest = text.trimStart();
        const m = LIST_MARKER.exec(rest);
        return m === null ? rest : rest.slice((m[2]?.length ?? 0) + (m[4]?.length ?? 0));
      };
      push({
        kind: 'list',
        ...range(i, last),
        atomic: withFences(i, last, nestedTables(i, last, strip)),
        items,
      });
      i = last + 1;
      continue;
    }

    const htmlEnd = special ? htmlStart(line, false) : null;
    if (htmlEnd !== null) {
      let last = i;
      let j = i;
      if (htmlEnd === 'blank') {
        while (j < lineCount && !isBlank(lineAt(j))) {
          last = fenceEndByLine.get(j) ?? j;
          j = last + 1;
        }
      } else {
        // The end marker may sit on the opening line itself.
        for (; j < lineCount; j++) {
          const nestedFence = j > i ? fenceEndByLine.get(j) : undefined;
          if (nestedFence !== undefined) {
            j = nestedFence;
            last = j;
            continue;
          }
          last = j;
          const text = j === i ? line.slice(line.indexOf('<') + 2) : lineAt(j);
          if (htmlEnd.test(text)) break;
        }
      }
      push({ kind: 'html', ...range(i, Math.min(last, lineCount - 1)) });
      i = Math.min(last, lineCount - 1) + 1;
      continue;
    }

    if (isTableStart(line, i + 1 < lineCount ? lineAt(i + 1) : undefined)) {
      let last = i + 1;
      let j = i + 2;
      while (j < lineCount) {
        const next = lineAt(j);
        if (isBlank(next) || interruptsParagraph(j, next)) break;
        last = j;
        j++;
      }
      push({ kind: 'table', ...range(i, last) });
      i = last + 1;
      continue;
    }

    // A paragraph, or a setext heading when an underline ends it.
    let last = i;
    let j = i + 1;
    let setext: number | null = null;
    while (j < lineCount) {
      const next = lineAt(j);
      if (isBlank(next)) break;
      const underline = SETEXT_UNDERLINE.exec(next);
      if (underline !== null) {
        setext = underline[1]?.startsWith('=') ? 1 : 2;
        break;
      }
      if (interruptsParagraph(j, next)) break;
      last = j;
      j++;
    }
    if (setext !== null) {
      const text = markdown.slice(starts[i], ends[last]);
      push({ kind: 'heading', ...range(i, j), level: setext, text: headingText(text) });
      i = j + 1;
    } else {
      push({ kind: 'paragraph', ...range(i, last) });
      i = last + 1;
    }
  }
  return blocks;
}
