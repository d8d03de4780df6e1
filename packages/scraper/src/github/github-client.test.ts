import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isScraperError, ScraperError } from '../errors.js';
import { type GitHubStandIn, gitBlobSha, startGitHubStandIn } from '../testing/github-stand-in.js';
import { createJsonFileEtagCache } from './etag-cache.js';
import {
  createGitHubClient,
  RATE_LIMIT_MARGIN_MS,
  type RateLimitWait,
  SECONDARY_LIMIT_MIN_WAIT_MS,
} from './github-client.js';

const fixtures = new URL('../../test/fixtures/github/', import.meta.url);
const fixture = (path: string) => readFile(new URL(path, fixtures));

// Obviously fake, and assembled so no credential-shaped literal sits in the repository.
const TOKEN = ['ghp', 'FAKE', 'test', 'token', 'never', 'printed'].join('_');

/** A clock that only moves when the client sleeps; records every sleep. */
function fakeClock(startMs = Date.UTC(2025, 10, 25, 12, 0, 0, 437)) {
  let time = startMs;
  const sleeps: number[] = [];
  return {
    now: () => time,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      time += ms;
    },
    sleeps,
  };
}

async function etcdFiles(): Promise<Record<string, Uint8Array>> {
  return {
    'README.md': await fixture('etcd/_index.md'),
    'content/en/docs/v3.6/op-guide/maintenance.md': await fixture('etcd/op-guide/maintenance.md'),
    'content/en/docs/v3.6/dev-guide/api_reference_v3.md': await fixture(
      'etcd/dev-guide/api_reference_v3.md',
    ),
    'vendor/github.com/coreos/go-semver/README.md': new TextEncoder().encode('# go-semver\n'),
  };
}

