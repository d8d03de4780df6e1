import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cheerio from 'cheerio';
import { Lexer, type Token, type Tokens } from 'marked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDocsSite,
  type DocsSite,
  type RunningDocsSite,
  type SitePage,
  startDocsSite,
} from './support/docs-site.js';
import { FAULT_ROUTES, type FaultServer, startFaultServer } from './support/fault-server.js';

const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

function countMarkdown(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter(
    (e) => e.isFile() && e.name.endsWith('.md'),
  ).length;
}

function codeTokens(tokens: Token[], out: Tokens.Code[] = []): Tokens.Code[] {
  for (const t of tokens) {
    if (t.type === 'code') out.push(t as Tokens.Code);
    const nested = t as { tokens?: Token[]; items?: Token[] };
    if (nested.tokens) codeTokens(nested.tokens, out);
    if (nested.items) codeTokens(nested.items, out);
  }
  return out;
}

let site: DocsSite;
let server: RunningDocsSite;

beforeAll(async () => {
  site = buildDocsSite();
  server = await startDocsSite({ site });
});
afterAll(() => server.close());

const original = () => site.pages.filter((p) => p.copy === 0);

// Parsing ~180 pages with big sidebars is the slow part of this file: parse each page once, with
// htmlparser2 (five times faster than parse5 here, and the generated HTML is well-formed).
const parsed = new WeakMap<SitePage, cheerio.CheerioAPI>();
function dom(page: SitePage): cheerio.CheerioAPI {
  let $ = parsed.get(page);
  if ($ === undefined) {
    $ = cheerio.load(page.html, { xml: { xmlMode: false, decodeEntities: true } });
    parsed.set(page, $);
  }
  return $;
}

