import { readFileSync } from 'node:fs';
import type http from 'node:http';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { isScraperError, ScraperError } from '../errors.js';
import {
  createFetcher,
  type Fetcher,
  type FetcherOptions,
  parseRetryAfter,
  type RetryEvent,
} from './fetcher.js';
import { startServer, type TestServer } from './test-server.js';

const UA = 'cncf-llm-scraper/0.1 (+https://example.org/bot)';
const FAQ = readFileSync(new URL('../../test/fixtures/http/etcd-faq.md', import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(handler: http.RequestListener): Promise<TestServer> {
  const server = await startServer(handler);
  cleanups.push(() => server.close());
  return server;
}

/** A fetcher whose waits are recorded instead of slept. */
function recordingFetcher(options: Partial<FetcherOptions> = {}) {
  const sleeps: number[] = [];
  const retries: RetryEvent[] = [];
  const fetcher: Fetcher = createFetcher({
    userAgent: UA,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onRetry: (event) => retries.push(event),
    ...options,
  });
  cleanups.push(() => fetcher.close());
  return { fetcher, sleeps, retries };
}

async function failure(promise: Promise<unknown>): Promise<ScraperError> {
  try {
    await promise;
  } catch (error) {
    if (isScraperError(error)) return error;
    throw error;
  }
  throw new Error('expected the fetch to fail');
}

describe('createFetcher: plain and compressed bodies', () => {
  it('sends the User-Agent, asks for compression and returns headers in lower case', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/markdown; charset=utf-8', ETag: '"v1"' });
      res.end(FAQ);
    });
    const { fetcher } = recordingFetcher();
    const result = await fetcher.fetch(`${server.origin}/docs/faq#top`);

    expect(result.status).toBe(200);
    expect(Buffer.from(result.body).equals(FAQ)).toBe(true);
    expect(result.bytes).toBe(FAQ.length);
    expect(result.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(result.headers.etag).toBe('"v1"');
    expect(result.url).toBe(`${server.origin}/docs/faq`);
    expect(result.requestedUrl).toBe(`${server.origin}/docs/faq`);
    expect(result).toMatchObject({ redirects: [], notModified: false, attempts: 1 });
    const sent = server.requests[0]?.headers;
    expect(sent?.['user-agent']).toBe(UA);
    expect(sent?.['accept-encoding']).toBe('gzip, deflate, br');
    expect(sent?.accept).toContain('text/html');
  });

  it('reuses keep-alive connections for sequential requests, also after a redirect', async () => {
    const sockets = new Set<unknown>();
    const server = await serve((req, res) => {
      sockets.add(req.socket);
      if (req.url === '/old') {
        res.writeHead(301, { Location: '/new' });
        res.end('moved');
        return;
      }
      res.end('page');
    });
    const { fetcher } = recordingFetcher();
    for (const path of ['/a', '/old', '/b', '/c', '/d'])
      await fetcher.fetch(`${server.origin}${path}`);
    expect(server.requests).toHaveLength(6);
    // undici may open a second connection while the first is being released; never one each.
    expect(sockets.size).toBeLessThanOrEqual(2);
  });

  it.each([
    ['gzip', zlib.gzipSync(FAQ)],
    ['br', zlib.brotliCompressSync(FAQ)],
    ['deflate', zlib.deflateSync(FAQ)],
    ['deflate', zlib.deflateRawSync(FAQ)],
    ['gzip, br', zlib.brotliCompressSync(zlib.gzipSync(FAQ))],
  ])('decodes Content-Encoding %s back to the original page', async (encoding, wire) => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Encoding': encoding, 'Content-Length': wire.length });
      res.end(wire);
    });
    const { fetcher } = recordingFetcher();
    const result = await fetcher.fetch(`${server.origin}/faq`);
    expect(Buffer.from(result.body).toString('utf8')).toBe(FAQ.toString('utf8'));
    expect(result.bytes).toBe(wire.length);
  });

  it('does not send the validators of the requested URL to a redirect target', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { Location: '/new' });
        res.end();
        return;
      }
      if (req.headers['if-none-match'] === '"abc"') {
        res.writeHead(304, { ETag: '"abc"' });
        res.end();
        return;
      }
      res.writeHead(200, { ETag: '"abc"' });
      res.end('the new page');
    });
    const { fetcher } = recordingFetcher();
    const result = await fetcher.fetch(`${server.origin}/old`, { ifNoneMatch: '"abc"' });
    expect(result.notModified).toBe(false);
    expect(Buffer.from(result.body).toString('utf8')).toBe('the new page');
    expect(server.requests[0]?.headers['if-none-match']).toBe('"abc"');
    expect(server.requests[1]?.headers['if-none-match']).toBeUndefined();
  });

  it('answers a matching conditional request with notModified and an empty body', async () => {
    const server = await serve((req, res) => {
      if (req.headers['if-none-match'] === '"abc"') {
        res.writeHead(304, { ETag: '"abc"' });
        res.end();
        return;
      }
      res.writeHead(200, { ETag: '"abc"' });
      res.end('fresh');
    });
    const { fetcher } = recordingFetcher();
    const result = await fetcher.fetch(`${server.origin}/page`, {
      ifNoneMatch: '"abc"',
      ifModifiedSince: 'Wed, 21 Oct 2015 07:28:00 GMT',
    });
    expect(result).toMatchObject({ status: 304, notModified: true, bytes: 0 });
    expect(result.body.length).toBe(0);
    expect(server.requests[0]?.headers['if-modified-since']).toBe('Wed, 21 Oct 2015 07:28:00 GMT');

    const unconditional = await fetcher.fetch(`${server.origin}/page`, { ifNoneMatch: null });
    expect(unconditional.notModified).toBe(false);
    expect(server.requests[1]?.headers['if-none-match']).toBeUndefined();
  });
});

