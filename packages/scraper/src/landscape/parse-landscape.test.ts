import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isScraperError, type ScraperError } from '../errors.js';
import { LandscapeItemSchema, LandscapeSchema } from './landscape-schema.js';
import {
  DEFAULT_LANDSCAPE_URL,
  loadLandscape,
  type ParsedLandscape,
  parseLandscape,
} from './parse-landscape.js';

const FIXTURE = fileURLToPath(
  new URL('../../test/fixtures/landscape/landscape.yml', import.meta.url),
);
const TEXT = readFileSync(FIXTURE, 'utf8');

/** Counts lines of the raw text, independently of any YAML parser. */
function countLines(regex: RegExp): number {
  return TEXT.split('\n').filter((line) => regex.test(line)).length;
}

let parsed: ParsedLandscape;
beforeAll(() => {
  parsed = parseLandscape(TEXT, { source: 'landscape.yml' });
});

async function expectScraperError(promise: Promise<unknown>, code: string): Promise<ScraperError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(isScraperError(error)).toBe(true);
  expect((error as ScraperError).code).toBe(code);
  return error as ScraperError;
}

describe('parseLandscape on the real CNCF landscape', () => {
  it('finds every category, subcategory and item the raw text lists', () => {
    const categories = parsed.landscape.landscape;
    const subcategories = categories.flatMap((c) => c.subcategories);
    const items = subcategories.flatMap((s) => s.items);
    // Independent counts: list entries at each indentation level of the raw YAML.
    expect(categories).toHaveLength(countLines(/^ {2}- /));
    expect(subcategories).toHaveLength(countLines(/^ {6}- /));
    expect(items).toHaveLength(countLines(/^ {10}- /));
    expect(parsed.items).toHaveLength(items.length);
    // And the figures recorded with the fixture.
    expect([categories.length, subcategories.length, items.length]).toEqual([15, 80, 2413]);
  });

  it('reports no issues and records the source', () => {
    expect(parsed.issues).toEqual([]);
    expect(parsed.source).toBe('landscape.yml');
  });

  it('validates as a whole with LandscapeSchema, to the same items', () => {
    const whole = LandscapeSchema.parse(parseYaml(TEXT));
    const names = whole.landscape
      .flatMap((c) => c.subcategories.flatMap((s) => s.items))
      .map((i) => i.name);
    expect(names).toEqual(parsed.items.map((e) => e.item.name));
  });

  it('keeps items that omit the `item:` marker and drops marker keys', () => {
    const unmarked = TEXT.split('\n')
      .filter((line) => /^ {10}- name: /.test(line))
      .map((line) => line.replace(/^ {10}- name: /, '').trim());
    expect(unmarked).toEqual(['KubeReport', 'Volcano Engine APMPlus']);
    for (const name of unmarked) {
      expect(parsed.items.some((entry) => entry.item.name === name)).toBe(true);
    }
    expect(parsed.items.every((entry) => !('item' in entry.item))).toBe(true);
    expect(parsed.landscape.landscape.every((c) => !('category' in c))).toBe(true);
  });

  it('turns `items: null` (an empty subcategory) into an empty list', () => {
    const storage = parsed.landscape.landscape
      .find((c) => c.name === 'AI Native Infra')
      ?.subcategories.find((s) => s.name === 'Storage');
    expect(storage?.items).toEqual([]);
  });

  it('keeps both entries of the six names listed twice, each with its own place', () => {
    const counts = new Map<string, number>();
    for (const entry of parsed.items) {
      counts.set(entry.item.name, (counts.get(entry.item.name) ?? 0) + 1);
    }
    const twice = [...counts].filter(([, n]) => n > 1).map(([name]) => name);
    // Independent: item name lines in the raw text that occur twice.
    const rawNames = new Map<string, number>();
    for (const line of TEXT.split('\n')) {
      const match = /^ {10}(?:- | {2})name: (.+)$/.exec(line);
      if (match?.[1]) rawNames.set(match[1], (rawNames.get(match[1]) ?? 0) + 1);
    }
    const rawTwice = [...rawNames].filter(([, n]) => n > 1).map(([name]) => name);
    expect(twice.sort()).toEqual(rawTwice.sort());
    expect(twice).toHaveLength(6);
    const kgateway = parsed.items.filter((entry) => entry.item.name === 'Kgateway');
    expect(kgateway.map((e) => e.path)).toEqual([
      expect.stringMatching(/^.+ > .+ > Kgateway$/),
      expect.stringMatching(/^AI Native Infra > .+ > Kgateway$/),
    ]);
    expect(kgateway[0]?.item.project).toBe('sandbox');
    expect(kgateway[1]?.item.project).toBeUndefined();
  });

  it('folds the real `documentation_ul` and `summary_integration` spellings into the canonical keys', () => {
    const okahu = parsed.items.filter((entry) => entry.item.name === 'Okahu');
    expect(okahu).toHaveLength(2);
    for (const entry of okahu) {
      expect(entry.item.extra?.documentation_ul).toBe('https://docs.okahu.ai');
      expect(entry.item.extra?.documentation_url).toBe('https://docs.okahu.ai');
    }
    const spire = parsed.items.find((entry) => entry.item.name === 'SPIRE')?.item.extra;
    expect(spire?.summary_integration).toBeTruthy();
    expect(spire?.summary_integrations).toBe(spire?.summary_integration);
    const withTypo = countLines(/^\s+summary_integration:/);
    const folded = parsed.items.filter(
      (entry) =>
        entry.item.extra?.summary_integration !== undefined &&
        entry.item.extra.summary_integrations === entry.item.extra.summary_integration,
    );
    expect(folded).toHaveLength(withTypo);
  });

  it('reads etcd and Prometheus with dates as YYYY-MM-DD strings', () => {
    const etcd = parsed.items.find((entry) => entry.item.name === 'etcd');
    expect(etcd?.category).toBe('Orchestration & Management');
    expect(etcd?.subcategory).toBe('Coordination & Service Discovery');
    expect(etcd?.item).toMatchObject({
      homepage_url: 'https://etcd.io/',
      project: 'graduated',
      repo_url: 'https://github.com/etcd-io/etcd',
      logo: 'etcd.svg',
    });
    expect(etcd?.item.extra).toMatchObject({
      accepted: '2018-12-11',
      graduated: '2020-11-24',
      clomonitor_name: 'etcd',
      stack_overflow_url: 'https://stackoverflow.com/questions/tagged/etcd',
    });
    expect(etcd?.item.extra?.audits?.map((a) => [a.date, a.vendor])).toEqual([
      ['2020-08-05', 'Trail of Bits'],
      ['2022-03-11', 'ADA Logics'],
    ]);
    const prometheus = parsed.items.find((entry) => entry.item.name === 'Prometheus')?.item;
    expect(prometheus?.second_path).toEqual(['AI Native Infra / Observability']);
    expect(prometheus?.extra?.summary_release_rate).toBe('every 6 weeks for prometheus/prometheus');
    const dates = parsed.items.flatMap((entry) =>
      [entry.item.joined, entry.item.extra?.accepted, entry.item.extra?.archived].filter(
        (d) => d !== undefined,
      ),
    );
    expect(dates.length).toBeGreaterThan(900);
    expect(dates.every((d) => typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d))).toBe(true);
  });

  it('keeps fields it does not know (forward compatibility)', () => {
    const text = `landscape:
  - category:
    name: C
    subcategories:
      - subcategory:
        name: S
        items:
          - item:
            name: X
            homepage_url: https://x.example/
            logo: x.svg
            brand_new_field: 42
            extra:
              brand_new_extra: yes please
`;
    const { items, issues } = parseLandscape(text);
    expect(issues).toEqual([]);
    expect(items[0]?.item.brand_new_field).toBe(42);
    expect(items[0]?.item.extra?.brand_new_extra).toBe('yes please');
  });
});

