import {
  type DuckDBAppender,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

/**
 * Collects rows column by column and hands them to a DuckDB appender one full data chunk at a
 * time, which is several times faster than appending value by value. The appender is flushed
 * (its rows committed) every `flushBytes` of text, so memory stays bounded whatever the input
 * size, and on {@link flush}.
 */
export class RowBuffer {
  readonly #appender: DuckDBAppender;
  readonly #types: DuckDBType[];
  readonly #flushBytes: number;
  #columns: DuckDBValue[][];
  #rows = 0;
  #unflushedBytes = 0;

  constructor(appender: DuckDBAppender, options: { flushBytes?: number } = {}) {
    this.#appender = appender;
    this.#types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    this.#flushBytes = options.flushBytes ?? 32 * 1024 * 1024;
    this.#columns = this.#types.map(() => []);
  }

  /** Rows added and not yet committed. */
  get pendingRows(): number {
    return this.#rows;
  }

  /**
   * Adds one row (values in table column order); `bytes` is its approximate text size.
   * Returns `true` when the rows written so far were committed by this call.
   */
  add(row: readonly DuckDBValue[], bytes: number): boolean {
    for (let i = 0; i < row.length; i++) (this.#columns[i] as DuckDBValue[]).push(row[i] ?? null);
    this.#rows++;
    this.#unflushedBytes += bytes;
    if (this.#rows >= CHUNK_ROWS) this.#appendChunk();
    if (this.#unflushedBytes >= this.#flushBytes) {
      this.flush();
      return true;
    }
    return false;
  }

  /** Appends what is buffered and commits it. */
  flush(): void {
    if (this.#rows > 0) this.#appendChunk();
    this.#appender.flushSync();
    this.#unflushedBytes = 0;
  }

  /** Flushes and releases the appender. */
  close(): void {
    try {
      this.flush();
    } finally {
      this.#appender.closeSync();
    }
  }

  /** Drops what is buffered and releases the appender (after an error). */
  discard(): void {
    this.#columns = this.#types.map(() => []);
    this.#rows = 0;
    try {
      this.#appender.clear();
      this.#appender.closeSync();
    } catch {
      // The appender is already broken; nothing more to release.
    }
  }

  #appendChunk(): void {
    const chunk = DuckDBDataChunk.create(this.#types, this.#rows);
    chunk.setColumns(this.#columns);
    this.#columns = this.#types.map(() => []);
    this.#rows = 0;
    this.#appender.appendDataChunk(chunk);
  }
}
