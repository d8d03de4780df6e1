// The measured extraction check: every page of the local docs site (real etcd and Prometheus
// docs in Docsy chrome) goes through htmlToMarkdown, and every code block and table a reader of
// the page sees must come out intact — same count, same code text to the whitespace, same
// language, same cell texts — while the chrome around the content must not.

import * as cheerio from 'cheerio';
import { Lexer, Marked, Parser, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { htmlToMarkdown } from '../src/extract/html.js';
import {
  buildDocsSite,
  CHROME_TEXT,
  DOCS_SITE_ORIGIN,
  type SitePage,
} from './support/docs-site.js';

interface CodeBlock {
  text: string;
  lang: string;
}

interface Structure {
  code: CodeBlock[];
  /** Each table as rows of cell texts, header row first. */
  tables: string[][][];
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
// Table cells compare without whitespace: a `<br>` or list inside a cell may become a space or
// nothing, which loses no content.
const cellKey = (s: string): string => s.replace(/\s+/g, '');
// Hugo and every extractor drop the newline that ends a code block; nothing else may change.
const codeText = (s: string): string => s.replace(/\n$/, '');
const firstWord = (s: string | undefined): string => (s ?? '').trim().split(/\s+/)[0] ?? '';

function inlineText(tokens: Token[]): string {
  return squash(cheerio.load(Parser.parseInline(tokens), null, false).text());
}

/** Tables and `<pre>` blocks written as raw HTML in a markdown file are content too. */
function fromRawHtml(html: string, into: Structure): void {
  const $ = cheerio.load(html, null, false);
  for (const pre of $('pre').toArray()) {
    if ($(pre).closest('table').length > 0) continue;
    const code = $(pre).find('code').first();
    const cls = (code.length > 0 ? code.attr('class') : $(pre).attr('class')) ?? '';
    into.code.push({
      text: codeText($(pre).text()),
      lang: /language-(\S+)/.exec(cls)?.[1] ?? code.attr('data-lang') ?? '',
    });
  }
  for (const table of $('table').toArray()) {
    into.tables.push(
      $(table)
        .find('tr')
        .toArray()
        .map((tr) =>
          $(tr)
            .children('th, td')
            .toArray()
            .map((cell) => squash($(cell).text())),
        ),
    );
  }
}

/** Code blocks and tables of a markdown document, in document order. */
function structureOf(markdown: string): Structure {
  const out: Structure = { code: [], tables: [] };
  // A raw HTML table with blank lines in it lexes as several HTML blocks; read them as one.
  let html = '';
  const flushHtml = (): void => {
    if (/<(pre|table)\b/i.test(html)) fromRawHtml(html, out);
    html = '';
  };
  const visit = (tokens: Token[]): void => {
    for (const token of tokens) {
      if (token.type === 'html' && (token as Tokens.HTML).block) {
        html += token.raw;
        continue;
      }
      if (token.type === 'space' && html !== '') {
        html += token.raw;
        continue;
      }
      flushHtml();
      if (token.type === 'code') {
        const code = token as Tokens.Code;
        out.code.push({ text: codeText(code.text), lang: firstWord(code.lang) });
      } else if (token.type === 'table') {
        const table = token as Tokens.Table;
        out.tables.push([
          table.header.map((cell) => inlineText(cell.tokens)),
          ...table.rows.map((row) => row.map((cell) => inlineText(cell.tokens))),
        ]);
      }
      const nested = token as { tokens?: Token[]; items?: Token[] };
      if (nested.items) visit(nested.items);
      else if (nested.tokens) visit(nested.tokens);
    }
    flushHtml();
  };
  visit(new Lexer({ gfm: true }).lex(markdown));
  return out;
}

/** The text a reader of rendered markdown sees: no link targets, no markup. */
function visibleText(markdown: string): string {
  const html = new Marked({ gfm: true }).parse(markdown, { async: false });
  return cheerio.load(html, { xml: { xmlMode: false, decodeEntities: true } }).text();
}

interface PageResult {
  page: SitePage;
  expected: Structure;
  actual: Structure;
  result: ReturnType<typeof htmlToMarkdown> | undefined;
  error: unknown;
  /** Sidebar labels that appear nowhere in the page's content. */
  sidebarOnly: string[];
}

// Computed while the file is collected so the test names can carry the totals.
const site = buildDocsSite();
const pages = site.pages.filter((p) => p.copy === 0);
const results: PageResult[] = pages.map((page) => {
  const expected = structureOf(page.markdown);
  // htmlparser2 rather than parse5: five times faster on these pages, and they are well-formed.
  const $ = cheerio.load(page.html, { xml: { xmlMode: false, decodeEntities: true } });
  const contentText = `${$('.td-content').text()} ${page.title}`;
  const sidebarOnly = [
    ...new Set(
      $('#td-section-nav a')
        .toArray()
        .map((a) => squash($(a).text())),
    ),
  ].filter((label) => label !== '' && !contentText.includes(label));
  try {
    const result = htmlToMarkdown(page.html, { url: DOCS_SITE_ORIGIN + page.path });
    return {
      page,
      expected,
      actual: structureOf(result.markdown),
      result,
      error: undefined,
      sidebarOnly,
    };
  } catch (error) {
    return {
      page,
      expected,
      actual: { code: [], tables: [] },
      result: undefined,
      error,
      sidebarOnly,
    };
  }
});
const totals = {
  pages: results.length,
  code: results.reduce((n, r) => n + r.expected.code.length, 0),
  tables: results.reduce((n, r) => n + r.expected.tables.length, 0),
};
console.log(
  `extraction round trip: ${totals.code} code blocks and ${totals.tables} tables over ${totals.pages} pages`,
);

/** Collects every failure of a check over all pages, so one run shows the whole picture. */
function collect(check: (r: PageResult) => string[]): string[] {
  return results.flatMap((r) => check(r).map((problem) => `${r.page.path}: ${problem}`));
}

const preview = (s: string): string => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);

describe(`htmlToMarkdown on the docs site (${totals.pages} pages)`, () => {
  it('extracts every page without throwing', () => {
    expect(collect((r) => (r.error === undefined ? [] : [String(r.error)]))).toEqual([]);
  });

  it(`keeps all ${totals.code} code blocks: count, exact text and language`, () => {
    const problems = collect(({ expected, actual }) => {
      if (expected.code.length !== actual.code.length) {
        const missing = expected.code.filter((e) => !actual.code.some((a) => a.text === e.text));
        return [
          `${expected.code.length} code blocks in the source, ${actual.code.length} extracted; first missing: ${preview(missing[0]?.text ?? '(none)')}`,
        ];
      }
      return expected.code.flatMap((e, i) => {
        const a = actual.code[i]!;
        if (a.text !== e.text)
          return [`code block ${i}: expected ${preview(e.text)}, got ${preview(a.text)}`];
        if (a.lang !== e.lang)
          return [
            `code block ${i}: language ${JSON.stringify(a.lang)}, expected ${JSON.stringify(e.lang)}`,
          ];
        return [];
      });
    });
    expect(problems).toEqual([]);
  });

  it(`keeps all ${totals.tables} tables: count and every cell's text`, () => {
    const problems = collect(({ expected, actual }) => {
      if (expected.tables.length !== actual.tables.length) {
        return [
          `${expected.tables.length} tables in the source, ${actual.tables.length} extracted`,
        ];
      }
      return expected.tables.flatMap((rows, i) => {
        const got = actual.tables[i]!;
        const want = rows.flat().map(cellKey);
        const have = got.flat().map(cellKey);
        const lost = want.filter((cell) => cell !== '' && !have.includes(cell));
        if (lost.length > 0 || got.length !== rows.length) {
          return [
            `table ${i}: ${rows.length} rows expected, ${got.length} extracted; cells lost: ${lost.slice(0, 3).map(preview).join(', ')}`,
          ];
        }
        return [];
      });
    });
    expect(problems).toEqual([]);
  });

  it('leaves out the chrome: cookie banner, footer, page-meta links, search, sidebar titles', () => {
    const chrome = [
      CHROME_TEXT.cookieBanner,
      CHROME_TEXT.copyright,
      CHROME_TEXT.editPage,
      CHROME_TEXT.docIssue,
      CHROME_TEXT.viewSource,
      CHROME_TEXT.searchPlaceholder,
      'The etcd Authors',
      'Prometheus Authors',
    ];
    const problems = collect(({ result, sidebarOnly }) => {
      if (result === undefined) return [];
      const leaked = chrome.filter((text) => result.markdown.includes(text));
      const text = visibleText(result.markdown);
      const sidebar = sidebarOnly.filter((label) => text.includes(label));
      return [
        ...leaked.map((t) => `chrome text ${preview(t)} in the markdown`),
        ...(sidebar.length > 0
          ? [`sidebar-only titles in the markdown: ${sidebar.slice(0, 5).join(' | ')}`]
          : []),
      ];
    });
    expect(problems).toEqual([]);
    // The check is not vacuous: most pages have sidebar titles that are not in their content.
    expect(results.filter((r) => r.sidebarOnly.length > 20).length).toBeGreaterThan(
      pages.length / 2,
    );
  });

  it("leaves out Docsy's in-content widgets: feedback, last-modified line, empty heading anchors", () => {
    const problems = collect(({ result }) => {
      if (result === undefined) return [];
      const out: string[] = [];
      if (result.markdown.includes(CHROME_TEXT.feedback))
        out.push('feedback widget in the markdown');
      if (result.markdown.includes(`${CHROME_TEXT.lastModified} `))
        out.push('last-modified line in the markdown');
      if (/(?<!!)\[\]\(/.test(result.markdown))
        out.push('an empty link (heading self-link) in the markdown');
      return out;
    });
    expect(problems).toEqual([]);
  });

  it('captures breadcrumbs, canonical URL, title and language', () => {
    const problems = collect(({ page, result }) => {
      if (result === undefined) return [];
      const out: string[] = [];
      const crumbs = result.breadcrumbs;
      const ancestors = page.breadcrumbs.slice(0, -1);
      const ok =
        JSON.stringify(crumbs) === JSON.stringify(page.breadcrumbs) ||
        (ancestors.length > 0 && JSON.stringify(crumbs) === JSON.stringify(ancestors));
      if (!ok)
        out.push(
          `breadcrumbs ${JSON.stringify(crumbs)}, expected ${JSON.stringify(page.breadcrumbs)}`,
        );
      if (result.canonicalUrl !== DOCS_SITE_ORIGIN + page.path)
        out.push(`canonical ${result.canonicalUrl}`);
      if (!result.title.includes(page.title)) out.push(`title ${preview(result.title)}`);
      if (result.language !== 'en') out.push(`language ${result.language}`);
      return out;
    });
    expect(problems).toEqual([]);
  });

  it('actually measured something: the site has hundreds of code blocks and tables', () => {
    expect(totals.pages).toBeGreaterThan(150);
    expect(totals.code).toBeGreaterThan(800);
    expect(totals.tables).toBeGreaterThan(150);
  });
});
