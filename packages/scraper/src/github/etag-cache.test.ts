import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isScraperError } from '../errors.js';
import {
  createJsonFileEtagCache,
  createMemoryEtagCache,
  type EtagCacheEntry,
} from './etag-cache.js';

const entry = (etag: string): EtagCacheEntry => ({
  etag,
  status: 200,
  body: Buffer.from(`body of ${etag}`).toString('base64'),
  contentType: 'application/json; charset=utf-8',
  lastModified: null,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etag-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ETag caches', () => {
  it('memory cache drops the least recently written entry beyond maxEntries', async () => {
    const cache = createMemoryEtagCache({ maxEntries: 2 });
    await cache.set('a', entry('"a"'));
    await cache.set('b', entry('"b"'));
    await cache.set('a', entry('"a2"'));
    await cache.set('c', entry('"c"'));
    expect(await cache.get('b')).toBeUndefined();
    expect((await cache.get('a'))?.etag).toBe('"a2"');
    expect((await cache.get('c'))?.etag).toBe('"c"');
  });

  it('file cache survives a restart only after flush', async () => {
    const path = join(dir, 'nested', 'etags.json');
    const first = createJsonFileEtagCache({ path });
    expect(await first.get('x')).toBeUndefined();
    await first.set('x', entry('W/"x"'));
    expect(await createJsonFileEtagCache({ path }).get('x')).toBeUndefined();
    await first.flush?.();
    const second = createJsonFileEtagCache({ path });
    expect(await second.get('x')).toEqual(entry('W/"x"'));
    expect(JSON.parse(await readFile(path, 'utf8')).version).toBe(1);
  });

  it('file cache reports a corrupt file as io-error naming it', async () => {
    const path = join(dir, 'etags.json');
    await writeFile(path, '{"version":1,"entries":{"k":{"etag":5}}}');
    const error = await createJsonFileEtagCache({ path })
      .get('k')
      .catch((e) => e);
    expect(isScraperError(error, 'io-error')).toBe(true);
    expect((error as Error).message).toContain(path);
  });
});
