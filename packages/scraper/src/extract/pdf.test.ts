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

describe('pdfToText cleaning of the whitepaper', () => {
  let pdf: PdfText;
  beforeAll(async () => {
    pdf = await pdfToText(whitepaper());
  });

  it('drops the running header that pages 2 to 36 repeat with their page number', () => {
    // Before: every page began "SOFTWARE SUPPLY CHAIN BEST PRACTICES V2 <n>".
    for (const page of pdf.pages) expect(page).not.toContain('BEST PRACTICES V2');
    expect(pdf.pages[2]).toMatch(/^INTRODUCTION\n\nSoftware supply chain attacks cost/);
    // The cover's own title, on one page only, stays.
    expect(pdf.pages[0]).toMatch(/^SOFTWARE\n\nSUPPLY CHAIN\n\nBEST PRACTICES\n\nV2\n/);
  });

  it('joins compounds broken at a line end, keeping their hyphen', () => {
    // Before: "…This paper is not an end-\nall solution…", "“off-\nthe-shelf.”", "fine-\ngrained".
    expect(pdf.pages[2]).toContain('This paper is not an end-all\nsolution for resolving');
    expect(pdf.pages[2]).toContain('available “off-the-shelf.”\nAs a result');
    expect(squash(pdf.pages.join(' '))).toContain('Grant each role fine-grained permissions');
    expect(pdf.pages.join('\n')).not.toMatch(/\p{L}-\n\p{Ll}/u);
  });

  it('puts section headings the PDF draws last back where they stand on the page', () => {
    // Before: page 13 ended "…making it easier to track and\n\nCONCEPTS", splitting the
    // sentence that page 14 finishes; page 18 ended with its own title "SOURCE CODE".
    expect(pdf.pages[12]).toContain(
      'can we make it more secure.\n\nCONCEPTS\n\nBefore providing detailed security best practices',
    );
    expect(pdf.pages[12]).toMatch(/making it easier to track and$/);
    expect(pdf.pages[17]).toMatch(/^SOURCE CODE\n\nThe foundational construct/);
    expect(pdf.pages[35]).toMatch(/^ENDNOTES\n/);
    // Page 16 opens with the end of page 15's last paragraph, drawn after the rest of the page.
    expect(pdf.pages[14]).toMatch(/the Sigstore project uses a TUF root$/);
    expect(pdf.pages[15]).toMatch(/^of trust, which requires a threshold of offline keys/);
  });
});

describe('pdfToText on a generated PDF (what the whitepaper cannot show)', () => {
  it('drops page-number footers, removes a hyphen only when the document spells the word without it', async () => {
    const body = (n: number): Item[] => [
      [72, 780, 9, `Acme operations guide ${n}`],
      [72, 40, 9, `Page ${n} of 4`],
    ];
    const bytes = buildPdf([
      [
        ...body(1),
        [72, 700, 11, 'Scanners report known vulner-'],
        [72, 686, 11, 'abilities in every image, and a fine-'],
        [72, 672, 11, 'grained policy decides what ships.'],
      ],
      [...body(2), [72, 700, 11, 'Triage the vulnerabilities by severity.']],
      [...body(3), [72, 700, 11, 'Patch the base image first.']],
      [...body(4), [72, 700, 11, 'Then rebuild.']],
    ]);
    const pdf = await pdfToText(bytes);
    expect(pdf.pages).toEqual([
      'Scanners report known vulnerabilities\nin every image, and a fine-grained\npolicy decides what ships.',
      'Triage the vulnerabilities by severity.',
      'Patch the base image first.',
      'Then rebuild.',
    ]);
  });
});

/** `[x, y, font size, text]`: one line of text drawn at a position. */
type Item = [number, number, number, string];

/** A minimal PDF with Helvetica text lines, one array of lines per page. */
function buildPdf(pages: Item[][]): Uint8Array {
  const pdfString = (text: string): string => text.replace(/[\\()]/g, '\\$&');
  const objects: string[] = [];
  const add = (body: string): number => objects.push(body);
  const catalog = add('');
  const pageTree = add('');
  const font = add(
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  );
  const kids: number[] = [];
  for (const items of pages) {
    const stream = items
      .map(([x, y, size, text]) => `BT /F1 ${size} Tf ${x} ${y} Td (${pdfString(text)}) Tj ET`)
      .join('\n');
    const content = add(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
    kids.push(
      add(
        `<< /Type /Page /Parent ${pageTree} 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`,
      ),
    );
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pageTree} 0 R >>`;
  objects[pageTree - 1] =
    `<< /Type /Pages /Kids [${kids.map((kid) => `${kid} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (const [index, body] of objects.entries()) {
    offsets.push(pdf.length);
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  }
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(pdf, 'latin1'));
}

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