describe('parseLandscape on broken input', () => {
  it('skips a broken item with an issue naming it and the fix, and parses the rest', () => {
    const broken = TEXT.replace(
      '            name: etcd\n            homepage_url: https://etcd.io/\n',
      '            name: etcd\n',
    );
    expect(broken).not.toBe(TEXT);
    const result = parseLandscape(broken);
    expect(result.issues).toHaveLength(1);
    const [issue] = result.issues;
    expect(issue?.path).toBe(
      'Orchestration & Management > Coordination & Service Discovery > etcd',
    );
    expect(issue?.message).toContain('`homepage_url` is missing; add it');
    // The issue points at the `- item:` line of etcd.
    const lines = broken.split('\n');
    const nameLine = lines.indexOf('            name: etcd');
    expect(lines[nameLine - 1]).toBe('          - item:');
    expect(issue?.line).toBe(nameLine);
    expect(result.items).toHaveLength(parsed.items.length - 1);
    expect(result.items.some((e) => e.item.name === 'etcd')).toBe(false);
    expect(result.items.some((e) => e.item.name === 'Prometheus')).toBe(true);
  });

  it('names the allowed values for a misspelt maturity', () => {
    const broken = TEXT.replace(
      'homepage_url: https://prometheus.io/\n            project: graduated',
      'homepage_url: https://prometheus.io/\n            project: graduate',
    );
    const { issues } = parseLandscape(broken);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toMatch(/ > Prometheus$/);
    expect(issues[0]?.message).toContain('`project` is "graduate"; use one of graduated');
  });

  it('reports a bad date and a broken category without losing the other categories', () => {
    const text = `landscape:
  - category:
    name: Broken
  - category:
    name: Good
    subcategories:
      - subcategory:
        name: Sub
        items:
          - item:
            name: Dated
            homepage_url: https://dated.example/
            logo: d.svg
            joined: 2021-13-45
          - item:
            name: Fine
            homepage_url: https://fine.example/
            logo: f.svg
            joined: 2021-02-03
`;
    const result = parseLandscape(text);
    expect(result.issues.map((i) => i.path)).toEqual(['Broken', 'Good > Sub > Dated']);
    expect(result.issues[0]?.message).toContain('`subcategories` is missing');
    expect(result.issues[1]?.message).toContain("write it as 'YYYY-MM-DD'");
    expect(result.items.map((e) => e.item.name)).toEqual(['Fine']);
    expect(result.items[0]?.item.joined).toBe('2021-02-03');
  });

  it('reports a duplicate key with the item it belongs to', () => {
    const text = `landscape:
  - category:
    name: C
    subcategories:
      - subcategory:
        name: S
        items:
          - item:
            name: Twice
            homepage_url: https://one.example/
            homepage_url: https://two.example/
            logo: t.svg
`;
    const result = parseLandscape(text);
    expect(result.items[0]?.item.homepage_url).toBe('https://two.example/');
    expect(result.issues).toEqual([
      { path: 'C > S > Twice', message: expect.stringContaining('duplicate key'), line: 11 },
    ]);
  });

  it('normalises Date values from a YAML 1.1 document', () => {
    const text = `%YAML 1.1
---
landscape:
  - category:
    name: C
    subcategories:
      - subcategory:
        name: S
        items:
          - item:
            name: Old
            homepage_url: https://old.example/
            logo: o.svg
            joined: 2019-06-05
`;
    const result = parseLandscape(text);
    expect(result.issues).toEqual([]);
    expect(result.items[0]?.item.joined).toBe('2019-06-05');
    expect(
      LandscapeItemSchema.parse({
        name: 'D',
        homepage_url: 'https://d.example/',
        logo: 'd.svg',
        joined: new Date('2020-01-02T00:00:00Z'),
      }).joined,
    ).toBe('2020-01-02');
  });

  it.each([
    ['an HTML page', '<html><body>Not found</body></html>'],
    ['a mapping without landscape', 'settings:\n  foo: bar\n'],
    ['broken YAML', 'landscape:\n  - name: [unclosed\n'],
    ['an empty file', ''],
  ])('throws invalid-landscape for %s', (_label, text) => {
    expect(() => parseLandscape(text, { source: 'x.yml' })).toThrowError(
      expect.objectContaining({
        code: 'invalid-landscape',
        message: expect.stringContaining('x.yml'),
      }),
    );
  });
});

