import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DocumentSchema, type JsonValue, type ScrapedDocument } from '@cncf-llm/scraper';
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBListValue,
  type DuckDBValue,
  listValue,
} from '@duckdb/node-api';
import { z } from 'zod';
import { type Chunk, ChunkSchema } from '../chunk-record.js';
import { CorpusError } from '../errors.js';
import { readJsonlLines } from './jsonl-lines.js';
import { RowBuffer } from './row-buffer.js';
import {
  CHUNK_FIELDS,
  type ChunkField,
  DOCUMENT_FIELDS,
  type DocumentField,
  fieldReader,
} from './row-fields.js';
import { CREATE_TABLES, CREATE_TEMP_TABLES, SCHEMA_VERSION } from './schema.js';
import {
  type ChunkFilter,
  ChunkFilterSchema,
  type CorpusStats,
  type DocumentFilter,
  DocumentFilterSchema,
  type GroupCounts,
  type RunRecord,
  type StatisticRecord,
  type StatusUpdate,
  StatusUpdateSchema,
  type StoredChunk,
  type StoredDocument,
} from './store-records.js';

/** Options of {@link openCorpusStore}. */
export const OpenCorpusStoreOptionsSchema = z.object({
  /** The `.duckdb` file (created with its directory when missing), or `':memory:'`. */
  path: z.string().min(1),
  /**
   * Open without write access (`cncf-llm corpus stats`, exports). Several read-only processes
   * may share a file; a writer excludes everyone else.
   * @default false
   */
  readOnly: z.boolean().optional(),
  /** DuckDB worker threads. @default the number of cores */
  threads: z.number().int().positive().optional(),
  /**
   * DuckDB's memory limit (`'2GB'`, `'512MiB'`); beyond it sorts and joins spill to disk next
   * to the store. @default 80% of RAM (DuckDB's default)
   */
  memoryLimit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as 2GB')
    .optional(),
});
/** Options of {@link openCorpusStore}. */
export type OpenCorpusStoreOptions = z.infer<typeof OpenCorpusStoreOptionsSchema>;

/**
 * Turns each validated scraped document into the one to store, or `null`/`undefined` to skip
 * it. This is where normalisation plugs in (NFC, whitespace); the returned `id` is stored as is,
 * so keep the scraper's id (the hash of the content as fetched) unless you mean to change it.
 */
export type DocumentTransform = (
  document: ScrapedDocument,
) => ScrapedDocument | null | undefined | Promise<ScrapedDocument | null | undefined>;

/** Options of {@link CorpusStore.ingestDocuments}. */
export interface IngestOptions {
  /** Where the records came from; stored on each document for provenance. */
  sourceFile: string;
  transform?: DocumentTransform;
  /** A run (from {@link CorpusStore.startRun}) to record this ingest's counts under, step `ingest`. */
  runId?: string;
  signal?: AbortSignal;
  /** Called after each committed batch and once at the end. */
  onProgress?: (progress: IngestProgress) => void;
  /** Called for every invalid record, also those beyond `maxProblems`. */
  onInvalid?: (problem: IngestProblem) => void;
  /** How many problems the result lists (all are counted). @default 100 */
  maxProblems?: number;
}

/** A record that was not ingested, and why. */
export interface IngestProblem {
  /** Line in the file (from 1), or position in the iterable for {@link CorpusStore.ingestDocuments}. */
  line: number;
  message: string;
}

/**
 * What an ingest did. Every valid record lands in exactly one of `inserted`, `updated`,
 * `unchanged`, `duplicates`, `stale` and `skipped`; `read` = those + `invalid`.
 */
export interface IngestResult {
  sourceFile: string;
  /** Records read (lines that are not blank). */
  read: number;
  /** New content at a new URL: a document row written. */
  inserted: number;
  /** A URL already stored with other content, now holding this newer version. */
  updated: number;
  /** The URL already held exactly this content: nothing written. */
  unchanged: number;
  /** A new URL whose content is already stored under another URL: stored once, URL recorded. */
  duplicates: number;
  /** Older than the version already stored for the URL (by `fetchedAt`): ignored. */
  stale: number;
  /** Dropped by `transform`. */
  skipped: number;
  /** Not JSON, or not a valid scraped document. */
  invalid: number;
  /** Old versions deleted because no URL holds them any more (with their chunks). */
  superseded: number;
  /** UTF-8 bytes of the markdown written. */
  markdownBytes: number;
  /** The first `maxProblems` invalid records. */
  problems: IngestProblem[];
}

/** Progress of an ingest: the counts so far. */
export type IngestProgress = Omit<IngestResult, 'problems'> & { type: 'documents-ingested' };

/** Options of {@link CorpusStore.insertChunks}. */
export interface InsertChunksOptions {
  /**
   * Check each chunk against `ChunkSchema` before writing (a failure throws: chunks come from
   * this package's own chunker, so a bad one is a bug). @default true
   */
  validate?: boolean;
  signal?: AbortSignal;
}

/** Options of {@link CorpusStore.startRun}. */
export interface StartRunOptions {
  /** @default a sortable id from the start time and 6 random hex digits */
  id?: string;
  /** The build options to keep with the run (shown in the dataset card). */
  options?: JsonValue;
  inputFiles?: string[];
}

