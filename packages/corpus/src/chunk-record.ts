import { createHash } from 'node:crypto';
import { SourceTypeSchema } from '@cncf-llm/scraper';
import { z } from 'zod';

/**
 * One chunk of the corpus: a piece of one document, cut at structure (headings, paragraphs,
 * never inside a code block or table), within a token budget, carrying everything needed to
 * trace it to its source and licence. This is the row of the `chunks` table and of the Hub
 * dataset.
 */
export const ChunkSchema = z.object({
  /** sha256 (hex) of `documentId`, offsets and text: stable across runs for the same input. */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  documentId: z.string().regex(/^[0-9a-f]{64}$/),
  /** Position of the chunk in its document, from 0. */
  index: z.number().int().nonnegative(),
  text: z.string(),
  /** Headings above the chunk, outermost first (`['Operations guide', 'Maintenance']`). */
  headingPath: z.array(z.string()),
  /** Offsets of the chunk in the document's normalised markdown, in UTF-16 code units. */
  startOffset: z.number().int().nonnegative(),
  endOffset: z.number().int().nonnegative(),
  /** Tokens by the configured tokenizer (or the approximation). */
  tokens: z.number().int().nonnegative(),
  project: z.string().nullable(),
  sourceType: SourceTypeSchema,
  url: z.string(),
  title: z.string(),
  licence: z.string().nullable(),
  attribution: z.string().nullable(),
  language: z.string(),
});
/** One chunk of the corpus. */
export type Chunk = z.infer<typeof ChunkSchema>;

/** The stable id of a chunk. */
export function chunkId(
  documentId: string,
  startOffset: number,
  endOffset: number,
  text: string,
): string {
  return createHash('sha256')
    .update(`${documentId}\u0000${startOffset}\u0000${endOffset}\u0000`)
    .update(text)
    .digest('hex');
}
