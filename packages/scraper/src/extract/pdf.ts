import { createRequire } from 'node:module';
import path from 'node:path';
import { ScraperError } from '../errors.js';

/** The text of a PDF, page by page. */
export interface PdfText {
  /**
   * One string per page: lines joined by `\n`, paragraphs by a blank line; running headers and
   * footers left out, compounds broken at a line end joined.
   */
  pages: string[];
  /** The document title from its info dictionary or XMP metadata, or `null`. */
  title: string | null;
  pageCount: number;
  /** The document's language (`/Lang`), or `null`. */
  language: string | null;
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let pdfjsPromise: Promise<PdfJs> | undefined;

/** pdf.js is large; it is loaded on the first PDF, not when the package is imported. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjsPromise ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjsPromise;
}

let assetDirectory: string | undefined;

/** Where pdfjs-dist keeps its CMaps and standard fonts (needed for CJK and unembedded fonts). */
function pdfjsAssets(): string {
  assetDirectory ??= path.dirname(
    createRequire(import.meta.url).resolve('pdfjs-dist/package.json'),
  );
  return assetDirectory;
}

interface TextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
}

interface Line {
  text: string;
  /** Baseline, in PDF units from the bottom of the page. */
  y: number;
  /** Where the line starts. */
  x: number;
  size: number;
}

/**
 * Extracts the text of a PDF with pdf.js: text items are joined into lines by their positions
 * (pdf.js's end-of-line marks and changes of baseline), lines into paragraphs by vertical gaps
 * larger than the page's usual line spacing. Lines repeated at the top or bottom of most pages
 * (running headers, page numbers) are dropped; a heading the PDF draws after the page's body is
 * put back where it stands; a word hyphenated across two lines is joined onto the first (the
 * hyphen kept unless the document spells the word without it elsewhere). Runs in the calling
 * thread; no eval, no fonts loaded into the process.
 *
 * @throws {ScraperError} `extract-failed` when the bytes are not a readable PDF (corrupt,
 * truncated, encrypted with a password).
 */
export async function pdfToText(bytes: Uint8Array): Promise<PdfText> {
  const pdfjs = await loadPdfJs();
  const assets = pdfjsAssets();
  const task = pdfjs.getDocument({
    // pdf.js takes ownership of (and detaches) the buffer it is given: hand it a copy.
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWorkerFetch: false,
    isOffscreenCanvasSupported: false,
    verbosity: 0,
    cMapUrl: `${path.join(assets, 'cmaps')}${path.sep}`,
    cMapPacked: true,
    standardFontDataUrl: `${path.join(assets, 'standard_fonts')}${path.sep}`,
  });
  let document: Awaited<typeof task.promise>;
  try {
    document = await task.promise;
  } catch (cause) {
    await task.destroy().catch(() => undefined);
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ScraperError(
      'extract-failed',
      `Cannot read the PDF (${reason}); the body is not a valid, unencrypted PDF — check the URL returns the document itself.`,
      { cause },
    );
  }
  try {
    const pageLines: Line[][] = [];
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      pageLines.push(linesOf(content.items as TextItem[]));
      page.cleanup();
    }
    const pages = documentText(pageLines);
    const { info, metadata } = await document
      .getMetadata()
      .catch(() => ({ info: {}, metadata: null }));
    const infoRecord = info as Record<string, unknown>;
    const title = cleanTitle(
      (typeof infoRecord.Title === 'string' ? infoRecord.Title : null) ??
        (metadata?.get('dc:title') as string | undefined) ??
        null,
    );
    const language =
      typeof infoRecord.Language === 'string' && infoRecord.Language.trim() !== ''
        ? infoRecord.Language.trim()
        : null;
    return { pages, title, pageCount: document.numPages, language };
  } catch (cause) {
    if (cause instanceof ScraperError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ScraperError('extract-failed', `Cannot read the text of the PDF (${reason}).`, {
      cause,
    });
  } finally {
    await document.destroy();
  }
}

function cleanTitle(raw: string | null): string | null {
  if (raw === null) return null;
  const title = raw
    .replace(/^Microsoft (?:Word|PowerPoint) - /, '')
    .replace(/\s+/g, ' ')
    .trim();
  // Authoring tools often leave a file name or a placeholder where the title belongs.
  if (
    title === '' ||
    /^untitled\b/i.test(title) ||
    /\.(?:docx?|indd|pptx?|pdf|tex|odt)$/i.test(title)
  )
    return null;
  return title;
}

