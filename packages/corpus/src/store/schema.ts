// The tables of a corpus store. Column names are the snake_case forms of the record fields so
// that anyone opening the .duckdb file with the DuckDB CLI can read it without this package.

/**
 * Version of the table layout below. Bump it (and teach `openCorpusStore` to migrate) whenever a
 * table or column changes; a store written by a newer version is refused rather than guessed at.
 */
export const SCHEMA_VERSION = 1;

const statusColumns = `
  status VARCHAR NOT NULL DEFAULT 'kept' CHECK (status IN ('kept', 'removed')),
  removed_reason VARCHAR,
  removed_by VARCHAR`;

/** Statements that create a fresh store. All are idempotent. */
export const CREATE_TABLES = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  // One row per distinct content (id = sha256 of the markdown, from the scraper).
  `CREATE TABLE IF NOT EXISTS documents (
    id VARCHAR PRIMARY KEY,
    url VARCHAR NOT NULL,
    canonical_url VARCHAR NOT NULL,
    project VARCHAR,
    source_type VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    markdown VARCHAR NOT NULL,
    content_type VARCHAR NOT NULL,
    language VARCHAR NOT NULL,
    licence VARCHAR,
    attribution VARCHAR,
    fetched_at VARCHAR NOT NULL,
    etag VARCHAR,
    last_modified VARCHAR,
    http_status INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    links JSON NOT NULL,
    metadata JSON NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,${statusColumns}
  )`,
  // Which content each canonical URL holds now. Several URLs may hold the same content; a URL
  // holds one version: the most recently fetched.
  `CREATE TABLE IF NOT EXISTS document_urls (
    canonical_url VARCHAR PRIMARY KEY,
    document_id VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    fetched_at VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS chunks (
    id VARCHAR PRIMARY KEY,
    document_id VARCHAR NOT NULL,
    "index" INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    heading_path VARCHAR[] NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    project VARCHAR,
    source_type VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    licence VARCHAR,
    attribution VARCHAR,
    language VARCHAR NOT NULL,${statusColumns}
  )`,
  `CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY,
    started_at VARCHAR NOT NULL,
    finished_at VARCHAR,
    status VARCHAR NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    options JSON NOT NULL,
    input_files VARCHAR[] NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS statistics (
    run_id VARCHAR NOT NULL,
    step VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    value JSON NOT NULL,
    PRIMARY KEY (run_id, step, key)
  )`,
];

/** Session-local scratch tables (DuckDB temp tables live per connection, in memory). */
export const CREATE_TEMP_TABLES = [
  `CREATE TEMP TABLE IF NOT EXISTS staging_urls (
    canonical_url VARCHAR, document_id VARCHAR, url VARCHAR, fetched_at VARCHAR,
    source_file VARCHAR, source_line BIGINT
  )`,
  `CREATE TEMP TABLE IF NOT EXISTS staging_status (
    id VARCHAR, status VARCHAR, removed_reason VARCHAR, removed_by VARCHAR
  )`,
];
