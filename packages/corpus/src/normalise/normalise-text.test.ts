import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentSchema } from '@cncf-llm/scraper';
import { describe, expect, it } from 'vitest';
import { findFencedCode } from './code-fences.js';
import { normaliseText } from './normalise-text.js';

const documents = readFileSync(
  join(import.meta.dirname, '../../test/fixtures/documents/documents.jsonl'),
  'utf8',
)
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => DocumentSchema.parse(JSON.parse(line)));

const fence = (body: string, marker = '```', info = 'sh') => `${marker}${info}\n${body}\n${marker}`;

describe('normaliseText', () => {
  it('composes to NFC and keeps every non-ASCII character', () => {
    const text = 'Cafe\u0301 · Größe · 集群 · クラスタ · مرحبا · 🚀 · naïve — “quotes” · 👩‍💻';
    const out = normaliseText(text);
    expect(out).toBe(text.normalize('NFC'));
    expect(out).toContain('Café');
    expect(out).toContain('👩\u200d💻'); // the zero-width joiner of an emoji sequence stays
  });

  it('turns CRLF and lone CR into LF, everywhere', () => {
    expect(normaliseText('a\r\nb\rc')).toBe('a\nb\nc');
    expect(normaliseText(`x\n${fence('one\ntwo')}`.replace(/\n/g, '\r\n'))).toBe(
      `x\n${fence('one\ntwo')}`,
    );
  });

  it('removes trailing spaces and collapses blank-line runs outside code only', () => {
    const code = fence('line with trailing   \n\n\n\nafter three blank lines\t');
    const input = `# Title   \n\n\n\nText\t \n${code}\n\n\n\nEnd  `;
    expect(normaliseText(input)).toBe(`# Title\n\nText\n${code}\n\nEnd`);
  });

  it('removes invisible and control characters outside code, keeps tabs and line feeds', () => {
    const input = '\ufeffZero\u200bwidth\u2060 and soft\u00adhyphen,\u0007bell,\u0000nul\tand tab';
    expect(normaliseText(input)).toBe('Zerowidth and softhyphen,bell,nul\tand tab');
    // Line-breaking controls become line breaks rather than gluing words together.
    expect(normaliseText('page one\fpage two\u2028three')).toBe('page one\npage two\nthree');
    const code = fence('keep\u200b\u0007\ufeff this   ');
    expect(normaliseText(`x\u200b\n${code}`)).toBe(`x\n${code}`);
  });

  it('keeps code blocks byte for byte: ~~~ fences, long fences, fences in lists and quotes, unclosed fences', () => {
    const decomposed = 'e\u0301'; // not composed inside code
    const blocks = [
      fence(`tilde ${decomposed}  \n\n\n\n`, '~~~', ''),
      fence('```\ninner fence is content   \n```', '````', 'md'),
      `- item\n\n    \`\`\`yaml\n    key: value   \n\n\n\n    \`\`\``,
      `> \`\`\`\n> quoted   \n> \`\`\``,
    ];
    for (const block of blocks) {
      expect(normaliseText(`Intro\n\n${block}\n\nOutro`)).toBe(`Intro\n\n${block}\n\nOutro`);
    }
    const unclosed = `Intro\n\n\`\`\`\nruns to the end   \n\n\n\n`;
    expect(normaliseText(unclosed)).toBe(unclosed);
  });

  it('does not take inline code or short backtick runs for fences', () => {
    expect(normaliseText('Use ```inline``` code   \n\n\n\nnext')).toBe(
      'Use ```inline``` code\n\nnext',
    );
    expect(findFencedCode('``not a fence\n``')).toEqual([]);
  });

  it('trims blank lines at the start and white space at the end', () => {
    expect(normaliseText('\n\n\n  indented first line\ntext\n\n \n')).toBe(
      '  indented first line\ntext',
    );
    expect(normaliseText('')).toBe('');
    expect(normaliseText(' \n\t\n')).toBe('');
  });

  it('is idempotent on every real document and on mixed tricky input', () => {
    for (const doc of documents) {
      const once = normaliseText(doc.markdown);
      expect(normaliseText(once)).toBe(once);
    }
    // Deterministic mixtures of the pieces that interact: fences, invisibles, blank runs, CRs.
    const pieces = [
      '```',
      '~~~~',
      '\u200b```',
      '- ```',
      '> ```',
      'text',
      '   ',
      '\n',
      '\n\n\n',
      '\r\n',
      '\u200b',
      '\ufeff',
      'e\u0301',
      '\t',
      '  - item',
      '\f',
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let round = 0; round < 2000; round++) {
      let input = '';
      const length = 5 + (next() % 30);
      for (let k = 0; k < length; k++) input += pieces[next() % pieces.length];
      const once = normaliseText(input);
      expect(normaliseText(once), JSON.stringify(input)).toBe(once);
    }
  });

  it('never loses content from the real documents: only white space and invisibles change', () => {
    const visible = (text: string) =>
      text
        .normalize('NFC')
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters normalisation removes
        .replace(/[\s\u0000-\u001f\u007f-\u009f\u00ad\u180e\u200b\u2060\ufeff]/g, '');
    let changed = 0;
    for (const doc of documents) {
      const out = normaliseText(doc.markdown);
      expect(visible(out)).toBe(visible(doc.markdown));
      if (out !== doc.markdown) changed++;
      // Every fenced code block comes out exactly as it went in.
      for (const range of findFencedCode(doc.markdown)) {
        expect(out).toContain(doc.markdown.slice(range.start, range.end));
      }
    }
    // Some real pages do have blank-line runs and trailing spaces to clean.
    expect(changed).toBeGreaterThan(0);
  });
});

describe('findFencedCode', () => {
  it('finds fences with their offsets, including nested and longer fences', () => {
    const text =
      'a\n```go\nx := 1\n```\nb\n  1. step\n\n     ~~~\n     y\n     ~~~\n````\n```\n````';
    const ranges = findFencedCode(text);
    expect(ranges.map((r) => text.slice(r.start, r.end))).toEqual([
      '```go\nx := 1\n```',
      '     ~~~\n     y\n     ~~~',
      '````\n```\n````',
    ]);
  });

  it('finds every fence of the real documents, in pairs', () => {
    let total = 0;
    for (const doc of documents) {
      const ranges = findFencedCode(doc.markdown);
      total += ranges.length;
      for (const range of ranges) {
        const body = doc.markdown.slice(range.start, range.end);
        const lines = body.split('\n');
        // Opening and closing lines both carry the fence; nothing runs to the end of a page.
        expect(lines.length).toBeGreaterThanOrEqual(2);
        expect(lines[0]).toMatch(/(`{3,}|~{3,})/);
        expect(lines.at(-1)).toMatch(/^[\s>]*(`{3,}|~{3,})\s*$/);
      }
    }
    // Lines that open or close a fence (any indentation, in lists and quotes), counted on their
    // own: two per block.
    const fenceLines = documents.reduce(
      (n, doc) =>
        n +
        (doc.markdown.match(/^[ \t>]*(?:[-*+][ \t]+|\d+[.)][ \t]+)?(`{3,}|~{3,})/gm)?.length ?? 0),
      0,
    );
    expect(total).toBe(fenceLines / 2);
    expect(total).toBe(867);
  });
});
