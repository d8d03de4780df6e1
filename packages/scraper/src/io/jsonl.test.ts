import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { isScraperError } from '../errors.js';
import { compactJsonl, JsonlAppender, readJsonl, repairJsonl } from './jsonl.js';

const dirs: string[] = [];
const tempFile = async (name = 'records.jsonl') => {
  const dir = await mkdtemp(join(tmpdir(), 'jsonl-test-'));
  dirs.push(dir);
  return join(dir, name);
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const Record = z.object({ n: z.number(), key: z.string().optional(), text: z.string() });
const readAll = async (path: string) => {
  const out: z.infer<typeof Record>[] = [];
  for await (const r of readJsonl(path, Record)) out.push(r);
  return out;
};

/** The prototype of node's FileHandle, whose `write` the tests below make misbehave. */
async function fileHandlePrototype(path: string) {
  const handle = await open(path, 'a');
  const proto = Object.getPrototypeOf(handle) as {
    write: (...args: unknown[]) => Promise<{ bytesWritten: number }>;
  };
  await handle.close();
  return proto;
}

/** Turns a `write(string)` or `write(buffer, offset, length)` call into its bytes. */
function bytesOf(args: unknown[]): { buffer: Buffer; offset: number; length: number } {
  const [data, offset, length] = args;
  const buffer = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
  const from = typeof offset === 'number' ? offset : 0;
  return {
    buffer,
    offset: from,
    length: typeof length === 'number' ? length : buffer.length - from,
  };
}

describe('JsonlAppender', () => {
  it('finishes a record that one write took only part of', async () => {
    const path = await tempFile();
    const proto = await fileHandlePrototype(path);
    const write = proto.write;
    let calls = 0;
    vi.spyOn(proto, 'write').mockImplementation(function (this: unknown, ...args: unknown[]) {
      const { buffer, offset, length } = bytesOf(args);
      // The first write stops halfway, as write(2) does when the disk fills up midway.
      const take = calls++ === 0 ? Math.ceil(length / 2) : length;
      return write.call(this, buffer, offset, take);
    });
    const out = await JsonlAppender.open(path);
    await out.append({ n: 1, text: 'x'.repeat(1000) });
    await out.append({ n: 2, text: 'y' });
    await out.close();
    expect((await readAll(path)).map((r) => r.n)).toEqual([1, 2]);
  });

  it('refuses to append after a failed write, so the file ends with at most one torn line', async () => {
    const path = await tempFile();
    const proto = await fileHandlePrototype(path);
    const write = proto.write;
    let calls = 0;
    vi.spyOn(proto, 'write').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      const { buffer, offset, length } = bytesOf(args);
      if (calls++ !== 1) return write.call(this, buffer, offset, length);
      // The second record: part of it reaches the disk, then the disk is full.
      await write.call(this, buffer, offset, Math.ceil(length / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
      });
    });
    const out = await JsonlAppender.open(path);
    await out.append({ n: 1, text: 'first' });
    const second = out.append({ n: 2, text: 'second, torn' });
    const third = out.append({ n: 3, text: 'third' });
    await expect(second).rejects.toSatisfy((e) => isScraperError(e, 'io-error'));
    await expect(third).rejects.toSatisfy((e) => isScraperError(e, 'io-error'));
    await out.close();
    vi.restoreAllMocks();
    // The next run repairs the tail and reads every record that was acknowledged.
    expect(await repairJsonl(path)).toBeGreaterThan(0);
    expect((await readAll(path)).map((r) => r.n)).toEqual([1]);
  });

  it('writes appends that nobody waited for in call order', async () => {
    const path = await tempFile();
    const out = await JsonlAppender.open(path);
    const writes: Promise<void>[] = [];
    for (let n = 0; n < 300; n++) {
      const text = 'z'.repeat((n * 7919) % 20_000);
      writes.push(n % 3 === 0 ? out.appendMany([{ n, text }]) : out.append({ n, text }));
    }
    await Promise.all(writes);
    await out.close();
    expect((await readAll(path)).map((r) => r.n)).toEqual(Array.from({ length: 300 }, (_, n) => n));
  });
});

describe('compactJsonl', () => {
  it('keeps the last record of each key, in file order', async () => {
    const path = await tempFile();
    const lines = [
      { n: 1, key: 'a', text: 'a, first' },
      { n: 2, key: 'b', text: 'b, only' },
      { n: 3, key: 'a', text: 'a, second' },
      { n: 4, key: 'c', text: 'c, first' },
      { n: 5, key: 'c', text: 'c, second' },
    ];
    await writeFile(path, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    expect(await compactJsonl(path, Record, (r) => r.key ?? '')).toBe(3);
    expect((await readAll(path)).map((r) => r.n)).toEqual([2, 3, 5]);
    // Nothing to drop: the file is left as it is.
    const before = await readFile(path, 'utf8');
    expect(await compactJsonl(path, Record, (r) => r.key ?? '')).toBe(3);
    expect(await readFile(path, 'utf8')).toBe(before);
  });
});
