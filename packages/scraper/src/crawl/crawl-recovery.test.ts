// The crawl's state machine and worker loop at their edges: kills between two writes, refreshes
// cut short, budgets spent, options changed between runs, redirects onto known URLs, races of
// concurrent workers, and consumers that stop reading. Small purpose-built sites on 127.0.0.1:
// each case needs one precise misbehaviour that the real docs site does not have.

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentSchema, type ScrapedDocument } from '../document.js';
import { isScraperError } from '../errors.js';
import { type CrawlEvent, crawl, crawlIter } from './crawler.js';
import { JournalEntrySchema } from './journal.js';
import type { CrawlReport } from './report.js';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'crawl-recovery-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Route {
  status?: number;
  body?: string;
  type?: string;
  etag?: string;
  location?: string;
  delayMs?: number;
}

interface TestSite {
  baseUrl: string;
  /** Paths requested, in order (query included). */
  requests: { path: string; ifNoneMatch: string | undefined }[];
  /** Called when a request arrives, before it is answered. */
  onRequest: ((path: string) => void) | null;
  close(): Promise<void>;
}

/** Serves `routes` (looked up on every request, so tests may change them between runs). */
async function startSite(
  routes: Record<string, Route> | ((path: string) => Route | undefined),
): Promise<TestSite> {
  const site: TestSite = {
    baseUrl: '',
    requests: [],
    onRequest: null,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const ifNoneMatch = req.headers['if-none-match'];
    site.requests.push({ path: req.url ?? '/', ifNoneMatch });
    site.onRequest?.(path);
    const route = typeof routes === 'function' ? routes(path) : routes[path];
    const answer = () => {
      if (route === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      if (route.etag !== undefined && ifNoneMatch === route.etag) {
        res.writeHead(304, { etag: route.etag });
        res.end();
        return;
      }
      res.writeHead(route.status ?? 200, {
        'content-type': route.type ?? 'text/html; charset=utf-8',
        ...(route.etag !== undefined ? { etag: route.etag } : {}),
        ...(route.location !== undefined ? { location: route.location } : {}),
      });
      res.end(route.body ?? '');
    };
    if (route?.delayMs) setTimeout(answer, route.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  site.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return site;
}

const html = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
const links = (paths: string[]) => paths.map((p) => `<a href="${p}">${p}</a>`).join(' ');

const readDocs = async (dir: string): Promise<ScrapedDocument[]> =>
  (await readFile(join(dir, 'documents.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => DocumentSchema.parse(JSON.parse(line)));
const readJournal = async (dir: string) =>
  (await readFile(join(dir, 'crawl-journal.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JournalEntrySchema.parse(JSON.parse(line)));
const pathsOf = (docs: ScrapedDocument[]) => docs.map((d) => new URL(d.url).pathname).sort();

/** Every URL the generation learnt of is in exactly one bucket. */
function expectAccounted(report: CrawlReport): void {
  const p = report.pages;
  expect(p.documents + p.notModified + p.duplicates + p.skipped + p.failed + p.pending).toBe(
    p.discovered,
  );
}

/** Files of `dir` that this process still holds open. */
async function openFilesIn(dir: string): Promise<string[]> {
  const open: string[] = [];
  for (const fd of await readdir('/proc/self/fd').catch(() => [])) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) open.push(target);
  }
  return open;
}

const quiet = { respectRobots: false, useSitemaps: false, adaptiveDelay: false } as const;

describe('crawl resume and refresh', () => {
  it('a kill between a document and its journal line resumes without writing the page again', async () => {
    // The page changes on every request (a build timestamp, a random nonce): a second fetch
    // gives another id, so only the crawl directory itself can tell that the page is done.
    let hits = 0;
    const site = await startSite((path) =>
      path === '/'
        ? { body: html('Home', links(['/a', '/b'])) }
        : path === '/a'
          ? { body: html('A', `<p>Page A, rendered for visit ${++hits}.</p>`) }
          : path === '/b'
            ? { body: html('B', '<p>Page B.</p>') }
            : undefined,
    );
    try {
      const out = await tempDir();
      const options = { seeds: [`${site.baseUrl}/`], outDir: out, concurrency: 1, ...quiet };
      await crawl(options);
      // What a SIGKILL right after the document of /a was appended leaves: no `done` line for
      // /a, and no `end` line.
      const journal = await readFile(join(out, 'crawl-journal.jsonl'), 'utf8');
      const kept = journal
        .split('\n')
        .filter(Boolean)
        .filter((line) => {
          const entry = JournalEntrySchema.parse(JSON.parse(line));
          return entry.t !== 'end' && !(entry.t === 'done' && entry.url.endsWith('/a'));
        });
      await writeFile(join(out, 'crawl-journal.jsonl'), `${kept.join('\n')}\n`);

      const events: CrawlEvent[] = [];
      for await (const event of crawlIter(options)) events.push(event);
      const started = events.find((e) => e.type === 'crawl-started');
      expect(started?.type === 'crawl-started' && started.mode).toBe('resume');
      const docs = await readDocs(out);
      expect(pathsOf(docs)).toEqual(['/', '/a', '/b']);
      const finished = events.at(-1);
      if (finished?.type !== 'crawl-finished') throw new Error('no report');
      expect(finished.report.complete).toBe(true);
      expect(finished.report.pages.documents).toBe(3);
      expectAccounted(finished.report);
    } finally {
      await site.close();
    }
  });

  it('a refresh cut short and resumed keeps one record per URL, the newest', async () => {
    const routes: Record<string, Route> = {
      '/': { body: html('Home', links(['/a', '/b'])), etag: '"h1"' },
      '/a': { body: html('A', '<p>First version of A.</p>'), etag: '"a1"' },
      '/b': { body: html('B', '<p>First version of B.</p>'), etag: '"b1"' },
    };
    const site = await startSite(routes);
    try {
      const out = await tempDir();
      const options = { seeds: [`${site.baseUrl}/`], outDir: out, concurrency: 1, ...quiet };
      await crawl(options);
      routes['/a'] = { body: html('A', '<p>Second version of A.</p>'), etag: '"a2"' };
      routes['/b'] = { body: html('B', '<p>Second version of B.</p>'), etag: '"b2"' };

      // The refresh stops after its first new document.
      const controller = new AbortController();
      for await (const event of crawlIter({ ...options, signal: controller.signal })) {
        if (event.type === 'page-done' && event.outcome === 'document') controller.abort();
      }
      const report = await crawl(options);
      expect(report.complete).toBe(true);
      const docs = await readDocs(out);
      expect(pathsOf(docs)).toEqual(['/', '/a', '/b']);
      expect(docs.find((d) => d.url.endsWith('/a'))?.markdown).toContain('Second version');
      expect(docs.find((d) => d.url.endsWith('/b'))?.markdown).toContain('Second version');
      expect(report.documentsInFile).toBe(3);
      expect(report.pages.documents).toBe(2);
      expect(report.pages.notModified).toBe(1);
      expectAccounted(report);
    } finally {
      await site.close();
    }
  });

  it('a run after a budget stop with no budget left refreshes; a larger budget resumes', async () => {
    const pages = Array.from({ length: 8 }, (_, i) => `/p${i}`);
    const routes: Record<string, Route> = {
      '/': { body: html('Home', links(pages)), etag: '"home"' },
    };
    for (const p of pages) routes[p] = { body: html(p, `<p>Text of ${p}.</p>`), etag: `"${p}"` };
    const site = await startSite(routes);
    try {
      const out = await tempDir();
      const options = { seeds: [`${site.baseUrl}/`], outDir: out, concurrency: 1, ...quiet };
      const modes: string[] = [];
      const run = async (maxPages: number) => {
        let report: CrawlReport | undefined;
        for await (const event of crawlIter({ ...options, maxPages })) {
          if (event.type === 'crawl-started') modes.push(event.mode);
          if (event.type === 'crawl-finished') report = event.report;
        }
        if (!report) throw new Error('no report');
        expectAccounted(report);
        return report;
      };
      expect((await run(3)).stoppedBy).toBe('max-pages');
      // Same budget again: the generation's budget is spent, so the pages already fetched are
      // re-checked (a weekly re-run of a budgeted site), instead of a run that does nothing.
      const before = site.requests.length;
      const again = await run(3);
      expect(again.stoppedBy).toBe('max-pages');
      expect(again.pages.notModified).toBe(3);
      expect(site.requests.slice(before).filter((r) => r.ifNoneMatch !== undefined)).toHaveLength(
        3,
      );
      // A larger budget continues that generation to the end.
      const rest = await run(100);
      expect(rest.complete).toBe(true);
      expect(modes).toEqual(['fresh', 'refresh', 'resume']);
      const docs = await readDocs(out);
      expect(pathsOf(docs)).toEqual(['/', ...pages].sort());
    } finally {
      await site.close();
    }
  });

  it('takes in a seed added later and what an earlier run left out of scope or too deep', async () => {
    const site = await startSite({
      '/docs/': { body: html('Docs', links(['/docs/a', '/blog/post'])) },
      '/docs/a': { body: html('A', `<p>Docs page A.</p>${links(['/docs/deep'])}`) },
      '/docs/deep': { body: html('Deep', '<p>A deep docs page.</p>') },
      '/blog/': { body: html('Blog', '<p>The blog.</p>') },
      '/blog/post': { body: html('Post', '<p>A blog post.</p>') },
    });
    try {
      const out = await tempDir();
      const first = await crawl({
        seeds: [`${site.baseUrl}/docs/`],
        outDir: out,
        maxDepth: 1,
        ...quiet,
      });
      expect(first.complete).toBe(true);
      expect(pathsOf(await readDocs(out))).toEqual(['/docs/', '/docs/a']);
      const second = await crawl({
        seeds: [`${site.baseUrl}/docs/`, `${site.baseUrl}/blog/`],
        outDir: out,
        maxDepth: 5,
        ...quiet,
      });
      expect(second.complete).toBe(true);
      expect(pathsOf(await readDocs(out))).toEqual([
        '/blog/',
        '/blog/post',
        '/docs/',
        '/docs/a',
        '/docs/deep',
      ]);
      expectAccounted(second);
    } finally {
      await site.close();
    }
  });
});

describe('crawl redirects', () => {
  it('does not keep a page that a redirect leads into a robots-disallowed section', async () => {
    const site = await startSite({
      '/robots.txt': { body: 'User-agent: *\nDisallow: /private/\n', type: 'text/plain' },
      '/': { body: html('Home', links(['/old', '/public'])) },
      '/old': { status: 302, location: '/private/secret' },
      '/private/secret': { body: html('Secret', '<p>Not for crawlers.</p>') },
      '/public': { body: html('Public', '<p>For everyone.</p>') },
    });
    try {
      const out = await tempDir();
      const report = await crawl({
        seeds: [`${site.baseUrl}/`],
        outDir: out,
        useSitemaps: false,
        concurrency: 1,
      });
      expect(pathsOf(await readDocs(out))).toEqual(['/', '/public']);
      expect(report.skipped['robots-disallowed']?.count).toBe(1);
      expectAccounted(report);
    } finally {
      await site.close();
    }
  });

  it('says robots.txt was unreachable, not that it disallowed the pages', async () => {
    const site = await startSite({
      '/robots.txt': { status: 500, body: 'robots are down' },
      '/': { body: html('Home', '<p>Home.</p>') },
    });
    try {
      const out = await tempDir();
      const report = await crawl({ seeds: [`${site.baseUrl}/`], outDir: out, maxRetries: 0 });
      expect(report.robots[site.baseUrl]).toBe('unreachable');
      expect(report.skipped['robots-unreachable']?.count).toBe(1);
      expect(report.skipped['robots-disallowed']).toBeUndefined();
      expect(site.requests.map((r) => r.path)).toEqual(['/robots.txt']);
    } finally {
      await site.close();
    }
  });

  it('fetches a page reached by a redirect within the depth limit that a deeper link left out', async () => {
    const site = await startSite({
      '/': { body: html('Home', links(['/a', '/r'])) },
      '/a': { body: html('A', `<p>Page A.</p>${links(['/c'])}`) },
      '/r': { status: 301, location: '/c' },
      '/c': { body: html('C', '<p>Page C.</p>') },
    });
    try {
      const out = await tempDir();
      const report = await crawl({
        seeds: [`${site.baseUrl}/`],
        outDir: out,
        maxDepth: 1,
        concurrency: 1,
        ...quiet,
      });
      expect(pathsOf(await readDocs(out))).toEqual(['/', '/a', '/c']);
      expect(report.pages.documents).toBe(3);
      expectAccounted(report);
    } finally {
      await site.close();
    }
  });

  it('does not take a 304 to a redirected request as the answer for the new address', async () => {
    // /old was a page; it now redirects to /new, which the crawl has never seen. The validators
    // sent for /old travel with the redirect, and /new (same server defaults) matches them.
    const routes: Record<string, Route> = {
      '/': { body: html('Home', links(['/old'])), etag: '"home"' },
      '/old': { body: html('Old', '<p>The old page.</p>'), etag: '"same"' },
    };
    const site = await startSite(routes);
    try {
      const out = await tempDir();
      const options = { seeds: [`${site.baseUrl}/`], outDir: out, concurrency: 1, ...quiet };
      await crawl(options);
      routes['/old'] = { status: 301, location: '/new' };
      routes['/new'] = { body: html('New', '<p>The new page.</p>'), etag: '"same"' };
      const report = await crawl(options);
      expect(report.complete).toBe(true);
      const docs = await readDocs(out);
      expect(docs.find((d) => d.url.endsWith('/new'))?.markdown).toContain('The new page');
      expectAccounted(report);
    } finally {
      await site.close();
    }
  });
});

describe('crawl workers', () => {
  it('writes content served at many URLs at once a single time', async () => {
    const mirrors = Array.from({ length: 24 }, (_, i) => `/m${i}`);
    const same = html('Mirror', '<p>The same text at many addresses.</p>');
    const site = await startSite((path) =>
      path === '/'
        ? { body: html('Home', links(mirrors)) }
        : mirrors.includes(path)
          ? { body: same, delayMs: 20 }
          : undefined,
    );
    try {
      const out = await tempDir();
      const report = await crawl({
        seeds: [`${site.baseUrl}/`],
        outDir: out,
        concurrency: 12,
        concurrencyPerHost: 12,
        ...quiet,
      });
      const docs = await readDocs(out);
      expect(new Set(docs.map((d) => d.id)).size).toBe(docs.length);
      expect(docs).toHaveLength(2);
      expect(report.pages.duplicates).toBe(mirrors.length - 1);
      expectAccounted(report);
    } finally {
      await site.close();
    }
  });

  it('stops its workers and closes its files when the consumer leaves the loop early', async () => {
    const pages = Array.from({ length: 40 }, (_, i) => `/p${i}`);
    const site = await startSite((path) =>
      path === '/'
        ? { body: html('Home', links(pages)) }
        : pages.includes(path)
          ? { body: html(path, `<p>Text of ${path}.</p>`), delayMs: 10 }
          : undefined,
    );
    try {
      const out = await tempDir();
      const options = { seeds: [`${site.baseUrl}/`], outDir: out, concurrency: 2, ...quiet };
      let done = 0;
      for await (const event of crawlIter(options)) {
        if (event.type === 'page-done' && ++done === 3) break;
      }
      expect(await openFilesIn(out)).toEqual([]);
      const after = site.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(site.requests.length).toBe(after);
      // Leaving early is an interruption: the next run resumes it.
      const report = await crawl(options);
      expect(report.complete).toBe(true);
      expect(report.runs).toBe(2);
      expect(pathsOf(await readDocs(out))).toEqual(['/', ...pages].sort());
      expectAccounted(report);
    } finally {
      await site.close();
    }
  });

  it('stops early when the consumer does not read its events', async () => {
    const pages = Array.from({ length: 320 }, (_, i) => `/p${i}`);
    const site = await startSite((path) =>
      path === '/'
        ? { body: html('Home', links(pages)) }
        : pages.includes(path)
          ? { body: html(path, `<p>${path}</p>`) }
          : undefined,
    );
    try {
      const out = await tempDir();
      const it = crawlIter({
        seeds: [`${site.baseUrl}/`],
        outDir: out,
        concurrency: 4,
        concurrencyPerHost: 4,
        ...quiet,
      });
      await it.next();
      // Wait until the crawl stands still: it has either finished or is waiting for us.
      let last = -1;
      while (site.requests.length !== last) {
        last = site.requests.length;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(site.requests.length).toBeLessThan(pages.length);
      let report: CrawlReport | undefined;
      for (let step = await it.next(); !step.done; step = await it.next()) {
        if (step.value.type === 'crawl-finished') report = step.value.report;
      }
      expect(report?.complete).toBe(true);
      expect(report?.pages.documents).toBe(pages.length + 1);
    } finally {
      await site.close();
    }
  });

  it('refuses a second crawl of a directory in use, and takes over the lock of a dead one', async () => {
    const site = await startSite({
      '/': { body: html('Home', links(['/slow'])) },
      '/slow': { body: html('Slow', '<p>Slow page.</p>'), delayMs: 100 },
    });
    try {
      const out = await tempDir();
      const options = { seeds: [`${site.baseUrl}/`], outDir: out, ...quiet };
      const first = crawlIter(options);
      await first.next();
      await expect(crawl(options)).rejects.toSatisfy(
        (e) => isScraperError(e, 'io-error') && /in use by process/.test(e.message),
      );
      for (let step = await first.next(); !step.done; step = await first.next()) {}
      // A process killed with SIGKILL never removes its lock.
      const dead = spawn(process.execPath, ['-e', '']);
      await new Promise((resolve) => dead.once('exit', resolve));
      await writeFile(
        join(out, 'crawl.lock'),
        JSON.stringify({ pid: dead.pid, host: hostname(), startedAt: new Date().toISOString() }),
      );
      expect((await crawl(options)).complete).toBe(true);
      await expect(readFile(join(out, 'crawl.lock'))).rejects.toThrow();
    } finally {
      await site.close();
    }
  });

  it('an abort while robots.txt loads ends as an interrupted run, files closed', async () => {
    const controller = new AbortController();
    const site = await startSite({
      '/robots.txt': { body: 'User-agent: *\nAllow: /\n', type: 'text/plain', delayMs: 200 },
      '/': { body: html('Home', '<p>Home.</p>') },
    });
    site.onRequest = (path) => {
      if (path === '/robots.txt') controller.abort();
    };
    try {
      const out = await tempDir();
      const report = await crawl({
        seeds: [`${site.baseUrl}/`],
        outDir: out,
        signal: controller.signal,
      });
      expect(report.stoppedBy).toBe('interrupted');
      expect(await openFilesIn(out)).toEqual([]);
      site.onRequest = null;
      const next = await crawl({ seeds: [`${site.baseUrl}/`], outDir: out });
      expect(next.complete).toBe(true);
      expect((await readJournal(out)).filter((e) => e.t === 'run').map((e) => e.mode)).toEqual([
        'fresh',
        'resume',
      ]);
    } finally {
      await site.close();
    }
  });
});