/**
 * The corpus store: one DuckDB file holding the documents, their chunks, and the runs and
 * statistics of the builds. Open it with {@link openCorpusStore}; close it when done (DuckDB
 * allows one writing process per file).
 *
 * Writes are serialised inside the store, so callers may overlap calls. Listings
 * ({@link documents}, {@link chunks}) stream on their own connection and see the store as it
 * was when the listing started, so it is safe to write statuses or chunks while iterating.
 */
export interface CorpusStore {
  /** The file path, or `':memory:'`. */
  readonly path: string;
  readonly readOnly: boolean;

  /**
   * Stores scraped documents, streaming, idempotently. Each record is validated here against
   * the scraper's `DocumentSchema` (invalid ones are counted and reported with their position,
   * and the ingest goes on). Rules:
   * - A document's id is the hash of its content, so the same content is stored once, however
   *   often and under however many URLs it is ingested (the first URL seen is the one on the
   *   row; every URL is kept in `document_urls`).
   * - A canonical URL holds one version: a record with other content for a stored URL replaces
   *   it when it was fetched later (ties: the larger id), else it is ignored as stale. A
   *   replaced version that no URL holds any more is deleted, with its chunks.
   * - Ingesting the same input again changes nothing.
   */
  ingestDocuments(
    documents: AsyncIterable<unknown> | Iterable<unknown>,
    options: IngestOptions,
  ): Promise<IngestResult>;
  /** {@link ingestDocuments} from a `documents.jsonl` file; problems carry file line numbers. */
  ingestJsonl(
    path: string,
    options?: Omit<IngestOptions, 'sourceFile'> & { sourceFile?: string },
  ): Promise<IngestResult>;

  /**
   * Streams documents (see {@link DocumentFilter} for order and filters); with `fields`, only
   * those fields of each.
   */
  documents<K extends DocumentField = DocumentField>(
    filter?: DocumentFilter & { fields?: readonly K[] },
  ): AsyncGenerator<Pick<StoredDocument, K>>;
  countDocuments(filter?: Omit<DocumentFilter, 'orderBy' | 'fields'>): Promise<number>;
  /**
   * Applies status changes, in batches as they arrive; returns how many documents changed
   * (unknown ids are ignored, so a count below the input's size means some were not found).
   */
  setDocumentStatus(updates: AsyncIterable<StatusUpdate> | Iterable<StatusUpdate>): Promise<number>;
  /** Marks every document `kept` again (before re-running filters). Returns the count. */
  resetDocumentStatus(): Promise<number>;

  /**
   * Appends chunks, streaming. A chunk id already stored is an error: re-chunking starts with
   * {@link clearChunks} (ingest deletes the chunks of superseded documents itself). Returns
   * the number written.
   */
  insertChunks(
    chunks: AsyncIterable<Chunk> | Iterable<Chunk>,
    options?: InsertChunksOptions,
  ): Promise<number>;
  /** Deletes every chunk; returns how many. */
  clearChunks(): Promise<number>;
  /**
   * Streams chunks (see {@link ChunkFilter} for order and filters); with `fields`, only those
   * fields of each (`{ fields: ['id', 'documentId', 'text'] }` for a dedup pass).
   */
  chunks<K extends ChunkField = ChunkField>(
    filter?: ChunkFilter & { fields?: readonly K[] },
  ): AsyncGenerator<Pick<StoredChunk, K>>;
  countChunks(filter?: Omit<ChunkFilter, 'orderBy' | 'fields'>): Promise<number>;
  /** As {@link setDocumentStatus}, for chunks. */
  setChunkStatus(updates: AsyncIterable<StatusUpdate> | Iterable<StatusUpdate>): Promise<number>;
  /** Marks every chunk `kept` again. Returns the count. */
  resetChunkStatus(): Promise<number>;

  /** Starts a build run; statistics are recorded under its id. */
  startRun(options?: StartRunOptions): Promise<RunRecord>;
  /** Marks a run finished (or failed) now. */
  finishRun(runId: string, options?: { status?: 'finished' | 'failed' }): Promise<RunRecord>;
  /** All runs, oldest first. */
  runs(): Promise<RunRecord[]>;
  /** Records one statistic (replacing an earlier value of the same run, step and key). */
  recordStatistics(runId: string, step: string, key: string, value: JsonValue): Promise<void>;
  /**
   * The statistics of one run, by step and key; without `runId`, of the latest run that
   * recorded any. Empty when there are none.
   */
  statistics(options?: { runId?: string }): Promise<StatisticRecord[]>;
  /** Counts per status, project, source type and licence. */
  stats(): Promise<CorpusStats>;

  /** Waits for pending writes, then closes the file. Further calls throw. */
  close(): Promise<void>;
}

/** What other modules of this package (the export) reach through a store; not public. */
export interface StoreInternals {
  /** Runs `task` with the writing connection, excluding every other write while it runs. */
  exclusive<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
}

const internals = new WeakMap<CorpusStore, StoreInternals>();

/** The internals of a store opened by {@link openCorpusStore}. */
export function storeInternals(store: CorpusStore): StoreInternals {
  const found = internals.get(store);
  if (!found) {
    throw new CorpusError(
      'invalid-options',
      'The store was not opened with openCorpusStore(); open it with openCorpusStore({ path }).',
    );
  }
  return found;
}

/**
 * Opens (creating when missing) a corpus store. A file that is not a store, or that was
 * written by a newer version of this package, is refused with a `store-error`.
 *
 * @example
 * const store = await openCorpusStore({ path: 'corpus.duckdb' });
 * const result = await store.ingestJsonl('out/documents.jsonl');
 * for await (const doc of store.documents({ status: 'kept' })) { … }
 * await store.close();
 */
