// How a scrape treats its units at the edges: a consumer that stops reading, an abort in the
// middle of a unit, a unit that fails after earlier runs wrote documents, a source whose
// content changed, a source robots.txt forbids. Small sites on 127.0.0.1, built per case.

import { appendFile, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentSchema } from '../document.js';
import type { SourcePlan } from '../plan/source-plan.js';
import { scrape, scrapeIter } from './scrape.js';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scrape-units-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Route {
  status?: number;
  body: string;
  type?: string;
  delayMs?: number;
}

async function startSite(routes: Record<string, Route>) {
  const requests: string[] = [];
  let onRequest: ((path: string) => void) | null = null;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    onRequest?.(path);
    const route = routes[path];
    const answer = () => {
      res.writeHead(route ? (route.status ?? 200) : 404, {
        'content-type': route?.type ?? 'text/html; charset=utf-8',
      });
      res.end(route?.body ?? 'not found');
    };
    if (route?.delayMs) setTimeout(answer, route.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    setOnRequest: (f: ((path: string) => void) | null) => {
      onRequest = f;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const html = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;

const budget = { maxPages: 1000, maxBytes: 10 * 1024 * 1024 };

function plan(parts: { site?: string; paper?: string }): SourcePlan {
  const host = parts.site ? new URL(parts.site).host : '127.0.0.1';
  return {
    version: 1,
    sites: parts.site
      ? [
          {
            key: `site:${host}/docs`,
            seedUrls: [parts.site],
            scope: { hosts: [host], pathPrefix: '/docs/' },
            projects: ['demo'],
            language: 'en',
            budget,
          },
        ]
      : [],
    github: [],
    stackOverflow: [],
    whitepapers: parts.paper
      ? [
          {
            key: `pdf:${new URL(parts.paper).host}${new URL(parts.paper).pathname}`,
            url: parts.paper,
            sourceUrl: parts.paper,
            title: 'A paper',
            kind: 'link',
            date: null,
            projects: ['demo'],
            language: 'en',
          },
        ]
      : [],
    projects: [],
    skipped: [],
    issues: [],
  };
}

async function openFilesIn(dir: string): Promise<string[]> {
  const open: string[] = [];
  for (const fd of await readdir('/proc/self/fd').catch(() => [])) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) open.push(target);
  }
  return open;
}

const readDocs = async (path: string) =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => DocumentSchema.parse(JSON.parse(line)));

const quiet = { respectRobots: false, useSitemaps: false } as const;

describe('scrape units', () => {
  it('stops the running crawl and closes its files when the consumer leaves early', async () => {
    const pages = Array.from({ length: 30 }, (_, i) => `/docs/p${i}`);
    const routes: Record<string, Route> = {
      '/docs/': { body: html('Docs', pages.map((p) => `<a href="${p}">${p}</a>`).join(' ')) },
    };
    for (const p of pages) routes[p] = { body: html(p, `<p>Text of ${p}.</p>`), delayMs: 10 };
    const site = await startSite(routes);
    try {
      const out = await tempDir();
      let progress = 0;
      for await (const event of scrapeIter({
        plan: plan({ site: `${site.baseUrl}/docs/` }),
        outDir: out,
        crawl: { ...quiet, concurrency: 2 },
      })) {
        if (event.type === 'unit-progress' && ++progress === 3) break;
      }
      expect(await openFilesIn(out)).toEqual([]);
      const after = site.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(site.requests.length).toBe(after);
    } finally {
      await site.close();
    }
  });

  it('ends an aborted scrape with a report in which the cut unit is partial', async () => {
    const controller = new AbortController();
    const site = await startSite({
      '/paper.md': { body: '# A paper\n\nSlow to come.\n', type: 'text/markdown', delayMs: 300 },
    });
    site.setOnRequest(() => controller.abort());
    try {
      const out = await tempDir();
      const report = await scrape({
        plan: plan({ paper: `${site.baseUrl}/paper.md` }),
        outDir: out,
        crawl: quiet,
        signal: controller.signal,
      });
      expect(report.units.map((u) => [u.kind, u.status, u.message])).toEqual([
        ['whitepaper', 'partial', 'interrupted'],
      ]);
      const saved = JSON.parse(await readFile(join(out, 'scrape-report.json'), 'utf8'));
      expect(saved.units).toHaveLength(1);
    } finally {
      await site.close();
    }
  });

  it('lists the documents files that exist: of a failed unit with earlier documents, not of a forbidden one', async () => {
    const site = await startSite({
      '/robots.txt': { body: 'User-agent: *\nDisallow: /private/\n', type: 'text/plain' },
      '/docs/': { body: html('Docs', '<a href="/docs/a">A</a>') },
      '/docs/a': { body: html('A', '<p>Page A.</p>') },
      '/private/paper.md': { body: '# Private\n\nNot for crawlers.\n', type: 'text/markdown' },
    });
    try {
      const out = await tempDir();
      const options = {
        plan: plan({ site: `${site.baseUrl}/docs/`, paper: `${site.baseUrl}/private/paper.md` }),
        outDir: out,
        crawl: { useSitemaps: false },
      };
      const first = await scrape(options);
      expect(first.units.map((u) => u.status)).toEqual(['complete', 'skipped']);
      const siteUnit = first.units[0];
      if (!siteUnit) throw new Error('no site unit');
      expect(first.documentFiles).toEqual([join(siteUnit.dir, 'documents.jsonl')]);

      // Something breaks the site's crawl directory: the unit fails on the next run, but the
      // documents of the first run are still there for the steps after the scrape.
      await appendFile(join(out, siteUnit.dir, 'crawl-journal.jsonl'), 'not json\n');
      const second = await scrape(options);
      expect(second.units[0]?.status).toBe('failed');
      expect(second.units[0]?.documents).toBe(2);
      expect(second.documentFiles).toEqual([join(siteUnit.dir, 'documents.jsonl')]);
      expect(second.totals.documents).toBe(2);
    } finally {
      await site.close();
    }
  });

  it('keeps one record, the newest, of a source that changed and was read again', async () => {
    const routes: Record<string, Route> = {
      '/paper.md': { body: '# A paper\n\nThe first edition.\n', type: 'text/markdown' },
    };
    const site = await startSite(routes);
    try {
      const out = await tempDir();
      const options = { plan: plan({ paper: `${site.baseUrl}/paper.md` }), outDir: out };
      const first = await scrape({ ...options, crawl: quiet });
      const dir = first.units[0]?.dir ?? '';
      routes['/paper.md'] = { body: '# A paper\n\nThe second edition.\n', type: 'text/markdown' };
      const second = await scrape({ ...options, crawl: quiet, refresh: true });
      expect(second.units[0]?.documents).toBe(1);
      const docs = await readDocs(join(out, dir, 'documents.jsonl'));
      expect(docs).toHaveLength(1);
      expect(docs[0]?.markdown).toContain('second edition');
    } finally {
      await site.close();
    }
  });
});
