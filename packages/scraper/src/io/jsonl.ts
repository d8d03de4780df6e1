import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, stat, truncate } from 'node:fs/promises';
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
 * An append-only JSON Lines file. Each record is serialised first and written with one
 * `write` call, so a record is either wholly in the file or (after a kill mid-write) a torn
 * tail that {@link repairJsonl} removes on the next open.
 */
export class JsonlAppender {
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
  async append(record: unknown): Promise<void> {
    await this.handle.write(`${JSON.stringify(record)}\n`);
  }

  /** Appends several records with one write. */
  async appendMany(records: readonly unknown[]): Promise<void> {
    if (records.length === 0) return;
    let text = '';
    for (const record of records) text += `${JSON.stringify(record)}\n`;
    await this.handle.write(text);
  }

  /** Flushes to disk (survives power loss, not only process death). */
  async sync(): Promise<void> {
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle.sync().catch(() => {});
    await this.handle.close();
  }
}