describe('createFetcher: retries', () => {
  it('waits as long as Retry-After (seconds) asks on 429, then succeeds', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls += 1;
      if (calls <= 2) {
        res.writeHead(429, { 'Retry-After': '7' });
        res.end('slow down');
        return;
      }
      res.end('ok');
    });
    const { fetcher, sleeps, retries } = recordingFetcher();
    const result = await fetcher.fetch(`${server.origin}/busy`);
    expect(Buffer.from(result.body).toString()).toBe('ok');
    expect(result.attempts).toBe(3);
    expect(sleeps).toEqual([7000, 7000]);
    expect(retries.map((r) => [r.attempt, r.reason, r.status, r.retryAfterMs])).toEqual([
      [1, 'status 429', 429, 7000],
      [2, 'status 429', 429, 7000],
    ]);
  });

  it('fails with rate-limited, without waiting, when Retry-After exceeds maxRetryDelayMs', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503, { 'Retry-After': '3600' });
      res.end('maintenance');
    });
    const { fetcher, sleeps } = recordingFetcher({ maxRetryDelayMs: 60_000 });
    const error = await failure(fetcher.fetch(`${server.origin}/x`));
    expect(error.code).toBe('rate-limited');
    expect(error.status).toBe(503);
    expect(error.isRetryable).toBe(true);
    expect(sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up on a 503 storm after maxRetries, backing off exponentially', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('  upstream unavailable  \n');
    });
    const { fetcher, sleeps } = recordingFetcher({
      maxRetries: 3,
      retryBaseDelayMs: 100,
      random: () => 0,
    });
    const error = await failure(fetcher.fetch(`${server.origin}/storm`));
    expect(error.code).toBe('http-error');
    expect(error.status).toBe(503);
    expect(error.isRetryable).toBe(true);
    expect(error.body).toBe('upstream unavailable');
    expect(error.message).toContain('after 4 attempts');
    expect(server.requests).toHaveLength(4);
    // Equal jitter with random() = 0 waits half of 100, 200, 400.
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('keeps jittered delays within [ceiling/2, ceiling] and under maxRetryDelayMs', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(502);
      res.end();
    });
    const { fetcher, sleeps } = recordingFetcher({
      maxRetries: 5,
      retryBaseDelayMs: 1000,
      maxRetryDelayMs: 5000,
      random: () => 0.999,
    });
    await failure(fetcher.fetch(`${server.origin}/`));
    expect(sleeps).toEqual([1000, 1999, 3998, 4998, 4998]);
  });

  it('does not retry a 404 and keeps a trimmed excerpt of the error page', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end(`<h1>Not found</h1>${'x'.repeat(5000)}`);
    });
    const { fetcher, sleeps } = recordingFetcher();
    const error = await failure(fetcher.fetch(`${server.origin}/missing`));
    expect(error).toMatchObject({ code: 'http-error', status: 404, isRetryable: false });
    expect(error.url).toBe(`${server.origin}/missing`);
    expect(error.body?.startsWith('<h1>Not found</h1>')).toBe(true);
    expect(error.body?.length).toBe(500);
    expect(sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a refused connection as a network error', async () => {
    const server = await startServer((_req, res) => res.end());
    const deadOrigin = server.origin;
    await server.close();
    const { fetcher, sleeps } = recordingFetcher({ maxRetries: 2 });
    const error = await failure(fetcher.fetch(`${deadOrigin}/`));
    expect(error.code).toBe('network-error');
    expect(error.isRetryable).toBe(true);
    expect(sleeps).toHaveLength(2);
  });

  it('never puts request headers (tokens) into errors', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(401);
      res.end('denied');
    });
    const { fetcher } = recordingFetcher();
    const error = await failure(
      fetcher.fetch(`${server.origin}/private`, {
        headers: { Authorization: 'Bearer s3cr3t-token' },
      }),
    );
    expect(server.requests[0]?.headers.authorization).toBe('Bearer s3cr3t-token');
    const everything = JSON.stringify({ ...error, message: error.message, stack: error.stack });
    expect(everything).not.toContain('s3cr3t');
  });
});

