import { createRequire } from 'node:module';
import path from 'node:path';
import { ScraperError } from '../errors.js';

/** The text of a PDF, page by page. */
export interface PdfText {
  /** One string per page: lines joined by `\n`, paragraphs by a blank line. */
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
  y: number;
  size: number;
}

/**
 * Extracts the text of a PDF with pdf.js: text items are joined into lines by their positions
 * (pdf.js's end-of-line marks and changes of baseline), lines into paragraphs by vertical gaps
 * larger than the page's usual line spacing. Runs in the calling thread; no eval, no fonts
 * loaded into the process.
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
    const pages: string[] = [];
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      pages.push(pageText(content.items as TextItem[]));
      page.cleanup();
    }
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

/** Joins a page's text items into lines and the lines into paragraphs. */
function pageText(items: TextItem[]): string {
  const lines: Line[] = [];
  let text = '';
  let lineY = 0;
  let lineSize = 0;
  let lastEnd: number | null = null;
  let breakPending = false;
  const endLine = (): void => {
    const trimmed = text.replace(/\s+$/, '');
    if (trimmed.trim() !== '')
      lines.push({ text: trimmed.replace(/^\s+/, ''), y: lineY, size: lineSize });
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
  return paragraphs(lines);
}

function paragraphs(lines: Line[]): string {
  if (lines.length === 0) return '';
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
  const out: string[] = [];
  let paragraph: string[] = [lines[0]!.text];
  for (let i = 1; i < lines.length; i++) {
    const previous = lines[i - 1]!;
    const line = lines[i]!;
    const gap = previous.y - line.y;
    const limit = spacing > 0 ? spacing * 1.3 + 0.5 : 1.8 * Math.max(previous.size, line.size);
    const sizeChanged =
      Math.abs(previous.size - line.size) > 0.15 * Math.max(previous.size, line.size);
    if (gap <= 0 || gap > limit || sizeChanged) {
      out.push(paragraph.join('\n'));
      paragraph = [];
    }
    paragraph.push(line.text);
  }
  out.push(paragraph.join('\n'));
  return out.join('\n\n');
}
