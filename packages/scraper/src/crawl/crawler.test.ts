import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDocsSite, startDocsSite } from '../../test/support/docs-site.js';
import { type FaultServer, startFaultServer } from '../../test/support/fault-server.js';
import { DocumentSchema, type ScrapedDocument } from '../document.js';
import { crawl, crawlIter } from './crawler.js';
import { JournalEntrySchema } from './journal.js';
import { type CrawlReport, CrawlReportSchema } from './report.js';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'crawl-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const readDocs = async (dir: string): Promise<ScrapedDocument[]> => {
  const text = await readFile(join(dir, 'documents.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => DocumentSchema.parse(JSON.parse(line)));
};
const readJournal = async (dir: string) =>
  (await readFile(join(dir, 'crawl-journal.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JournalEntrySchema.parse(JSON.parse(line)));
// Retry waits are skipped, but each still yields to I/O as a real timer would.
const noWait = () => new Promise<void>((resolve) => setImmediate(resolve));
const countLines = async (path: string) => {
  const text = await readFile(path, 'utf8').catch(() => '');
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/** Every URL the generation learnt of is in exactly one bucket of the report. */
const expectAccounted = (report: CrawlReport) => {
  const p = report.pages;
  expect(p.documents + p.notModified + p.duplicates + p.skipped + p.failed + p.pending).toBe(
    p.discovered,
  );
};

describe('crawl over a real documentation site', () => {
  let site: RunningDocsSite;
  let seeds: string[];
  let expected: string[];
  beforeAll(async () => {
    site = await startDocsSite();
    seeds = [
      `${site.baseUrl}/docs/`,
      `${site.baseUrl}/prometheus/docs/`,
      `${site.baseUrl}/whitepapers/supply-chain.pdf`,
    ];
    expected = site.site.pages
      .filter((p) => p.copy === 0)
      .filter((p) => !p.path.startsWith(site.site.disallowedPrefix))
      .filter((p) => !p.path.startsWith('/docs/v3.5/'))
      .map((p) => p.path)
      .sort();
  });
  afterAll(() => site.close());

  let dir: string;
  let firstDocs: string;

  it('fetches every allowed page once, obeys robots.txt and keeps only the latest docs version', async () => {
    dir = await tempDir();
    const report = await crawl({ seeds, outDir: dir, concurrency: 4, concurrencyPerHost: 4 });
    const docs = await readDocs(dir);
    const pages = docs.filter((d) => d.contentType === 'text/html');
    expect(pages.map((d) => new URL(d.url).pathname).sort()).toEqual(expected);
    expect(new Set(docs.map((d) => d.url)).size).toBe(docs.length);
    expect(new Set(docs.map((d) => d.id)).size).toBe(docs.length);

    // robots.txt: the disallowed section is linked from every sidebar yet never requested.
    const disallowed = site.requests.filter((r) => r.path.startsWith(site.site.disallowedPrefix));
    expect(disallowed).toEqual([]);
    expect(report.skipped['robots-disallowed']?.count).toBeGreaterThan(0);
    const olderPages = site.site.pages.filter(
      (p) => p.path.startsWith('/docs/v3.5/') && p.copy === 0,
    );
    expect(report.skipped['older-version']?.count).toBeGreaterThanOrEqual(olderPages.length);
    expect(site.requests.filter((r) => r.path.startsWith('/docs/v3.5/'))).toEqual([]);

    // The whitepaper is a document of its own, text per page.
    const pdf = docs.find((d) => d.contentType === 'application/pdf');
    expect(pdf?.sourceType).toBe('whitepaper');
    expect(pdf?.markdown).toMatch(/supply chain/i);

    // The report accounts for every page.
    expect(CrawlReportSchema.parse(report)).toEqual(report);
    expect(report.complete).toBe(true);
    expect(report.pages.documents).toBe(docs.length);
    expect(report.pages.pending).toBe(0);
    expectAccounted(report);
    // The real docs link to pages outside this copy (the Prometheus server's own docs): those
    // 404s are reported, one by one, and nothing else failed.
    expect(report.failures.length).toBe(report.pages.failed);
    expect(report.failures.every((f) => f.status === 404 && f.code === 'http-error')).toBe(true);
    expect(report.byStatus['404']).toBe(report.pages.failed);
    expect(report.byContentType['text/html']).toBeGreaterThanOrEqual(expected.length);
    expect(report.robots[site.baseUrl]).toBe('ok');
    expect(report.sitemapUrls).toBeGreaterThan(0);
    const saved = CrawlReportSchema.parse(
      JSON.parse(await readFile(join(dir, 'crawl-report.json'), 'utf8')),
    );
    expect(saved.pages).toEqual(report.pages);

    // Documents are clean: breadcrumbs kept as metadata, links absolute.
    const install = pages.find((d) => d.url.endsWith('/docs/v3.6/install/'));
    expect(install?.title).toBe('Install');
    expect(install?.links.every((l) => l.startsWith('http'))).toBe(true);
    firstDocs = await readFile(join(dir, 'documents.jsonl'), 'utf8');
  });

  it('re-crawls with conditional requests: unchanged pages are not downloaded or written again', async () => {
    const before = site.requests.length;
    const report = await crawl({ seeds, outDir: dir, concurrency: 4, concurrencyPerHost: 4 });
    const requests = site.requests.slice(before);
    const pageRequests = requests.filter((r) => r.path.startsWith('/docs/v3.6/install'));
    expect(pageRequests.length).toBeGreaterThan(0);
    expect(pageRequests.every((r) => r.headers['if-none-match'] !== undefined)).toBe(true);
    expect(report.byStatus['304']).toBe(report.pages.notModified);
    expect(report.pages.notModified).toBe(expected.length + 1);
    expect(report.pages.documents).toBe(0);
    expectAccounted(report);
    expect(await readFile(join(dir, 'documents.jsonl'), 'utf8')).toBe(firstDocs);
  });

  it('resumes after SIGKILL with every page written exactly once', async () => {
    const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    if (!existsSync(dist))
      throw new Error('packages/scraper is not built: run `pnpm build` first.');
    const slow = await startDocsSite({ site: site.site, latencyMs: 15 });
    const out = await tempDir();
    const slowSeeds = seeds.map((s) => s.replace(site.baseUrl, slow.baseUrl));
    const script = join(out, '..', `${out.split('/').pop()}-child.mjs`);
    await writeFile(
      script,
      `import { crawl } from ${JSON.stringify(dist)};\nawait crawl({ seeds: ${JSON.stringify(slowSeeds)}, outDir: ${JSON.stringify(out)}, concurrency: 4, concurrencyPerHost: 4 });\n`,
    );
    dirs.push(script);
    try {
      // Kill twice at different points, then let a third run finish.
      for (const killAt of [20, 60]) {
        const child = spawn(process.execPath, [script], { stdio: 'ignore' });
        const exited = new Promise((resolve) => child.once('exit', resolve));
        while ((await countLines(join(out, 'documents.jsonl'))) < killAt) {
          await new Promise((r) => setTimeout(r, 10));
        }
        child.kill('SIGKILL');
        await exited;
      }
      // A kill in the middle of a write leaves a torn last line: simulate one.
      await appendFile(join(out, 'documents.jsonl'), '{"id":"0123","url":"http://torn');
      await appendFile(join(out, 'crawl-journal.jsonl'), '{"t":"done","url":');

      const report = await crawl({ seeds: slowSeeds, outDir: out, concurrency: 4 });
      const docs = await readDocs(out);
      const paths = docs
        .filter((d) => d.contentType === 'text/html')
        .map((d) => new URL(d.url).pathname)
        .sort();
      expect(paths).toEqual(expected);
      expect(docs.length).toBe(expected.length + 1);
      expect(report.complete).toBe(true);
      expect(report.runs).toBe(3);
      expect(report.pages.documents).toBe(docs.length);
      expectAccounted(report);
      const runs = (await readJournal(out)).filter((e) => e.t === 'run');
      expect(runs.map((r) => r.mode)).toEqual(['fresh', 'resume', 'resume']);
    } finally {
      await slow.close();
    }
  });

  it('stops at --max-pages and continues with a larger budget', async () => {
    const out = await tempDir();
    const first = await crawl({ seeds, outDir: out, maxPages: 10, useSitemaps: false });
    expect(first.stoppedBy).toBe('max-pages');
    expect(first.pages.fetched).toBe(10);
    expect(first.pages.pending).toBeGreaterThan(0);
    expectAccounted(first);
    const second = await crawl({ seeds, outDir: out, maxPages: 10_000, useSitemaps: false });
    expect(second.complete).toBe(true);
    expectAccounted(second);
    const docs = await readDocs(out);
    expect(new Set(docs.map((d) => d.url)).size).toBe(docs.length);
    expect(docs.filter((d) => d.contentType === 'text/html').length).toBe(expected.length);
  });

  it('stops cleanly on abort, and the next run resumes', async () => {
    const out = await tempDir();
    const controller = new AbortController();
    let seen = 0;
    let interrupted: CrawlReport | undefined;
    for await (const event of crawlIter({ seeds, outDir: out, signal: controller.signal })) {
      if (event.type === 'page-done' && ++seen === 15) controller.abort();
      if (event.type === 'crawl-finished') interrupted = event.report;
    }
    expect(interrupted?.stoppedBy).toBe('interrupted');
    expect(interrupted?.pages.pending).toBeGreaterThan(0);
    if (interrupted) expectAccounted(interrupted);
    const partial = await readDocs(out);
    expect(partial.length).toBeGreaterThanOrEqual(10);
    const report = await crawl({ seeds, outDir: out });
    expect(report.complete).toBe(true);
    expectAccounted(report);
    const docs = await readDocs(out);
    expect(docs.length).toBe(expected.length + 1);
    expect(new Set(docs.map((d) => d.url)).size).toBe(docs.length);
  });
});

describe('crawl refresh of changed pages', () => {
  it('downloads what changed and keeps one record per URL', async () => {
    const pages: Record<string, { body: string; etag: string }> = {
      '/': { body: page('Home', '<a href="/a">A</a> <a href="/b">B</a>'), etag: '"h1"' },
      '/a': { body: page('A', '<p>First version of page A.</p>'), etag: '"a1"' },
      '/b': { body: page('B', '<p>Page B never changes.</p>'), etag: '"b1"' },
    };
    const { server, baseUrl } = await serve((path, ifNoneMatch) => {
      const p = pages[path];
      if (!p) return { status: 404, body: 'not found' };
      if (ifNoneMatch === p.etag) return { status: 304, etag: p.etag };
      return { status: 200, body: p.body, etag: p.etag };
    });
    try {
      const out = await tempDir();
      const options = {
        seeds: [`${baseUrl}/`],
        outDir: out,
        respectRobots: false,
        useSitemaps: false,
      };
      expect((await crawl(options)).pages.documents).toBe(3);
      pages['/a'] = { body: page('A', '<p>Second version of page A.</p>'), etag: '"a2"' };
      const report = await crawl(options);
      expect(report.pages.documents).toBe(1);
      expect(report.pages.notModified).toBe(2);
      const docs = await readDocs(out);
      expect(docs).toHaveLength(3);
      expect(docs.find((d) => d.url.endsWith('/a'))?.markdown).toContain('Second version');
      expect(report.documentsInFile).toBe(3);
    } finally {
      server.close();
    }
  });

  it('writes content served at two URLs once, and reports the duplicate', async () => {
    const same = page('Same', '<p>The same text at two addresses.</p>');
    const { server, baseUrl } = await serve((path) =>
      path === '/'
        ? { status: 200, body: page('Home', '<a href="/x">x</a> <a href="/y">y</a>') }
        : path === '/x' || path === '/y'
          ? { status: 200, body: same }
          : { status: 404, body: '' },
    );
    try {
      const out = await tempDir();
      const report = await crawl({
        seeds: [`${baseUrl}/`],
        outDir: out,
        respectRobots: false,
        useSitemaps: false,
        concurrency: 1,
      });
      expect(report.pages.documents).toBe(2);
      expect(report.pages.duplicates).toBe(1);
      expect(report.skipped['duplicate-content']?.examples[0]).toContain('/y');
    } finally {
      server.close();
    }
  });
});

describe('crawl through faults', () => {
  let faults: FaultServer;
  beforeAll(async () => {
    faults = await startFaultServer({ slowMs: 1000, hugeBytes: 4 * 1024 * 1024 });
  });
  afterAll(() => faults.close());

  it('gives every misbehaving URL a clear outcome and goes on', async () => {
    const out = await tempDir();
    const report = await crawl({
      seeds: [`${faults.baseUrl}/`],
      outDir: out,
      timeoutMs: 300,
      maxRetries: 2,
      maxBodyBytes: 1024 * 1024,
      sleep: noWait,
    });
    const docs = await readDocs(out);
    const byPath = new Map(docs.map((d) => [new URL(d.url).pathname, d]));
    const failure = (path: string) => report.failures.find((f) => new URL(f.url).pathname === path);

    expect(byPath.get('/429')?.markdown).toBeDefined();
    expect(faults.hits.get('/429')).toBeGreaterThanOrEqual(3);
    expect(failure('/503-storm')).toMatchObject({ code: 'http-error', status: 503 });
    expect(failure('/slow')?.code).toBe('timeout');
    expect(failure('/loop-a')?.code).toBe('redirect-loop');
    expect(failure('/truncated')?.code).toBe('truncated-body');
    expect(failure('/huge')?.code).toBe('too-large');
    expect(failure('/gone')).toMatchObject({ code: 'http-error', status: 410 });
    expect(failure('/gone')?.message).toContain('/gone');
    expect(byPath.get('/wrong-type')?.contentType).toBe('text/html');
    expect(byPath.get('/wrong-type.md')?.markdown).toBeDefined();
    expect(byPath.get('/invalid-utf8')?.metadata.warnings).toEqual(
      expect.arrayContaining([expect.stringContaining('invalid-utf8')]),
    );
    expect(byPath.get('/malformed')?.markdown.length).toBeGreaterThan(50);
    expect(report.complete).toBe(true);
    expect(report.retries).toBeGreaterThan(0);
  });
});

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}

async function serve(
  handler: (
    path: string,
    ifNoneMatch: string | undefined,
  ) => { status: number; body?: string; etag?: string },
): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((req, res) => {
    const r = handler(new URL(req.url ?? '/', 'http://x').pathname, req.headers['if-none-match']);
    res.writeHead(r.status, {
      'content-type': 'text/html; charset=utf-8',
      ...(r.etag ? { etag: r.etag } : {}),
    });
    res.end(r.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
