import type http from 'node:http';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetcher } from '../http/fetcher.js';
import { startServer, type TestServer } from '../http/test-server.js';
import {
  defaultSitemapUrls,
  type SitemapEntry,
  type SitemapError,
  sitemapUrls,
} from './sitemap.js';

const NS = 'http://www.sitemaps.org/schemas/sitemap/0.9';

const urlset = (entries: { loc: string; lastmod?: string }[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="${NS}">\n${entries
    .map(
      (e) =>
        `  <url>\n    <loc>${e.loc}</loc>\n${e.lastmod ? `    <lastmod>${e.lastmod}</lastmod>\n` : ''}    <changefreq>weekly</changefreq>\n  </url>`,
    )
    .join('\n')}\n</urlset>\n`;

const sitemapIndex = (locs: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="${NS}">\n${locs
    .map((loc) => `  <sitemap><loc>${loc}</loc><lastmod>2025-05-01</lastmod></sitemap>`)
    .join('\n')}\n</sitemapindex>\n`;

type Route = { status?: number; type?: string; body: string | Buffer; encoding?: string };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A site whose routes are built once the origin is known. */
async function site(routes: (origin: string) => Record<string, Route>) {
  let table: Record<string, Route> = {};
  const handler: http.RequestListener = (req, res) => {
    const route = table[req.url ?? ''];
    if (route === undefined) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(route.status ?? 200, {
      'Content-Type': route.type ?? 'application/xml',
      ...(route.encoding ? { 'Content-Encoding': route.encoding } : {}),
    });
    res.end(route.body);
  };
  const server: TestServer = await startServer(handler);
  table = routes(server.origin);
  const fetcher = createFetcher({
    userAgent: 'cncf-llm-scraper/0.1',
    maxRetries: 0,
    timeoutMs: 2000,
  });
  cleanups.push(
    () => server.close(),
    () => fetcher.close(),
  );
  return { server, fetcher, origin: server.origin };
}

async function collect(iterable: AsyncIterable<SitemapEntry>): Promise<SitemapEntry[]> {
  const entries: SitemapEntry[] = [];
  for await (const entry of iterable) entries.push(entry);
  return entries;
}

describe('sitemapUrls', () => {
  it('walks an index into urlset, gzip, nested and plain-text children, skipping a broken one', async () => {
    const { fetcher, origin, server } = await site((o) => ({
      '/sitemap.xml': {
        body: sitemapIndex([
          `${o}/docs/sitemap.xml`,
          `${o}/broken.xml`,
          `${o}/blog/sitemap.xml.gz`,
          `${o}/nested-index.xml`,
          `${o}/missing.xml`,
          `${o}/after.xml`,
        ]),
      },
      '/docs/sitemap.xml': {
        body: urlset([
          { loc: `${o}/docs/v3.6/quickstart/`, lastmod: '2025-04-30T10:00:00+00:00' },
          { loc: `${o}/docs/v3.6/faq/` },
        ]),
      },
      '/broken.xml': {
        body: `<urlset xmlns="${NS}"><url><loc>${o}/early/</loc></url><url><loc>oops</url>`,
      },
      '/blog/sitemap.xml.gz': {
        type: 'application/gzip',
        body: zlib.gzipSync(urlset([{ loc: `${o}/blog/release-3-6/`, lastmod: '2025-05-15' }])),
      },
      '/nested-index.xml': { body: sitemapIndex([`${o}/plain.txt`]) },
      '/plain.txt': {
        type: 'text/plain',
        body: `${o}/docs/v3.6/install/\r\n\r\nnot a url\n  ${o}/docs/v3.6/tuning/  \nmailto:someone@example.org\n`,
      },
      '/missing.xml': { status: 500, body: 'down' },
      '/after.xml': { body: urlset([{ loc: `${o}/after/` }]), encoding: undefined },
    }));
    const errors: SitemapError[] = [];
    const entries = await collect(
      sitemapUrls({ fetcher, sitemaps: [`${origin}/sitemap.xml`], onError: (e) => errors.push(e) }),
    );

    expect(entries).toEqual([
      {
        loc: `${origin}/docs/v3.6/quickstart/`,
        lastmod: '2025-04-30T10:00:00+00:00',
        source: `${origin}/docs/sitemap.xml`,
      },
      { loc: `${origin}/docs/v3.6/faq/`, lastmod: null, source: `${origin}/docs/sitemap.xml` },
      { loc: `${origin}/early/`, lastmod: null, source: `${origin}/broken.xml` },
      {
        loc: `${origin}/blog/release-3-6/`,
        lastmod: '2025-05-15',
        source: `${origin}/blog/sitemap.xml.gz`,
      },
      { loc: `${origin}/docs/v3.6/install/`, lastmod: null, source: `${origin}/plain.txt` },
      { loc: `${origin}/docs/v3.6/tuning/`, lastmod: null, source: `${origin}/plain.txt` },
      { loc: `${origin}/after/`, lastmod: null, source: `${origin}/after.xml` },
    ]);
    expect(errors.map((e) => [e.url, e.error.code, e.depth])).toEqual([
      [`${origin}/broken.xml`, 'invalid-response', 1],
      [`${origin}/missing.xml`, 'http-error', 1],
    ]);
    expect(errors[0]?.message).toContain('not well-formed');
    expect(server.requests[0]?.headers.accept).toContain('application/xml');
  });

  it('reads namespace prefixes, CDATA, entities and Content-Encoding gzip', async () => {
    const xml = `<?xml version="1.0"?>
<sm:urlset xmlns:sm="${NS}" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <sm:url><sm:loc><![CDATA[ https://etcd.io/docs/v3.6/op-guide/ ]]></sm:loc>
    <image:image><image:loc>https://etcd.io/img/logo.png</image:loc></image:image></sm:url>
  <sm:url><sm:loc>https://etcd.io/search/?q=a&amp;page=2</sm:loc><sm:lastmod> 2024-12-01 </sm:lastmod></sm:url>
</sm:urlset>`;
    const { fetcher, origin } = await site(() => ({
      '/sitemap.xml': { body: zlib.gzipSync(xml), encoding: 'gzip' },
    }));
    const entries = await collect(sitemapUrls({ fetcher, sitemaps: [`${origin}/sitemap.xml`] }));
    expect(entries.map((e) => [e.loc, e.lastmod])).toEqual([
      ['https://etcd.io/docs/v3.6/op-guide/', null],
      ['https://etcd.io/search/?q=a&page=2', '2024-12-01'],
    ]);
  });

  it('reports a file that is not a sitemap and goes on with the next', async () => {
    const { fetcher, origin } = await site((o) => ({
      '/sitemap.xml': { type: 'text/html', body: '<html><body><p>Welcome</p></body></html>' },
      '/real.xml': { body: urlset([{ loc: `${o}/page/` }]) },
    }));
    const errors: SitemapError[] = [];
    const entries = await collect(
      sitemapUrls({
        fetcher,
        sitemaps: [`${origin}/sitemap.xml`, `${origin}/real.xml`],
        onError: (e) => errors.push(e),
      }),
    );
    expect(entries.map((e) => e.loc)).toEqual([`${origin}/page/`]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('<html>');
    expect(errors[0]?.depth).toBe(0);
  });

  it('stops at maxUrls without fetching the remaining sitemaps', async () => {
    const { fetcher, origin, server } = await site((o) => ({
      '/a.xml': { body: urlset([1, 2, 3].map((n) => ({ loc: `${o}/a/${n}` }))) },
      '/b.xml': { body: urlset([{ loc: `${o}/b/1` }]) },
    }));
    const entries = await collect(
      sitemapUrls({ fetcher, sitemaps: [`${origin}/a.xml`, `${origin}/b.xml`], maxUrls: 2 }),
    );
    expect(entries.map((e) => e.loc)).toEqual([`${origin}/a/1`, `${origin}/a/2`]);
    expect(server.requests.map((r) => r.path)).toEqual(['/a.xml']);
  });

  it('yields each URL once and does not loop on an index that lists itself', async () => {
    const { fetcher, origin, server } = await site((o) => ({
      '/index.xml': { body: sitemapIndex([`${o}/index.xml`, `${o}/one.xml`, `${o}/two.xml`]) },
      '/one.xml': { body: urlset([{ loc: `${o}/x` }, { loc: `${o}/y` }]) },
      '/two.xml': { body: urlset([{ loc: `${o}/y` }, { loc: `${o}/z` }]) },
    }));
    const entries = await collect(sitemapUrls({ fetcher, sitemaps: [`${origin}/index.xml`] }));
    expect(entries.map((e) => e.loc)).toEqual([`${origin}/x`, `${origin}/y`, `${origin}/z`]);
    expect(server.requests.map((r) => r.path)).toEqual(['/index.xml', '/one.xml', '/two.xml']);
  });

  it('does not follow indexes nested deeper than maxDepth', async () => {
    const { fetcher, origin, server } = await site((o) => ({
      '/0.xml': { body: sitemapIndex([`${o}/1.xml`]) },
      '/1.xml': { body: sitemapIndex([`${o}/2.xml`]) },
      '/2.xml': { body: urlset([{ loc: `${o}/deep` }]) },
    }));
    const errors: SitemapError[] = [];
    const entries = await collect(
      sitemapUrls({
        fetcher,
        sitemaps: [`${origin}/0.xml`],
        maxDepth: 1,
        onError: (e) => errors.push(e),
      }),
    );
    expect(entries).toEqual([]);
    expect(errors.map((e) => [e.url, e.depth])).toEqual([[`${origin}/2.xml`, 2]]);
    expect(errors[0]?.message).toContain('maxDepth');
    expect(server.requests.map((r) => r.path)).toEqual(['/0.xml', '/1.xml']);
  });

  it('skips a .xml.gz bomb by its decompressed size', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024, ' '));
    const { fetcher, origin } = await site((o) => ({
      '/bomb.xml.gz': { type: 'application/gzip', body: bomb },
      '/ok.xml': { body: urlset([{ loc: `${o}/fine` }]) },
    }));
    const errors: SitemapError[] = [];
    const entries = await collect(
      sitemapUrls({
        fetcher,
        sitemaps: [`${origin}/bomb.xml.gz`, `${origin}/ok.xml`],
        maxBytes: 1024 * 1024,
        onError: (e) => errors.push(e),
      }),
    );
    expect(entries.map((e) => e.loc)).toEqual([`${origin}/fine`]);
    expect(errors.map((e) => e.error.code)).toEqual(['too-large']);
  });

  it('parses a sitemap larger than one parser chunk, with non-ASCII URLs', async () => {
    const many = Array.from({ length: 3000 }, (_, n) => ({ loc: `https://etcd.io/docs/ツ/${n}` }));
    const { fetcher, origin } = await site(() => ({ '/big.xml': { body: urlset(many) } }));
    const entries = await collect(sitemapUrls({ fetcher, sitemaps: [`${origin}/big.xml`] }));
    expect(entries).toHaveLength(3000);
    expect(entries[2999]?.loc).toBe(new URL('https://etcd.io/docs/ツ/2999').href);
  });

  it('ends with an aborted error when the signal aborts', async () => {
    const { fetcher, origin } = await site((o) => ({
      '/a.xml': { body: urlset([{ loc: `${o}/a` }]) },
    }));
    const controller = new AbortController();
    const run = async () => {
      for await (const _entry of sitemapUrls({
        fetcher,
        sitemaps: [`${origin}/a.xml`, `${origin}/a.xml?2`],
        signal: controller.signal,
      })) {
        controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'aborted' });
  });

  it('rejects bad options', async () => {
    await expect(collect(sitemapUrls({ sitemaps: [] } as never))).rejects.toMatchObject({
      code: 'invalid-options',
    });
  });
});

describe('defaultSitemapUrls', () => {
  it('points at /sitemap.xml of the origin', () => {
    expect(defaultSitemapUrls('https://etcd.io')).toEqual(['https://etcd.io/sitemap.xml']);
    expect(defaultSitemapUrls('https://etcd.io/docs/v3.6/')).toEqual([
      'https://etcd.io/sitemap.xml',
    ]);
  });
});
