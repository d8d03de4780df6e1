import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentSchema } from '@cncf-llm/scraper';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Chunk, ChunkSchema } from '../chunk-record.js';
import { normaliseText } from '../normalise/normalise-text.js';
import {
  type ChunkableDocument,
  type ChunkOptions,
  chunkDocument,
  chunkDocumentWithStats,
} from './chunk-document.js';
import { createTokenCounter, type TokenCounter } from './token-counter.js';

const documents: ChunkableDocument[] = readFileSync(
  join(import.meta.dirname, '../../test/fixtures/documents/documents.jsonl'),
  'utf8',
)
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => DocumentSchema.parse(JSON.parse(line)))
  .map((doc) => ({ ...doc, markdown: normaliseText(doc.markdown) }));

const byUrl = (url: string): ChunkableDocument => {
  const doc = documents.find((d) => d.url === url);
  if (doc === undefined) throw new Error(`no fixture document ${url}`);
  return doc;
};

/** A synthetic document with the provenance of a real one. */
const withMarkdown = (markdown: string): ChunkableDocument => ({
  ...(documents[0] as ChunkableDocument),
  markdown,
});

interface Atomic {
  kind: 'code' | 'table';
  start: number;
  end: number;
}

/**
 * Fenced code blocks and pipe tables, found independently of the chunker's own parser with
 * plain line patterns (any indentation, in list items and quotes).
 */
function atomicRanges(markdown: string): Atomic[] {
  const lines = markdown.split('\n');
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    starts.push(offset);
    offset += line.length + 1;
  }
  const endOf = (i: number) => (starts[i] as number) + (lines[i] as string).length;
  const ranges: Atomic[] = [];
  let open: { line: number; char: string; size: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (open !== null) {
      const close = /^[\s>]*(`{3,}|~{3,})\s*$/.exec(line);
      if (close?.[1] !== undefined && close[1][0] === open.char && close[1].length >= open.size) {
        ranges.push({ kind: 'code', start: starts[open.line] as number, end: endOf(i) });
        open = null;
      }
      continue;
    }
    const fence = /^[\s>]*(?:(?:[-*+]|\d+[.)])\s+)?(`{3,}|~{3,})([^\n]*)$/.exec(line);
    if (fence?.[1] !== undefined && !(fence[1][0] === '`' && fence[2]?.includes('`'))) {
      open = { line: i, char: fence[1][0] as string, size: fence[1].length };
      continue;
    }
    const row = /^[\s>]*(?:(?:[-*+]|\d+[.)])\s+)?\|/;
    const delimiter = /^[\s>]*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$/;
    const next = lines[i + 1] ?? '';
    if (row.test(line) && next.includes('|') && delimiter.test(next)) {
      let last = i + 1;
      while (last + 1 < lines.length && /^[\s>]*\|/.test(lines[last + 1] as string)) last++;
      ranges.push({ kind: 'table', start: starts[i] as number, end: endOf(last) });
      i = last;
    }
  }
  if (open !== null)
    ranges.push({ kind: 'code', start: starts[open.line] as number, end: markdown.length });
  return ranges;
}

