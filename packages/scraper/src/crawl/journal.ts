import { z } from 'zod';

/**
 * One line of `crawl-journal.jsonl`: the crawl's write-ahead log. Every URL the crawl learns
 * of is journaled once (`seen` or `skip`), every fetch ends in one `done`, and every run starts
 * with `run` and, when it finishes its work, ends with `end`. Replaying the journal gives the
 * frontier, the validators for conditional requests and the report's totals, so a crawl killed
 * at any point resumes where it was.
 */
export const JournalEntrySchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('run'),
    run: z.number().int().positive(),
    mode: z.enum(['fresh', 'resume', 'refresh']),
    at: z.string(),
    seeds: z.array(z.string()),
    /** Records in `documents.jsonl` when the run started. */
    documents: z.number().int().nonnegative(),
  }),
  z.object({
    t: z.literal('seen'),
    url: z.string(),
    depth: z.number().int().nonnegative(),
    /** `refresh`: journaled again for a new generation, or taken back in after a skip. */
    via: z.enum(['seed', 'sitemap', 'link', 'redirect', 'canonical', 'refresh']),
  }),
  z.object({
    t: z.literal('skip'),
    url: z.string(),
    reason: z.string(),
    /** Link depth it was found at, so a later run with a wider scope or depth can take it in. */
    depth: z.number().int().nonnegative().optional(),
  }),
  z.object({
    t: z.literal('done'),
    url: z.string(),
    run: z.number().int().positive(),
    outcome: z.enum(['document', 'not-modified', 'duplicate', 'skipped', 'failed']),
    finalUrl: z.string().optional(),
    status: z.number().int().optional(),
    contentType: z.string().optional(),
    bytes: z.number().int().nonnegative().optional(),
    markdownBytes: z.number().int().nonnegative().optional(),
    documentId: z.string().optional(),
    etag: z.string().nullable().optional(),
    lastModified: z.string().nullable().optional(),
    reason: z.string().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
    retries: z.number().int().nonnegative().optional(),
  }),
  z.object({
    t: z.literal('end'),
    run: z.number().int().positive(),
    at: z.string(),
    durationMs: z.number().nonnegative(),
    stoppedBy: z.enum(['complete', 'max-pages', 'max-bytes']),
  }),
]);
/** One line of the crawl journal. */
export type JournalEntry = z.infer<typeof JournalEntrySchema>;
/** The `done` line of a fetched URL. */
export type DoneEntry = Extract<JournalEntry, { t: 'done' }>;
