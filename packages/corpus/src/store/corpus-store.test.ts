import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentId, type ScrapedDocument } from '@cncf-llm/scraper';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCorpusError } from '../errors.js';
import { type CorpusStore, openCorpusStore, storeInternals } from './corpus-store.js';
import { FIXTURE_DOCUMENTS, paragraphChunks, readFixtureDocuments } from './test-support.js';

const fixture = readFixtureDocuments();

let dir: string;
let store: CorpusStore | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corpus-store-'));
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Every row of a table as DuckDB returns it, in a fixed order (an independent view of the store). */
async function dump(s: CorpusStore, table: string, orderBy = 'id'): Promise<unknown[]> {
  return storeInternals(s).exclusive(async (connection) =>
    (
      await connection.runAndReadAll(`SELECT * FROM ${table} ORDER BY ${orderBy}`)
    ).getRowObjectsJson(),
  );
}

/** A later version of a page: a paragraph added, so new content and a new id. */
function newVersion(doc: ScrapedDocument, fetchedAt: string): ScrapedDocument {
  const markdown = `${doc.markdown}\n\nThis paragraph was added in a later revision of the page.`;
  return { ...doc, markdown, id: documentId(markdown), fetchedAt };
}

describe('ingest', () => {
  it('stores every fixture document, and a second ingest of the same file changes nothing', async () => {
    store = await openCorpusStore({ path: join(dir, 'corpus.duckdb') });
    const first = await store.ingestJsonl(FIXTURE_DOCUMENTS);
    expect(first).toMatchObject({
      read: 166,
      inserted: 166,
      unchanged: 0,
      invalid: 0,
      superseded: 0,
    });
    expect(first.markdownBytes).toBe(
      fixture.reduce((n, d) => n + Buffer.byteLength(d.markdown), 0),
    );
    const documents = await dump(store, 'documents');
    const urls = await dump(store, 'document_urls', 'canonical_url');

    const second = await store.ingestJsonl(FIXTURE_DOCUMENTS);
    expect(second).toMatchObject({ read: 166, inserted: 0, updated: 0, unchanged: 166, stale: 0 });
    expect(await dump(store, 'documents')).toEqual(documents);
    expect(await dump(store, 'document_urls', 'canonical_url')).toEqual(urls);
    expect(documents).toHaveLength(166);
  });

  it('round-trips every field of the scraped records', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    await store.ingestDocuments(fixture, { sourceFile: 'fixture' });
    const byId = new Map(fixture.map((d, i) => [d.id, { doc: d, line: i + 1 }]));
    let seen = 0;
    for await (const stored of store.documents()) {
      const { sourceFile, sourceLine, status, removedReason, removedBy, ...doc } = stored;
      const original = byId.get(doc.id);
      expect(doc).toEqual(original?.doc);
      expect({ sourceFile, sourceLine, status, removedReason, removedBy }).toEqual({
        sourceFile: 'fixture',
        sourceLine: original?.line,
        status: 'kept',
        removedReason: null,
        removedBy: null,
      });
      seen++;
    }
    expect(seen).toBe(166);

    // A listing of some fields yields exactly those, with the same values.
    const light = [];
    for await (const doc of store.documents({
      fields: ['markdown', 'id', 'links'],
      orderBy: 'id',
    })) {
      light.push(doc);
    }
    expect(light).toEqual(
      [...fixture]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((d) => ({ markdown: d.markdown, id: d.id, links: d.links })),
    );
    const chunks = fixture.slice(0, 5).flatMap(paragraphChunks);
    await store.insertChunks(chunks);
    const texts = [];
    for await (const c of store.chunks({ fields: ['id', 'headingPath', 'index'], orderBy: 'id' }))
      texts.push(c);
    expect(texts).toEqual(
      chunks
        .map((c) => ({ id: c.id, headingPath: c.headingPath, index: c.index }))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    await expect(store.documents({ fields: ['nope' as 'id'] }).next()).rejects.toSatisfy((e) =>
      isCorpusError(e, 'invalid-options'),
    );
  });

  it('replaces the version of a URL with a later fetch, ignores an older one, and drops the old chunks', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    await store.ingestDocuments(fixture, { sourceFile: 'day-1.jsonl' });
    const page = fixture.find(
      (d) => d.url === 'https://prometheus.io/docs/introduction/overview/',
    ) as ScrapedDocument;
    expect(page).toBeDefined();
    await store.insertChunks(fixture.flatMap(paragraphChunks));
    const oldChunks = await store.countChunks({ documentId: page.id });
    expect(oldChunks).toBeGreaterThan(0);

    const later = newVersion(page, '2026-12-01T00:00:00.000Z');
    const result = await store.ingestDocuments([later], { sourceFile: 'day-2.jsonl' });
    expect(result).toMatchObject({ inserted: 0, updated: 1, superseded: 1, stale: 0 });

    const ids = (await dump(store, 'documents')).map((row) => (row as { id: string }).id);
    expect(ids).toHaveLength(166);
    expect(ids).toContain(later.id);
    expect(ids).not.toContain(page.id);
    expect(await store.countChunks({ documentId: page.id })).toBe(0);
    const totalChunks = fixture.flatMap(paragraphChunks).length;
    expect(await store.countChunks()).toBe(totalChunks - oldChunks);
    // The new version has no chunks yet: an incremental build finds exactly it.
    const unchunked: string[] = [];
    for await (const doc of store.documents({ hasChunks: false })) unchunked.push(doc.id);
    expect(unchunked).toEqual([later.id]);

    // Ingesting the day-1 file again must not bring the old version back.
    const again = await store.ingestDocuments(fixture, { sourceFile: 'day-1.jsonl' });
    expect(again).toMatchObject({ read: 166, stale: 1, unchanged: 165, inserted: 0, updated: 0 });
    const row = (await dump(store, 'document_urls', 'canonical_url')).find(
      (r) => (r as { canonical_url: string }).canonical_url === page.canonicalUrl,
    );
    expect(row).toMatchObject({ document_id: later.id, source_file: 'day-2.jsonl' });
  });

  it('stores content once when two URLs hold it, and keeps it while either URL does', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    const page = fixture[5] as ScrapedDocument;
    const mirror = {
      ...page,
      url: 'https://mirror.example.org/page/',
      canonicalUrl: 'https://mirror.example.org/page/',
    };
    const result = await store.ingestDocuments([page, mirror], { sourceFile: 'a.jsonl' });
    expect(result).toMatchObject({ inserted: 1, duplicates: 1 });
    expect(await store.countDocuments()).toBe(1);
    expect(await dump(store, 'document_urls', 'canonical_url')).toHaveLength(2);
    // The original URL moves on; the mirror still holds the old content, so it stays.
    const moved = await store.ingestDocuments([newVersion(page, '2027-01-01T00:00:00Z')], {
      sourceFile: 'b.jsonl',
    });
    expect(moved).toMatchObject({ updated: 1, superseded: 0 });
    expect(await store.countDocuments()).toBe(2);
  });

  it('reports invalid lines with their line numbers and ingests the rest', async () => {
    const lines = (await readFile(FIXTURE_DOCUMENTS, 'utf8')).split('\n').filter(Boolean);
    const broken = [...lines];
    broken.splice(2, 0, '{"id": "truncated'); // line 3: not JSON
    const missingUrl = JSON.parse(lines[5] as string);
    delete missingUrl.url;
    broken.splice(6, 1, JSON.stringify(missingUrl)); // line 7: not a document
    broken.splice(9, 0, ''); // a blank line is not a record
    const file = join(dir, 'documents.jsonl');
    await writeFile(file, `${broken.join('\r\n')}`);

    store = await openCorpusStore({ path: ':memory:' });
    const seen: number[] = [];
    const result = await store.ingestJsonl(file, { onInvalid: (p) => seen.push(p.line) });
    expect(result.invalid).toBe(2);
    expect(result.problems.map((p) => p.line)).toEqual([3, 7]);
    expect(seen).toEqual([3, 7]);
    expect(result.problems[0]?.message).toMatch(/not JSON/);
    expect(result.problems[1]?.message).toMatch(/url/);
    expect(result.read).toBe(167);
    expect(result.inserted).toBe(165);
    expect(await store.countDocuments()).toBe(165);
  });

  it('applies a transform and skips what it drops', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    const result = await store.ingestDocuments(fixture, {
      sourceFile: 'fixture',
      transform: (doc) =>
        doc.project === 'etcd' ? null : { ...doc, title: doc.title.toUpperCase() },
    });
    const etcd = fixture.filter((d) => d.project === 'etcd').length;
    expect(result).toMatchObject({ skipped: etcd, inserted: 166 - etcd });
    for await (const doc of store.documents()) expect(doc.title).toBe(doc.title.toUpperCase());
  });

  it('stops on abort without losing what was committed, and a rerun completes the ingest', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    const controller = new AbortController();
    let seen = 0;
    await expect(
      store.ingestDocuments(fixture, {
        sourceFile: 'fixture',
        signal: controller.signal,
        transform: (doc) => {
          if (++seen === 100) controller.abort();
          return doc;
        },
      }),
    ).rejects.toSatisfy((e) => isCorpusError(e, 'aborted'));
    const rerun = await store.ingestDocuments(fixture, { sourceFile: 'fixture' });
    expect(rerun.inserted + rerun.unchanged).toBe(166);
    expect(await store.countDocuments()).toBe(166);
    expect(await dump(store, 'document_urls', 'canonical_url')).toHaveLength(166);
  });

  it('reports a missing input file as an io-error', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    await expect(store.ingestJsonl(join(dir, 'missing.jsonl'))).rejects.toSatisfy((e) =>
      isCorpusError(e, 'io-error'),
    );
  });

  it('keeps the data when the file is reopened, readable by plain DuckDB', async () => {
    const path = join(dir, 'nested', 'corpus.duckdb');
    store = await openCorpusStore({ path });
    await store.ingestJsonl(FIXTURE_DOCUMENTS);
    await store.insertChunks(fixture.flatMap(paragraphChunks));
    await store.close();

    // Independent reader: DuckDB itself, without this package.
    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    const rows = (
      await connection.runAndReadAll('SELECT id, url, licence, markdown FROM documents ORDER BY id')
    ).getRowObjectsJson();
    const chunkCount = (
      await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM chunks')
    ).getRowObjectsJson();
    connection.closeSync();
    instance.closeSync();
    const expected = [...fixture]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((d) => ({ id: d.id, url: d.url, licence: d.licence, markdown: d.markdown }));
    expect(rows).toEqual(expected);
    expect(chunkCount).toEqual([{ n: fixture.flatMap(paragraphChunks).length }]);

    store = await openCorpusStore({ path, readOnly: true });
    expect(await store.countDocuments()).toBe(166);
    await expect(store.ingestJsonl(FIXTURE_DOCUMENTS)).rejects.toSatisfy((e) =>
      isCorpusError(e, 'store-error'),
    );
    // Reopened for writing: re-ingesting still changes nothing (the URL index is rebuilt from disk).
    await store.close();
    store = await openCorpusStore({ path });
    expect(await store.ingestJsonl(FIXTURE_DOCUMENTS)).toMatchObject({
      unchanged: 166,
      inserted: 0,
    });
  });
});

