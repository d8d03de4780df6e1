import { join } from 'node:path';
import { DocumentSchema } from '../document.js';
import { readJsonl, repairJsonl } from '../io/jsonl.js';
import { urlKey } from '../url/normalise.js';
import { type DoneEntry, JournalEntrySchema } from './journal.js';
import { CrawlReportBuilder } from './report.js';

/** File names inside a crawl directory. */
export const CRAWL_FILES = {
  documents: 'documents.jsonl',
  journal: 'crawl-journal.jsonl',
  report: 'crawl-report.json',
  /** Held while a crawl runs; see `acquireDirLock`. */
  lock: 'crawl.lock',
} as const;

/**
 * What the crawl keeps of a `done` line: enough for budgets and progress. The whole line
 * (messages, validators, final URLs) is folded into the report and dropped, so memory stays
 * at a few numbers per URL.
 */
export interface DoneMark {
  outcome: DoneEntry['outcome'];
  /** Whether a response was received (the line has a status): what `maxPages` counts. */
  fetched: boolean;
  bytes: number;
}

/** The {@link DoneMark} of a `done` line. */
export function doneMark(entry: DoneEntry): DoneMark {
  return { outcome: entry.outcome, fetched: entry.status !== undefined, bytes: entry.bytes ?? 0 };
}

/** What a crawl directory says about earlier runs, rebuilt by replaying its files. */
export interface CrawlState {
  /** Number of the last run, 0 for a new directory. */
  lastRun: number;
  /** Whether the last run reached its end (complete or out of budget) rather than being cut. */
  lastRunEnded: 'complete' | 'max-pages' | 'max-bytes' | null;
  /** Run number that started the current generation (a fresh or refresh run; resumes continue it). */
  generationStart: number;
  /**
   * Every URL learnt and not skipped, by key, in the order learnt, with the run of its latest
   * `seen` line (a URL whose line predates the generation is journaled again, so the report
   * of the generation accounts for it).
   */
  seen: Map<string, { url: string; depth: number; run: number }>;
  /** URLs learnt but not to be fetched, by key, with the journal's reason and the link depth. */
  skipped: Map<string, { url: string; reason: string; depth: number }>;
  /** URLs finished in the current generation, by key (requested and final URLs alike). */
  done: Map<string, DoneMark>;
  /** Documents in `documents.jsonl`: by key of their URL, the latest record's id and validators. */
  documents: Map<string, { id: string; etag: string | null; lastModified: string | null }>;
  /** Ids of every document in the file. */
  documentIds: Map<string, string>;
  /** Ids of the documents written during the current generation. */
  generationDocumentIds: Set<string>;
  /** Number of records in `documents.jsonl` (more than `documents.size` when a URL has several). */
  documentCount: number;
  /**
   * `done` lines that a kill lost: documents the last run appended whose `done` line never
   * followed. They are in `done` and in the report already; the next run journals them.
   */
  unjournaled: DoneEntry[];
  /** Total milliseconds of the current generation's earlier runs. */
  generationDurationMs: number;
  /** Start time of the current generation. */
  generationStartedAt: string | null;
  /** The current generation's journal folded into report totals. */
  report: CrawlReportBuilder;
}

/**
 * Rebuilds the state of a crawl directory: repairs torn tails of both files (a kill during a
 * write), then replays them. A missing directory or file is an empty state.
 */
export async function loadCrawlState(outDir: string): Promise<CrawlState> {
  const journalPath = join(outDir, CRAWL_FILES.journal);
  const documentsPath = join(outDir, CRAWL_FILES.documents);
  await repairJsonl(journalPath);
  await repairJsonl(documentsPath);

  const state: CrawlState = {
    lastRun: 0,
    lastRunEnded: null,
    generationStart: 0,
    seen: new Map(),
    skipped: new Map(),
    done: new Map(),
    documents: new Map(),
    documentIds: new Map(),
    documentCount: 0,
    generationDocumentIds: new Set(),
    unjournaled: [],
    generationDurationMs: 0,
    generationStartedAt: null,
    report: new CrawlReportBuilder(),
  };
  // Records in documents.jsonl when the last run started: what it appended comes after.
  let lastRunDocuments = 0;
  for await (const entry of readJsonl(journalPath, JournalEntrySchema)) {
    switch (entry.t) {
      case 'run':
        state.lastRun = entry.run;
        state.lastRunEnded = null;
        lastRunDocuments = entry.documents;
        if (entry.mode !== 'resume') {
          state.generationStart = entry.run;
          state.done.clear();
          state.generationDocumentIds.clear();
          state.generationDurationMs = 0;
          state.generationStartedAt = entry.at;
          state.report.reset();
        }
        break;
      case 'seen': {
        const key = urlKey(entry.url);
        const known = state.seen.get(key);
        if (known === undefined) {
          state.seen.set(key, { url: entry.url, depth: entry.depth, run: state.lastRun });
        } else known.run = state.lastRun;
        // A URL skipped once and taken back in later (a wider scope, a shallower link).
        state.skipped.delete(key);
        break;
      }
      case 'skip':
        state.skipped.set(urlKey(entry.url), {
          url: entry.url,
          reason: entry.reason,
          depth: entry.depth ?? 0,
        });
        break;
      case 'done':
        state.done.set(urlKey(entry.url), doneMark(entry));
        if (entry.outcome === 'document' && entry.documentId !== undefined) {
          state.generationDocumentIds.add(entry.documentId);
        }
        break;
      case 'end':
        state.lastRunEnded = entry.stoppedBy;
        state.generationDurationMs += entry.durationMs;
        break;
    }
    state.report.add(entry);
  }
  let index = 0;
  for await (const doc of readJsonl(documentsPath, DocumentSchema)) {
    const key = urlKey(doc.url);
    // The document is appended before its `done` line: a kill between the two leaves a page
    // that is in the file but not finished. Fetching it again could give another id (a page
    // that shows the time) and a second record, so the record itself is taken as the line.
    if (index >= lastRunDocuments && state.generationStart > 0 && !state.done.has(key)) {
      const entry: DoneEntry = {
        t: 'done',
        url: doc.url,
        run: state.lastRun,
        outcome: 'document',
        status: doc.httpStatus,
        bytes: doc.bytes,
        contentType: doc.contentType,
        markdownBytes: Buffer.byteLength(doc.markdown),
        documentId: doc.id,
        etag: doc.etag,
        lastModified: doc.lastModified,
      };
      state.unjournaled.push(entry);
      state.done.set(key, doneMark(entry));
      state.generationDocumentIds.add(doc.id);
      state.report.add(entry);
    }
    index++;
    state.documentCount++;
    const previous = state.documents.get(key);
    if (previous !== undefined && state.documentIds.get(previous.id) === doc.url) {
      state.documentIds.delete(previous.id);
    }
    state.documents.set(key, { id: doc.id, etag: doc.etag, lastModified: doc.lastModified });
    state.documentIds.set(doc.id, doc.url);
  }
  return state;
}
