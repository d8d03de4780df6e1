import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentSchema } from '@cncf-llm/scraper';
import { describe, expect, it } from 'vitest';
import { findFencedCode } from '../normalise/code-fences.js';
import { normaliseText } from '../normalise/normalise-text.js';
import { headingText, parseMarkdownBlocks } from './markdown-blocks.js';

const documents = readFileSync(
  join(import.meta.dirname, '../../test/fixtures/documents/documents.jsonl'),
  'utf8',
)
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => DocumentSchema.parse(JSON.parse(line)))
  .map((doc) => ({ ...doc, markdown: normaliseText(doc.markdown) }));

const summary = (markdown: string) =>
  parseMarkdownBlocks(markdown).map((b) => [
    b.kind,
    markdown.slice(b.start, b.end),
    b.level ?? null,
    b.text ?? null,
  ]);

describe('parseMarkdownBlocks', () => {
  it('finds each kind of block with its offsets', () => {
    const markdown = [
      '# Title *with* `code`',
      'Setext heading',
      '==============',
      'A paragraph',
      'over two lines.',
      '',
      '| Flag | Default |',
      '| --- | :---: |',
      '| `--name` | default |',
      '',
      '- item one',
      '- item two',
      '',
      '  ```sh',
      '  etcd --version',
      '  ```',
      '',
      '> Quoted **note**',
      'lazy continuation',
      '',
      '<!-- a comment',
      'over lines -->',
      '',
      '<details>',
      '<summary>More</summary>',
      '</details>',
      '',
      '---',
      '',
      '    indented code',
      '',
      '~~~~',
      '~~~ not a close',
      '~~~~',
      'Sub heading',
      '---',
    ].join('\n');
    expect(summary(markdown)).toEqual([
      ['heading', '# Title *with* `code`', 1, 'Title with code'],
      ['heading', 'Setext heading\n==============', 1, 'Setext heading'],
      ['paragraph', 'A paragraph\nover two lines.', null, null],
      ['table', '| Flag | Default |\n| --- | :---: |\n| `--name` | default |', null, null],
      ['list', '- item one\n- item two\n\n  ```sh\n  etcd --version\n  ```', null, null],
      ['blockquote', '> Quoted **note**\nlazy continuation', null, null],
      ['html', '<!-- a comment\nover lines -->', null, null],
      ['html', '<details>\n<summary>More</summary>\n</details>', null, null],
      ['thematic-break', '---', null, null],
      ['code', '    indented code', null, null],
      ['code', '~~~~\n~~~ not a close\n~~~~', null, null],
      ['heading', 'Sub heading\n---', 2, 'Sub heading'],
    ]);
    const list = parseMarkdownBlocks(markdown).find((b) => b.kind === 'list');
    expect(list?.items).toEqual([markdown.indexOf('- item one'), markdown.indexOf('- item two')]);
    expect(list?.atomic?.map((r) => markdown.slice(r.start, r.end))).toEqual([
      '  ```sh\n  etcd --version\n  ```',
    ]);
  });

  it('lets blocks interrupt a paragraph as CommonMark does', () => {
    const markdown = 'Text\n# Heading\nText\n- item\nText\n```\ncode\n```\nText\n> quote';
    expect(summary(markdown).map(([kind]) => kind)).toEqual([
      'paragraph',
      'heading',
      'paragraph',
      'list',
      'code',
      'paragraph',
      'blockquote',
    ]);
    // An ordered item that does not start at 1 does not interrupt; neither does an empty item.
    expect(summary('Text\n2. not a list\n*\nstill text').map(([kind]) => kind)).toEqual([
      'paragraph',
    ]);
    // A table right under a paragraph line starts there.
    expect(summary('Intro line\n| a | b |\n|---|---|\n| 1 | 2 |').map(([kind]) => kind)).toEqual([
      'paragraph',
      'table',
    ]);
  });

  it('keeps a fence in a list item inside the list, even across blank lines, and ends the list after', () => {
    const markdown =
      '1. Install:\n\n   ```sh\n   brew install etcd\n\n   etcd --version\n   ```\n\n2. Run it.\n\nAfter the list.';
    expect(summary(markdown).map(([kind, text]) => [kind, text])).toEqual([
      [
        'list',
        '1. Install:\n\n   ```sh\n   brew install etcd\n\n   etcd --version\n   ```\n\n2. Run it.',
      ],
      ['paragraph', 'After the list.'],
    ]);
  });

  it('records tables and fences nested in quotes and lists as atomic', () => {
    const markdown = '> Note:\n>\n> | a | b |\n> |---|---|\n> | 1 | 2 |\n>\n> ```\n> x\n> ```';
    const [quote] = parseMarkdownBlocks(markdown);
    expect(quote?.kind).toBe('blockquote');
    expect(quote?.atomic?.map((r) => markdown.slice(r.start, r.end))).toEqual([
      '> | a | b |\n> |---|---|\n> | 1 | 2 |',
      '> ```\n> x\n> ```',
    ]);
    expect(quote?.items).toEqual([0, markdown.indexOf('> | a |'), markdown.indexOf('> ```')]);
  });

  it('cleans heading text of markup', () => {
    expect(headingText('[Benchmarking etcd v3](https://etcd.io/docs/v3.6/benchmarks/)')).toBe(
      'Benchmarking etcd v3',
    );
    expect(headingText('message `LockRequest` (api/v3lock.proto)')).toBe(
      'message LockRequest (api/v3lock.proto)',
    );
    expect(headingText('**Bold** and _em_ and ~~gone~~ {#anchor}')).toBe('Bold and em and gone');
    expect(headingText('snake_case_name stays')).toBe('snake_case_name stays');
    expect(headingText('<code>x</code>  \\*escaped\\*')).toBe('x *escaped*');
  });

  it('covers every real document in order, with each fence inside exactly one block', () => {
    let fences = 0;
    for (const doc of documents) {
      const { markdown } = doc;
      const blocks = parseMarkdownBlocks(markdown);
      let cursor = 0;
      for (const block of blocks) {
        // Between blocks there is only white space; no block starts or ends with a blank line.
        expect(markdown.slice(cursor, block.start), doc.url).toMatch(/^\s*$/);
        expect(block.end).toBeGreaterThan(block.start);
        expect(markdown.slice(block.start, block.end)).not.toMatch(/^\s*\n|\n\s*$/);
        cursor = block.end;
      }
      expect(markdown.slice(cursor)).toMatch(/^\s*$/);
      for (const fence of findFencedCode(markdown)) {
        fences++;
        const holders = blocks.filter((b) => b.start <= fence.start && fence.end <= b.end);
        expect(holders, `${doc.url} @${fence.start}`).toHaveLength(1);
        const [holder] = holders;
        if (holder?.kind !== 'code') {
          expect(holder?.atomic).toContainEqual({ start: fence.start, end: fence.end });
        }
      }
    }
    expect(fences).toBe(867);
  });

  it('finds the real headings of an etcd page', () => {
    const doc = documents.find(
      (d) => d.url === 'https://etcd.io/docs/v3.6/op-guide/configuration/',
    );
    const headings = parseMarkdownBlocks(doc?.markdown ?? '')
      .filter((b) => b.kind === 'heading')
      .map((b) => `${b.level} ${b.text}`);
    expect(headings.slice(0, 5)).toEqual([
      '1 Configuration options',
      '2 Command-line flags',
      '3 Member',
      '3 Clustering',
      '3 Security',
    ]);
    // JSON in code blocks that starts with `#` is not a heading.
    expect(headings.some((h) => h.includes('{'))).toBe(false);
  });
});