describe('createFetcher: redirects', () => {
  it('follows a chain of relative and absolute redirects and reports each hop', async () => {
    const server = await serve((req, res) => {
      const go = (status: number, location: string) => {
        res.writeHead(status, { Location: location });
        res.end();
      };
      if (req.url === '/docs') return go(301, '/docs/');
      if (req.url === '/docs/') return go(302, 'latest/');
      if (req.url === '/docs/latest/') return go(308, `${server.origin}/docs/v3.6/#intro`);
      res.end(`final ${req.url}`);
    });
    const { fetcher } = recordingFetcher();
    const result = await fetcher.fetch(`${server.origin}/docs`);
    expect(result.url).toBe(`${server.origin}/docs/v3.6/`);
    expect(result.requestedUrl).toBe(`${server.origin}/docs`);
    expect(result.redirects).toEqual([
      `${server.origin}/docs/`,
      `${server.origin}/docs/latest/`,
      `${server.origin}/docs/v3.6/`,
    ]);
    expect(Buffer.from(result.body).toString()).toBe('final /docs/v3.6/');
  });

  it('detects a redirect loop', async () => {
    const server = await serve((req, res) => {
      res.writeHead(302, { Location: req.url === '/a' ? '/b' : '/a' });
      res.end();
    });
    const { fetcher } = recordingFetcher();
    const error = await failure(fetcher.fetch(`${server.origin}/a`));
    expect(error.code).toBe('redirect-loop');
    expect(server.requests.map((r) => r.path)).toEqual(['/a', '/b']);
  });

  it('stops after maxRedirects', async () => {
    const server = await serve((req, res) => {
      const n = Number(req.url?.slice(1));
      res.writeHead(307, { Location: `/${n + 1}` });
      res.end();
    });
    const { fetcher } = recordingFetcher({ maxRedirects: 3 });
    const error = await failure(fetcher.fetch(`${server.origin}/0`));
    expect(error.code).toBe('too-many-redirects');
    expect(server.requests.map((r) => r.path)).toEqual(['/0', '/1', '/2', '/3']);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(301, { Location: 'ftp://files.example.org/docs' });
      res.end();
    });
    const { fetcher } = recordingFetcher();
    const error = await failure(fetcher.fetch(`${server.origin}/`));
    expect(error.code).toBe('invalid-response');
    expect(error.message).toContain('ftp:');
  });

  it('drops credentials when a redirect leaves the origin, keeps them within it', async () => {
    const other = await serve((_req, res) => res.end('elsewhere'));
    const first = await serve((req, res) => {
      if (req.url === '/start') {
        res.writeHead(302, { Location: '/moved' });
      } else {
        res.writeHead(302, { Location: `${other.origin}/landing` });
      }
      res.end();
    });
    const { fetcher } = recordingFetcher();
    const result = await fetcher.fetch(`${first.origin}/start`, {
      headers: { authorization: 'token abc', 'x-trace': '1' },
    });
    expect(result.url).toBe(`${other.origin}/landing`);
    expect(first.requests.map((r) => r.headers.authorization)).toEqual(['token abc', 'token abc']);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(other.requests[0]?.headers['x-trace']).toBe('1');
  });
});