/** Joins a page's text items into lines, in the order the page draws them. */
function linesOf(items: TextItem[]): Line[] {
  const lines: Line[] = [];
  let text = '';
  let lineY = 0;
  let lineX = 0;
  let lineSize = 0;
  let lastEnd: number | null = null;
  let breakPending = false;
  const endLine = (): void => {
    const trimmed = text.replace(/\s+$/, '');
    if (trimmed.trim() !== '')
      lines.push({ text: trimmed.replace(/^\s+/, ''), y: lineY, x: lineX, size: lineSize });
    text = '';
    lastEnd = null;
    breakPending = false;
  };
  for (const item of items) {
    if (typeof item.str !== 'string') continue;
    const [, , c = 0, d = 0, x = 0, y = 0] = item.transform;
    const size = Math.hypot(c, d) || item.height || 1;
    if (item.str === '') {
      if (item.hasEOL) breakPending = true;
      continue;
    }
    if (text !== '') {
      const moved = Math.abs(y - lineY) > 0.5 * Math.max(size, lineSize);
      if (breakPending || moved) endLine();
    }
    if (text === '') {
      lineY = y;
      lineX = x;
      lineSize = size;
    } else {
      // Items that do not touch are separate words even when the PDF has no space between them.
      if (
        lastEnd !== null &&
        x - lastEnd > 0.15 * size &&
        !/\s$/.test(text) &&
        !/^\s/.test(item.str)
      )
        text += ' ';
      // The line's size is its main text's, not a superscript's.
      lineSize = Math.max(lineSize, size);
    }
    text += item.str;
    lastEnd = x + item.width;
    if (item.hasEOL) endLine();
  }
  endLine();
  return lines;
}

/**
 * The text of every page: running headers and footers dropped, headings the PDF draws last put
 * back where they stand, lines grouped into paragraphs, and words hyphenated across a line
 * break joined.
 */
function documentText(pageLines: Line[][]): string[] {
  dropRunningLines(pageLines);
  const vocabulary = new Set<string>();
  for (const lines of pageLines) {
    for (const line of lines) {
      for (const word of line.text.toLowerCase().match(WORD) ?? []) vocabulary.add(word);
    }
  }
  return pageLines.map((lines) =>
    paragraphs(restoreReadingOrder(lines))
      .map((paragraph) => joinHyphenated(paragraph, vocabulary).join('\n'))
      .join('\n\n'),
  );
}