let standIn: GitHubStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe('createGitHubClient', () => {
  it('reads a repository, its tree and file bytes', async () => {
    const files = await etcdFiles();
    standIn = await startGitHubStandIn({
      repos: [
        { owner: 'etcd-io', repo: 'website', licence: 'CC-BY-4.0', files },
        {
          owner: 'prometheus',
          repo: 'docs',
          licence: 'NOASSERTION',
          defaultBranch: 'master',
          files: {},
        },
      ],
    });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: '' });

    const repo = await client.getRepo('etcd-io', 'website');
    expect(repo).toMatchObject({
      fullName: 'etcd-io/website',
      defaultBranch: 'main',
      licence: 'CC-BY-4.0',
      archived: false,
    });
    const prom = await client.getRepo('prometheus', 'docs');
    expect(prom.licence).toBeNull();
    expect(prom.defaultBranch).toBe('master');

    const tree = await client.getTree('etcd-io', 'website', 'main');
    expect(tree.truncated).toBe(false);
    const blobs = tree.entries.filter((e) => e.type === 'blob').map((e) => e.path);
    expect(blobs.sort()).toEqual(Object.keys(files).sort());
    const maintenance = tree.entries.find((e) => e.path.endsWith('maintenance.md'));
    expect(maintenance?.size).toBe(
      files['content/en/docs/v3.6/op-guide/maintenance.md']?.byteLength,
    );

    const content = await client.getContent(
      'etcd-io',
      'website',
      'content/en/docs/v3.6/op-guide/maintenance.md',
      'main',
    );
    expect(
      Buffer.from(content.bytes).equals(
        Buffer.from(files['content/en/docs/v3.6/op-guide/maintenance.md'] as Uint8Array),
      ),
    ).toBe(true);
    expect(content.sha).toBe(maintenance?.sha);
    expect(content.status).toBe(200);
    expect(content.etag).toMatch(/^W\/"/);
    // Without a token no Authorization header goes out.
    expect(standIn.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(standIn.requests[0]?.headers['x-github-api-version']).toBe('2022-11-28');
  });

  it('gives a 404 as an http-error naming the path', async () => {
    standIn = await startGitHubStandIn({ repos: [{ owner: 'etcd-io', repo: 'etcd', files: {} }] });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    const error = await client
      .getContent('etcd-io', 'etcd', 'docs/missing.md', 'main')
      .catch((e) => e);
    expect(isScraperError(error, 'http-error')).toBe(true);
    expect((error as ScraperError).status).toBe(404);
    expect((error as ScraperError).message).toContain(
      '/repos/etcd-io/etcd/contents/docs/missing.md',
    );
    expect((error as ScraperError).message).not.toContain(TOKEN);
  });

  it('sends the token as a Bearer header and never prints it', async () => {
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: { 'README.md': '# etcd\n' } }],
      requireToken: TOKEN,
    });
    const good = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    expect(good.authenticated).toBe(true);
    await good.getRepo('etcd-io', 'etcd');
    expect(standIn.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);

    const wrongToken = `${TOKEN}-revoked`;
    const bad = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: wrongToken });
    const error = await bad.getRepo('etcd-io', 'etcd').catch((e) => e);
    expect(isScraperError(error, 'http-error')).toBe(true);
    expect((error as ScraperError).status).toBe(401);
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(
      wrongToken,
    );
    expect((error as Error).message).toContain('GITHUB_TOKEN');
  });

  it('reads GITHUB_TOKEN from the environment when no token is given', async () => {
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: {} }],
      requireToken: TOKEN,
    });
    const previous = process.env.GITHUB_TOKEN;
    process.env.GITHUB_TOKEN = TOKEN;
    try {
      const client = createGitHubClient({ baseUrl: standIn.baseUrl });
      await expect(client.getRepo('etcd-io', 'etcd')).resolves.toMatchObject({ repo: 'etcd' });
    } finally {
      if (previous === undefined) delete process.env.GITHUB_TOKEN;
      else process.env.GITHUB_TOKEN = previous;
    }
  });

  it('revalidates with If-None-Match and reuses the body on 304 without spending quota', async () => {
    const files = await etcdFiles();
    standIn = await startGitHubStandIn({ repos: [{ owner: 'etcd-io', repo: 'website', files }] });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    const path = 'content/en/docs/v3.6/op-guide/maintenance.md';
    const first = await client.getContent('etcd-io', 'website', path, 'main');
    const usedAfterFirst = standIn.rateLimitState().used;
    const second = await client.getContent('etcd-io', 'website', path, 'main');

    const last = standIn.requests.at(-1);
    expect(last?.headers['if-none-match']).toBe(first.etag);
    expect(second.fromCache).toBe(true);
    expect(first.fromCache).toBe(false);
    expect(second.status).toBe(200);
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    expect(standIn.rateLimitState().used).toBe(usedAfterFirst);
  });

  it('keeps ETags in a JSON file across clients', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-etag-'));
    try {
      standIn = await startGitHubStandIn({
        repos: [
          { owner: 'prometheus', repo: 'docs', files: { 'README.md': '# Prometheus docs\n' } },
        ],
      });
      const cachePath = join(dir, 'cache', 'etags.json');
      const first = createGitHubClient({
        baseUrl: standIn.baseUrl,
        accessToken: TOKEN,
        cache: createJsonFileEtagCache({ path: cachePath }),
      });
      await first.getRepo('prometheus', 'docs');
      await first.flushCache();
      const stored = await readFile(cachePath, 'utf8');
      expect(stored).not.toContain(TOKEN);

      const second = createGitHubClient({
        baseUrl: standIn.baseUrl,
        accessToken: TOKEN,
        cache: createJsonFileEtagCache({ path: cachePath }),
      });
      const repo = await second.getRepo('prometheus', 'docs');
      expect(repo.fullName).toBe('prometheus/docs');
      expect(standIn.requests.at(-1)?.headers['if-none-match']).toMatch(/^W\/"/);
      expect(standIn.rateLimitState().used).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fetches files over 1 MB through the blob API', async () => {
    const line = `${'etcd keeps the keyspace in a b+tree; compaction drops old revisions. '.repeat(4)}\n`;
    const big = line.repeat(Math.ceil((1.5 * 1024 * 1024) / line.length));
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: { 'docs/big.md': big } }],
    });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    const bytes = new TextEncoder().encode(big);

    // Knowing the size from the tree: straight to the blob.
    const direct = await client.getContent('etcd-io', 'etcd', 'docs/big.md', 'main', {
      sha: gitBlobSha(bytes),
      size: bytes.byteLength,
    });
    expect(standIn.requests.at(-1)?.url).toContain('/git/blobs/');
    expect(new TextDecoder().decode(direct.bytes)).toBe(big);

    // Not knowing it: the contents API answers `encoding: none`, then the blob.
    const before = standIn.requests.length;
    const fallback = await client.getContent('etcd-io', 'etcd', 'docs/big.md', 'main');
    const urls = standIn.requests.slice(before).map((r) => r.url);
    expect(urls[0]).toContain('/contents/docs/big.md');
    expect(urls[1]).toContain(`/git/blobs/${gitBlobSha(bytes)}`);
    expect(fallback.bytes.byteLength).toBe(bytes.byteLength);
  });

  it('walks the contents API when the tree is truncated, skipping vendored folders', async () => {
    const files = await etcdFiles();
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'website', files }],
      truncateTreesAfter: 2,
    });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    const tree = await client.getTree('etcd-io', 'website', 'main', {
      descend: (dir) => !dir.startsWith('vendor'),
    });
    expect(tree.truncated).toBe(true);
    expect(tree.walked).toBe(true);
    const blobs = tree.entries.filter((e) => e.type === 'blob').map((e) => e.path);
    expect(blobs.sort()).toEqual([
      'README.md',
      'content/en/docs/v3.6/dev-guide/api_reference_v3.md',
      'content/en/docs/v3.6/op-guide/maintenance.md',
    ]);
    expect(standIn.requests.some((r) => r.url.includes('/contents/vendor'))).toBe(false);
    expect(
      standIn.requests.some((r) => r.url.includes('/contents/content/en/docs/v3.6/op-guide')),
    ).toBe(true);
  });
});

