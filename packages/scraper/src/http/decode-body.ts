import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { ScraperError } from '../errors.js';

/** What {@link readBody} needs to know about the response it reads. */
export interface ReadBodyOptions {
  /** The response URL, for error messages. */
  url: string;
  /** Most bytes accepted, both on the wire and after decoding. */
  limit: number;
  /** `Content-Length`, when the server sent one: fewer bytes than this means a cut-off body. */
  contentLength: number | null;
  /** The `Content-Encoding` header, if any (`gzip`, `br`, `gzip, br`, …). */
  contentEncoding: string | undefined;
  /**
   * `throw` (a body over `limit` is an error) or `truncate` (keep the first `limit` bytes and
   * stop reading: for the excerpt of an error page, where a partial body is still useful).
   */
  overLimit: 'throw' | 'truncate';
}

/** A fully read, decoded body. */
export interface ReadBody {
  data: Uint8Array;
  /** Bytes received on the wire, before decoding. */
  wireBytes: number;
}

/** Marks the limit being reached in `truncate` mode; never escapes this module. */
class LimitReached extends Error {}

/**
 * Streams `body` through the decoders that `Content-Encoding` names into one buffer, counting
 * bytes on both sides so that an oversized response (or a small gzip bomb) is cut off as soon
 * as it crosses `limit`, never buffered whole. A body that ends before `Content-Length`, or a
 * compressed stream that ends in the middle, is a `truncated-body` error (worth a retry).
 */
export async function readBody(body: Readable, options: ReadBodyOptions): Promise<ReadBody> {
  const { url, limit } = options;
  const decoders = decodersFor(options.contentEncoding, url);
  const chunks: Buffer[] = [];
  let wireBytes = 0;
  let size = 0;

  const countWire = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      wireBytes += chunk.length;
      if (wireBytes > limit) {
        if (options.overLimit === 'truncate') throw new LimitReached();
        throw tooLarge(url, limit, decoders.length > 0 ? 'compressed body' : 'body');
      }
      yield chunk;
    }
  };
  const collect = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      if (size + chunk.length > limit) {
        if (options.overLimit === 'truncate') {
          chunks.push(chunk.subarray(0, limit - size));
          size = limit;
          throw new LimitReached();
        }
        throw tooLarge(url, limit, decoders.length > 0 ? 'decompressed body' : 'body');
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  };

  try {
    // stream.pipeline's typings cannot express a variable number of transforms.
    const run = pipeline as unknown as (...stages: unknown[]) => Promise<void>;
    await run(body, countWire, ...decoders, collect);
  } catch (error) {
    if (!(error instanceof LimitReached)) {
      if (options.overLimit === 'truncate') return { data: Buffer.concat(chunks, size), wireBytes };
      throw decodeFailure(error, url);
    }
  }
  if (
    options.overLimit === 'throw' &&
    options.contentLength !== null &&
    wireBytes < options.contentLength
  ) {
    throw new ScraperError(
      'truncated-body',
      `The body of ${url} ended after ${wireBytes} of the ${options.contentLength} bytes its Content-Length announced; the connection was cut, try again.`,
      { url, isRetryable: true },
    );
  }
  return { data: Buffer.concat(chunks, size), wireBytes };
}

function tooLarge(url: string, limit: number, what: string): ScraperError {
  return new ScraperError(
    'too-large',
    `The ${what} of ${url} is larger than the limit of ${limit} bytes; the download was stopped. Raise maxBodyBytes if the page is wanted.`,
    { url },
  );
}

/** Names zlib's failures; anything else (a socket error) is for the caller to classify. */
function decodeFailure(error: unknown, url: string): unknown {
  if (error instanceof ScraperError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'Z_BUF_ERROR') {
    return new ScraperError(
      'truncated-body',
      `The compressed body of ${url} ended in the middle of its stream; the response was cut short, try again.`,
      { url, cause: error, isRetryable: true },
    );
  }
  if (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_BROTLI'))) {
    return new ScraperError(
      'invalid-response',
      `The body of ${url} could not be decompressed (${code}); the server sent a corrupt Content-Encoding stream.`,
      { url, cause: error },
    );
  }
  return error;
}

type Decoder = NodeJS.ReadWriteStream | ((source: AsyncIterable<Buffer>) => AsyncIterable<Buffer>);

/** The decoders for a `Content-Encoding` value, in the order they must be applied. */
function decodersFor(contentEncoding: string | undefined, url: string): Decoder[] {
  if (contentEncoding === undefined) return [];
  const codings = contentEncoding
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  // Codings are listed in the order they were applied, so they are undone from the last.
  return codings.reverse().map((coding): Decoder => {
    switch (coding) {
      case 'gzip':
      case 'x-gzip':
        // Not lenient about a cut-off stream (browsers are): a truncated page should be refetched.
        return zlib.createGunzip();
      case 'deflate':
        return inflateEitherFlavour;
      case 'br':
        return zlib.createBrotliDecompress();
      default:
        throw new ScraperError(
          'invalid-response',
          `${url} was sent with Content-Encoding "${coding}", which cannot be decoded (gzip, deflate and br can); the request asked only for those.`,
          { url },
        );
    }
  });
}

/**
 * HTTP `deflate` is meant to be zlib-wrapped, but some servers send raw deflate; the first byte
 * tells them apart (a zlib header's low nibble is 8, the deflate method).
 */
async function* inflateEitherFlavour(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value;
  const inflater =
    head.length > 0 && ((head[0] ?? 0) & 0x0f) === 8
      ? zlib.createInflate()
      : zlib.createInflateRaw();
  async function* replay() {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  const fed = pipeline(Readable.from(replay()), inflater);
  // Its failure also destroys `inflater`, which ends the loop below with the same error.
  fed.catch(() => {});
  try {
    for await (const chunk of inflater) yield chunk as Buffer;
    await fed;
  } finally {
    inflater.destroy();
  }
}
