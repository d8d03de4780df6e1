import { type JsonValue, type ScrapedDocument, SourceTypeSchema } from '@cncf-llm/scraper';
import { z } from 'zod';
import type { Chunk } from '../chunk-record.js';
import {
  CHUNK_FIELDS,
  type ChunkField,
  DOCUMENT_FIELDS,
  type DocumentField,
} from './row-fields.js';

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex id');

/** Whether a document or chunk goes on to the next step (`kept`) or was filtered (`removed`). */
export const RowStatusSchema = z.enum(['kept', 'removed']);
/** Whether a document or chunk goes on to the next step (`kept`) or was filtered (`removed`). */
export type RowStatus = z.infer<typeof RowStatusSchema>;

/**
 * A status change for one document or chunk. `removedReason` names the step and rule
 * (`dedup:near-duplicate`, `quality:min-words`, `language`, …); `removedBy` is the id of the
 * row that was kept instead, for duplicates. Both are cleared when `status` is `kept`.
 */
export const StatusUpdateSchema = z.object({
  id: Sha256Schema,
  status: RowStatusSchema,
  removedReason: z.string().min(1).nullable().optional(),
  removedBy: Sha256Schema.nullable().optional(),
});
/** A status change for one document or chunk. */
export type StatusUpdate = z.infer<typeof StatusUpdateSchema>;

/** Bookkeeping columns the store adds to every document and chunk. */
export interface RowState {
  status: RowStatus;
  removedReason: string | null;
  removedBy: string | null;
}

/** A document as stored: the scraped record plus where it was read from and its status. */
export interface StoredDocument extends ScrapedDocument, RowState {
  /** The `sourceFile` given to the ingest that stored this version. */
  sourceFile: string;
  /** Its line in that file (its position, from 1, for inputs that are not files). */
  sourceLine: number;
}

/** A chunk as stored: the dataset row plus its status. */
export interface StoredChunk extends Chunk, RowState {}

/** Which documents {@link CorpusStore.documents} yields. Every field narrows; none means all. */
export const DocumentFilterSchema = z.object({
  status: RowStatusSchema.optional(),
  /** A project name, or `null` for documents without one. */
  project: z.string().nullable().optional(),
  sourceType: SourceTypeSchema.optional(),
  /** `false`: only documents that have no chunk yet (an incremental build); `true`: the others. */
  hasChunks: z.boolean().optional(),
  /**
   * `stored`: the order rows were ingested in (no sort; stable for the same store and the same
   * input files). `id`: by document id (a full sort: slower on a large store, but independent of
   * how the input was split into files).
   * @default 'stored'
   */
  orderBy: z.enum(['stored', 'id']).optional(),
  /**
   * The fields to read (all when omitted). Each field read costs time per row, so a pass that
   * needs `id` and `markdown` should ask for just those.
   */
  fields: z
    .array(z.enum(Object.keys(DOCUMENT_FIELDS) as [DocumentField, ...DocumentField[]]))
    .min(1)
    .optional(),
});
/** Which documents {@link CorpusStore.documents} yields. */
export type DocumentFilter = z.infer<typeof DocumentFilterSchema>;

/** Which chunks {@link CorpusStore.chunks} yields. Every field narrows; none means all. */
export const ChunkFilterSchema = z.object({
  status: RowStatusSchema.optional(),
  documentId: Sha256Schema.optional(),
  /**
   * `stored`: insertion order (no sort). `document`: by document id, then position in the
   * document (the order of the exported dataset). `id`: by chunk id.
   * @default 'stored'
   */
  orderBy: z.enum(['stored', 'document', 'id']).optional(),
  /**
   * The fields to read (all when omitted). Reading 3 of the 18 fields streams about 4× faster,
   * which matters for a dedup pass over millions of chunks.
   */
  fields: z
    .array(z.enum(Object.keys(CHUNK_FIELDS) as [ChunkField, ...ChunkField[]]))
    .min(1)
    .optional(),
});
/** Which chunks {@link CorpusStore.chunks} yields. */
export type ChunkFilter = z.infer<typeof ChunkFilterSchema>;

/** One step of a build (`ingest`, `dedup`, …), as recorded in the `runs` table. */
export interface RunRecord {
  id: string;
  /** ISO 8601. */
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'finished' | 'failed';
  /** The options the run was started with (tokenizer, budgets, thresholds, …). */
  options: JsonValue;
  inputFiles: string[];
}

/** One recorded number (or object) of a run: `(runId, step, key) → value`. */
export interface StatisticRecord {
  runId: string;
  step: string;
  key: string;
  value: JsonValue;
}

/** Counts for one value of a grouping (a project, a source type, a licence). */
export interface GroupCounts {
  /** The project, source type or licence; `null` where the documents have none. */
  key: string | null;
  documents: number;
  keptDocuments: number;
  chunks: number;
  keptChunks: number;
  /** Tokens of the kept chunks. */
  keptTokens: number;
}

/** What {@link CorpusStore.stats} reports: the numbers `cncf-llm corpus stats` prints. */
export interface CorpusStats {
  documents: {
    total: number;
    kept: number;
    removed: number;
    /** Distinct canonical URLs (several may hold the same content). */
    urls: number;
    /** UTF-8 bytes of the stored markdown of all documents. */
    markdownBytes: number;
    /** Bytes of the original responses, as the scraper received them. */
    fetchedBytes: number;
  };
  chunks: {
    total: number;
    kept: number;
    removed: number;
    tokens: number;
    keptTokens: number;
  };
  byProject: GroupCounts[];
  bySourceType: GroupCounts[];
  byLicence: GroupCounts[];
  /** Removed documents per `removedReason`, most frequent first. */
  removedDocuments: Array<{ reason: string | null; count: number }>;
  /** Removed chunks per `removedReason`, most frequent first. */
  removedChunks: Array<{ reason: string | null; count: number }>;
}