describe('GitHub rate limits', () => {
  it('waits until x-ratelimit-reset (epoch seconds) after a 403, then goes on', async () => {
    const clock = fakeClock();
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: { 'README.md': '# etcd\n' } }],
      rateLimit: { limit: 2, resetInSeconds: 600 },
      now: clock.now,
    });
    // Spend the quota with one client...
    const spender = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    await spender.getRepo('etcd-io', 'etcd');
    await spender.getTree('etcd-io', 'etcd', 'main');
    const { reset } = standIn.rateLimitState();

    // ...so a fresh one meets GitHub's 403.
    const waits: RateLimitWait[] = [];
    const client = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: TOKEN,
      now: clock.now,
      sleep: clock.sleep,
      onRateLimitWait: (wait) => waits.push(wait),
    });
    const nowAtWait = clock.now();
    const content = await client.getContent('etcd-io', 'etcd', 'README.md', 'main');
    expect(new TextDecoder().decode(content.bytes)).toBe('# etcd\n');

    const expected = reset * 1000 - nowAtWait + RATE_LIMIT_MARGIN_MS;
    expect(clock.sleeps).toEqual([expected]);
    // Read as seconds the reset is ~10 minutes away; read as milliseconds it would be in 1970.
    expect(expected).toBeGreaterThan(590_000);
    expect(expected).toBeLessThan(602_000);
    expect(waits).toEqual([
      {
        kind: 'primary',
        waitMs: expected,
        untilIso: new Date(reset * 1000 + RATE_LIMIT_MARGIN_MS).toISOString(),
        url: '/repos/etcd-io/etcd/contents/README.md?ref=main',
      },
    ]);
    const statuses = standIn.requests.slice(2).map((r) => r.url);
    expect(statuses).toEqual([
      '/repos/etcd-io/etcd/contents/README.md?ref=main',
      '/repos/etcd-io/etcd/contents/README.md?ref=main',
    ]);
  });

  it('waits before spending a request once it has seen the quota run out', async () => {
    const clock = fakeClock();
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: { 'README.md': '# etcd\n' } }],
      rateLimit: { limit: 1, resetInSeconds: 120 },
      now: clock.now,
    });
    const client = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: TOKEN,
      now: clock.now,
      sleep: clock.sleep,
    });
    await client.getRepo('etcd-io', 'etcd'); // answer says remaining 0
    const { reset } = standIn.rateLimitState();
    const before = clock.now();
    await client.getTree('etcd-io', 'etcd', 'main');
    expect(clock.sleeps).toEqual([reset * 1000 - before + RATE_LIMIT_MARGIN_MS]);
    // No request was wasted on a 403.
    expect(standIn.requests).toHaveLength(2);
  });

  it('stops with a clear rate-limited error when the reset is beyond maxWaitMs', async () => {
    const clock = fakeClock();
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: {} }],
      rateLimit: { limit: 1, resetInSeconds: 3600 },
      now: clock.now,
    });
    const client = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: TOKEN,
      now: clock.now,
      sleep: clock.sleep,
      maxWaitMs: 15 * 60_000,
    });
    await client.getRepo('etcd-io', 'etcd');
    const { reset } = standIn.rateLimitState();
    const error = await client.getRepo('etcd-io', 'etcd').catch((e) => e);
    expect(isScraperError(error, 'rate-limited')).toBe(true);
    const message = (error as ScraperError).message;
    expect(message).toContain(new Date(reset * 1000).toISOString());
    expect(message).toContain('maxWaitMs');
    expect(message).toContain('rate limit (1 requests per hour) is used up');
    expect(message).not.toContain(TOKEN);
    expect(clock.sleeps).toEqual([]);

    // Without a token the advice is to set one.
    const anonymous = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: '',
      now: clock.now,
      sleep: clock.sleep,
      maxWaitMs: 1000,
    });
    const anonymousError = await anonymous.getRepo('etcd-io', 'etcd').catch((e) => e);
    expect(isScraperError(anonymousError, 'rate-limited')).toBe(true);
    expect((anonymousError as Error).message).toMatch(/Set GITHUB_TOKEN .* or try again after/);
  });

  it('honours retry-after on a secondary limit', async () => {
    const clock = fakeClock();
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: { 'README.md': '# etcd\n' } }],
      secondaryLimitOn: { path: '/contents/', times: 1, status: 403, retryAfterSeconds: 37 },
      now: clock.now,
    });
    const waits: RateLimitWait[] = [];
    const client = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: TOKEN,
      now: clock.now,
      sleep: clock.sleep,
    });
    const content = await client.getContent('etcd-io', 'etcd', 'README.md', 'main', {
      onRateLimitWait: (wait) => waits.push(wait),
    });
    expect(content.bytes.byteLength).toBe(7);
    expect(clock.sleeps).toEqual([37_000]);
    expect(waits.map((w) => w.kind)).toEqual(['secondary']);
  });

  it('waits at least a minute, doubling, on a secondary limit without retry-after', async () => {
    const clock = fakeClock();
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: {} }],
      secondaryLimitOn: { times: 2, status: 429, retryAfterSeconds: null },
      now: clock.now,
    });
    const client = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: TOKEN,
      now: clock.now,
      sleep: clock.sleep,
    });
    await client.getRepo('etcd-io', 'etcd');
    expect(clock.sleeps).toEqual([SECONDARY_LIMIT_MIN_WAIT_MS, 2 * SECONDARY_LIMIT_MIN_WAIT_MS]);
  });

  it('gives up on secondary limits after maxRetries with a rate-limited error', async () => {
    const clock = fakeClock();
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: {} }],
      secondaryLimitOn: { times: 10, retryAfterSeconds: 5 },
      now: clock.now,
    });
    const client = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: TOKEN,
      now: clock.now,
      sleep: clock.sleep,
      maxRetries: 2,
    });
    const error = await client.getRepo('etcd-io', 'etcd').catch((e) => e);
    expect(isScraperError(error, 'rate-limited')).toBe(true);
    expect((error as Error).message).toContain('still limited after 2 waits (maxRetries)');
    expect(clock.sleeps).toEqual([5000, 5000]);
    expect(standIn.requests).toHaveLength(3);
  });

  it('stops a rate-limit wait when the signal aborts', async () => {
    standIn = await startGitHubStandIn({
      repos: [{ owner: 'etcd-io', repo: 'etcd', files: {} }],
      secondaryLimitOn: { times: 1, retryAfterSeconds: 600 },
    });
    const controller = new AbortController();
    const client = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: TOKEN,
      signal: controller.signal,
      onRateLimitWait: () =>
        setTimeout(() => controller.abort(new Error('user pressed Ctrl-C')), 20),
    });
    const error = await client.getRepo('etcd-io', 'etcd').catch((e) => e);
    expect(isScraperError(error, 'aborted')).toBe(true);
    expect((error as Error).message).toContain('user pressed Ctrl-C');
  });

  it('rejects bad options', () => {
    expect(() => createGitHubClient({ baseUrl: 'not a url' })).toThrow(ScraperError);
    expect(() => createGitHubClient({ maxRetries: -1 })).toThrow(/maxRetries/);
  });
});