describe('loadLandscape', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/landscape.yml') {
        res.writeHead(200, { 'content-type': 'text/yaml' });
        res.end(TEXT);
      } else if (req.url === '/busy') {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('try later');
      } else if (req.url === '/hang') {
        // Never answers; the client's timeout must end the request.
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such file');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('downloads and parses a landscape over HTTP', async () => {
    const result = await loadLandscape({ url: `${base}/landscape.yml` });
    expect(result.items).toHaveLength(parsed.items.length);
    expect(result.issues).toEqual([]);
    expect(result.source).toBe(`${base}/landscape.yml`);
    expect(hits).toContain('/landscape.yml');
  });

  it('reads a local file', async () => {
    const result = await loadLandscape({ file: FIXTURE });
    expect(result.items).toHaveLength(parsed.items.length);
    expect(result.source).toBe(FIXTURE);
  });

  it('uses the default URL through the given fetch', async () => {
    const seen: string[] = [];
    const fakeFetch = (async (input: string | URL | Request) => {
      seen.push(String(input));
      return new Response(TEXT, { status: 200 });
    }) as typeof fetch;
    const result = await loadLandscape({ fetch: fakeFetch });
    expect(seen).toEqual([DEFAULT_LANDSCAPE_URL]);
    expect(result.items).toHaveLength(parsed.items.length);
  });

  it('says which URL failed and how for a 404', async () => {
    const error = await expectScraperError(
      loadLandscape({ url: `${base}/nope.yml` }),
      'http-error',
    );
    expect(error.status).toBe(404);
    expect(error.url).toBe(`${base}/nope.yml`);
    expect(error.message).toContain(`${base}/nope.yml`);
    expect(error.message).toContain('404');
    expect(error.body).toBe('no such file');
    expect(error.isRetryable).toBe(false);
  });

  it('marks a 503 as retryable', async () => {
    const error = await expectScraperError(loadLandscape({ url: `${base}/busy` }), 'http-error');
    expect(error.status).toBe(503);
    expect(error.isRetryable).toBe(true);
  });

  it('gives up after timeoutMs and tells the caller', async () => {
    const error = await expectScraperError(
      loadLandscape({ url: `${base}/hang`, timeoutMs: 150 }),
      'timeout',
    );
    expect(error.message).toContain('150 ms');
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = loadLandscape({ url: `${base}/hang`, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expectScraperError(pending, 'aborted');
  });

  it('reports an unreachable server as a network error without leaking credentials', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await expectScraperError(
      loadLandscape({ url: `http://127.0.0.1:${port}/landscape.yml?token=s3cret` }),
      'network-error',
    );
    expect(error.isRetryable).toBe(true);
    expect(error.message).not.toContain('s3cret');
    expect(error.url).not.toContain('s3cret');
  });

  it('rejects a missing file, a non-landscape file, and ambiguous options', async () => {
    await expectScraperError(loadLandscape({ file: `${FIXTURE}.missing` }), 'io-error');
    const licence = fileURLToPath(
      new URL('../../test/fixtures/landscape/SOURCES.md', import.meta.url),
    );
    await expectScraperError(loadLandscape({ file: licence }), 'invalid-landscape');
    await expectScraperError(
      loadLandscape({ file: FIXTURE, url: `${base}/landscape.yml` }),
      'invalid-options',
    );
    await expectScraperError(loadLandscape({ url: 'ftp://example.org/x.yml' }), 'invalid-options');
  });
});
