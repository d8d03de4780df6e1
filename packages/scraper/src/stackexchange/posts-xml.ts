import { createReadStream } from 'node:fs';
import { SaxesParser } from 'saxes';
import { z } from 'zod';
import { isScraperError, ScraperError } from '../errors.js';
import { throwIfAborted } from '../http/sleep.js';
import {
  type AnswerSelection,
  AnswerSelectionSchema,
  type PostOwner,
  type StackOverflowAnswer,
  type StackOverflowThread,
  selectAnswers,
  siteHost,
} from './thread.js';

/** Options of {@link readPostsXml}. */
export interface ReadPostsXmlOptions {
  /** Path of `Posts.xml`, or its bytes as a stream (e.g. from a 7z extractor). */
  input: string | AsyncIterable<Uint8Array>;
  /** Keep questions with at least one of these tags (any case); all questions when absent. */
  tags?: string[];
  /** Keep questions scoring at least this. */
  minScore?: number;
  /** @default 'accepted-or-top' */
  answers?: AnswerSelection;
  /** With `accepted-or-top`, other answers scoring at least this are kept too. */
  minAnswerScore?: number;
  /** API site name of the dump, for links. @default 'stackoverflow' */
  site?: string;
  signal?: AbortSignal;
}

const OptionsSchema = z.object({
  tags: z.array(z.string().min(1)).optional(),
  minScore: z.number().int().optional(),
  answers: AnswerSelectionSchema.optional(),
  minAnswerScore: z.number().int().optional(),
  site: z.string().min(1).optional(),
});

interface Pending {
  thread: StackOverflowThread;
  /** The question's `AnswerCount`: once that many answers are in, the thread is complete. */
  expected: number;
  collected: StackOverflowAnswer[];
}

/**
 * Streams threads out of a StackExchange data dump's `Posts.xml` without loading it: rows are
 * parsed one by one with saxes, questions (`PostTypeId="1"`) with a wanted tag are kept, and
 * answers (`PostTypeId="2"`) are attached to them by `ParentId`. A thread is yielded as soon as
 * its `AnswerCount` answers have been seen, or at the end of the file (answers may come much
 * later than their question, and deleted ones never come). Memory holds only the selected
 * threads still waiting for answers. Both tag formats are read: `<a><b>` (older dumps) and
 * `|a|b|` (2024 on). Rows are expected in `Id` order, as in the dumps: an answer that comes
 * before its question is not attached.
 */
