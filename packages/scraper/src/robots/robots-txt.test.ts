import type http from 'node:http';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetcher } from '../http/fetcher.js';
import { startServer } from '../http/test-server.js';
import { fetchRobotsTxt, parseRobotsTxt, productToken, ROBOTS_MAX_BYTES } from './robots-txt.js';

const UA = 'cncf-llm-scraper/0.1 (+https://example.org/bot)';

describe('productToken', () => {
  it.each([
    [UA, 'cncf-llm-scraper'],
    ['Googlebot/2.1', 'googlebot'],
    ['  ExampleBot ', 'examplebot'],
    ['Mozilla/5.0 (compatible; ExampleBot/1.0)', 'mozilla'],
  ])('%s → %s', (userAgent, token) => {
    expect(productToken(userAgent)).toBe(token);
  });
});

describe('parseRobotsTxt: choosing the group', () => {
  const robots = parseRobotsTxt(
    [
      'User-agent: ExampleBot',
      'User-agent: cncf-llm-scraper',
      'Disallow: /private/',
      '',
      'User-agent: *',
      'Disallow: /',
      '',
      '# a second group for the same crawler is merged with the first',
      'USER-AGENT: CNCF-LLM-Scraper',
      'Allow: /private/public-part',
      'Crawl-delay: 2.5',
    ].join('\n'),
  );

  it('merges every group naming the product token, case-insensitively', () => {
    expect(robots.isAllowed('https://etcd.io/private/x', UA)).toBe(false);
    expect(robots.isAllowed('https://etcd.io/private/public-part/page', UA)).toBe(true);
    expect(robots.isAllowed('https://etcd.io/docs/', UA)).toBe(true);
    expect(robots.crawlDelayMs(UA)).toBe(2500);
  });

  it('gives an agent named in a shared group that group only', () => {
    expect(robots.isAllowed('/private/x', 'ExampleBot/3.0')).toBe(false);
    expect(robots.isAllowed('/private/public-part', 'ExampleBot/3.0')).toBe(false);
    expect(robots.isAllowed('/docs/', 'examplebot')).toBe(true);
    expect(robots.crawlDelayMs('ExampleBot')).toBeNull();
  });

  it('falls back to the * group for other agents', () => {
    expect(robots.isAllowed('/docs/', 'OtherBot/1.0')).toBe(false);
    expect(robots.isAllowed('/', 'OtherBot/1.0')).toBe(false);
  });

  it('always allows /robots.txt itself', () => {
    expect(robots.isAllowed('/robots.txt', 'OtherBot/1.0')).toBe(true);
    expect(robots.isAllowed('https://etcd.io/robots.txt', 'OtherBot/1.0')).toBe(true);
  });

  it('allows everything when no group matches and there is no * group', () => {
    const onlyOthers = parseRobotsTxt('User-agent: SomeoneElse\nDisallow: /\n');
    expect(onlyOthers.isAllowed('/anything', UA)).toBe(true);
    expect(onlyOthers.isAllowed('/anything', 'SomeoneElse')).toBe(false);
  });

  it('ignores rules before the first user-agent line and lines it does not know', () => {
    const text = [
      'Disallow: /orphan/',
      'User-agent: a-bot',
      'Noindex: /whatever',
      'User-agent: b-bot',
      'Disallow: /shared/',
      'Unknown-directive: yes',
      'Disallow: /also/',
    ].join('\n');
    const parsed = parseRobotsTxt(text);
    expect(parsed.isAllowed('/orphan/page', 'a-bot')).toBe(true);
    // An unknown line between two user-agent lines does not split them into two groups.
    expect(parsed.isAllowed('/shared/page', 'a-bot')).toBe(false);
    expect(parsed.isAllowed('/also/page', 'b-bot')).toBe(false);
  });

  it('starts a new group when a user-agent line follows rules', () => {
    const parsed = parseRobotsTxt(
      'User-agent: a-bot\nDisallow: /a/\nUser-agent: b-bot\nDisallow: /b/\n',
    );
    expect(parsed.isAllowed('/b/x', 'a-bot')).toBe(true);
    expect(parsed.isAllowed('/a/x', 'b-bot')).toBe(true);
    expect(parsed.isAllowed('/a/x', 'a-bot')).toBe(false);
  });
});