const WORD = /[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu;

/** Lines this close to a page's edge (by position or in drawing order) may be running lines. */
const EDGE_LINES = 2;

/**
 * Removes running headers and footers: a line at the top or bottom of at least half the pages
 * (three at least) that reads the same on each but for its numbers, like `SOFTWARE SUPPLY
 * CHAIN BEST PRACTICES V2 12` or a bare page number; body text seldom repeats that way.
 */
function dropRunningLines(pageLines: Line[][]): void {
  const pagesWithText = pageLines.filter((lines) => lines.length > 0).length;
  if (pagesWithText < 3) return;
  const edges = pageLines.map(edgeLines);
  const pagesPerKey = new Map<string, number>();
  for (const [index, lines] of pageLines.entries()) {
    const keys = new Set<string>();
    for (const line of edges[index]!) {
      const key = runningKey(lines[line]!.text);
      if (key !== null) keys.add(key);
    }
    for (const key of keys) pagesPerKey.set(key, (pagesPerKey.get(key) ?? 0) + 1);
  }
  const threshold = Math.max(3, pagesWithText / 2);
  for (const [index, lines] of pageLines.entries()) {
    const drop = new Set<number>();
    for (const line of edges[index]!) {
      const key = runningKey(lines[line]!.text);
      if (key !== null && (pagesPerKey.get(key) ?? 0) >= threshold) drop.add(line);
    }
    if (drop.size > 0) pageLines[index] = lines.filter((_line, i) => !drop.has(i));
  }
}

/** Indexes of the lines drawn first and last and of those highest and lowest on the page. */
function edgeLines(lines: Line[]): Set<number> {
  const edges = new Set<number>();
  const count = Math.min(EDGE_LINES, lines.length);
  for (let i = 0; i < count; i++) {
    edges.add(i);
    edges.add(lines.length - 1 - i);
  }
  const byHeight = lines.map((_line, i) => i).sort((a, b) => lines[b]!.y - lines[a]!.y);
  for (let i = 0; i < count; i++) {
    edges.add(byHeight[i]!);
    edges.add(byHeight[byHeight.length - 1 - i]!);
  }
  return edges;
}

const PAGE_NUMBER_ONLY = /^(?:page )?[\s#/|.\-–—]*#[\s#/|.\-–—]*(?:of #)?$/;

/** A line's text with its numbers masked, or `null` when it is nothing a running line can be. */
function runningKey(text: string): string | null {
  const key = text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
  if (key.length > 200) return null;
  // Text with letters (a title, a chapter name) or a page number; not a stray bullet or symbol.
  return /\p{L}/u.test(key) || PAGE_NUMBER_ONLY.test(key) ? key : null;
}

/**
 * Layout programs often draw a page's section heading after its body text, so pdf.js lists it
 * last, splitting the page's last sentence from its continuation on the next page. A block of
 * lines at the end of the drawing order that sits higher on the page than the line before it
 * goes back into the vertical gap it occupies, when that gap is in the same column.
 */
function restoreReadingOrder(lines: Line[]): Line[] {
  const ordered = lines.slice();
  let end = ordered.length;
  for (let moves = 0; moves < 8 && end > 2; moves++) {
    // The last run of lines that reads downwards, and the jump upwards before it.
    let start = end - 1;
    while (start > 0 && ordered[start - 1]!.y > ordered[start]!.y) start--;
    if (start === 0) break;
    const before = ordered[start - 1]!;
    const first = ordered[start]!;
    const last = ordered[end - 1]!;
    if (first.y <= before.y + before.size) break;
    const slot = gapFor(ordered, start, first, last);
    if (slot === -1) {
      end = start;
      continue;
    }
    const block = ordered.splice(start, end - start);
    ordered.splice(slot, 0, ...block);
    end = start;
  }
  return ordered;
}

/** Where a block fits above or between lines of `lines[0..limit)` in their column, or -1. */
function gapFor(lines: Line[], limit: number, first: Line, last: Line): number {
  const sameColumn = (line: Line): boolean => Math.abs(first.x - line.x) <= 2 * first.size;
  const top = lines[0]!;
  // A page title drawn last: it stands above everything else.
  if (last.y - top.y >= 0.5 * top.size && sameColumn(top)) return 0;
  for (let i = 0; i + 1 < limit; i++) {
    const above = lines[i]!;
    const below = lines[i + 1]!;
    if (above.y - first.y < 0.5 * first.size || last.y - below.y < 0.5 * below.size) continue;
    if (sameColumn(above) || sameColumn(below)) return i + 1;
  }
  return -1;
}

function paragraphs(lines: Line[]): Line[][] {
  if (lines.length === 0) return [];
  // The page's usual distance between lines of body text: the most common gap.
  const counts = new Map<number, number>();
  for (let i = 1; i < lines.length; i++) {
    const gap = Math.round(lines[i - 1]!.y - lines[i]!.y);
    if (gap > 0 && Math.abs(lines[i]!.size - lines[i - 1]!.size) < 0.5)
      counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let spacing = 0;
  let best = 0;
  for (const [gap, count] of counts) {
    if (count > best || (count === best && gap < spacing)) {
      spacing = gap;
      best = count;
    }
  }
  const out: Line[][] = [];
  let paragraph: Line[] = [lines[0]!];
  for (let i = 1; i < lines.length; i++) {
    const previous = lines[i - 1]!;
    const line = lines[i]!;
    const gap = previous.y - line.y;
    const limit = spacing > 0 ? spacing * 1.3 + 0.5 : 1.8 * Math.max(previous.size, line.size);
    const sizeChanged =
      Math.abs(previous.size - line.size) > 0.15 * Math.max(previous.size, line.size);
    if (gap <= 0 || gap > limit || sizeChanged) {
      out.push(paragraph);
      paragraph = [];
    }
    paragraph.push(line);
  }
  out.push(paragraph);
  return out;
}

const HYPHENATED_END = /(\p{L})[-\u2010\u00ad]$/u;
const LOWERCASE_START = /^\p{Ll}/u;

/**
 * Joins words broken across lines of a paragraph: `end-` / `all solution` becomes `end-all` /
 * `solution`. A soft hyphen always goes; a hard one goes only when the document spells the
 * word without it elsewhere and never with it, since most line-end hyphens in documentation
 * are real ones (`fine-grained`, `off-the-shelf`).
 */
function joinHyphenated(paragraph: Line[], vocabulary: Set<string>): string[] {
  const texts = paragraph.map((line) => line.text);
  for (let i = 0; i + 1 < texts.length; i++) {
    const text = texts[i]!;
    const next = texts[i + 1]!;
    if (!HYPHENATED_END.test(text) || !LOWERCASE_START.test(next)) continue;
    const space = next.search(/\s/);
    const continuation = space === -1 ? next : next.slice(0, space);
    const head = /[\p{L}\p{N}-]*$/u.exec(text.slice(0, -1))![0];
    const tail = /^[\p{L}\p{N}-]*/u.exec(continuation)![0];
    const joined = `${head}${tail}`.toLowerCase();
    const hyphenated = `${head}-${tail}`.toLowerCase();
    const dropHyphen =
      text.endsWith('\u00ad') || (vocabulary.has(joined) && !vocabulary.has(hyphenated));
    texts[i] = `${dropHyphen ? text.slice(0, -1) : text}${continuation}`;
    texts[i + 1] = space === -1 ? '' : next.slice(space).trimStart();
  }
  return texts.filter((text) => text !== '');
}
