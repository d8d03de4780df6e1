import { accessSync, constants, createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { BenchError } from '../errors.js';
import { rstrip } from '../python-text.js';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Yields the lines of a UTF-8 text stream, in batches, as sacreBLEU reads them: split on `\n` only, each
 * line right-stripped (so CRLF endings and trailing spaces vanish), empty lines kept as empty
 * segments, no extra segment after a final newline. Invalid UTF-8 is an error naming the source,
 * the line and the byte, as sacreBLEU refuses such files too.
 */
export async function* readLines(source: Readable, name: string): AsyncGenerator<string[]> {
  let pending: Buffer[] = [];
  let lineNo = 0;
  const decodeLine = (bytes: Buffer): string => {
    lineNo++;
    try {
      return rstrip(decoder.decode(bytes));
    } catch (cause) {
      const bad = firstInvalidByte(bytes);
      throw new BenchError(
        'invalid-input',
        `${name}, line ${lineNo}: not valid UTF-8 (byte 0x${bytes[bad]?.toString(16).padStart(2, '0')} at byte offset ${bad}); convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8.`,
        { cause },
      );
    }
  };
  // Lines come in batches, one per chunk read, so that a reader in lockstep with others awaits
  // once per chunk rather than once per line.
  for await (const chunk of source) {
    const buf = chunk as Buffer;
    const batch: string[] = [];
    let start = 0;
    let nl = buf.indexOf(10, start);
    while (nl !== -1) {
      const piece = buf.subarray(start, nl);
      batch.push(decodeLine(pending.length ? Buffer.concat([...pending, piece]) : piece));
      pending = [];
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    if (start < buf.length) pending.push(buf.subarray(start));
    if (batch.length) yield batch;
  }
  if (pending.length) yield [decodeLine(Buffer.concat(pending))];
}

/** Reads lines one at a time from batches, awaiting only when a batch is used up. */
export class LineCursor {
  private batch: string[] = [];
  private pos = 0;
  private finished = false;

  constructor(private readonly batches: AsyncIterator<string[]>) {}

  /** The next line, or `undefined` at the end of the input. */
  async next(): Promise<string | undefined> {
    while (this.pos >= this.batch.length) {
      if (this.finished) return undefined;
      const r = await this.batches.next();
      if (r.done) this.finished = true;
      else {
        this.batch = r.value;
        this.pos = 0;
      }
    }
    return this.batch[this.pos++];
  }

  /** The next line when one is buffered (no await needed); `null` when a read is needed. */
  nextBuffered(): string | null {
    return this.pos < this.batch.length ? this.batch[this.pos++]! : null;
  }
}

/** Opens a file for {@link readLines}, with an error that names it when it cannot be read. */
export function readFileLines(path: string, role: string): AsyncGenerator<string[]> {
  try {
    accessSync(path, constants.R_OK);
  } catch (cause) {
    throw new BenchError(
      'io-error',
      `cannot read ${role} file '${path}' (${(cause as NodeJS.ErrnoException).code ?? 'error'}): check the path.`,
      { cause },
    );
  }
  return readLines(createReadStream(path, { highWaterMark: 1 << 16 }), path);
}

function firstInvalidByte(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  return bytes.length - 1;
}