describe('parseRobotsTxt: matching paths', () => {
  const check = (rules: string, cases: [string, boolean][]) => {
    const robots = parseRobotsTxt(`User-agent: *\n${rules}`);
    for (const [path, allowed] of cases) {
      expect([path, robots.isAllowed(path, UA)]).toEqual([path, allowed]);
    }
  };

  it('lets the longest matching rule win', () => {
    check('Disallow: /guide/\nAllow: /guide/public/\nDisallow: /guide/public/drafts', [
      ['/guide/intro', false],
      ['/guide/public/intro', true],
      ['/guide/public/drafts/one', false],
      ['/guides', true],
    ]);
  });

  it('lets allow win a tie of equal length', () => {
    check('Disallow: /page\nAllow: /page', [['/page', true]]);
    check('Allow: /p*ge\nDisallow: /pa*e', [['/page', true]]);
  });

  it('treats * as any run of characters and a final $ as the end', () => {
    check('Disallow: /*.pdf$\nDisallow: /search*q=\nDisallow: /tmp*', [
      ['/papers/paper.pdf', false],
      ['/papers/paper.pdf?download=1', true],
      ['/papers/paper.pdfx', true],
      ['/search?lang=en&q=etcd', false],
      ['/search?lang=en', true],
      ['/tmp', false],
      ['/tmpfiles/a', false],
    ]);
  });

  it('can allow just the root with /$', () => {
    check('Allow: /$\nDisallow: /', [
      ['/', true],
      ['/index.html', false],
      ['https://etcd.io', true],
    ]);
  });

  it('compares percent-encoding in one normal form', () => {
    check('Disallow: /docs/ツ\nDisallow: /%7Euser/\nDisallow: /a%2fb\nDisallow: /q?x=%c3%a9', [
      ['https://etcd.io/docs/%E3%83%84/page', false],
      ['/docs/%e3%83%84', false],
      ['/docs/ツ/page', false],
      ['/~user/notes', false],
      ['/%7euser/notes', false],
      ['/a%2Fb', false],
      ['/a/b', true],
      ['/q?x=é', false],
    ]);
  });

  it('treats an empty Disallow as allowing everything', () => {
    check('Disallow:\n', [
      ['/', true],
      ['/anything', true],
    ]);
  });

  it('stays fast on a pattern full of wildcards', () => {
    const pattern = `/${'*a'.repeat(30)}b`;
    check(`Disallow: ${pattern}`, [
      [`/${'a'.repeat(5000)}`, true],
      [`/${'a'.repeat(5000)}b`, false],
    ]);
  });
});

describe('parseRobotsTxt: file format', () => {
  it('tolerates a BOM, CRLF, comments, odd spacing and key spellings', () => {
    const robots = parseRobotsTxt(
      '\uFEFFuser-agent:*   # everyone\r\nDISALLOW:/admin   # no admin\r\nuseragent : slow-bot\r\ncrawl-delay: 10\r\n',
    );
    expect(robots.isAllowed('/admin/users', UA)).toBe(false);
    expect(robots.isAllowed('/admin2', UA)).toBe(false);
    expect(robots.isAllowed('/docs', UA)).toBe(true);
    expect(robots.crawlDelayMs('slow-bot/1')).toBe(10_000);
    expect(robots.crawlDelayMs(UA)).toBeNull();
  });

  it('collects sitemaps from anywhere in the file, skipping non-URLs', () => {
    const robots = parseRobotsTxt(
      'Sitemap: https://etcd.io/sitemap.xml\nUser-agent: *\nSitemap: https://etcd.io/docs/sitemap.xml\nDisallow: /x\nSitemap: not a url\n',
    );
    expect(robots.sitemaps).toEqual([
      'https://etcd.io/sitemap.xml',
      'https://etcd.io/docs/sitemap.xml',
    ]);
    // The Sitemap line did not end the group.
    expect(robots.isAllowed('/x', UA)).toBe(false);
  });

  it('ignores an unreadable crawl-delay', () => {
    expect(parseRobotsTxt('User-agent: *\nCrawl-delay: soon\n').crawlDelayMs(UA)).toBeNull();
  });

  it('reads only the first 500 KiB', () => {
    const filler = `# ${'x'.repeat(1000)}\n`.repeat(Math.ceil(ROBOTS_MAX_BYTES / 1003));
    const robots = parseRobotsTxt(`User-agent: *\nDisallow: /early/\n${filler}Disallow: /late/\n`);
    expect(robots.isAllowed('/early/', UA)).toBe(false);
    expect(robots.isAllowed('/late/', UA)).toBe(true);
  });
});

