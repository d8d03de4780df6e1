import { z } from 'zod';
import type { JournalEntry } from './journal.js';

const CountsByKey = z.record(z.string(), z.number().int().nonnegative());

/**
 * `crawl-report.json`: what one crawl generation (a fresh or refresh run and any resumes of it)
 * did, URL by URL in aggregate. Every URL the crawl learnt of is in exactly one bucket:
 * a document, not modified, a duplicate, skipped (with the reason), failed (with the error)
 * or still pending.
 */
export const CrawlReportSchema = z.object({
  version: z.literal(1),
  seeds: z.array(z.string()),
  startedAt: z.string().nullable(),
  finishedAt: z.string(),
  /** Time spent in this generation's runs, all resumes included. */
  durationMs: z.number().nonnegative(),
  runs: z.number().int().nonnegative(),
  complete: z.boolean(),
  stoppedBy: z.enum(['complete', 'max-pages', 'max-bytes', 'interrupted']),
  pages: z.object({
    discovered: z.number().int().nonnegative(),
    fetched: z.number().int().nonnegative(),
    documents: z.number().int().nonnegative(),
    notModified: z.number().int().nonnegative(),
    duplicates: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    pending: z.number().int().nonnegative(),
  }),
  /** Fetch outcomes by HTTP status, or by error code when there was no response. */
  byStatus: CountsByKey,
  /** Fetched pages by media type. */
  byContentType: CountsByKey,
  /** Skipped URLs by reason code, with the first few examples (URL and detail). */
  skipped: z.record(
    z.string(),
    z.object({ count: z.number().int().nonnegative(), examples: z.array(z.string()) }),
  ),
  failures: z.array(
    z.object({
      url: z.string(),
      code: z.string(),
      status: z.number().int().optional(),
      message: z.string(),
    }),
  ),
  bytes: z.object({
    received: z.number().int().nonnegative(),
    markdown: z.number().int().nonnegative(),
  }),
  retries: z.number().int().nonnegative(),
  documentsInFile: z.number().int().nonnegative(),
  robots: z.record(z.string(), z.enum(['ok', 'missing', 'unreachable', 'ignored'])),
  sitemapUrls: z.number().int().nonnegative(),
});
/** The crawl report. */
export type CrawlReport = z.infer<typeof CrawlReportSchema>;

const MAX_EXAMPLES = 10;
const MAX_FAILURES = 1000;

/** The reason code of a skip reason such as `robots-disallowed: /private/`. */
export function reasonCode(reason: string): string {
  const colon = reason.indexOf(':');
  return colon === -1 ? reason : reason.slice(0, colon);
}

/** Folds journal lines of one generation into report totals, in constant memory per URL. */
export class CrawlReportBuilder {
  private discovered = 0;
  private fetched = 0;
  private documents = 0;
  private notModified = 0;
  private duplicates = 0;
  private skippedCount = 0;
  private failed = 0;
  private received = 0;
  private markdown = 0;
  private retries = 0;
  private byStatus: Record<string, number> = {};
  private byContentType: Record<string, number> = {};
  private skipped: Record<string, { count: number; examples: string[] }> = {};
  private failures: CrawlReport['failures'] = [];

  reset(): void {
    Object.assign(this, new CrawlReportBuilder());
  }

  add(entry: JournalEntry): void {
    switch (entry.t) {
      case 'seen':
        this.discovered++;
        break;
      case 'skip':
        this.discovered++;
        this.skip(entry.url, entry.reason);
        break;
      case 'done': {
        if (entry.status !== undefined || entry.code !== undefined) {
          const key = entry.status !== undefined ? String(entry.status) : (entry.code ?? 'error');
          this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
        }
        if (entry.status !== undefined) this.fetched++;
        if (entry.contentType) {
          this.byContentType[entry.contentType] = (this.byContentType[entry.contentType] ?? 0) + 1;
        }
        this.received += entry.bytes ?? 0;
        this.markdown += entry.markdownBytes ?? 0;
        this.retries += entry.retries ?? 0;
        switch (entry.outcome) {
          case 'document':
            this.documents++;
            break;
          case 'not-modified':
            this.notModified++;
            break;
          case 'duplicate':
            this.duplicates++;
            this.skip(entry.url, entry.reason ?? 'duplicate');
            this.skippedCount--;
            break;
          case 'skipped':
            this.skip(entry.url, entry.reason ?? 'skipped');
            break;
          case 'failed':
            this.failed++;
            if (this.failures.length < MAX_FAILURES) {
              this.failures.push({
                url: entry.url,
                code: entry.code ?? 'error',
                ...(entry.status !== undefined ? { status: entry.status } : {}),
                message: entry.message ?? '',
              });
            }
            break;
        }
        break;
      }
      default:
        break;
    }
  }

  private skip(url: string, reason: string): void {
    this.skippedCount++;
    const code = reasonCode(reason);
    const bucket = this.skipped[code] ?? { count: 0, examples: [] };
    bucket.count++;
    if (bucket.examples.length < MAX_EXAMPLES) {
      bucket.examples.push(
        reason === code ? url : `${url} (${reason.slice(code.length + 1).trim()})`,
      );
    }
    this.skipped[code] = bucket;
  }

  build(meta: {
    seeds: string[];
    startedAt: string | null;
    durationMs: number;
    runs: number;
    stoppedBy: CrawlReport['stoppedBy'];
    pending: number;
    documentsInFile: number;
    robots: CrawlReport['robots'];
    sitemapUrls: number;
  }): CrawlReport {
    return {
      version: 1,
      seeds: meta.seeds,
      startedAt: meta.startedAt,
      finishedAt: new Date().toISOString(),
      durationMs: meta.durationMs,
      runs: meta.runs,
      complete: meta.stoppedBy === 'complete',
      stoppedBy: meta.stoppedBy,
      pages: {
        discovered: this.discovered,
        fetched: this.fetched,
        documents: this.documents,
        notModified: this.notModified,
        duplicates: this.duplicates,
        skipped: this.skippedCount,
        failed: this.failed,
        pending: meta.pending,
      },
      byStatus: { ...this.byStatus },
      byContentType: { ...this.byContentType },
      skipped: structuredClone(this.skipped),
      failures: [...this.failures],
      bytes: { received: this.received, markdown: this.markdown },
      retries: this.retries,
      documentsInFile: meta.documentsInFile,
      robots: meta.robots,
      sitemapUrls: meta.sitemapUrls,
    };
  }
}
