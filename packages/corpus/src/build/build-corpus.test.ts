import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentId, type ScrapedDocument } from '@cncf-llm/scraper';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCorpusStore } from '../store/corpus-store.js';
import { buildCorpus } from './build-corpus.js';

const fixture = new URL('../../test/fixtures/documents/documents.jsonl', import.meta.url).pathname;
let dir: string;
let docs: ScrapedDocument[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corpus-build-'));
  docs = (await readFile(fixture, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ScrapedDocument);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// Secrets built at run time from parts, so no credential-shaped string sits in the repository.
const fakeGithubToken = `ghp_${'A1b2C3d4E5f6G7h8I9j0'}${'K1l2M3n4O5p6Q7r8'}`;
const fakeAwsKey = `AKIA${'Q3TZ5MXV7R2W9KJD'}`;

function variant(doc: ScrapedDocument, url: string, markdown: string): ScrapedDocument {
  return { ...doc, url, canonicalUrl: url, markdown, id: documentId(markdown) };
}

describe('buildCorpus on the real etcd and Prometheus documents', () => {
  it('ingests, filters, deduplicates and chunks with provenance, and a re-run changes nothing', async () => {
    const faq = docs.find((d) => d.url === 'https://etcd.io/docs/v3.6/faq/');
    if (!faq) throw new Error('fixture lacks the etcd FAQ');
    const extra = join(dir, 'extra.jsonl');
    const older = variant(
      faq,
      'https://etcd.io/docs/v3.5/faq/',
      faq.markdown.replaceAll('v3.6', 'v3.5').replace('etcd', 'etcd (older docs)'),
    );
    const leaky = variant(
      faq,
      'https://etcd.io/docs/v3.6/leaky/',
      `# Leaky page\n\nConnect with token ${fakeGithubToken} and key ${fakeAwsKey}, or mail jane.doe.ops@gmail.com.\n\n${faq.markdown.slice(0, 3000)}`,
    );
    await writeFile(extra, `${JSON.stringify(older)}\nnot json at all\n${JSON.stringify(leaky)}\n`);
    const db = join(dir, 'corpus.duckdb');
    const report = await buildCorpus({ inputs: [fixture, extra], db });

    expect(report.ingest.files[0]?.read).toBe(docs.length);
    expect(report.ingest.files[1]).toMatchObject({ read: 3, invalid: 1 });
    expect(report.ingest.files[1]?.problems[0]?.line).toBe(2);
    expect(report.scrubbed.GITHUB_TOKEN).toBe(1);
    expect(report.scrubbed.AWS_ACCESS_KEY_ID).toBe(1);
    expect(report.documentDedup.byReason.version).toBeGreaterThanOrEqual(1);
    expect(report.chunking.chunks).toBeGreaterThan(docs.length);

    const store = await openCorpusStore({ path: db });
    try {
      const removed = new Map<string, string | null>();
      for await (const d of store.documents({ status: 'removed' }))
        removed.set(d.url, d.removedReason);
      expect(removed.get('https://etcd.io/docs/v3.5/faq/')).toBe('duplicate:version');
      const chunks = [];
      for await (const c of store.chunks()) chunks.push(c);
      const text = chunks.map((c) => c.text).join('\n');
      expect(text).not.toContain(fakeGithubToken);
      expect(text).not.toContain(fakeAwsKey);
      expect(text).not.toContain('jane.doe.ops@gmail.com');
      // Ordinary documentation is left alone: etcd's example endpoints survive.
      expect(text).toContain('127.0.0.1:2379');
      for (const c of chunks) {
        expect(c.licence === 'CC-BY-4.0' || c.licence === 'Apache-2.0').toBe(true);
        expect(c.url).toMatch(/^https:\/\//);
        if (c.tokens > 512) expect(c.text).toMatch(/```|\|/);
      }
      const ids = chunks.map((c) => c.id).sort();

      await store.close();
      const again = await buildCorpus({ inputs: [fixture, extra], db });
      expect(again.ingest.files[0]).toMatchObject({ inserted: 0, unchanged: docs.length });
      const reopened = await openCorpusStore({ path: db });
      const idsAgain = [];
      for await (const c of reopened.chunks()) idsAgain.push(c.id);
      await reopened.close();
      expect(idsAgain.sort()).toEqual(ids);
      expect(again.chunkDedup).toEqual(report.chunkDedup);
    } finally {
      await store.close().catch(() => {});
    }
  });
});