export async function openCorpusStore(options: OpenCorpusStoreOptions): Promise<CorpusStore> {
  const parsed = OpenCorpusStoreOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new CorpusError(
      'invalid-options',
      `Invalid store options: ${describeIssues(parsed.error)}.`,
    );
  }
  const { path, readOnly = false, threads, memoryLimit } = parsed.data;
  const inMemory = path === ':memory:';
  if (inMemory && readOnly) {
    throw new CorpusError(
      'invalid-options',
      'An in-memory store cannot be read-only: give a file path.',
    );
  }
  const config: Record<string, string> = {};
  if (readOnly) config.access_mode = 'READ_ONLY';
  if (threads !== undefined) config.threads = String(threads);
  if (memoryLimit !== undefined) config.memory_limit = memoryLimit;
  if (!inMemory && !readOnly) await mkdir(dirname(path), { recursive: true });

  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, config);
  } catch (error) {
    const message = (error as Error).message;
    const hint = /lock/i.test(message)
      ? 'Another process has it open for writing; wait for it or close it.'
      : readOnly
        ? 'Check that the file exists (a read-only open does not create it).'
        : 'Check that the path is writable and is a DuckDB file.';
    throw new CorpusError(
      'store-error',
      `Could not open the corpus store ${path}: ${message}. ${hint}`,
      {
        cause: error,
      },
    );
  }
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    await ensureSchema(connection, path, readOnly);
    for (const sql of CREATE_TEMP_TABLES) await connection.run(sql);
  } catch (error) {
    connection?.closeSync();
    instance.closeSync();
    if (error instanceof CorpusError) throw error;
    throw storeError(`prepare the corpus store ${path}`, error);
  }
  const store = new DuckDBCorpusStore(path, readOnly, instance, connection);
  internals.set(store, { exclusive: (task) => store.exclusive(task) });
  return store;
}