export async function* readPostsXml(
  options: ReadPostsXmlOptions,
): AsyncGenerator<StackOverflowThread, void, undefined> {
  const checked = OptionsSchema.safeParse(options);
  if (!checked.success) {
    throw new ScraperError(
      'invalid-options',
      `Invalid readPostsXml options: ${z.prettifyError(checked.error)}`,
    );
  }
  const host = siteHost(options.site ?? 'stackoverflow');
  const wanted =
    options.tags === undefined ? null : new Set(options.tags.map((t) => t.toLowerCase()));
  const selection = {
    mode: options.answers ?? 'accepted-or-top',
    ...(options.minAnswerScore === undefined ? {} : { minAnswerScore: options.minAnswerScore }),
  } as const;
  const source = typeof options.input === 'string' ? options.input : 'the Posts.xml stream';

  const pending = new Map<number, Pending>();
  const ready: StackOverflowThread[] = [];
  const finish = (entry: Pending): StackOverflowThread => ({
    ...entry.thread,
    answers: selectAnswers(entry.collected, selection),
  });

  const parser = new SaxesParser();
  let rowError: unknown;
  parser.on('opentag', (node) => {
    if (node.name !== 'row' || rowError !== undefined) return;
    try {
      handleRow(node.attributes as Record<string, string>);
    } catch (error) {
      rowError = error;
    }
  });

  function handleRow(row: Record<string, string>): void {
    const type = row.PostTypeId;
    if (type === '1') {
      const tags = parseTags(row.Tags ?? '');
      if (wanted !== null && !tags.some((t) => wanted.has(t.toLowerCase()))) return;
      const score = int(row.Score, 'Score', row);
      if (options.minScore !== undefined && score < options.minScore) return;
      const id = int(row.Id, 'Id', row);
      const accepted =
        row.AcceptedAnswerId === undefined
          ? null
          : int(row.AcceptedAnswerId, 'AcceptedAnswerId', row);
      const answerCount =
        row.AnswerCount === undefined ? 0 : int(row.AnswerCount, 'AnswerCount', row);
      const entry: Pending = {
        expected: answerCount,
        collected: [],
        thread: {
          questionId: id,
          title: row.Title ?? '',
          body: row.Body ?? '',
          tags,
          score,
          link: `https://${host}/q/${id}`,
          creationDate: isoDate(row.CreationDate),
          owner: owner(row, host),
          acceptedAnswerId: accepted,
          answerCount,
          viewCount: row.ViewCount === undefined ? null : int(row.ViewCount, 'ViewCount', row),
          contentLicense: row.ContentLicense ?? null,
          answers: [],
        },
      };
      if (answerCount === 0) ready.push(finish(entry));
      else pending.set(id, entry);
    } else if (type === '2') {
      const parentId = row.ParentId === undefined ? Number.NaN : Number(row.ParentId);
      const entry = pending.get(parentId);
      if (entry === undefined) return;
      const id = int(row.Id, 'Id', row);
      entry.collected.push({
        answerId: id,
        body: row.Body ?? '',
        score: int(row.Score, 'Score', row),
        isAccepted: entry.thread.acceptedAnswerId === id,
        owner: owner(row, host),
        creationDate: isoDate(row.CreationDate),
        link: `https://${host}/a/${id}`,
        contentLicense: row.ContentLicense ?? null,
      });
      if (entry.collected.length >= entry.expected) {
        pending.delete(parentId);
        ready.push(finish(entry));
      }
    }
  }

  const feed = (text: string) => {
    try {
      parser.write(text);
    } catch (error) {
      throw new ScraperError(
        'invalid-record',
        `${source} is not well-formed XML: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (rowError !== undefined) {
      throw isScraperError(rowError)
        ? rowError
        : new ScraperError('invalid-record', `${source} has a row we cannot read.`, {
            cause: rowError,
          });
    }
  };

  const decoder = new TextDecoder('utf-8');
  const chunks: AsyncIterable<Uint8Array> =
    typeof options.input === 'string' ? openFile(options.input) : options.input;
  for await (const chunk of chunks) {
    throwIfAborted(options.signal);
    feed(decoder.decode(chunk, { stream: true }));
    while (ready.length > 0) yield ready.shift() as StackOverflowThread;
  }
  feed(decoder.decode());
  try {
    parser.close();
  } catch (error) {
    throw new ScraperError(
      'invalid-record',
      `${source} ends before its XML is complete (a truncated download?): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  while (ready.length > 0) yield ready.shift() as StackOverflowThread;
  // Questions whose answers were not all in the dump (deleted answers still count).
  for (const entry of pending.values()) yield finish(entry);
}

async function* openFile(path: string): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    throw new ScraperError(
      'io-error',
      `Could not read ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Reads `<kubernetes><kubectl>` (older dumps) and `|kubernetes|kubectl|` (2024 on). */
export function parseTags(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('<')) {
    return [...trimmed.matchAll(/<([^<>]+)>/g)].map((m) => m[1] as string);
  }
  return trimmed.split('|').filter((t) => t !== '');
}

function owner(row: Record<string, string>, host: string): PostOwner | null {
  const id = row.OwnerUserId;
  const name = row.OwnerDisplayName;
  if (id === undefined && name === undefined) return null;
  // The dump names users in Users.xml; Posts.xml keeps a name only for deleted accounts.
  return {
    displayName: name ?? `user${id}`,
    link: id === undefined ? null : `https://${host}/users/${id}`,
  };
}

function int(value: string | undefined, field: string, row: Record<string, string>): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n)) {
    throw new ScraperError(
      'invalid-record',
      `Post ${row.Id ?? '?'} has no valid ${field} (${value ?? 'missing'}).`,
    );
  }
  return n;
}

// Dump dates are UTC without a zone: `2008-07-31T21:42:52.667`.
function isoDate(value: string | undefined): string {
  if (value === undefined) return new Date(0).toISOString();
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  const time = Date.parse(withZone);
  return Number.isNaN(time) ? new Date(0).toISOString() : new Date(time).toISOString();
}
