// Test-only helpers shared by the store and export tests (not exported from the package).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DocumentSchema, type ScrapedDocument } from '@cncf-llm/scraper';
import { type Chunk, chunkId } from '../chunk-record.js';

/** The real scraped documents (etcd, Prometheus docs, the supply-chain whitepaper). */
export const FIXTURE_DOCUMENTS = fileURLToPath(
  new URL('../../test/fixtures/documents/documents.jsonl', import.meta.url),
);

/** The fixture documents, validated. */
export function readFixtureDocuments(): ScrapedDocument[] {
  return readFileSync(FIXTURE_DOCUMENTS, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => DocumentSchema.parse(JSON.parse(line)));
}

/**
 * Deliberately simple chunks: one per blank-line-separated block, with the headings seen so
 * far as the path and whitespace-separated words as tokens. The real chunker is tested on its
 * own; the store and the export only need realistic rows.
 */
export function paragraphChunks(doc: ScrapedDocument): Chunk[] {
  const chunks: Chunk[] = [];
  const headings: string[] = [];
  for (const match of doc.markdown.matchAll(/\S[\s\S]*?(?=\n[ \t]*\n|$)/g)) {
    const text = match[0].trimEnd();
    const heading = /^(#{1,6})\s+(.*)/.exec(text);
    if (heading) {
      headings.length = Math.min(headings.length, (heading[1] as string).length - 1);
      headings.push((heading[2] as string).trim());
    }
    const startOffset = match.index;
    const endOffset = startOffset + text.length;
    chunks.push({
      id: chunkId(doc.id, startOffset, endOffset, text),
      documentId: doc.id,
      index: chunks.length,
      text,
      headingPath: [...headings],
      startOffset,
      endOffset,
      tokens: text.split(/\s+/).filter(Boolean).length,
      project: doc.project,
      sourceType: doc.sourceType,
      url: doc.url,
      title: doc.title,
      licence: doc.licence,
      attribution: doc.attribution,
      language: doc.language,
    });
  }
  return chunks;
}
