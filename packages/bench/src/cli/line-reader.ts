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
  // once per chunk rather than once per line. The complete lines of a chunk are decoded in one
  // call; only when that fails are they decoded one by one, to name the offending line.
  for await (const chunk of source) {
    const buf = chunk as Buffer;
    const last = buf.lastIndexOf(10);
    if (last === -1) {
      pending.push(buf);
      continue;
    }
    const complete = pending.length
      ? Buffer.concat([...pending, buf.subarray(0, last)])
      : buf.subarray(0, last);
    pending = last + 1 < buf.length ? [buf.subarray(last + 1)] : [];
    let batch: string[];
    try {
      batch = decoder.decode(complete).split('\n');
      for (let i = 0; i < batch.length; i++) batch[i] = rstrip(batch[i]!);
      lineNo += batch.length;
    } catch {
      batch = [];
      let start = 0;
      for (let nl = complete.indexOf(10); ; nl = complete.indexOf(10, start)) {
        batch.push(decodeLine(complete.subarray(start, nl === -1 ? complete.length : nl)));
        if (nl === -1) break;
        start = nl + 1;
      }
    }
    yield batch;
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