async function ensureSchema(
  connection: DuckDBConnection,
  path: string,
  readOnly: boolean,
): Promise<void> {
  const tables = (
    await connection.runAndReadAll(
      `SELECT table_name FROM duckdb_tables()
       WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary`,
    )
  )
    .getRows()
    .map((row) => String(row[0]));
  if (!tables.includes('meta')) {
    if (tables.length > 0) {
      throw new CorpusError(
        'store-error',
        `${path} is a DuckDB file but not a corpus store (it has tables ${tables.slice(0, 5).join(', ')} and no meta table). Give the path of a corpus store or a new file.`,
      );
    }
    if (readOnly) {
      throw new CorpusError(
        'store-error',
        `${path} is empty, not a corpus store. Build a corpus into it first.`,
      );
    }
    await connection.run('BEGIN TRANSACTION');
    for (const sql of CREATE_TABLES) await connection.run(sql);
    await connection.run(
      `INSERT INTO meta VALUES ('schema_version', $1), ('created_by', '@cncf-llm/corpus')`,
      [String(SCHEMA_VERSION)],
    );
    await connection.run('COMMIT');
    return;
  }
  const rows = (
    await connection.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`)
  ).getRows();
  const version = rows.length === 1 ? Number(rows[0]?.[0]) : Number.NaN;
  if (!Number.isInteger(version)) {
    throw new CorpusError(
      'store-error',
      `${path} has no valid schema_version in its meta table, so its layout is unknown. Rebuild the corpus into a new file.`,
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new CorpusError(
      'store-error',
      `${path} was written with store schema ${version}, newer than this @cncf-llm/corpus understands (${SCHEMA_VERSION}). Upgrade @cncf-llm/corpus.`,
    );
  }
  if (version !== SCHEMA_VERSION) {
    throw new CorpusError(
      'store-error',
      `${path} has store schema ${version}, which this @cncf-llm/corpus (schema ${SCHEMA_VERSION}) cannot read. Rebuild the corpus into a new file.`,
    );
  }
  if (!readOnly) for (const sql of CREATE_TABLES) await connection.run(sql);
}

/** What ingest keeps in memory about the stored URLs and contents (a few dozen bytes each). */
interface IngestIndex {
  urls: Map<string, { id: string; fetchedAt: string }>;
  ids: Set<string>;
}

const ALL_DOCUMENT_FIELDS = Object.keys(DOCUMENT_FIELDS) as DocumentField[];
const ALL_CHUNK_FIELDS = Object.keys(CHUNK_FIELDS) as ChunkField[];
const STATUS_BATCH = 20_000;

class DuckDBCorpusStore implements CorpusStore {
  readonly path: string;
  readonly readOnly: boolean;
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #readers = new Set<DuckDBConnection>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #index: IngestIndex | undefined;

  constructor(
    path: string,
    readOnly: boolean,
    instance: DuckDBInstance,
    connection: DuckDBConnection,
  ) {
    this.path = path;
    this.readOnly = readOnly;
    this.#instance = instance;
    this.#connection = connection;
  }

  /** Runs `task` after every earlier write has finished (DuckDB connections are not reentrant). */
  exclusive<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const run = this.#queue.then(() => task(this.#connection));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  // ---- documents ---------------------------------------------------------------------------

  async ingestDocuments(
    documents: AsyncIterable<unknown> | Iterable<unknown>,
    options: IngestOptions,
  ): Promise<IngestResult> {
    return this.#ingest(numbered(documents), options);
  }

  async ingestJsonl(
    path: string,
    options: Omit<IngestOptions, 'sourceFile'> & { sourceFile?: string } = {},
  ): Promise<IngestResult> {
    const { sourceFile = path, ...rest } = options;
    return this.#ingest(readJsonlLines(path, { signal: options.signal }), { ...rest, sourceFile });
  }

  async #ingest(
    records: AsyncIterable<
      { line: number; ok: true; value: unknown } | { line: number; ok: false; error: string }
    >,
    options: IngestOptions,
  ): Promise<IngestResult> {
    this.#assertWritable();
    if (typeof options?.sourceFile !== 'string' || options.sourceFile === '') {
      throw new CorpusError(
        'invalid-options',
        'ingestDocuments needs options.sourceFile: where the records came from.',
      );
    }
    return this.exclusive(async (connection) => {
      if (options.runId !== undefined) await this.#assertRun(connection, options.runId);
      const index = await this.#ingestIndex(connection);
      const { sourceFile, transform, signal, onProgress, onInvalid } = options;
      const maxProblems = options.maxProblems ?? 100;
      const result: IngestResult = {
        sourceFile,
        read: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        duplicates: 0,
        stale: 0,
        skipped: 0,
        invalid: 0,
        superseded: 0,
        markdownBytes: 0,
        problems: [],
      };
      const progress = (): void => {
        const { problems: _problems, ...counts } = result;
        onProgress?.({ type: 'documents-ingested', ...counts });
      };
      const problem = (line: number, message: string): void => {
        result.invalid++;
        const found = { line, message };
        if (result.problems.length < maxProblems) result.problems.push(found);
        onInvalid?.(found);
      };

      const docs = new RowBuffer(await connection.createAppender('documents'));
      // URL rows wait until the documents they point at are committed, so a crash never leaves
      // a URL pointing at a missing document (only unreferenced documents, which are collected).
      let pendingUrls = new Map<string, DuckDBValue[]>();
      const flushUrls = async (): Promise<void> => {
        if (pendingUrls.size === 0) return;
        const staging = new RowBuffer(
          await connection.createAppender('staging_urls', 'main', 'temp'),
        );
        for (const row of pendingUrls.values()) staging.add(row, 0);
        staging.close();
        pendingUrls = new Map();
        await connection.run(
          'INSERT OR REPLACE INTO document_urls SELECT * FROM temp.staging_urls',
        );
        await connection.run('DELETE FROM temp.staging_urls');
      };
      const flushAll = async (): Promise<void> => {
        docs.flush();
        await flushUrls();
        progress();
      };

      try {
        for await (const record of records) {
          if (signal?.aborted)
            throw new CorpusError('aborted', `Ingesting ${sourceFile} was aborted.`);
          result.read++;
          if (!record.ok) {
            problem(record.line, record.error);
            continue;
          }
          const parsed = DocumentSchema.safeParse(record.value);
          if (!parsed.success) {
            problem(record.line, `not a valid document: ${describeIssues(parsed.error)}`);
            continue;
          }
          // A URL already holding this content needs nothing: decided before the transform
          // (normalising, scrubbing), which keeps id and URL, so a re-run does not redo it.
          if (index.urls.get(parsed.data.canonicalUrl)?.id === parsed.data.id) {
            result.unchanged++;
            continue;
          }
          const doc = transform ? await transform(parsed.data) : parsed.data;
          if (!doc) {
            result.skipped++;
            continue;
          }
          const previous = index.urls.get(doc.canonicalUrl);
          if (previous?.id === doc.id) {
            result.unchanged++;
            continue;
          }
          if (previous && !isNewerVersion(doc, previous)) {
            result.stale++;
            continue;
          }
          index.urls.set(doc.canonicalUrl, { id: doc.id, fetchedAt: doc.fetchedAt });
          pendingUrls.set(doc.canonicalUrl, [
            doc.canonicalUrl,
            doc.id,
            doc.url,
            doc.fetchedAt,
            sourceFile,
            BigInt(record.line),
          ]);
          const isNewContent = !index.ids.has(doc.id);
          if (previous) result.updated++;
          else if (isNewContent) result.inserted++;
          else result.duplicates++;
          let committed = false;
          if (isNewContent) {
            index.ids.add(doc.id);
            const bytes = Buffer.byteLength(doc.markdown);
            result.markdownBytes += bytes;
            committed = docs.add(documentRow(doc, sourceFile, record.line), bytes);
          }
          if (committed || pendingUrls.size >= 20_000) await flushAll();
        }
        docs.close();
        await flushUrls();
      } catch (error) {
        docs.discard();
        await connection.run('DELETE FROM temp.staging_urls').catch(() => undefined);
        // The in-memory index may now be ahead of the file; reload it next time.
        this.#index = undefined;
        if (error instanceof CorpusError) throw error;
        throw storeError(`ingest ${sourceFile} into ${this.path}`, error);
      }
      result.superseded = await this.#collectSuperseded(connection, index);
      await connection.run('CHECKPOINT');
      progress();
      if (options.runId !== undefined) {
        const { problems: _problems, ...counts } = result;
        await this.#recordStatistics(connection, options.runId, 'ingest', sourceFile, {
          ...counts,
          problems: result.problems.length,
        });
      }
      return result;
    });
  }

  async #ingestIndex(connection: DuckDBConnection): Promise<IngestIndex> {
    if (this.#index) return this.#index;
    const index: IngestIndex = { urls: new Map(), ids: new Set() };
    const urls = await connection.stream(
      'SELECT canonical_url, document_id, fetched_at FROM document_urls',
    );
    for await (const rows of urls.yieldRows()) {
      for (const row of rows)
        index.urls.set(String(row[0]), { id: String(row[1]), fetchedAt: String(row[2]) });
    }
    const ids = await connection.stream('SELECT id FROM documents');
    for await (const rows of ids.yieldRows()) for (const row of rows) index.ids.add(String(row[0]));
    this.#index = index;
    return index;
  }

  /** Deletes documents no URL holds any more (old versions), and their chunks. */
  async #collectSuperseded(connection: DuckDBConnection, index: IngestIndex): Promise<number> {
    const deleted = (
      await connection.runAndReadAll(
        `DELETE FROM documents WHERE id NOT IN (SELECT document_id FROM document_urls) RETURNING id`,
      )
    ).getRows();
    if (deleted.length === 0) return 0;
    for (const row of deleted) index.ids.delete(String(row[0]));
    await connection.run(`DELETE FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)`);
    return deleted.length;
  }

  async *documents<K extends DocumentField = DocumentField>(
    filter: DocumentFilter & { fields?: readonly K[] } = {},
  ): AsyncGenerator<Pick<StoredDocument, K>> {
    const f = parseFilter(DocumentFilterSchema, filter, 'document filter');
    const { where, params } = documentWhere(f);
    const order = f.orderBy === 'id' ? 'ORDER BY d.id' : '';
    const { select, read } = fieldReader<Pick<StoredDocument, K>>(
      DOCUMENT_FIELDS,
      f.fields ?? ALL_DOCUMENT_FIELDS,
      'd',
    );
    yield* this.#stream(`SELECT ${select} FROM documents d ${where} ${order}`, params, read);
  }

  async countDocuments(filter: Omit<DocumentFilter, 'orderBy' | 'fields'> = {}): Promise<number> {
    const f = parseFilter(DocumentFilterSchema, filter, 'document filter');
    const { where, params } = documentWhere(f);
    return this.#count(`SELECT count(*) FROM documents d ${where}`, params);
  }

  async setDocumentStatus(
    updates: AsyncIterable<StatusUpdate> | Iterable<StatusUpdate>,
  ): Promise<number> {
    return this.#applyStatus('documents', updates);
  }

  async resetDocumentStatus(): Promise<number> {
    return this.#resetStatus('documents');
  }

  // ---- chunks ------------------------------------------------------------------------------

  async insertChunks(
    chunks: AsyncIterable<Chunk> | Iterable<Chunk>,
    options: InsertChunksOptions = {},
  ): Promise<number> {
    this.#assertWritable();
    const validate = options.validate ?? true;
    return this.exclusive(async (connection) => {
      const buffer = new RowBuffer(await connection.createAppender('chunks'));
      let written = 0;
      let position = 0;
      try {
        for await (const chunk of chunks) {
          position++;
          if (options.signal?.aborted)
            throw new CorpusError('aborted', 'Inserting chunks was aborted.');
          if (validate) {
            const parsed = ChunkSchema.safeParse(chunk);
            if (!parsed.success) {
              throw new CorpusError(
                'invalid-record',
                `Chunk ${position} (${String((chunk as { id?: unknown })?.id)}) is not a valid chunk: ${describeIssues(parsed.error)}. This is a bug in the step that produced it.`,
              );
            }
          }
          buffer.add(chunkRow(chunk), chunk.text.length);
          written++;
        }
        buffer.close();
      } catch (error) {
        buffer.discard();
        if (error instanceof CorpusError) throw error;
        const message = (error as Error).message;
        if (/duplicate key|primary key|unique/i.test(message)) {
          throw new CorpusError(
            'store-error',
            `A chunk with the same id is already stored in ${this.path} (${message}). Chunk ids are stable, so re-chunking must start with clearChunks().`,
            { cause: error },
          );
        }
        throw storeError(`insert chunks into ${this.path}`, error);
      }
      return written;
    });
  }

  async clearChunks(): Promise<number> {
    this.#assertWritable();
    return this.exclusive(async (connection) => {
      const count = await countOf(connection, 'DELETE FROM chunks');
      await connection.run('CHECKPOINT');
      return count;
    });
  }

  async *chunks<K extends ChunkField = ChunkField>(
    filter: ChunkFilter & { fields?: readonly K[] } = {},
  ): AsyncGenerator<Pick<StoredChunk, K>> {
    const f = parseFilter(ChunkFilterSchema, filter, 'chunk filter');
    const { where, params } = chunkWhere(f);
    const order =
      f.orderBy === 'id'
        ? 'ORDER BY c.id'
        : f.orderBy === 'document'
          ? 'ORDER BY c.document_id, c."index"'
          : '';
    const { select, read } = fieldReader<Pick<StoredChunk, K>>(
      CHUNK_FIELDS,
      f.fields ?? ALL_CHUNK_FIELDS,
      'c',
    );
    yield* this.#stream(`SELECT ${select} FROM chunks c ${where} ${order}`, params, read);
  }

  async countChunks(filter: Omit<ChunkFilter, 'orderBy' | 'fields'> = {}): Promise<number> {
    const f = parseFilter(ChunkFilterSchema, filter, 'chunk filter');
    const { where, params } = chunkWhere(f);
    return this.#count(`SELECT count(*) FROM chunks c ${where}`, params);
  }

  async setChunkStatus(
    updates: AsyncIterable<StatusUpdate> | Iterable<StatusUpdate>,
  ): Promise<number> {
    return this.#applyStatus('chunks', updates);
  }

  async resetChunkStatus(): Promise<number> {
    return this.#resetStatus('chunks');
  }

  // ---- runs and statistics -----------------------------------------------------------------

  async startRun(options: StartRunOptions = {}): Promise<RunRecord> {
    this.#assertWritable();
    const now = new Date();
    const id =
      options.id ??
      `${now.toISOString().replace(/[-:]|\.\d+/g, '')}-${randomBytes(3).toString('hex')}`;
    const runOptions = options.options ?? {};
    const inputFiles = options.inputFiles ?? [];
    return this.exclusive(async (connection) => {
      try {
        await connection.run(`INSERT INTO runs VALUES ($1, $2, NULL, 'running', $3, $4)`, [
          id,
          now.toISOString(),
          JSON.stringify(runOptions),
          listValue(inputFiles),
        ]);
      } catch (error) {
        throw storeError(`start run ${id} in ${this.path} (is the id already used?)`, error);
      }
      return {
        id,
        startedAt: now.toISOString(),
        finishedAt: null,
        status: 'running',
        options: runOptions,
        inputFiles,
      };
    });
  }

  async finishRun(
    runId: string,
    options: { status?: 'finished' | 'failed' } = {},
  ): Promise<RunRecord> {
    this.#assertWritable();
    const status = options.status ?? 'finished';
    return this.exclusive(async (connection) => {
      await this.#assertRun(connection, runId);
      await connection.run(`UPDATE runs SET finished_at = $1, status = $2 WHERE id = $3`, [
        new Date().toISOString(),
        status,
        runId,
      ]);
      const runs = await readRuns(connection, runId);
      return runs[0] as RunRecord;
    });
  }

  async runs(): Promise<RunRecord[]> {
    return this.exclusive((connection) => readRuns(connection));
  }

  async recordStatistics(
    runId: string,
    step: string,
    key: string,
    value: JsonValue,
  ): Promise<void> {
    this.#assertWritable();
    return this.exclusive(async (connection) => {
      await this.#assertRun(connection, runId);
      await this.#recordStatistics(connection, runId, step, key, value);
    });
  }

  async #recordStatistics(
    connection: DuckDBConnection,
    runId: string,
    step: string,
    key: string,
    value: JsonValue,
  ): Promise<void> {
    const json = JSON.stringify(value);
    if (json === undefined) {
      throw new CorpusError('invalid-input', `Statistic ${step}/${key} is not a JSON value.`);
    }
    await connection.run(`INSERT OR REPLACE INTO statistics VALUES ($1, $2, $3, $4)`, [
      runId,
      step,
      key,
      json,
    ]);
  }

  async statistics(options: { runId?: string } = {}): Promise<StatisticRecord[]> {
    return this.exclusive(async (connection) => {
      const runId =
        options.runId ??
        (
          await connection.runAndReadAll(
            `SELECT s.run_id FROM statistics s LEFT JOIN runs r ON r.id = s.run_id
             ORDER BY r.started_at DESC NULLS LAST, s.run_id DESC LIMIT 1`,
          )
        ).getRows()[0]?.[0];
      if (runId === undefined || runId === null) return [];
      const rows = (
        await connection.runAndReadAll(
          `SELECT run_id, step, key, value FROM statistics WHERE run_id = $1 ORDER BY step, key`,
          [String(runId)],
        )
      ).getRows();
      return rows.map((row) => ({
        runId: String(row[0]),
        step: String(row[1]),
        key: String(row[2]),
        value: JSON.parse(String(row[3])) as JsonValue,
      }));
    });
  }

  async stats(): Promise<CorpusStats> {
    return this.exclusive(async (connection) => {
      const one = async (sql: string): Promise<DuckDBValue[]> =>
        (await connection.runAndReadAll(sql)).getRows()[0] ?? [];
      const d = await one(
        `SELECT count(*), count(*) FILTER (WHERE status = 'kept'), count(*) FILTER (WHERE status = 'removed'),
                coalesce(sum(strlen(markdown)), 0), coalesce(sum(bytes), 0) FROM documents`,
      );
      const urls = await one('SELECT count(*) FROM document_urls');
      const c = await one(
        `SELECT count(*), count(*) FILTER (WHERE status = 'kept'), count(*) FILTER (WHERE status = 'removed'),
                coalesce(sum(tokens), 0), coalesce(sum(tokens) FILTER (WHERE status = 'kept'), 0) FROM chunks`,
      );
      const removed = async (
        table: string,
      ): Promise<Array<{ reason: string | null; count: number }>> =>
        (
          await connection.runAndReadAll(
            `SELECT removed_reason, count(*) AS n FROM ${table} WHERE status = 'removed'
             GROUP BY removed_reason ORDER BY n DESC, removed_reason NULLS LAST`,
          )
        )
          .getRows()
          .map((row) => ({ reason: row[0] === null ? null : String(row[0]), count: num(row[1]) }));
      return {
        documents: {
          total: num(d[0]),
          kept: num(d[1]),
          removed: num(d[2]),
          urls: num(urls[0]),
          markdownBytes: num(d[3]),
          fetchedBytes: num(d[4]),
        },
        chunks: {
          total: num(c[0]),
          kept: num(c[1]),
          removed: num(c[2]),
          tokens: num(c[3]),
          keptTokens: num(c[4]),
        },
        byProject: await groupCounts(connection, 'project'),
        bySourceType: await groupCounts(connection, 'source_type'),
        byLicence: await groupCounts(connection, 'licence'),
        removedDocuments: await removed('documents'),
        removedChunks: await removed('chunks'),
      };
    });
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.#closed) return;
    // Let queued writes finish; their failures were already reported to their callers.
    await this.#queue.catch(() => undefined);
    this.#closed = true;
    for (const reader of this.#readers) reader.closeSync();
    this.#readers.clear();
    this.#connection.closeSync();
    this.#instance.closeSync();
  }

  // ---- helpers -----------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) {
      throw new CorpusError(
        'store-error',
        `The corpus store ${this.path} is closed; open it again with openCorpusStore().`,
      );
    }
  }

  #assertWritable(): void {
    this.#assertOpen();
    if (this.readOnly) {
      throw new CorpusError(
        'store-error',
        `The corpus store ${this.path} was opened read-only; open it without readOnly to write.`,
      );
    }
  }

  async #assertRun(connection: DuckDBConnection, runId: string): Promise<void> {
    const found = (
      await connection.runAndReadAll('SELECT 1 FROM runs WHERE id = $1', [runId])
    ).getRows();
    if (found.length === 0) {
      throw new CorpusError(
        'invalid-input',
        `No run ${runId} in ${this.path}; start one with startRun().`,
      );
    }
  }

  async *#stream<T>(
    sql: string,
    params: DuckDBValue[],
    convert: (columns: DuckDBValue[][], row: number) => T,
  ): AsyncGenerator<T> {
    this.#assertOpen();
    // A streaming result is invalidated by any other query on its connection, so each
    // listing reads on a connection of its own.
    const reader = await this.#instance.connect();
    this.#readers.add(reader);
    try {
      const result = await reader.stream(sql, params);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const columns = chunk.getColumns();
        for (let row = 0; row < chunk.rowCount; row++) yield convert(columns, row);
      }
    } catch (error) {
      if (error instanceof CorpusError) throw error;
      throw storeError(`read ${this.path}`, error);
    } finally {
      if (this.#readers.delete(reader)) reader.closeSync();
    }
  }

  async #count(sql: string, params: DuckDBValue[]): Promise<number> {
    return this.exclusive(async (connection) =>
      num((await connection.runAndReadAll(sql, params)).getRows()[0]?.[0]),
    );
  }

  async #applyStatus(
    table: 'documents' | 'chunks',
    updates: AsyncIterable<StatusUpdate> | Iterable<StatusUpdate>,
  ): Promise<number> {
    this.#assertWritable();
    return this.exclusive(async (connection) => {
      let changed = 0;
      let position = 0;
      let batch = new Map<string, StatusUpdate>();
      const apply = async (): Promise<void> => {
        if (batch.size === 0) return;
        const staging = new RowBuffer(
          await connection.createAppender('staging_status', 'main', 'temp'),
        );
        for (const u of batch.values()) {
          const removed = u.status === 'removed';
          staging.add(
            [
              u.id,
              u.status,
              removed ? (u.removedReason ?? null) : null,
              removed ? (u.removedBy ?? null) : null,
            ],
            0,
          );
        }
        staging.close();
        batch = new Map();
        changed += await countOf(
          connection,
          `UPDATE ${table} SET status = s.status, removed_reason = s.removed_reason, removed_by = s.removed_by
           FROM temp.staging_status s WHERE ${table}.id = s.id`,
        );
        await connection.run('DELETE FROM temp.staging_status');
      };
      try {
        for await (const update of updates) {
          position++;
          const parsed = StatusUpdateSchema.safeParse(update);
          if (!parsed.success) {
            throw new CorpusError(
              'invalid-input',
              `Status update ${position} is invalid: ${describeIssues(parsed.error)}.`,
            );
          }
          // Within a batch the last update of an id wins (DuckDB refuses two updates of a row in one statement).
          batch.set(parsed.data.id, parsed.data);
          if (batch.size >= STATUS_BATCH) await apply();
        }
        await apply();
      } catch (error) {
        await connection.run('DELETE FROM temp.staging_status').catch(() => undefined);
        if (error instanceof CorpusError) throw error;
        throw storeError(`update ${table} statuses in ${this.path}`, error);
      }
      return changed;
    });
  }

  async #resetStatus(table: 'documents' | 'chunks'): Promise<number> {
    this.#assertWritable();
    return this.exclusive((connection) =>
      countOf(
        connection,
        `UPDATE ${table} SET status = 'kept', removed_reason = NULL, removed_by = NULL WHERE status <> 'kept'`,
      ),
    );
  }
}

// ---- row conversion ----------------------------------------------------------------------------

function documentRow(doc: ScrapedDocument, sourceFile: string, line: number): DuckDBValue[] {
  return [
    doc.id,
    doc.url,
    doc.canonicalUrl,
    doc.project,
    doc.sourceType,
    doc.title,
    doc.markdown,
    doc.contentType,
    doc.language,
    doc.licence,
    doc.attribution,
    doc.fetchedAt,
    doc.etag,
    doc.lastModified,
    doc.httpStatus,
    BigInt(doc.bytes),
    // JSON, not VARCHAR[]: a list is appended value by value, a string in one go (2x faster ingest).
    JSON.stringify(doc.links),
    JSON.stringify(doc.metadata),
    sourceFile,
    BigInt(line),
    'kept',
    null,
    null,
  ];
}

function chunkRow(chunk: Chunk): DuckDBValue[] {
  return [
    chunk.id,
    chunk.documentId,
    chunk.index,
    chunk.text,
    listValue(chunk.headingPath),
    chunk.startOffset,
    chunk.endOffset,
    chunk.tokens,
    chunk.project,
    chunk.sourceType,
    chunk.url,
    chunk.title,
    chunk.licence,
    chunk.attribution,
    chunk.language,
    'kept',
    null,
    null,
  ];
}

// ---- SQL helpers -------------------------------------------------------------------------------

function documentWhere(filter: DocumentFilter): { where: string; params: DuckDBValue[] } {
  const clauses: string[] = [];
  const params: DuckDBValue[] = [];
  const param = (value: DuckDBValue): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.status !== undefined) clauses.push(`d.status = ${param(filter.status)}`);
  if (filter.project === null) clauses.push('d.project IS NULL');
  else if (filter.project !== undefined) clauses.push(`d.project = ${param(filter.project)}`);
  if (filter.sourceType !== undefined) clauses.push(`d.source_type = ${param(filter.sourceType)}`);
  if (filter.hasChunks !== undefined) {
    clauses.push(
      `${filter.hasChunks ? '' : 'NOT '}EXISTS (SELECT 1 FROM chunks c WHERE c.document_id = d.id)`,
    );
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

function chunkWhere(filter: ChunkFilter): { where: string; params: DuckDBValue[] } {
  const clauses: string[] = [];
  const params: DuckDBValue[] = [];
  if (filter.status !== undefined) {
    params.push(filter.status);
    clauses.push(`c.status = $${params.length}`);
  }
  if (filter.documentId !== undefined) {
    params.push(filter.documentId);
    clauses.push(`c.document_id = $${params.length}`);
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

async function groupCounts(
  connection: DuckDBConnection,
  column: 'project' | 'source_type' | 'licence',
): Promise<GroupCounts[]> {
  const rows = (
    await connection.runAndReadAll(
      `WITH d AS (
         SELECT ${column} AS key, count(*) AS documents, count(*) FILTER (WHERE status = 'kept') AS kept
         FROM documents GROUP BY ${column}),
       c AS (
         SELECT ${column} AS key, count(*) AS chunks, count(*) FILTER (WHERE status = 'kept') AS kept,
                coalesce(sum(tokens) FILTER (WHERE status = 'kept'), 0) AS tokens
         FROM chunks GROUP BY ${column})
       SELECT coalesce(d.key, c.key), coalesce(d.documents, 0), coalesce(d.kept, 0),
              coalesce(c.chunks, 0), coalesce(c.kept, 0), coalesce(c.tokens, 0)
       FROM d FULL OUTER JOIN c ON d.key IS NOT DISTINCT FROM c.key
       ORDER BY 2 DESC, 4 DESC, 1 NULLS LAST`,
    )
  ).getRows();
  return rows.map((row) => ({
    key: row[0] === null ? null : String(row[0]),
    documents: num(row[1]),
    keptDocuments: num(row[2]),
    chunks: num(row[3]),
    keptChunks: num(row[4]),
    keptTokens: num(row[5]),
  }));
}

async function readRuns(connection: DuckDBConnection, id?: string): Promise<RunRecord[]> {
  const rows = (
    await connection.runAndReadAll(
      `SELECT id, started_at, finished_at, status, options, input_files FROM runs
       ${id === undefined ? '' : 'WHERE id = $1'} ORDER BY started_at, id`,
      id === undefined ? [] : [id],
    )
  ).getRows();
  return rows.map((row) => ({
    id: String(row[0]),
    startedAt: String(row[1]),
    finishedAt: row[2] === null ? null : String(row[2]),
    status: String(row[3]) as RunRecord['status'],
    options: JSON.parse(String(row[4])) as JsonValue,
    inputFiles: (row[5] as DuckDBListValue).items.map(String),
  }));
}

/** Runs a DML statement and returns the rows it touched. */
async function countOf(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return num(reader.getRows()[0]?.[0] ?? 0);
}

/** DuckDB returns counts and BIGINT columns as bigint. */
function num(value: DuckDBValue | undefined): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return 0;
  return Number(value);
}

/** Yields `{ line, ok, value }` with 1-based positions, for inputs that are not files. */
async function* numbered(
  documents: AsyncIterable<unknown> | Iterable<unknown>,
): AsyncGenerator<{ line: number; ok: true; value: unknown }> {
  let line = 0;
  for await (const value of documents) yield { line: ++line, ok: true, value };
}

/** Whether `candidate` is a later version of a URL's content than `stored`. */
function isNewerVersion(
  candidate: { id: string; fetchedAt: string },
  stored: { id: string; fetchedAt: string },
): boolean {
  const a = Date.parse(candidate.fetchedAt);
  const b = Date.parse(stored.fetchedAt);
  if (a !== b) return a > b;
  // Same fetch time, different content: pick one by id so that the order of ingests does not matter.
  return candidate.id > stored.id;
}

function parseFilter<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new CorpusError('invalid-options', `Invalid ${what}: ${describeIssues(parsed.error)}.`);
  return parsed.data;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'value'}: ${issue.message}`)
    .join('; ');
}

function storeError(what: string, error: unknown): CorpusError {
  return new CorpusError(
    'store-error',
    `Could not ${what}: ${(error as Error)?.message ?? String(error)}. The store is unchanged beyond the batches already committed; fix the cause and run again (ingest is idempotent).`,
    { cause: error },
  );
}
