import type { DuckDBListValue, DuckDBValue } from '@duckdb/node-api';
import type { StoredChunk, StoredDocument } from './store-records.js';

// How each field of a stored document or chunk is read from its column. Listings select only
// the fields asked for: converting a DuckDB value to JS costs about as much per value as
// everything else in a listing, so a dedup pass that needs three fields of a chunk runs several
// times faster than one that reads all eighteen.

interface FieldSpec {
  /** The column, quoted for SQL. */
  column: string;
  read: (value: DuckDBValue) => unknown;
}

const asIs = (column: string): FieldSpec => ({ column: `"${column}"`, read: (value) => value });
const asNumber = (column: string): FieldSpec => ({
  column: `"${column}"`,
  read: (value) => (typeof value === 'bigint' ? Number(value) : value),
});
const asJson = (column: string): FieldSpec => ({
  column: `"${column}"`,
  // Written by this store from validated records; parsing it back needs no schema.
  read: (value) => JSON.parse(value as string),
});
const asStringList = (column: string): FieldSpec => ({
  column: `"${column}"`,
  read: (value) => (value as DuckDBListValue).items as string[],
});

/** Fields of a stored document, in table order. */
export const DOCUMENT_FIELDS = {
  id: asIs('id'),
  url: asIs('url'),
  canonicalUrl: asIs('canonical_url'),
  project: asIs('project'),
  sourceType: asIs('source_type'),
  title: asIs('title'),
  markdown: asIs('markdown'),
  contentType: asIs('content_type'),
  language: asIs('language'),
  licence: asIs('licence'),
  attribution: asIs('attribution'),
  fetchedAt: asIs('fetched_at'),
  etag: asIs('etag'),
  lastModified: asIs('last_modified'),
  httpStatus: asNumber('http_status'),
  bytes: asNumber('bytes'),
  links: asJson('links'),
  metadata: asJson('metadata'),
  sourceFile: asIs('source_file'),
  sourceLine: asNumber('source_line'),
  status: asIs('status'),
  removedReason: asIs('removed_reason'),
  removedBy: asIs('removed_by'),
} satisfies Record<keyof StoredDocument, FieldSpec>;

/** Fields of a stored chunk, in table order. */
export const CHUNK_FIELDS = {
  id: asIs('id'),
  documentId: asIs('document_id'),
  index: asNumber('index'),
  text: asIs('text'),
  headingPath: asStringList('heading_path'),
  startOffset: asNumber('start_offset'),
  endOffset: asNumber('end_offset'),
  tokens: asNumber('tokens'),
  project: asIs('project'),
  sourceType: asIs('source_type'),
  url: asIs('url'),
  title: asIs('title'),
  licence: asIs('licence'),
  attribution: asIs('attribution'),
  language: asIs('language'),
  status: asIs('status'),
  removedReason: asIs('removed_reason'),
  removedBy: asIs('removed_by'),
} satisfies Record<keyof StoredChunk, FieldSpec>;

/** Names of the document fields. */
export type DocumentField = keyof typeof DOCUMENT_FIELDS;
/** Names of the chunk fields. */
export type ChunkField = keyof typeof CHUNK_FIELDS;

/** The SELECT list for `fields` and a converter from a result chunk's columns to objects. */
export function fieldReader<T>(
  specs: Record<string, FieldSpec>,
  fields: readonly string[],
  alias: string,
): { select: string; read: (columns: DuckDBValue[][], row: number) => T } {
  const chosen = fields.map((name) => [name, specs[name] as FieldSpec] as const);
  const select = chosen.map(([, spec]) => `${alias}.${spec.column}`).join(', ');
  const read = (columns: DuckDBValue[][], row: number): T => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < chosen.length; i++) {
      const [name, spec] = chosen[i] as (typeof chosen)[number];
      out[name] = spec.read((columns[i] as DuckDBValue[])[row] ?? null);
    }
    return out as T;
  };
  return { select, read };
}
