import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isScraperError } from '../errors.js';
import { type PdfText, pdfToText } from './pdf.js';

const whitepaper = (): Uint8Array =>
  new Uint8Array(
    readFileSync(
      new URL(
        '../../test/fixtures/whitepapers/Software_Supply_Chain_Practices_whitepaper_v2.pdf',
        import.meta.url,
      ),
    ),
  );

const squash = (text: string): string => text.replace(/\s+/g, ' ');

describe('pdfToText on the CNCF supply chain whitepaper', () => {
  const bytes = whitepaper();
  let pdf: PdfText;
  // One parse for all tests: it is the slow part.
  beforeAll(async () => {
    pdf = await pdfToText(bytes);
  });

  it('reads all 37 pages with their text, in reading order', () => {
    expect(pdf.pageCount).toBe(37);
    expect(pdf.pages).toHaveLength(37);
    expect(pdf.pages.filter((page) => page.trim().length > 200).length).toBeGreaterThan(33);
    // The same sentences poppler's pdftotext reads (checked by hand when the fixture was added).
    const page3 = pdf.pages[2]!;
    expect(page3).toContain(
      'INTRODUCTION\n\nSoftware supply chain attacks cost over $45 billion in 2023',
    );
    expect(squash(page3)).toContain(
      'According to the Verizon DBIR 2024,2 supply chain attacks grew 68% year-over-year.',
    );
    expect(squash(page3)).toContain(
      'This paper presents a holistic view of the software supply chain, providing information for both newcomers and experienced professionals in the field.',
    );
    expect(squash(pdf.pages[10]!)).toContain('This is often called a risk appetite.');
    expect(pdf.pages[0]).toContain('Marina Moore');
    // The PDF has no title in its info dictionary; its language is declared.
    expect(pdf.title).toBeNull();
    expect(pdf.language).toBe('en-GB');
    // pdf.js is given a copy: the caller's buffer is not detached.
    expect(bytes.byteLength).toBe(406424);
  });

  it('separates paragraphs with a blank line and keeps the lines of one paragraph together', () => {
    const paragraphs = pdf.pages[2]!.split('\n\n');
    const intro = paragraphs.find((paragraph) =>
      paragraph.startsWith('Software supply chain attacks cost'),
    );
    expect(intro?.split('\n')).toHaveLength(6);
    expect(paragraphs).toContain('Non-goals');
  });
});

describe('pdfToText on bad input', () => {
  it('throws extract-failed for bytes that are not a PDF', async () => {
    for (const body of [
      '<html><body>Not found</body></html>',
      '%PDF-1.7\nthis is truncated garbage',
    ]) {
      let caught: unknown;
      try {
        await pdfToText(new TextEncoder().encode(body));
      } catch (error) {
        caught = error;
      }
      expect(isScraperError(caught, 'extract-failed')).toBe(true);
    }
  });
});
