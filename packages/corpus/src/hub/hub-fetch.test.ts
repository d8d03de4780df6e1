import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubFetch, retryAfterMs } from './hub-fetch.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A server answering with the statuses given, in turn, then 200. */
async function serve(statuses: number[]) {
  const seen: { method: string; body: string }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      seen.push({ method: request.method ?? '', body });
      const status = statuses.shift() ?? 200;
      response.writeHead(status, status === 200 ? {} : { 'retry-after': '0' });
      response.end(`answer ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, seen };
}

describe('createHubFetch', () => {
  it('retries 503 and 429 honouring Retry-After, resending the same body', async () => {
    const { url, seen } = await serve([503, 429]);
    const response = await createHubFetch()(url, { method: 'POST', body: 'payload' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('answer 200');
    expect(seen).toEqual([
      { method: 'POST', body: 'payload' },
      { method: 'POST', body: 'payload' },
      { method: 'POST', body: 'payload' },
    ]);
  });

  it('gives the last answer back once the tries are spent, and never retries a 4xx', async () => {
    const { url, seen } = await serve([503, 503, 404]);
    const spent = await createHubFetch({ maxRetries: 1 })(url);
    expect(spent.status).toBe(503);
    expect(seen).toHaveLength(2);
    const notFound = await createHubFetch()(url);
    expect(notFound.status).toBe(404);
    expect(seen).toHaveLength(3);
  });

  it('stops at once when its signal is aborted', async () => {
    const { url, seen } = await serve([]);
    const controller = new AbortController();
    controller.abort();
    await expect(createHubFetch({ signal: controller.signal })(url)).rejects.toThrow();
    expect(seen).toHaveLength(0);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, caps long waits and ignores garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('86400', now)).toBe(60_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