describe('createFetcher: timeouts, limits and broken bodies', () => {
  it('times out when the headers never come', async () => {
    const server = await serve(() => {
      // Never answers.
    });
    const { fetcher, sleeps } = recordingFetcher({ timeoutMs: 200, maxRetries: 1 });
    const error = await failure(fetcher.fetch(`${server.origin}/slow`));
    expect(error.code).toBe('timeout');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain('response headers');
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('times out a body that trickles in for longer than timeoutMs', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 40);
      res.on('close', () => clearInterval(timer));
    });
    const { fetcher } = recordingFetcher({ timeoutMs: 250, maxRetries: 0 });
    const error = await failure(fetcher.fetch(`${server.origin}/trickle`));
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('whole body');
  });

  it('refuses a body whose Content-Length is over the limit without reading it', async () => {
    let closed = false;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': 5_000_000 });
      res.write(Buffer.alloc(1024));
      res.on('close', () => {
        closed = true;
      });
    });
    const { fetcher } = recordingFetcher({ maxBodyBytes: 1_000_000 });
    const error = await failure(fetcher.fetch(`${server.origin}/big`));
    expect(error.code).toBe('too-large');
    expect(error.message).toContain('5000000');
    await expect.poll(() => closed).toBe(true);
  });

  it('stops an endless body without Content-Length as soon as it crosses the limit', async () => {
    let written = 0;
    let closed = false;
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!closed && res.write(chunk)) written += chunk.length;
      };
      res.on('drain', pump);
      res.on('close', () => {
        closed = true;
      });
      pump();
    });
    const { fetcher } = recordingFetcher({ maxBodyBytes: 256 * 1024 });
    const error = await failure(fetcher.fetch(`${server.origin}/endless`));
    expect(error.code).toBe('too-large');
    await expect.poll(() => closed).toBe(true);
    // Socket buffers hold a few MiB at most; the body itself is endless.
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it.each([
    ['gzip', (data: Buffer) => zlib.gzipSync(data, { level: 9 })],
    ['deflate', (data: Buffer) => zlib.deflateRawSync(data, { level: 9 })],
    [
      'br',
      (data: Buffer) =>
        zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }),
    ],
  ])('stops a %s bomb by its decompressed size', async (encoding, compress) => {
    const bomb = compress(Buffer.alloc(8 * 1024 * 1024));
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Encoding': encoding, 'Content-Length': bomb.length });
      res.end(bomb);
    });
    const { fetcher } = recordingFetcher({ maxBodyBytes: 256 * 1024 });
    expect(bomb.length).toBeLessThan(256 * 1024);
    const error = await failure(fetcher.fetch(`${server.origin}/bomb`));
    expect(error.code).toBe('too-large');
    expect(error.message).toContain('decompressed');
  });

  it('reports a body shorter than its Content-Length as truncated and retries it', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls += 1;
      res.writeHead(200, { 'Content-Length': FAQ.length });
      if (calls === 1) {
        res.write(FAQ.subarray(0, 1000));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      res.end(FAQ);
    });
    const { fetcher, retries } = recordingFetcher({ maxRetries: 1 });
    const result = await fetcher.fetch(`${server.origin}/faq`);
    expect(result.attempts).toBe(2);
    expect(retries[0]?.reason).toBe('truncated-body');
    expect(Buffer.from(result.body).equals(FAQ)).toBe(true);

    calls = 0;
    const { fetcher: noRetry } = recordingFetcher({ maxRetries: 0 });
    const error = await failure(noRetry.fetch(`${server.origin}/faq`));
    expect(error).toMatchObject({ code: 'truncated-body', isRetryable: true });
  });

  it('reports a gzip stream cut in the middle as truncated', async () => {
    const gz = zlib.gzipSync(FAQ);
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': cut.length });
      res.end(cut);
    });
    const { fetcher } = recordingFetcher({ maxRetries: 0 });
    const error = await failure(fetcher.fetch(`${server.origin}/cut`));
    expect(error.code).toBe('truncated-body');
  });

  it('reports a corrupt gzip stream as an invalid response, without retrying', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip' });
      res.end('this is not gzip at all');
    });
    const { fetcher, sleeps } = recordingFetcher();
    const error = await failure(fetcher.fetch(`${server.origin}/`));
    expect(error.code).toBe('invalid-response');
    expect(sleeps).toEqual([]);
  });
});

describe('createFetcher: aborting and options', () => {
  it('stops a pending request when the caller aborts, as aborted rather than timeout', async () => {
    const server = await serve(() => {
      // Never answers.
    });
    const { fetcher } = recordingFetcher({ timeoutMs: 10_000 });
    const controller = new AbortController();
    const pending = failure(fetcher.fetch(`${server.origin}/`, { signal: controller.signal }));
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort();
    const error = await pending;
    expect(error.code).toBe('aborted');
  });

  it('stops during a retry wait when the fetcher-wide signal aborts', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const controller = new AbortController();
    const fetcher = createFetcher({
      userAgent: UA,
      signal: controller.signal,
      sleep: async (_ms, signal) => {
        controller.abort();
        expect(signal?.aborted).toBe(true);
        throw new ScraperError('aborted', 'stopped');
      },
    });
    cleanups.push(() => fetcher.close());
    const error = await failure(fetcher.fetch(`${server.origin}/`));
    expect(error.code).toBe('aborted');
    expect(server.requests).toHaveLength(1);
  });

  it('rejects bad options and non-http URLs with invalid-options', async () => {
    expect(() => createFetcher({ userAgent: ' ' })).toThrow(/userAgent/);
    expect(() => createFetcher({ userAgent: UA, maxRetries: -1 })).toThrow(ScraperError);
    const { fetcher } = recordingFetcher();
    expect((await failure(fetcher.fetch('mailto:someone@example.org'))).code).toBe(
      'invalid-options',
    );
    expect((await failure(fetcher.fetch('/relative/path'))).code).toBe('invalid-options');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
    ['soon', null],
    ['1.5', null],
    [undefined, null],
  ])('%s → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
