import { createReadStream } from 'node:fs';
import { CorpusError } from '../errors.js';

/** One non-blank line of a JSON Lines file: its parsed value, or why it did not parse. */
export type JsonlLine =
  | { line: number; ok: true; value: unknown }
  | { line: number; ok: false; error: string };

const NEWLINE = 0x0a;

/**
 * Reads a JSON Lines file line by line, yielding each non-blank line's parsed value with its
 * line number (from 1). A line that is not JSON is yielded as an error rather than thrown:
 * input files come from other tools and other runs, and one bad line must not stop an ingest.
 * Memory stays at one read buffer plus the longest line. Accepts `\r\n` line ends and a last
 * line without a newline.
 */
export async function* readJsonlLines(
  path: string,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<JsonlLine> {
  // Lines are cut on bytes and decoded one by one: a newline byte never occurs inside a UTF-8
  // sequence, and decoding per line is several times faster than a stream-wide StringDecoder.
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  let pending: Buffer[] = [];
  let lineNo = 0;
  const parse = (bytes: Buffer): JsonlLine | undefined => {
    lineNo++;
    const text = bytes.toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return { line: lineNo, ok: true, value: JSON.parse(text) };
    } catch (error) {
      return { line: lineNo, ok: false, error: `not JSON (${(error as Error).message})` };
    }
  };
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new CorpusError('aborted', `Reading ${path} was aborted.`);
      let from = 0;
      let nl = piece.indexOf(NEWLINE);
      while (nl !== -1) {
        let bytes = piece.subarray(from, nl);
        if (pending.length > 0) {
          bytes = Buffer.concat([...pending, bytes]);
          pending = [];
        }
        const parsed = parse(bytes);
        if (parsed) yield parsed;
        from = nl + 1;
        nl = piece.indexOf(NEWLINE, from);
      }
      if (from < piece.length) pending.push(piece.subarray(from));
    }
  } catch (error) {
    if (error instanceof CorpusError) throw error;
    throw new CorpusError(
      'io-error',
      `Could not read ${path}: ${(error as Error).message}. Check that the file exists and is readable.`,
      { cause: error },
    );
  } finally {
    stream.destroy();
  }
  if (pending.length > 0) {
    const parsed = parse(Buffer.concat(pending));
    if (parsed) yield parsed;
  }
}