describe('buildDocsSite', () => {
  it('renders one page per fixture markdown file, plus the older v3.5 pages', () => {
    const etcd = original().filter((p) => p.project === 'etcd');
    const v35 = etcd.filter((p) => p.path.startsWith('/docs/v3.5/'));
    const prometheus = original().filter((p) => p.project === 'prometheus');
    expect(etcd.length - v35.length).toBe(countMarkdown(path.join(fixturesDir, 'docs/etcd')));
    expect(prometheus.length).toBe(countMarkdown(path.join(fixturesDir, 'docs/prometheus')));
    expect(v35.length).toBeGreaterThanOrEqual(5);
    // Every v3.5 page is a copy of a v3.6 source, at the same relative path.
    for (const page of v35) {
      const twin = etcd.find((p) => p.path === page.path.replace('/v3.5/', '/v3.6/'));
      expect(twin?.source, page.path).toBe(page.source);
    }
    expect(new Set(site.pages.map((p) => p.path)).size).toBe(site.pages.length);
  });

  it('lays pages out as Hugo does: sections with trailing slashes, lowercased paths', () => {
    const paths = new Set(site.pages.map((p) => p.path));
    for (const expected of [
      '/docs/',
      '/docs/v3.6/',
      '/docs/v3.6/install/',
      '/docs/v3.6/op-guide/',
      '/docs/v3.6/feature-gates/',
      '/docs/v3.6/triage/prs/',
      '/docs/v3.5/install/',
      '/prometheus/docs/introduction/overview/',
      '/prometheus/docs/specs/om/open_metrics_spec/',
    ]) {
      expect(paths, expected).toContain(expected);
    }
    for (const p of paths) expect(p).toMatch(/^\/[a-z0-9/._-]*\/$/);
  });

  it('expands every Hugo shortcode (params inside code blocks too)', () => {
    for (const page of site.pages) {
      expect(page.html, page.path).not.toMatch(/\{\{[<%]/);
      expect(page.markdown, page.path).not.toMatch(/\{\{[<%]/);
    }
    const install = site.pages.find((p) => p.path === '/docs/v3.6/install/')!;
    expect(install.html).toContain('etcd Version: 3.6.0');
    expect(install.html).toContain('href="/docs/v3.6/op-guide/hardware/"');
    const v35 = site.pages.find((p) => p.path === '/docs/v3.5/install/')!;
    expect(v35.html).toContain('etcd Version: 3.5.21');
    const security = site.pages.find((p) => p.path === '/docs/v3.6/op-guide/security/')!;
    const $ = dom(security);
    expect($('.td-content .alert.alert-warning .alert-heading').first().text()).toBe('Warning');
  });

  it('writes code blocks as Chroma does, and their text is the source code exactly', () => {
    let blocks = 0;
    for (const page of original()) {
      const expected = codeTokens(new Lexer({ gfm: true }).lex(page.markdown));
      const $ = dom(page);
      const pres = $('.td-content pre').filter((_i, el) => $(el).closest('table').length === 0);
      const rendered = pres.toArray().map((el) => $(el).text().replace(/\n$/, ''));
      // CommonMark's code content minus its final newline (marked keeps that newline only when
      // the block ends in a blank line).
      const fromCode = expected.map((t) => t.text.replace(/\n$/, ''));
      // Raw <pre> blocks written in the markdown are rendered too; every code token must be there.
      for (const text of fromCode) expect(rendered, page.path).toContain(text);
      blocks += fromCode.length;
      for (const el of $('.td-content div.highlight code').toArray()) {
        const lang = $(el).attr('data-lang');
        expect($(el).attr('class')).toBe(`language-${lang}`);
        expect($(el).children('span.line').first().children('span.cl').length).toBe(1);
      }
    }
    expect(blocks).toBeGreaterThan(800);
  });

  it('wraps pages in Docsy chrome: navbar, sidebar, breadcrumbs, TOC, banner, footer', () => {
    const page = site.pages.find((p) => p.path === '/docs/v3.6/op-guide/clustering/')!;
    const $ = dom(page);
    expect($('html').attr('lang')).toBe('en');
    expect($('link[rel=canonical]').attr('href')).toBe(
      'http://docs-site.test/docs/v3.6/op-guide/clustering/',
    );
    expect($('header nav.td-navbar input[type=search]').length).toBe(1);
    expect(
      $('header .dropdown-menu a')
        .toArray()
        .map((a) => $(a).attr('href')),
    ).toEqual(['/docs/v3.6/', '/docs/v3.5/']);
    expect(
      $('nav[aria-label=breadcrumb] ol.breadcrumb li')
        .toArray()
        .map((li) => $(li).text()),
    ).toEqual(['Versions', 'v3.6', 'Operations guide', 'Clustering Guide']);
    expect(page.breadcrumbs).toEqual(['Versions', 'v3.6', 'Operations guide', 'Clustering Guide']);
    expect($('#TableOfContents a').length).toBeGreaterThan(3);
    expect($('.td-page-meta--edit').text()).toContain('Edit this page');
    expect($('#cookie-consent').text()).toContain('cookies');
    expect($('footer').text()).toContain('The etcd Authors');
    // The sidebar lists every v3.6 page of the project.
    const sidebar = new Set(
      $('#td-section-nav a')
        .toArray()
        .map((a) => $(a).attr('href')),
    );
    for (const p of original().filter((q) => q.path.startsWith('/docs/v3.6/'))) {
      expect(sidebar, p.path).toContain(p.path);
    }
  });

  it('rewrites relative and .md links to site paths', () => {
    const hrefs = original().flatMap((p) => {
      const $ = dom(p);
      return $('.td-content a[href]')
        .toArray()
        .map((a) => $(a).attr('href') ?? '');
    });
    // One real link in the Prometheus docs is empty: `[trim operators]()`.
    const internal = hrefs.filter((h) => h !== '' && !/^[a-z]+:|^#/.test(h));
    expect(internal.length).toBeGreaterThan(500);
    for (const h of internal) expect(h, h).toMatch(/^\//);
    expect(internal.filter((h) => /\.md(#|$)/.test(h))).toEqual([]);
    const pagePaths = new Set(site.pages.map((p) => p.path));
    const resolving = internal.filter((h) => {
      const p = h.replace(/[?#].*$/, '');
      return pagePaths.has(p) || pagePaths.has(`${p}/`);
    });
    // Most links resolve; the rest are the real docs' broken links (old versions, images).
    expect(resolving.length / internal.length).toBeGreaterThan(0.8);
    const overview = original().find((p) => p.path === '/prometheus/docs/introduction/overview/')!;
    expect(overview.html).toContain('href="/prometheus/docs/');
  });

  it('replicates pages under /copy-n/ with links kept inside the replica', () => {
    const copied = buildDocsSite({ projects: ['prometheus'], copies: 2 });
    expect(copied.pages.length).toBe(3 * countMarkdown(path.join(fixturesDir, 'docs/prometheus')));
    const page = copied.pages.find((p) => p.copy === 2)!;
    expect(page.path.startsWith('/copy-2/prometheus/docs/')).toBe(true);
    const $ = dom(page);
    const sidebar = $('#td-section-nav a')
      .toArray()
      .map((a) => $(a).attr('href') ?? '');
    expect(sidebar.length).toBe(71);
    for (const href of sidebar) expect(href.startsWith('/copy-2/prometheus/docs/')).toBe(true);
    const robots = copied.files.get('/robots.txt')!.body.toString();
    expect(robots).not.toContain('dev-internal');
  });
});

describe('startDocsSite', () => {
  it('serves every sidebar and breadcrumb link with 200', async () => {
    const hrefs = new Set<string>();
    for (const page of site.pages) {
      const $ = dom(page);
      for (const a of $('#td-section-nav a, ol.breadcrumb a').toArray()) {
        hrefs.add(($(a).attr('href') ?? '').replace('http://docs-site.test', ''));
      }
    }
    expect(hrefs.size).toBe(site.pages.length);
    for (const href of hrefs) {
      const res = await fetch(server.baseUrl + href, { redirect: 'manual' });
      expect(res.status, href).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const body = await res.text();
      expect(body).toContain(
        `<link rel="canonical" type="text/html" href="${server.baseUrl}${href}">`,
      );
    }
  });

  it('serves robots.txt that disallows a real, linked section and names the sitemap', async () => {
    const res = await fetch(`${server.baseUrl}/robots.txt`);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const robots = await res.text();
    const star = robots.split(/\n\n/).find((group) => group.includes('User-agent: *'))!;
    expect(star).toContain(`Disallow: ${site.disallowedPrefix}`);
    expect(robots).toContain(`Sitemap: ${server.baseUrl}/sitemap.xml`);
    const hidden = site.pages.filter((p) => p.path.startsWith(site.disallowedPrefix));
    expect(hidden.length).toBeGreaterThanOrEqual(3);
    const home = site.pages.find((p) => p.path === '/docs/v3.6/')!;
    expect(home.html).toContain(`href="${hidden[0]!.path}"`);
  });

  it('serves a sitemap that lists exactly the pages and the home page', async () => {
    const res = await fetch(`${server.baseUrl}/sitemap.xml`);
    expect(res.headers.get('content-type')).toBe('application/xml');
    const xml = await res.text();
    const locs = [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
    expect(new Set(locs)).toEqual(
      new Set([`${server.baseUrl}/`, ...site.pages.map((p) => server.baseUrl + p.path)]),
    );
    expect(xml).toMatch(/<lastmod>2025-\d\d-\d\d<\/lastmod>/);
  });

  it('answers conditional requests with 304, HEAD without a body, and unknown paths with 404', async () => {
    const url = `${server.baseUrl}/docs/v3.6/faq/`;
    const first = await fetch(url);
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    expect(Date.parse(lastModified)).not.toBeNaN();
    const full = await first.arrayBuffer();

    const byTag = await fetch(url, { headers: { 'If-None-Match': etag } });
    expect(byTag.status).toBe(304);
    expect((await byTag.arrayBuffer()).byteLength).toBe(0);
    const byDate = await fetch(url, { headers: { 'If-Modified-Since': lastModified } });
    expect(byDate.status).toBe(304);
    const stale = await fetch(url, { headers: { 'If-None-Match': '"other"' } });
    expect(stale.status).toBe(200);
    const older = new Date(Date.parse(lastModified) - 86_400_000).toUTCString();
    expect((await fetch(url, { headers: { 'If-Modified-Since': older } })).status).toBe(200);

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(full.byteLength);
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const missing = await fetch(`${server.baseUrl}/docs/v3.6/no-such-page/`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Not found');
    const noSlash = await fetch(`${server.baseUrl}/docs/v3.6/faq`, { redirect: 'manual' });
    expect(noSlash.status).toBe(301);
    expect(noSlash.headers.get('location')).toBe('/docs/v3.6/faq/');

    const recorded = server.requests.filter((r) => r.path === '/docs/v3.6/faq/');
    expect(recorded.map((r) => r.method)).toContain('HEAD');
    expect(recorded.some((r) => r.headers['if-none-match'] === etag)).toBe(true);
  });

  it('serves the whitepaper PDF, linked from the etcd security page', async () => {
    const security = site.pages.find((p) => p.path === '/docs/v3.6/op-guide/security/')!;
    expect(security.html).toContain('href="/whitepapers/supply-chain.pdf"');
    const res = await fetch(`${server.baseUrl}/whitepapers/supply-chain.pdf`);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('without etag, sends no validators and never answers 304', async () => {
    const plain = await startDocsSite({ site, etag: false, latencyMs: 5 });
    try {
      const res = await fetch(`${plain.baseUrl}/docs/v3.6/faq/`, {
        headers: { 'If-None-Match': '*', 'If-Modified-Since': new Date().toUTCString() },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBeNull();
      expect(res.headers.get('last-modified')).toBeNull();
    } finally {
      await plain.close();
    }
  });
});

describe('startFaultServer', () => {
  let faults: FaultServer;
  beforeAll(async () => {
    faults = await startFaultServer({ slowMs: 200, hugeBytes: 3 * 1024 * 1024 });
  });
  afterAll(() => faults.close());

  it('links every route from the index', async () => {
    const html = await (await fetch(`${faults.baseUrl}/`)).text();
    const $ = cheerio.load(html);
    const links = $('a')
      .toArray()
      .map((a) => $(a).attr('href'));
    expect(links).toEqual(Object.keys(FAULT_ROUTES));
  });

  it('rate-limits with Retry-After, then serves', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${faults.baseUrl}/429`);
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('1');
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([429, 429, 200]);
    expect(faults.hits.get('/429')).toBe(3);
  });

  it('misbehaves as documented on every other route', async () => {
    expect((await fetch(`${faults.baseUrl}/503-storm`)).status).toBe(503);
    expect((await fetch(`${faults.baseUrl}/gone`)).status).toBe(410);
    const loop = await fetch(`${faults.baseUrl}/loop-a`, { redirect: 'manual' });
    expect(loop.headers.get('location')).toBe('/loop-b');
    await expect(fetch(`${faults.baseUrl}/loop-b`)).rejects.toThrow();
    await expect(fetch(`${faults.baseUrl}/truncated`).then((r) => r.text())).rejects.toThrow();
    const wrong = await fetch(`${faults.baseUrl}/wrong-type`);
    expect(wrong.headers.get('content-type')).toBe('application/octet-stream');
    expect(await wrong.text()).toContain('<html');
    const wrongMd = await fetch(`${faults.baseUrl}/wrong-type.md`);
    expect(wrongMd.headers.get('content-type')).toContain('text/html');
    expect(await wrongMd.text()).toMatch(/^# /);
    const huge = await fetch(`${faults.baseUrl}/huge`);
    expect(huge.headers.get('content-length')).toBeNull();
    expect((await huge.arrayBuffer()).byteLength).toBe(3 * 1024 * 1024);
    const bad = Buffer.from(await (await fetch(`${faults.baseUrl}/invalid-utf8`)).arrayBuffer());
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bad)).toThrow();
    const slow = await fetch(`${faults.baseUrl}/slow`);
    expect(slow.status).toBe(200);
    expect(await (await fetch(`${faults.baseUrl}/malformed`)).text()).toContain(
      '</div></div></div></div>',
    );
  });
});