describe('schema', () => {
  it('refuses a store written by a newer schema, and a DuckDB file that is not a store', async () => {
    const path = join(dir, 'corpus.duckdb');
    store = await openCorpusStore({ path });
    await storeInternals(store).exclusive((c) =>
      c.run(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`),
    );
    await store.close();
    store = undefined;
    await expect(openCorpusStore({ path })).rejects.toThrow(/schema 99, newer/);

    const other = join(dir, 'other.duckdb');
    const instance = await DuckDBInstance.create(other);
    const connection = await instance.connect();
    await connection.run('CREATE TABLE sales (id INTEGER)');
    connection.closeSync();
    instance.closeSync();
    await expect(openCorpusStore({ path: other })).rejects.toThrow(/not a corpus store/);
  });

  it('rejects invalid options', async () => {
    await expect(openCorpusStore({ path: '' })).rejects.toSatisfy((e) =>
      isCorpusError(e, 'invalid-options'),
    );
    await expect(openCorpusStore({ path: ':memory:', readOnly: true })).rejects.toThrow(
      /in-memory/,
    );
  });
});

describe('statuses and chunks', () => {
  it('marks documents and chunks removed with reasons, lists by status, and resets', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    await store.ingestDocuments(fixture, { sourceFile: 'fixture' });
    const [a, b, c] = fixture as [ScrapedDocument, ScrapedDocument, ScrapedDocument];
    const changed = await store.setDocumentStatus([
      { id: a.id, status: 'removed', removedReason: 'dedup:near-duplicate', removedBy: b.id },
      { id: c.id, status: 'removed', removedReason: 'language' },
      { id: 'f'.repeat(64), status: 'removed', removedReason: 'unknown id' },
    ]);
    expect(changed).toBe(2);
    const removed = [];
    for await (const doc of store.documents({ status: 'removed', orderBy: 'id' }))
      removed.push(doc);
    expect(removed.map((d) => [d.id, d.removedReason, d.removedBy])).toEqual(
      [
        [a.id, 'dedup:near-duplicate', b.id],
        [c.id, 'language', null],
      ].sort((x, y) => ((x[0] as string) < (y[0] as string) ? -1 : 1)),
    );
    expect(await store.countDocuments({ status: 'kept' })).toBe(164);
    await expect(store.setDocumentStatus([{ id: 'nope', status: 'kept' }])).rejects.toSatisfy((e) =>
      isCorpusError(e, 'invalid-input'),
    );
    expect(await store.resetDocumentStatus()).toBe(2);
    expect(await store.countDocuments({ status: 'removed' })).toBe(0);

    const chunks = fixture.flatMap(paragraphChunks);
    expect(await store.insertChunks(chunks)).toBe(chunks.length);
    await expect(store.insertChunks(chunks.slice(0, 3))).rejects.toThrow(/clearChunks/);
    expect(await store.countChunks()).toBe(chunks.length);
    const updates = chunks.slice(0, 25_000).map((ch, i) => ({
      id: ch.id,
      status: i % 3 === 0 ? ('removed' as const) : ('kept' as const),
      removedReason: i % 3 === 0 ? 'quality:min-words' : null,
    }));
    const expectedRemoved = updates.filter((u) => u.status === 'removed').length;
    expect(await store.setChunkStatus(updates)).toBe(updates.length);
    expect(await store.countChunks({ status: 'removed' })).toBe(expectedRemoved);
    const streamed: string[] = [];
    for await (const ch of store.chunks({ status: 'removed', orderBy: 'id' })) {
      expect(ch.removedReason).toBe('quality:min-words');
      streamed.push(ch.id);
    }
    expect(streamed).toEqual(
      updates
        .filter((u) => u.status === 'removed')
        .map((u) => u.id)
        .sort(),
    );
    // Chunks come back exactly as written.
    const one = chunks[42];
    for await (const ch of store.chunks({ documentId: one?.documentId, orderBy: 'document' })) {
      if (ch.id !== one?.id) continue;
      const { status: _s, removedReason: _r, removedBy: _b, ...plain } = ch;
      expect(plain).toEqual(one);
    }
    expect(await store.clearChunks()).toBe(chunks.length);
    expect(await store.countChunks()).toBe(0);
  });

  it('lets a listing run while statuses are written', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    await store.ingestDocuments(fixture, { sourceFile: 'fixture' });
    let n = 0;
    for await (const doc of store.documents({ orderBy: 'id' })) {
      if (n++ % 10 === 0)
        await store.setDocumentStatus([{ id: doc.id, status: 'removed', removedReason: 'test' }]);
    }
    expect(n).toBe(166);
    expect(await store.countDocuments({ status: 'removed' })).toBe(17);
  });
});

describe('runs, statistics and stats', () => {
  it('records runs and statistics, and reads the latest run', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    const run = await store.startRun({
      options: { chunkTokens: 512 },
      inputFiles: [FIXTURE_DOCUMENTS],
    });
    await store.ingestJsonl(FIXTURE_DOCUMENTS, { runId: run.id });
    await store.recordStatistics(run.id, 'dedup', 'near-duplicates', 3);
    await store.recordStatistics(run.id, 'dedup', 'near-duplicates', 4);
    await store.recordStatistics(run.id, 'quality', 'rules', { 'min-words': 2 });
    await expect(store.recordStatistics('missing', 'x', 'y', 1)).rejects.toThrow(/No run missing/);
    const finished = await store.finishRun(run.id);
    expect(finished).toMatchObject({
      id: run.id,
      status: 'finished',
      options: { chunkTokens: 512 },
    });
    expect(finished.finishedAt).not.toBeNull();

    const statistics = await store.statistics();
    expect(statistics.map((s) => [s.step, s.key, s.value])).toEqual([
      ['dedup', 'near-duplicates', 4],
      [
        'ingest',
        FIXTURE_DOCUMENTS,
        expect.objectContaining({ read: 166, inserted: 166, problems: 0 }),
      ],
      ['quality', 'rules', { 'min-words': 2 }],
    ]);
    expect(await store.runs()).toEqual([finished]);
  });

  it('counts per project, source type, licence and status, matching a count made from the input', async () => {
    store = await openCorpusStore({ path: ':memory:' });
    await store.ingestDocuments(fixture, { sourceFile: 'fixture' });
    const chunks = fixture.flatMap(paragraphChunks);
    await store.insertChunks(chunks);
    // Remove every 7th document and every 5th chunk.
    const removedDocs = fixture.filter((_, i) => i % 7 === 0);
    const removedChunks = chunks.filter((_, i) => i % 5 === 0);
    await store.setDocumentStatus(
      removedDocs.map((d) => ({ id: d.id, status: 'removed' as const, removedReason: 'quality' })),
    );
    await store.setChunkStatus(
      removedChunks.map((c) => ({ id: c.id, status: 'removed' as const, removedReason: 'dedup' })),
    );

    const stats = await store.stats();
    const removedDocIds = new Set(removedDocs.map((d) => d.id));
    const removedChunkIds = new Set(removedChunks.map((c) => c.id));
    const keptChunks = chunks.filter((c) => !removedChunkIds.has(c.id));
    expect(stats.documents).toEqual({
      total: 166,
      kept: 166 - removedDocs.length,
      removed: removedDocs.length,
      urls: 166,
      markdownBytes: fixture.reduce((n, d) => n + Buffer.byteLength(d.markdown), 0),
      fetchedBytes: fixture.reduce((n, d) => n + d.bytes, 0),
    });
    expect(stats.chunks).toEqual({
      total: chunks.length,
      kept: keptChunks.length,
      removed: removedChunks.length,
      tokens: chunks.reduce((n, c) => n + c.tokens, 0),
      keptTokens: keptChunks.reduce((n, c) => n + c.tokens, 0),
    });
    const expectGroups = (
      key: (d: {
        project: string | null;
        sourceType: string;
        licence: string | null;
      }) => string | null,
    ) => {
      const groups = new Map<
        string | null,
        {
          documents: number;
          keptDocuments: number;
          chunks: number;
          keptChunks: number;
          keptTokens: number;
        }
      >();
      const get = (k: string | null) => {
        const found = groups.get(k);
        if (found) return found;
        const g = { documents: 0, keptDocuments: 0, chunks: 0, keptChunks: 0, keptTokens: 0 };
        groups.set(k, g);
        return g;
      };
      for (const d of fixture) {
        const g = get(key(d));
        g.documents++;
        if (!removedDocIds.has(d.id)) g.keptDocuments++;
      }
      for (const c of chunks) {
        const g = get(key(c));
        g.chunks++;
        if (!removedChunkIds.has(c.id)) {
          g.keptChunks++;
          g.keptTokens += c.tokens;
        }
      }
      return Object.fromEntries([...groups].map(([k, v]) => [String(k), v]));
    };
    const asObject = (rows: typeof stats.byProject) =>
      Object.fromEntries(rows.map(({ key, ...rest }) => [String(key), rest]));
    expect(asObject(stats.byProject)).toEqual(expectGroups((d) => d.project));
    expect(asObject(stats.bySourceType)).toEqual(expectGroups((d) => d.sourceType));
    expect(asObject(stats.byLicence)).toEqual(expectGroups((d) => d.licence));
    expect(stats.byProject.map((g) => g.key)).toEqual(['etcd', 'Prometheus', null]);
    expect(stats.removedDocuments).toEqual([{ reason: 'quality', count: removedDocs.length }]);
    expect(stats.removedChunks).toEqual([{ reason: 'dedup', count: removedChunks.length }]);
  });
});
