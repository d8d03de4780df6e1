import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import type { z } from 'zod';
import { ScraperError } from '../errors.js';

/**
 * Cuts a JSON Lines file back to its last complete line. A process killed in the middle of an
 * append (SIGKILL, power loss) can leave a partial last record; it was never acknowledged, so
 * it is dropped and will be produced again. Returns the number of bytes removed.
 */
export async function repairJsonl(path: string): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  if (size === 0) return 0;
  const handle = await open(path, 'r');
  try {
    // Scan backwards in blocks for the last newline.
    const block = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - block.length);
      const { bytesRead } = await handle.read(block, 0, end - start, start);
      const nl = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl !== -1) {
        const keep = start + nl + 1;
        if (keep === size) return 0;
        await truncate(path, keep);
        return size - keep;
      }
      end = start;
    }
    await truncate(path, 0);
    return size;
  } finally {
    await handle.close();
  }
}

/**
 * Reads a JSON Lines file record by record, validating each against `schema`. A line that
 * does not parse is an error naming the file and line: these files are written only by us,
 * so a bad line means corruption, and guessing past it could lose or duplicate data.
 */
export async function* readJsonl<S extends z.ZodType>(
  path: string,
  schema: S,
): AsyncGenerator<z.infer<S>> {
  let stream: ReturnType<typeof createReadStream>;
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  let rest = '';
  let lineNo = 0;
  const parse = (line: string): z.infer<S> => {
    lineNo++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ScraperError(
        'invalid-record',
        `Line ${lineNo} of ${path} is not JSON. The file was changed by something else than the scraper; restore it or remove the directory to start over.`,
        { cause: error },
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new ScraperError(
        'invalid-record',
        `Line ${lineNo} of ${path} does not match its schema: ${parsed.error.issues[0]?.message ?? 'invalid'} at ${parsed.error.issues[0]?.path.join('.') ?? ''}. Restore the file or remove the directory to start over.`,
      );
    }
    return parsed.data;
  };
  for await (const chunk of stream) {
    rest += chunk as string;
    let nl = rest.indexOf('\n');
    let from = 0;
    while (nl !== -1) {
      const line = rest.slice(from, nl);
      if (line.length > 0) yield parse(line);
      from = nl + 1;
      nl = rest.indexOf('\n', from);
    }
    rest = rest.slice(from);
  }
  // A last line without a newline is a torn write; repairJsonl removes it before appending.
}

/**
 * An append-only JSON Lines file. Each record is serialised first and written in one go, so a
 * record is either wholly in the file or (after a kill mid-write) a torn tail that
 * {@link repairJsonl} removes on the next open.
 *
 * Appends are written one after the other, in call order, even when callers do not wait for
 * each other (crawl workers): two writes in flight on one handle may land out of order, and a
 * short write (a full disk) must not be followed by another record. After a failed write the
 * appender refuses every later append, so the file ends with at most one torn line.
 */
export class JsonlAppender {
  /** The last write queued; the next one starts when it settles. */
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  /** Repairs a torn tail, then opens `path` for appending (creating it). */
  static async open(path: string): Promise<JsonlAppender> {
    await repairJsonl(path);
    try {
      return new JsonlAppender(await open(path, 'a'), path);
    } catch (error) {
      throw new ScraperError(
        'io-error',
        `Could not open ${path} for writing: ${(error as Error).message}. Check that the directory exists and is writable.`,
        { cause: error },
      );
    }
  }

  /** Appends one record as one line. */
  append(record: unknown): Promise<void> {
    return this.write(`${JSON.stringify(record)}\n`);
  }

  /** Appends several records with one write. */
  appendMany(records: readonly unknown[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let text = '';
    for (const record of records) text += `${JSON.stringify(record)}\n`;
    return this.write(text);
  }

  /** Flushes to disk (survives power loss, not only process death). */
  async sync(): Promise<void> {
    await this.tail;
    await this.handle.sync();
  }

  /** Waits for the appends in flight, flushes and closes the file. */
  async close(): Promise<void> {
    await this.tail;
    await this.handle.sync().catch(() => {});
    await this.handle.close();
  }

  private write(text: string): Promise<void> {
    const done = this.tail.then(async () => {
      if (this.failure !== null) {
        throw new ScraperError(
          'io-error',
          `Not appending to ${this.path}: an earlier write failed (${(this.failure as Error)?.message ?? this.failure}). Fix the cause (disk space, permissions) and run again; the torn last line is removed then.`,
          { cause: this.failure },
        );
      }
      const bytes = Buffer.from(text);
      try {
        // A write may take fewer bytes than asked (a full disk fills up midway): go on from
        // there, so a record is never silently cut short.
        let offset = 0;
        while (offset < bytes.length) {
          const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
          if (bytesWritten <= 0) throw new Error('the write made no progress');
          offset += bytesWritten;
        }
      } catch (error) {
        this.failure = error;
        throw new ScraperError(
          'io-error',
          `Could not append to ${this.path}: ${(error as Error)?.message ?? error}. Fix the cause (disk space, permissions) and run again; the torn last line is removed then.`,
          { cause: error },
        );
      }
    });
    // The chain goes on whatever this write did; the caller gets its own outcome.
    this.tail = done.catch(() => {});
    return done;
  }
}

/**
 * Rewrites a JSON Lines file keeping, of the records that share a key, only the last one (in
 * file order; the others keep their order). The new file is written beside the old one and
 * renamed over it, so a kill at any point leaves one of the two whole. Returns the number of
 * records kept. Memory: one key per record.
 */
export async function compactJsonl<S extends z.ZodType>(
  path: string,
  schema: S,
  keyOf: (record: z.infer<S>) => string,
): Promise<number> {
  const latest = new Map<string, number>();
  let index = 0;
  for await (const record of readJsonl(path, schema)) latest.set(keyOf(record), index++);
  if (latest.size === index) return index;
  const keep = new Set(latest.values());
  latest.clear();
  const temp = `${path}.compact.tmp`;
  await rm(temp, { force: true });
  const out = await JsonlAppender.open(temp);
  index = 0;
  try {
    let batch: z.infer<S>[] = [];
    for await (const record of readJsonl(path, schema)) {
      if (keep.has(index++)) batch.push(record);
      if (batch.length >= 256) {
        await out.appendMany(batch);
        batch = [];
      }
    }
    await out.appendMany(batch);
  } finally {
    await out.close();
  }
  await rename(temp, path);
  return keep.size;
}