describe('fetchRobotsTxt', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function robotsFrom(handler: http.RequestListener) {
    const server = await startServer(handler);
    const fetcher = createFetcher({ userAgent: UA, maxRetries: 0, timeoutMs: 2000 });
    cleanups.push(
      () => server.close(),
      () => fetcher.close(),
    );
    return { origin: server.origin, server, fetcher };
  }

  it('parses a served (gzip-encoded) file as ok', async () => {
    const body = zlib.gzipSync(
      'User-agent: *\nDisallow: /private/\nSitemap: https://etcd.io/sitemap.xml\n',
    );
    const { origin, fetcher, server } = await robotsFrom((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' });
      res.end(body);
    });
    const { robots, status } = await fetchRobotsTxt(fetcher, `${origin}/docs/page`);
    expect(status).toBe('ok');
    expect(server.requests[0]?.path).toBe('/robots.txt');
    expect(robots.isAllowed(`${origin}/private/a`, UA)).toBe(false);
    expect(robots.isAllowed(`${origin}/docs/`, UA)).toBe(true);
    expect(robots.sitemaps).toEqual(['https://etcd.io/sitemap.xml']);
  });

  it.each([404, 403, 410])('treats %i as missing: everything allowed', async (code) => {
    const { origin, fetcher } = await robotsFrom((_req, res) => {
      res.writeHead(code);
      res.end('no');
    });
    const { robots, status } = await fetchRobotsTxt(fetcher, origin);
    expect(status).toBe('missing');
    expect(robots.isAllowed('/anything', UA)).toBe(true);
  });

  it.each([500, 503, 429])('treats %i as unreachable: everything disallowed', async (code) => {
    const { origin, fetcher } = await robotsFrom((_req, res) => {
      res.writeHead(code);
      res.end('down');
    });
    const { robots, status } = await fetchRobotsTxt(fetcher, origin);
    expect(status).toBe('unreachable');
    expect(robots.isAllowed('/anything', UA)).toBe(false);
    expect(robots.isAllowed('/robots.txt', UA)).toBe(true);
  });

  it('treats a refused connection as unreachable', async () => {
    const { origin, fetcher, server } = await robotsFrom((_req, res) => res.end());
    await server.close();
    const { robots, status } = await fetchRobotsTxt(fetcher, origin);
    expect(status).toBe('unreachable');
    expect(robots.isAllowed('/', UA)).toBe(false);
  });

  it('treats a redirect loop as missing', async () => {
    const { origin, fetcher } = await robotsFrom((req, res) => {
      res.writeHead(301, { Location: req.url === '/robots.txt' ? '/robots2.txt' : '/robots.txt' });
      res.end();
    });
    const { status } = await fetchRobotsTxt(fetcher, origin);
    expect(status).toBe('missing');
  });

  it('rethrows an abort instead of guessing', async () => {
    const { origin, fetcher } = await robotsFrom((_req, res) => res.end('User-agent: *\n'));
    await expect(
      fetchRobotsTxt(fetcher, origin, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      code: 'aborted',
    });
  });
});
