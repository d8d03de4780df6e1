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
} as const;

/** What a crawl directory says about earlier runs, rebuilt by replaying its files. */
export interface CrawlState {
  /** Number of the last run, 0 for a new directory. */
  lastRun: number;
  /** Whether the last run reached its end (complete or out of budget) rather than being cut. */
  lastRunEnded: 'complete' | 'max-pages' | 'max-bytes' | null;
  /** Run number that started the current generation (a fresh or refresh run; resumes continue it). */
  generationStart: number;
  /** Every URL ever learnt, by key, in the order learnt. */
  seen: Map<string, { url: string; depth: number }>;
  /** URLs learnt but never to be fetched, by key, with the reason. */
  skipped: Map<string, { url: string; reason: string }>;
  /** `done` lines of the current generation, by key of the requested URL. */
  done: Map<string, DoneEntry>;
  /** Documents in `documents.jsonl`: by key of their URL, the latest record's id and validators. */
  documents: Map<string, { id: string; etag: string | null; lastModified: string | null }>;
  /** Ids of every document in the file. */
  documentIds: Map<string, string>;
  /** Ids of the documents written during the current generation. */
  generationDocumentIds: Set<string>;
  /** Number of records in `documents.jsonl`. */
  documentCount: number;
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
    generationDurationMs: 0,
    generationStartedAt: null,
    report: new CrawlReportBuilder(),
  };
  let generationDocumentsStart = 0;
  for await (const entry of readJsonl(journalPath, JournalEntrySchema)) {
    switch (entry.t) {
      case 'run':
        state.lastRun = entry.run;
        state.lastRunEnded = null;
        if (entry.mode !== 'resume') {
          state.generationStart = entry.run;
          state.done.clear();
          state.generationDurationMs = 0;
          state.generationStartedAt = entry.at;
          generationDocumentsStart = entry.documents;
          state.report.reset();
        }
        break;
      case 'seen': {
        const key = urlKey(entry.url);
        if (!state.seen.has(key)) state.seen.set(key, { url: entry.url, depth: entry.depth });
        break;
      }
      case 'skip':
        state.skipped.set(urlKey(entry.url), { url: entry.url, reason: entry.reason });
        break;
      case 'done':
        state.done.set(urlKey(entry.url), entry);
        break;
      case 'end':
        state.lastRunEnded = entry.stoppedBy;
        state.generationDurationMs += entry.durationMs;
        break;
    }
    state.report.add(entry);
  }
  for await (const doc of readJsonl(documentsPath, DocumentSchema)) {
    if (state.documentCount >= generationDocumentsStart && state.generationStart > 0) {
      state.generationDocumentIds.add(doc.id);
    }
    state.documentCount++;
    state.documents.set(urlKey(doc.url), {
      id: doc.id,
      etag: doc.etag,
      lastModified: doc.lastModified,
    });
    state.documentIds.set(doc.id, doc.url);
  }
  return state;
}
