import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Where a document came from. */
export const SourceTypeSchema = z.enum(['docs-site', 'github', 'stackoverflow', 'whitepaper']);
/** Where a document came from. */
export type SourceType = z.infer<typeof SourceTypeSchema>;

/**
 * One scraped document, one line of `documents.jsonl`. This is the contract between the
 * scraper and every later step (`@cncf-llm/corpus` ingests exactly this), so it is strict:
 * a record that does not parse is a bug, not data.
 */
export const DocumentSchema = z.object({
  /** sha256 (hex) of the normalised markdown; see {@link documentId}. */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  /** The URL that was fetched (after redirects). */
  url: z.string().url(),
  /** `rel=canonical` when the page names one (normalised), else `url` normalised. */
  canonicalUrl: z.string().url(),
  /** Landscape item name of the project, or `null` for an ad-hoc crawl. */
  project: z.string().nullable(),
  sourceType: SourceTypeSchema,
  title: z.string(),
  /** The content as clean markdown (text per page for PDFs). */
  markdown: z.string(),
  /** Media type of the response, without parameters (`text/html`, `application/pdf`, …). */
  contentType: z.string(),
  /** BCP 47 language tag, `en` unless the page says otherwise. */
  language: z.string(),
  /** SPDX identifier of the content licence, or `null` when unknown. */
  licence: z.string().nullable(),
  /** The attribution the licence asks for (author, link), or `null`. */
  attribution: z.string().nullable(),
  /** ISO 8601 time of the fetch. */
  fetchedAt: z.string().datetime({ offset: true }),
  etag: z.string().nullable(),
  lastModified: z.string().nullable(),
  httpStatus: z.number().int(),
  /** Size of the response body in bytes, as received. */
  bytes: z.number().int().nonnegative(),
  /** Absolute, normalised outgoing links, in page order, without duplicates. */
  links: z.array(z.string()),
  /** Source-specific extras: breadcrumbs, front matter, page count, tags, scores, … */
  metadata: z.record(z.string(), z.json()),
});
/** One scraped document. */
export type ScrapedDocument = z.infer<typeof DocumentSchema>;

/**
 * The form of markdown that {@link documentId} hashes: Unicode NFC, `\n` line ends, no
 * trailing spaces on lines, no leading or trailing blank lines. Two fetches of the same
 * content give the same id whatever the server's line endings.
 */
export function normaliseForId(markdown: string): string {
  return markdown
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/^\n+|\n+$/g, '');
}

/** sha256 (hex) of the normalised markdown: the document's stable id. */
export function documentId(markdown: string): string {
  return createHash('sha256').update(normaliseForId(markdown)).digest('hex');
}