/** The checks every chunking must pass, whatever the options. */
function checkChunks(
  doc: ChunkableDocument,
  chunks: Chunk[],
  counter: TokenCounter,
  options: { maxTokens: number },
) {
  const { markdown } = doc;
  const atomic = atomicRanges(markdown);
  let previousEnd = 0;
  let previousStart = -1;
  for (const [index, chunk] of chunks.entries()) {
    ChunkSchema.parse(chunk);
    expect(chunk.index).toBe(index);
    expect(chunk.documentId).toBe(doc.id);
    expect(chunk.text).toBe(markdown.slice(chunk.startOffset, chunk.endOffset));
    expect(chunk.text.trim()).not.toBe('');
    // No blank lines carried at either end.
    expect(chunk.text).not.toMatch(/^[ \t]*\n|\n\s*$/);
    expect(chunk.tokens).toBe(counter.count(chunk.text));
    expect(chunk.startOffset).toBeGreaterThan(previousStart);
    expect({ url: doc.url, licence: chunk.licence, project: chunk.project }).toEqual({
      url: doc.url,
      licence: doc.licence,
      project: doc.project,
    });
    if (chunk.tokens > options.maxTokens) {
      // Oversize: (headings leading into) one code block or table larger than the budget.
      const body = chunk.text.replace(/^(?:#{1,6} [^\n]*\n\n?)+/, '');
      const start = chunk.endOffset - body.length;
      const block = atomic.find((r) => r.start === start && r.end === chunk.endOffset);
      expect(
        block,
        `${doc.url} chunk ${index} is over budget without a code block or table`,
      ).toBeDefined();
    }
    // Own text starts after the previous chunk; only white space lies between.
    const ownStart = Math.max(chunk.startOffset, previousEnd);
    expect(markdown.slice(previousEnd, ownStart)).toMatch(/^\s*$/);
    previousEnd = chunk.endOffset;
    previousStart = chunk.startOffset;
  }
  expect(markdown.slice(previousEnd)).toMatch(/^\s*$/);
  // Every code block and table lies whole in the chunk(s) that reach it: no start or end inside.
  for (const range of atomic) {
    const touching = chunks.filter((c) => c.startOffset < range.end && c.endOffset > range.start);
    expect(touching.length, `${doc.url} ${range.kind} @${range.start}`).toBeGreaterThanOrEqual(1);
    for (const chunk of touching) {
      expect(
        chunk.startOffset <= range.start && chunk.endOffset >= range.end,
        `${doc.url} ${range.kind} @${range.start} cut`,
      ).toBe(true);
    }
  }
}

describe('chunkDocument on the real documents', () => {
  let counter: TokenCounter;
  beforeAll(async () => {
    counter = await createTokenCounter();
  });

  it('keeps every chunk within 512 tokens unless it is one oversize code block or table', () => {
    let oversize = 0;
    let chunkCount = 0;
    let codeAndTables = 0;
    for (const doc of documents) {
      const { chunks, stats } = chunkDocumentWithStats(doc, { counter });
      checkChunks(doc, chunks, counter, { maxTokens: 512 });
      const over = chunks.filter((c) => c.tokens > 512).length;
      expect(stats.oversize.code + stats.oversize.table + stats.oversize.other).toBe(over);
      expect(stats.oversize.other).toBe(0);
      expect(stats.chunks).toBe(chunks.length);
      expect(stats.tokens).toBe(chunks.reduce((n, c) => n + c.tokens, 0));
      oversize += over;
      chunkCount += chunks.length;
      // Without overlap each code block and table is in exactly one chunk.
      for (const range of atomicRanges(doc.markdown)) {
        codeAndTables++;
        const holders = chunks.filter(
          (c) => c.startOffset <= range.start && range.end <= c.endOffset,
        );
        expect(holders).toHaveLength(1);
      }
    }
    // 166 pages: about a thousand chunks, a few dozen of them single huge code blocks or tables.
    expect(chunkCount).toBeGreaterThan(800);
    expect(oversize).toBeGreaterThan(0);
    expect(oversize / chunkCount).toBeLessThan(0.05);
    expect(codeAndTables).toBeGreaterThan(1000);
  });

  it('gives the document back when its chunks are joined with the white space between them', () => {
    for (const doc of documents) {
      const chunks = chunkDocument(doc, { counter });
      let rebuilt = '';
      let cursor = 0;
      for (const chunk of chunks) {
        rebuilt += doc.markdown.slice(cursor, chunk.startOffset) + chunk.text;
        cursor = chunk.endOffset;
      }
      rebuilt += doc.markdown.slice(cursor);
      expect(rebuilt).toBe(doc.markdown);
    }
  });

  it('gives the same chunks and ids on a second run, and ids unique across the corpus', () => {
    const first = documents.flatMap((doc) => chunkDocument(doc, { counter }));
    const second = documents.flatMap((doc) => chunkDocument(doc, { counter }));
    expect(second).toEqual(first);
    expect(new Set(first.map((c) => c.id)).size).toBe(first.length);
  });

  it('puts the outline above each chunk in headingPath', () => {
    const clustering = chunkDocument(byUrl('https://etcd.io/docs/v3.6/op-guide/clustering/'), {
      counter,
    });
    const selfSigned = clustering.find((c) => c.text.startsWith('#### Self-signed certificates'));
    expect(selfSigned?.headingPath).toEqual([
      'Clustering Guide',
      'Static',
      'TLS',
      'Self-signed certificates',
    ]);
    const dns = clustering.find((c) => c.text.startsWith('### DNS discovery'));
    expect(dns?.headingPath).toEqual(['Clustering Guide', 'Discovery', 'DNS discovery']);
    // A chunk that continues a section carries that section's path.
    const after = clustering[clustering.indexOf(selfSigned as Chunk) + 1];
    expect(after?.text.startsWith('#')).toBe(false);
    expect(after?.headingPath).toEqual([
      'Clustering Guide',
      'Static',
      'TLS',
      'Self-signed certificates',
    ]);

    const maintenance = chunkDocument(byUrl('https://etcd.io/docs/v3.6/op-guide/maintenance/'), {
      counter,
    });
    expect(maintenance[0]?.headingPath).toEqual(['Maintenance']);
    expect(maintenance.find((c) => c.text.startsWith('## Defragmentation'))?.headingPath).toEqual([
      'Maintenance',
      'Defragmentation',
    ]);

    const configuration = chunkDocument(
      byUrl('https://etcd.io/docs/v3.6/op-guide/configuration/'),
      { counter },
    );
    expect(configuration.find((c) => c.text.startsWith('### Clustering'))?.headingPath).toEqual([
      'Configuration options',
      'Command-line flags',
      'Clustering',
    ]);
    // Link markup leaves heading text: the API reference index names pages in links.
    const whitepaper = documents.find((d) => d.sourceType === 'whitepaper') as ChunkableDocument;
    expect(chunkDocument(whitepaper, { counter }).every((c) => c.headingPath.length === 0)).toBe(
      true,
    );
  });

  it('matches an outline read independently from the ATX headings before each chunk', () => {
    for (const doc of documents) {
      const codeRanges = atomicRanges(doc.markdown).filter((r) => r.kind === 'code');
      const headings = [...doc.markdown.matchAll(/^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm)]
        .filter(
          (m) =>
            !codeRanges.some((r) => (m.index as number) > r.start && (m.index as number) < r.end),
        )
        .map((m) => ({
          at: m.index as number,
          level: (m[1] as string).length,
          raw: m[2] as string,
        }));
      for (const chunk of chunkDocument(doc, { counter })) {
        // The chunk's own leading headings count as above it.
        const leading = /^(?:#{1,6} [^\n]*(?:\n\n|$))*/.exec(chunk.text)?.[0].length ?? 0;
        const outline: Array<{ level: number }> = [];
        for (const heading of headings) {
          if (heading.at >= chunk.startOffset + Math.max(leading, 1)) break;
          while (outline.length > 0 && (outline.at(-1) as { level: number }).level >= heading.level)
            outline.pop();
          outline.push(heading);
        }
        expect(chunk.headingPath.length, `${doc.url} chunk ${chunk.index}`).toBe(outline.length);
      }
    }
  });

  it('cuts at headings when a section fits, rather than splitting it', () => {
    // Most chunks of the docs pages start at a heading or continue a section too large for one.
    let startsAtHeading = 0;
    let total = 0;
    for (const doc of documents.filter((d) => d.sourceType === 'docs-site')) {
      for (const chunk of chunkDocument(doc, { counter })) {
        total++;
        if (chunk.text.startsWith('#')) startsAtHeading++;
      }
    }
    expect(startsAtHeading / total).toBeGreaterThan(0.4);
  });

  it('keeps within the budget when counting with a real tokenizer.json', async () => {
    const real = await createTokenCounter({
      tokenizer: join(import.meta.dirname, '../../test/fixtures/tokenizer/bpe-tokenizer.json'),
    });
    // A slice of the pages (the JS tokenizer is slow): small and large, code and tables.
    const sample = [
      'https://etcd.io/docs/v3.6/op-guide/maintenance/',
      'https://etcd.io/docs/v3.6/install/',
      'https://prometheus.io/docs/concepts/metric_types/',
      'https://prometheus.io/docs/guides/basic-auth/',
    ].map(byUrl);
    for (const doc of sample) {
      const chunks = chunkDocument(doc, { counter: real, maxTokens: 256 });
      checkChunks(doc, chunks, real, { maxTokens: 256 });
      expect(chunks.length).toBeGreaterThan(1);
    }
  });

  it('splits down to lines, sentences, words and characters under a tiny budget', () => {
    let chunkCount = 0;
    for (const doc of documents) {
      const { chunks, stats } = chunkDocumentWithStats(doc, { counter, maxTokens: 32 });
      checkChunks(doc, chunks, counter, { maxTokens: 32 });
      expect(stats.oversize.other).toBe(0);
      chunkCount += chunks.length;
    }
    expect(chunkCount).toBeGreaterThan(10_000);
  });

  it('repeats up to overlapTokens from the previous chunk, from a boundary, never across a heading', () => {
    const overlapTokens = 64;
    let overlapping = 0;
    let reported = 0;
    for (const doc of documents) {
      const { markdown } = doc;
      const { chunks, stats } = chunkDocumentWithStats(doc, {
        counter,
        maxTokens: 256,
        overlapTokens,
      });
      checkChunks(doc, chunks, counter, { maxTokens: 256 });
      reported += stats.overlapping;
      for (let k = 1; k < chunks.length; k++) {
        const previous = chunks[k - 1] as Chunk;
        const chunk = chunks[k] as Chunk;
        if (chunk.startOffset >= previous.endOffset) continue;
        overlapping++;
        const ownStart =
          previous.endOffset + (/^\s*/.exec(markdown.slice(previous.endOffset))?.[0].length ?? 0);
        // Within the overlap budget, strictly inside the previous chunk, and that chunk's tail.
        expect(counter.count(markdown.slice(chunk.startOffset, ownStart))).toBeLessThanOrEqual(
          overlapTokens,
        );
        expect(chunk.startOffset).toBeGreaterThan(previous.startOffset);
        expect(previous.text.endsWith(markdown.slice(chunk.startOffset, previous.endOffset))).toBe(
          true,
        );
        // From the start of a line or a sentence.
        const before = markdown.slice(Math.max(0, chunk.startOffset - 12), chunk.startOffset);
        expect(before, `${doc.url} chunk ${k}`).toMatch(/(?:\n|[.!?:。！？]["'”’)\]*_]*[ \t]+)$/);
        // Not into a new section, nor out of an oversize block.
        expect(markdown.slice(ownStart)).not.toMatch(/^#{1,6} /);
        expect(previous.tokens).toBeLessThanOrEqual(256);
      }
    }
    expect(overlapping).toBeGreaterThan(50);
    expect(reported).toBe(overlapping);
  });
});

describe('chunkDocument on constructed input', () => {
  let counter: TokenCounter;
  const options = (extra: Partial<ChunkOptions> = {}): ChunkOptions => ({
    counter,
    maxTokens: 64,
    ...extra,
  });
  beforeAll(async () => {
    counter = await createTokenCounter();
  });

  it('gives an oversize code block its own chunk, with the heading that leads into it', () => {
    const code = `\`\`\`sh\n${'etcdctl put key value --lease=1234abcd\n'.repeat(40)}\`\`\``;
    const markdown = `# Guide\n\nIntro paragraph about keys.\n\n## Write many keys\n\n${code}\n\nAfterwards, read them back.`;
    const { chunks, stats } = chunkDocumentWithStats(withMarkdown(markdown), options());
    expect(chunks.map((c) => c.text)).toEqual([
      '# Guide\n\nIntro paragraph about keys.',
      `## Write many keys\n\n${code}`,
      'Afterwards, read them back.',
    ]);
    expect(chunks[1]?.tokens).toBeGreaterThan(64);
    expect(chunks[1]?.headingPath).toEqual(['Guide', 'Write many keys']);
    expect(chunks[2]?.headingPath).toEqual(['Guide', 'Write many keys']);
    expect(stats.oversize).toEqual({ code: 1, table: 0, other: 0 });
  });

  it('never cuts a large table; counts it as an oversize table', () => {
    const rows = Array.from(
      { length: 40 },
      (_, n) => `| --flag-${n} | default ${n} | what flag ${n} does |`,
    );
    const table = ['| Flag | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
    const { chunks, stats } = chunkDocumentWithStats(withMarkdown(`Flags:\n\n${table}`), options());
    expect(chunks.map((c) => c.text)).toEqual(['Flags:', table]);
    expect(stats.oversize).toEqual({ code: 0, table: 1, other: 0 });
  });

  it('splits a long list between items and a long paragraph between sentences', () => {
    const items = Array.from(
      { length: 30 },
      (_, n) => `- Item ${n} explains one more step of the procedure.`,
    );
    const list = chunkDocument(withMarkdown(items.join('\n')), options());
    expect(list.length).toBeGreaterThan(2);
    for (const chunk of list) {
      expect(chunk.text).toMatch(/^- Item \d+/);
      expect(chunk.text).toMatch(/procedure\.$/);
      expect(chunk.tokens).toBeLessThanOrEqual(64);
    }
    const sentences = Array.from(
      { length: 30 },
      (_, n) => `Sentence ${n} is about the cluster.`,
    ).join(' ');
    const paragraph = chunkDocument(withMarkdown(sentences), options());
    expect(paragraph.length).toBeGreaterThan(2);
    for (const chunk of paragraph) expect(chunk.text).toMatch(/^Sentence \d+ .*cluster\.$/);
  });

  it('splits a word longer than the budget at characters, each piece within it', () => {
    const blob = 'A'.repeat(20).concat('x9/'.repeat(400));
    const chunks = chunkDocument(withMarkdown(`Key:\n\n${blob}`), options());
    expect(chunks.map((c) => c.text).join('')).toBe(`Key:${blob}`);
    for (const chunk of chunks) expect(chunk.tokens).toBeLessThanOrEqual(64);
  });

  it('follows heading levels, setext headings and skipped levels', () => {
    const section = (title: string) =>
      `${title}\n\n${'Words about this part of the system. '.repeat(4).trim()}`;
    const markdown = [
      section('Top\n==='),
      section('### Deep'),
      section('Second\n------'),
      section('#### Deeper'),
    ].join('\n\n');
    const chunks = chunkDocument(withMarkdown(markdown), options());
    expect(chunks.map((c) => c.headingPath)).toEqual([
      ['Top'],
      ['Top', 'Deep'],
      ['Top', 'Second'],
      ['Top', 'Second', 'Deeper'],
    ]);
  });

  it('returns no chunks for an empty document', () => {
    expect(chunkDocument(withMarkdown(''), options())).toEqual([]);
  });

  it('rejects bad options and bad documents with typed errors', () => {
    const doc = withMarkdown('text');
    expect(() => chunkDocument(doc, options({ overlapTokens: 40 }))).toThrow(/overlapTokens/);
    expect(() => chunkDocument(doc, options({ maxTokens: 4 }))).toThrowError(
      expect.objectContaining({ code: 'invalid-options' }),
    );
    expect(() => chunkDocument(doc, { counter: {} as TokenCounter })).toThrowError(
      expect.objectContaining({ code: 'invalid-options' }),
    );
    expect(() => chunkDocument({ ...doc, id: 'not-a-hash' }, options())).toThrowError(
      expect.objectContaining({ code: 'invalid-input' }),
    );
  });
});
