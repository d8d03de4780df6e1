import type { JsonValue } from '@cncf-llm/scraper';
import { z } from 'zod';
import { chunkDocumentWithStats } from '../chunk/chunk-document.js';
import { createTokenCounter } from '../chunk/token-counter.js';
import { dedupeIter } from '../dedup/dedupe.js';
import { createNearDuplicateIndex } from '../dedup/near-duplicate-index.js';
import type { DedupReport } from '../dedup/report.js';
import { CorpusError } from '../errors.js';
import { detectLanguage } from '../normalise/language.js';
import { normaliseText } from '../normalise/normalise-text.js';
import { checkQuality, resolveQualityOptions } from '../quality/check-quality.js';
import type { QualityOptions } from '../quality/quality-options.js';
import { scrubText } from '../scrub/scrub-text.js';
import { openCorpusStore } from '../store/corpus-store.js';
import type { StatusUpdate } from '../store/store-records.js';

/** Options of {@link buildCorpus}. */
export const BuildCorpusOptionsSchema = z.object({
  /** `documents.jsonl` files written by `@cncf-llm/scraper`. */
  inputs: z.array(z.string().min(1)).min(1),
  /** The DuckDB file (created when missing; re-running on it is incremental and idempotent). */
  db: z.string().min(1),
  /** Token budget of a chunk. @default 512 */
  chunkTokens: z.number().int().min(16).default(512),
  /** Tokens repeated from the end of the previous chunk. @default 0 */
  overlapTokens: z.number().int().nonnegative().default(0),
  /** A Hugging Face `tokenizer.json` to count tokens with; else a fast approximation. */
  tokenizer: z.string().optional(),
  /** Jaccard similarity from which two documents or chunks are near duplicates. @default 0.8 */
  dedupThreshold: z.number().min(0).max(1).default(0.8),
  /** Languages kept (ISO 639-1); a document reliably detected as another is removed. Empty keeps all. @default ['en'] */
  languages: z.array(z.string()).default(['en']),
  /** Replace PII and secrets with typed placeholders before anything is stored. @default true */
  scrub: z.boolean().default(true),
  /**
   * Memory DuckDB may use before it spills to disk (`'512MB'`, `'2GB'`): the build streams
   * text, so this bounds the process. @default '512MB'
   */
  memoryLimit: z.string().default('512MB'),
  /** Deduplicate chunks too (removes boilerplate sections repeated across pages). @default true */
  dedupChunks: z.boolean().default(true),
});
/** Options of {@link buildCorpus}. */
export type BuildCorpusOptions = z.input<typeof BuildCorpusOptionsSchema> & {
  /** Quality filter thresholds; see `QualityOptionsSchema`. */
  quality?: QualityOptions;
  signal?: AbortSignal;
};

/** A step of the build. */
export type BuildStep = 'ingest' | 'filter' | 'dedup-documents' | 'chunk' | 'dedup-chunks';

/** Progress of {@link buildCorpusIter}. */
export type BuildEvent =
  | { type: 'step-started'; step: BuildStep }
  | { type: 'step-progress'; step: BuildStep; done: number; total?: number; bytes?: number }
  | { type: 'step-finished'; step: BuildStep; elapsedMs: number; stats: Record<string, unknown> }
  | { type: 'build-finished'; report: BuildReport };

/** What a build did; also kept in the store's `statistics` under the run id. */
export interface BuildReport {
  runId: string;
  db: string;
  elapsedMs: number;
  ingest: {
    files: {
      path: string;
      read: number;
      inserted: number;
      updated: number;
      unchanged: number;
      duplicates: number;
      invalid: number;
      problems: { line: number; message: string }[];
    }[];
    markdownBytes: number;
  };
  scrubbed: Record<string, number>;
  filters: {
    language: Record<string, number>;
    quality: Record<string, number>;
    kept: number;
    removed: number;
  };
  documentDedup: { totals: DedupReport['totals'] | null; byReason: Record<string, number> };
  chunking: {
    documents: number;
    chunks: number;
    tokens: number;
    oversize: { code: number; table: number; other: number };
    tokenizer: string;
  };
  chunkDedup: { kept: number; removed: number; byReason: Record<string, number> } | null;
  stepMs: Record<BuildStep, number>;
}

/**
 * Builds the corpus: ingests scraped documents into the DuckDB store (normalised to NFC, PII
 * and secrets scrubbed), removes documents in another language or of low quality, removes
 * exact, near-duplicate and older-version documents, chunks what is left at structure
 * boundaries within the token budget, and removes duplicate chunks. Every removal keeps its
 * reason in the store; statistics of each step are recorded under the run.
 *
 * Runs again on the same store are idempotent: the same input gives the same rows and chunks.
 */
export async function* buildCorpusIter(
  options: BuildCorpusOptions,
): AsyncGenerator<BuildEvent, BuildReport> {
  const { quality, signal, ...rest } = options;
  const parsed = BuildCorpusOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorpusError(
      'invalid-options',
      `Invalid corpus build option ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}.`,
    );
  }
  const opts = parsed.data;
  const qualityOptions = resolveQualityOptions(quality);
  const counter = await createTokenCounter(opts.tokenizer ? { tokenizer: opts.tokenizer } : {});
  const started = performance.now();
  const store = await openCorpusStore({ path: opts.db, memoryLimit: opts.memoryLimit });
  const stepMs = {} as Record<BuildStep, number>;
  const check = () => {
    if (signal?.aborted) {
      throw new CorpusError(
        'aborted',
        'The corpus build was interrupted; run it again to finish (it is idempotent).',
        { cause: signal.reason },
      );
    }
  };
  try {
    const run = await store.startRun({
      options: asJson({ ...opts, quality: quality ?? null }),
      inputFiles: opts.inputs,
    });
    const record = (step: string, key: string, value: unknown) =>
      store.recordStatistics(run.id, step, key, asJson(value));

    // 1. Ingest, normalised and scrubbed: secrets never reach the store, let alone a chunk.
    yield { type: 'step-started', step: 'ingest' };
    let t = performance.now();
    const scrubbed: Record<string, number> = {};
    const files: BuildReport['ingest']['files'] = [];
    let markdownBytes = 0;
    for (const path of opts.inputs) {
      check();
      const progress: { done: number; bytes: number }[] = [];
      const result = await store.ingestJsonl(path, {
        runId: run.id,
        ...(signal ? { signal } : {}),
        transform: (doc) => {
          let markdown = normaliseText(doc.markdown);
          if (opts.scrub) {
            const s = scrubText(markdown);
            markdown = s.text;
            for (const [k, v] of Object.entries(s.counts)) scrubbed[k] = (scrubbed[k] ?? 0) + v;
          }
          return { ...doc, markdown };
        },
        onProgress: (p) => progress.push({ done: p.read, bytes: p.markdownBytes }),
      });
      for (const p of progress.splice(0)) {
        yield { type: 'step-progress', step: 'ingest', done: p.done, bytes: p.bytes };
      }
      markdownBytes += result.markdownBytes;
      files.push({
        path,
        read: result.read,
        inserted: result.inserted,
        updated: result.updated,
        unchanged: result.unchanged,
        duplicates: result.duplicates,
        invalid: result.invalid,
        problems: result.problems,
      });
    }
    await record('ingest', 'files', files);
    await record('scrub', 'replacements', scrubbed);
    stepMs.ingest = performance.now() - t;
    yield {
      type: 'step-finished',
      step: 'ingest',
      elapsedMs: stepMs.ingest,
      stats: { files, scrubbed },
    };

    // 2. Language and quality, per document. Statuses are reset first so that a re-run with
    // other options decides afresh.
    yield { type: 'step-started', step: 'filter' };
    t = performance.now();
    await store.resetDocumentStatus();
    const languageRemoved: Record<string, number> = {};
    const qualityRemoved: Record<string, number> = {};
    const updates: StatusUpdate[] = [];
    let seen = 0;
    let kept = 0;
    for await (const doc of store.documents()) {
      check();
      seen++;
      if (opts.languages.length > 0) {
        const detected = detectLanguage(doc.markdown);
        if (detected?.reliable && !opts.languages.includes(detected.language)) {
          languageRemoved[detected.language] = (languageRemoved[detected.language] ?? 0) + 1;
          updates.push({
            id: doc.id,
            status: 'removed',
            removedReason: `language:${detected.language}`,
            removedBy: null,
          });
          continue;
        }
      }
      const verdict = checkQuality(doc.markdown, qualityOptions);
      if (!verdict.keep) {
        const first = verdict.failed[0]?.filter ?? 'quality';
        qualityRemoved[first] = (qualityRemoved[first] ?? 0) + 1;
        updates.push({
          id: doc.id,
          status: 'removed',
          removedReason: `quality:${first}`,
          removedBy: null,
        });
        continue;
      }
      kept++;
      if (seen % 1000 === 0) yield { type: 'step-progress', step: 'filter', done: seen };
    }
    await store.setDocumentStatus(updates);
    const filters = {
      language: languageRemoved,
      quality: qualityRemoved,
      kept,
      removed: seen - kept,
    };
    await record('filter', 'summary', filters);
    stepMs.filter = performance.now() - t;
    yield { type: 'step-finished', step: 'filter', elapsedMs: stepMs.filter, stats: filters };

    // 3. Document dedup: exact, near and older versions, with the keep policy.
    yield { type: 'step-started', step: 'dedup-documents' };
    t = performance.now();
    let dedupReport: DedupReport | undefined;
    const docUpdates: StatusUpdate[] = [];
    const docByReason: Record<string, number> = {};
    for await (const event of dedupeIter({
      items: (async function* () {
        for await (const doc of store.documents({
          status: 'kept',
          fields: ['id', 'markdown', 'project', 'sourceType', 'url'],
        })) {
          yield {
            id: doc.id,
            text: doc.markdown,
            key: { project: doc.project, sourceType: doc.sourceType, url: doc.url },
          };
        }
      })(),
      threshold: opts.dedupThreshold,
      ...(signal ? { signal } : {}),
    })) {
      if (event.type === 'item-decided' && !event.decision.kept) {
        const d = event.decision;
        docByReason[d.reason] = (docByReason[d.reason] ?? 0) + 1;
        docUpdates.push({
          id: d.id,
          status: 'removed',
          removedReason: `duplicate:${d.reason}`,
          removedBy: d.keptId,
        });
      } else if (event.type === 'items-fingerprinted') {
        yield {
          type: 'step-progress',
          step: 'dedup-documents',
          done: event.items,
          bytes: event.characters,
        };
      } else if (event.type === 'dedup-finished') {
        dedupReport = event.report;
      }
    }
    await store.setDocumentStatus(docUpdates);
    if (dedupReport) await record('dedup-documents', 'report', dedupReport);
    stepMs['dedup-documents'] = performance.now() - t;
    yield {
      type: 'step-finished',
      step: 'dedup-documents',
      elapsedMs: stepMs['dedup-documents'],
      stats: { removed: docUpdates.length, byReason: docByReason },
    };

    // 4. Chunk the kept documents (from scratch: chunk ids are stable, so the same input gives
    // the same chunks).
    yield { type: 'step-started', step: 'chunk' };
    t = performance.now();
    await store.clearChunks();
    const chunking: BuildReport['chunking'] = {
      documents: 0,
      chunks: 0,
      tokens: 0,
      oversize: { code: 0, table: 0, other: 0 },
      tokenizer: counter.name,
    };
    const chunkStream = async function* () {
      for await (const doc of store.documents({ status: 'kept', orderBy: 'id' })) {
        check();
        const { chunks, stats } = chunkDocumentWithStats(doc, {
          counter,
          maxTokens: opts.chunkTokens,
          overlapTokens: opts.overlapTokens,
        });
        chunking.documents++;
        chunking.chunks += stats.chunks;
        chunking.tokens += stats.tokens;
        chunking.oversize.code += stats.oversize.code;
        chunking.oversize.table += stats.oversize.table;
        chunking.oversize.other += stats.oversize.other;
        yield* chunks;
      }
    };
    await store.insertChunks(chunkStream(), { validate: false });
    await record('chunk', 'summary', chunking);
    stepMs.chunk = performance.now() - t;
    yield { type: 'step-finished', step: 'chunk', elapsedMs: stepMs.chunk, stats: chunking };

    // 5. Chunk dedup, streaming: a section repeated across pages (an install snippet, a
    // licence footer) is kept once.
    let chunkDedup: BuildReport['chunkDedup'] = null;
    if (opts.dedupChunks) {
      yield { type: 'step-started', step: 'dedup-chunks' };
      t = performance.now();
      await store.resetChunkStatus();
      const index = createNearDuplicateIndex({
        threshold: opts.dedupThreshold,
        collapseVersions: false,
        level: 'chunk',
      });
      const byReason: Record<string, number> = {};
      const chunkUpdates: StatusUpdate[] = [];
      let n = 0;
      // Only the fields dedup needs: converting every column is most of a listing's cost.
      for await (const chunk of store.chunks({
        orderBy: 'document',
        fields: ['id', 'text', 'project', 'sourceType', 'url'],
      })) {
        check();
        const decision = index.add({
          id: chunk.id,
          text: chunk.text,
          key: { project: chunk.project, sourceType: chunk.sourceType, url: chunk.url },
        });
        if (!decision.kept) {
          byReason[decision.reason] = (byReason[decision.reason] ?? 0) + 1;
          chunkUpdates.push({
            id: chunk.id,
            status: 'removed',
            removedReason: `duplicate:${decision.reason}`,
            removedBy: decision.keptId,
          });
        }
        if (++n % 5000 === 0) yield { type: 'step-progress', step: 'dedup-chunks', done: n };
      }
      await store.setChunkStatus(chunkUpdates);
      chunkDedup = { kept: n - chunkUpdates.length, removed: chunkUpdates.length, byReason };
      await record('dedup-chunks', 'report', index.report());
      stepMs['dedup-chunks'] = performance.now() - t;
      yield {
        type: 'step-finished',
        step: 'dedup-chunks',
        elapsedMs: stepMs['dedup-chunks'],
        stats: chunkDedup,
      };
    }

    await store.finishRun(run.id);
    const report: BuildReport = {
      runId: run.id,
      db: opts.db,
      elapsedMs: performance.now() - started,
      ingest: { files, markdownBytes },
      scrubbed,
      filters,
      documentDedup: { totals: dedupReport?.totals ?? null, byReason: docByReason },
      chunking,
      chunkDedup,
      stepMs,
    };
    yield { type: 'build-finished', report };
    return report;
  } finally {
    await store.close();
  }
}

/** Builds the corpus and returns the report; see {@link buildCorpusIter}. */
export async function buildCorpus(options: BuildCorpusOptions): Promise<BuildReport> {
  const it = buildCorpusIter(options);
  while (true) {
    const step = await it.next();
    if (step.done) return step.value;
  }
}

/** Build options and statistics are plain data (numbers, strings, records); this says so. */
function asJson(value: unknown): JsonValue {
  return value as JsonValue;
}
