import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScrapedDocument } from '@cncf-llm/scraper';
import {
  asyncBufferFromFile,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
} from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isCorpusError } from '../errors.js';
import { type CorpusStore, openCorpusStore } from '../store/corpus-store.js';
import type { StoredChunk } from '../store/store-records.js';
import { FIXTURE_DOCUMENTS, paragraphChunks, readFixtureDocuments } from '../store/test-support.js';
import { type ExportResult, exportDataset } from './export-dataset.js';
import { assignSplit } from './splits.js';

// hyparquet reads snappy on its own and zstd only with hyparquet-compressors. When that package
// is installed the default (zstd) files are read back; otherwise the same export is written with
// snappy for the independent reader, and the zstd files are compared with it byte for byte of
// content through DuckDB.
const compressorsModule = 'hyparquet-compressors';
const compressors: Record<string, unknown> | undefined = await import(compressorsModule)
  .then((m: { compressors: Record<string, unknown> }) => m.compressors)
  .catch(() => undefined);
const readerCompression = compressors ? 'zstd' : 'snappy';

const fixture = readFixtureDocuments();
// The fixture has only Apache-2.0 and CC-BY-4.0 pages. To exercise the allow-list, three etcd
// pages are relabelled as non-commercial and two as unlicensed; their text stays real.
const relabelled: ScrapedDocument[] = fixture.map((doc, i) => {
  if (doc.project === 'etcd' && i % 30 === 1) return { ...doc, licence: 'CC-BY-NC-4.0' };
  if (doc.project === 'Prometheus' && i % 35 === 2)
    return { ...doc, licence: null, attribution: null };
  return doc;
});
const nonCommercial = relabelled.filter((d) => d.licence === 'CC-BY-NC-4.0');
const unlicensed = relabelled.filter((d) => d.licence === null);
const allChunks = relabelled.flatMap(paragraphChunks);
// One document removed by a filter, every 10th chunk removed as a duplicate.
const removedDocument = relabelled.find(
  (d) => d.project === 'Prometheus' && d.licence !== null,
) as ScrapedDocument;
const removedChunkIds = new Set(allChunks.filter((_, i) => i % 10 === 3).map((c) => c.id));

let dir: string;
let store: CorpusStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corpus-export-'));
  store = await openCorpusStore({ path: join(dir, 'corpus.duckdb') });
  const run = await store.startRun({
    options: { tokenizer: 'whitespace words', chunkTokens: 512 },
    inputFiles: ['documents.jsonl'],
  });
  await store.ingestDocuments(relabelled, { sourceFile: FIXTURE_DOCUMENTS, runId: run.id });
  await store.insertChunks(allChunks);
  await store.setDocumentStatus([
    { id: removedDocument.id, status: 'removed', removedReason: 'quality:min-words' },
  ]);
  await store.setChunkStatus(
    [...removedChunkIds].map((id) => ({
      id,
      status: 'removed' as const,
      removedReason: 'dedup:near-duplicate',
    })),
  );
  await store.recordStatistics(run.id, 'dedup', 'chunks-removed', removedChunkIds.size);
  await store.finishRun(run.id);
  expect(nonCommercial.length).toBeGreaterThan(0);
  expect(unlicensed.length).toBeGreaterThan(0);
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** What the export should contain, as the store (DuckDB) sees it, in dataset column names. */
async function expectedRows(
  allow: (licence: string | null) => boolean,
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const c of store.chunks({ status: 'kept', orderBy: 'id' })) {
    if (c.documentId === removedDocument.id || !allow(c.licence)) continue;
    rows.push(datasetRow(c));
  }
  return rows;
}

function datasetRow(c: StoredChunk): Record<string, unknown> {
  return {
    id: c.id,
    text: c.text,
    document_id: c.documentId,
    index: c.index,
    heading_path: c.headingPath,
    start_offset: c.startOffset,
    end_offset: c.endOffset,
    tokens: c.tokens,
    project: c.project,
    source_type: c.sourceType,
    url: c.url,
    title: c.title,
    licence: c.licence,
    attribution: c.attribution,
    language: c.language,
  };
}

/** Every row of every shard, read by hyparquet, with the file each came from. */
async function readShards(outDir: string): Promise<Map<string, Record<string, unknown>[]>> {
  const files = (await readdir(join(outDir, 'data'))).sort();
  const out = new Map<string, Record<string, unknown>[]>();
  for (const name of files) {
    const file = await asyncBufferFromFile(join(outDir, 'data', name));
    out.set(
      name,
      (await parquetReadObjects({ file, ...(compressors ? { compressors } : {}) })) as Record<
        string,
        unknown
      >[],
    );
  }
  return out;
}

const defaultAllow = (licence: string | null): boolean =>
  licence === 'Apache-2.0' || licence === 'CC-BY-4.0';

describe('exportDataset', () => {
  let outDir: string;
  let result: ExportResult;
  let shards: Map<string, Record<string, unknown>[]>;

  beforeAll(async () => {
    outDir = join(dir, 'dataset');
    result = await exportDataset({
      store,
      outDir,
      maxShardBytes: 400_000,
      splits: { train: 0.8, validation: 0.2 },
      compression: readerCompression,
      card: { repo: 'cncf-llm/docs-corpus' },
    });
    shards = await readShards(outDir);
  });

  it('writes exactly the kept, allowed chunks, identical to the store when read by hyparquet', async () => {
    const read = [...shards.values()]
      .flat()
      .sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1));
    const expected = await expectedRows(defaultAllow);
    expect(read.length).toBe(expected.length);
    expect(read).toEqual(expected);
    expect(result.totalExamples).toBe(expected.length);
    // Within a file, rows follow their documents in order.
    for (const rows of shards.values()) {
      const keys = rows.map((r) => `${r.document_id}:${String(r.index).padStart(6, '0')}`);
      expect(keys).toEqual([...keys].sort());
    }
  });

  it('keeps every document in one split, the one assignSplit gives, near the requested ratio', () => {
    const splitOf = new Map<string, string>();
    for (const [file, rows] of shards) {
      const split = file.split('-')[0] as string;
      for (const row of rows) {
        const id = row.document_id as string;
        expect(splitOf.get(id) ?? split).toBe(split);
        splitOf.set(id, split);
        expect(assignSplit(id, { train: 0.8, validation: 0.2 }, 'cncf-llm')).toBe(split);
      }
    }
    const validation = [...splitOf.values()].filter((s) => s === 'validation').length;
    expect(validation / splitOf.size).toBeGreaterThan(0.1);
    expect(validation / splitOf.size).toBeLessThan(0.3);
  });

  it('shards by size with Hub file names, each file under the target size', async () => {
    const files = [...shards.keys()];
    for (const split of result.splits) {
      const names = files.filter((f) => f.startsWith(`${split.name}-`));
      const total = names.length;
      expect(total).toBeGreaterThan(1);
      expect(names).toEqual(
        Array.from(
          { length: total },
          (_, i) =>
            `${split.name}-${String(i).padStart(5, '0')}-of-${String(total).padStart(5, '0')}.parquet`,
        ),
      );
      expect(split.files.map((f) => f.path)).toEqual(names.map((n) => `data/${n}`));
      expect(split.files.map((f) => f.rows)).toEqual(names.map((n) => shards.get(n)?.length));
      for (const name of names) {
        const rows = shards.get(name) as Record<string, unknown>[];
        expect(rows.length).toBeGreaterThan(0);
        // Rows go to a file until their estimated size reaches the target, so the estimate
        // (dominated by the text) passes it by at most the last row; compression keeps files under it.
        const sizes = rows.map((r) => Buffer.byteLength(r.text as string));
        expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(400_000 + Math.max(...sizes));
        expect(split.files.find((f) => f.path === `data/${name}`)?.sizeBytes).toBeLessThan(400_000);
      }
      expect(split.numExamples).toBe(
        names.reduce((n, name) => n + (shards.get(name)?.length ?? 0), 0),
      );
    }
    expect(files.every((f) => f.startsWith('train-') || f.startsWith('validation-'))).toBe(true);
    expect((await readdir(outDir)).sort()).toEqual(['README.md', 'data']);
  });

  it('writes a card whose YAML header matches the files', async () => {
    const text = await readFile(join(outDir, 'README.md'), 'utf8');
    const header = /^---\n([\s\S]*?)\n---\n/.exec(text)?.[1] as string;
    const meta = parseYaml(header);
    expect(meta.license).toEqual(['apache-2.0', 'cc-by-4.0']);
    expect(meta.language).toEqual(['en']);
    expect(meta.task_categories).toEqual(['text-generation']);
    expect(meta.size_categories).toEqual(['1K<n<10K']);
    expect(meta.configs).toEqual([
      {
        config_name: 'default',
        data_files: [
          { split: 'train', path: 'data/train-*' },
          { split: 'validation', path: 'data/validation-*' },
        ],
      },
    ]);
    const counted = (split: string) =>
      [...shards]
        .filter(([f]) => f.startsWith(`${split}-`))
        .reduce((n, [, rows]) => n + rows.length, 0);
    expect(
      meta.dataset_info.splits.map((s: { name: string; num_examples: number }) => [
        s.name,
        s.num_examples,
      ]),
    ).toEqual([
      ['train', counted('train')],
      ['validation', counted('validation')],
    ]);
    const sizes = await Promise.all(
      [...shards.keys()].map(async (f) => (await readFile(join(outDir, 'data', f))).length),
    );
    expect(meta.dataset_info.download_size).toBe(sizes.reduce((a, b) => a + b, 0));
    // The declared features are the Parquet columns, with the declared types.
    const file = await asyncBufferFromFile(join(outDir, 'data', [...shards.keys()][0] as string));
    const schema = parquetSchema(await parquetMetadataAsync(file));
    expect(meta.dataset_info.features.map((f: { name: string }) => f.name)).toEqual(
      schema.children.map((c) => c.element.name),
    );
    expect(
      meta.dataset_info.features.find((f: { name: string }) => f.name === 'heading_path'),
    ).toEqual({
      name: 'heading_path',
      sequence: 'string',
    });
    const body = text.slice(text.indexOf('\n---\n') + 5);
    expect(body).toContain('load_dataset("cncf-llm/docs-corpus")');
    expect(body).toContain('etcd Authors, https://etcd.io/docs/');
    expect(body).toMatch(/\| CC-BY-NC-4\.0 \| \d+ \| \d+ \|/);
    expect(body).toContain('| dedup | chunks-removed |');
    expect(body).toContain('"tokenizer": "whitespace words"');
  });

  it('leaves out disallowed and unlicensed chunks, and counts them', async () => {
    const kept = (d: ScrapedDocument) =>
      allChunks.filter((c) => c.documentId === d.id && !removedChunkIds.has(c.id)).length;
    expect(result.excluded.byLicence).toEqual(
      [
        {
          licence: 'CC-BY-NC-4.0',
          documents: nonCommercial.length,
          chunks: nonCommercial.reduce((n, d) => n + kept(d), 0),
        },
        {
          licence: null,
          documents: unlicensed.length,
          chunks: unlicensed.reduce((n, d) => n + kept(d), 0),
        },
      ].sort((a, b) => b.chunks - a.chunks),
    );
    expect(result.excluded.unlicensed).toBe(unlicensed.reduce((n, d) => n + kept(d), 0));
    expect(result.excluded.removed).toEqual(
      expect.arrayContaining([
        { reason: 'dedup:near-duplicate', chunks: removedChunkIds.size },
        { reason: 'document quality:min-words', chunks: kept(removedDocument) },
      ]),
    );
    const licences = new Set([...shards.values()].flat().map((r) => r.licence));
    expect([...licences].sort()).toEqual(['Apache-2.0', 'CC-BY-4.0']);
  });

  it('exports unlicensed rows only when asked, and then says so in the card', async () => {
    const out = join(dir, 'with-unlicensed');
    const withNull = await exportDataset({
      store,
      outDir: out,
      includeUnlicensed: true,
      compression: readerCompression,
    });
    const read = [...(await readShards(out)).values()].flat();
    expect(read.filter((r) => r.licence === null).length).toBe(result.excluded.unlicensed);
    expect(withNull.excluded.unlicensed).toBe(0);
    const card = await readFile(join(out, 'README.md'), 'utf8');
    expect(card).toContain('Rows without a licence are included');
    expect(parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)?.[1] as string).license).toEqual([
      'apache-2.0',
      'cc-by-4.0',
      'unknown',
    ]);
  });

  it('gives byte-identical files on re-export, replacing the old shards and leaving other files', async () => {
    const before = await snapshot(outDir);
    await writeFile(join(outDir, 'LICENSE'), 'keep me');
    // A larger shard size first: fewer files; re-exporting must remove the extra ones.
    await exportDataset({
      store,
      outDir,
      splits: { train: 0.8, validation: 0.2 },
      compression: readerCompression,
      card: { repo: 'cncf-llm/docs-corpus' },
    });
    expect((await readdir(join(outDir, 'data'))).length).toBe(2);
    await exportDataset({
      store,
      outDir,
      maxShardBytes: 400_000,
      splits: { train: 0.8, validation: 0.2 },
      compression: readerCompression,
      card: { repo: 'cncf-llm/docs-corpus' },
    });
    const after = await snapshot(outDir);
    expect(after.get('LICENSE')?.toString()).toBe('keep me');
    after.delete('LICENSE');
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, bytes] of before) expect(after.get(name)?.equals(bytes), name).toBe(true);
  });

  it('leaves out a split that received no document, which datasets could not load', async () => {
    const out = join(dir, 'tiny-split');
    const r = await exportDataset({
      store,
      outDir: out,
      splits: { train: 0.999999, test: 0.000001 },
      compression: readerCompression,
    });
    expect(r.emptySplits).toEqual(['test']);
    expect(r.splits.map((s) => s.name)).toEqual(['train']);
    expect((await readdir(join(out, 'data'))).every((f) => f.startsWith('train-'))).toBe(true);
    const card = await readFile(join(out, 'README.md'), 'utf8');
    const meta = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)?.[1] as string);
    expect(meta.configs[0].data_files).toEqual([{ split: 'train', path: 'data/train-*' }]);
    expect(card).toContain('No document fell into `test`');
  });

  it('refuses to export nothing and leaves the folder alone', async () => {
    const out = join(dir, 'nothing');
    await mkdir(join(out, 'data'), { recursive: true });
    await writeFile(join(out, 'data', 'old.parquet'), 'old');
    await expect(
      exportDataset({ store, outDir: out, licenceAllowList: ['GPL-3.0'] }),
    ).rejects.toSatisfy(
      (e) => isCorpusError(e, 'export-error') && /Nothing to export/.test((e as Error).message),
    );
    expect(await readdir(out)).toEqual(['data']);
    expect(await readdir(join(out, 'data'))).toEqual(['old.parquet']);
  });

  it('rejects invalid options', async () => {
    await expect(
      exportDataset({ store, outDir: join(dir, 'x'), splits: { train: 0.5, test: 0.4 } }),
    ).rejects.toSatisfy((e) => isCorpusError(e, 'invalid-options'));
    await expect(
      exportDataset({ store, outDir: join(dir, 'x'), card: { repo: 'no slash' } }),
    ).rejects.toSatisfy((e) => isCorpusError(e, 'invalid-options'));
  });
});

describe('zstd files', () => {
  it.skipIf(compressors !== undefined)(
    'hold the same rows as the snappy files the reader checked',
    async () => {
      const zstdDir = join(dir, 'zstd');
      const snappyDir = join(dir, 'snappy');
      await exportDataset({ store, outDir: zstdDir, maxShardBytes: 2_000_000 });
      await exportDataset({
        store,
        outDir: snappyDir,
        maxShardBytes: 2_000_000,
        compression: 'snappy',
      });
      const zstdFiles = (await readdir(join(zstdDir, 'data'))).sort();
      expect(zstdFiles).toEqual((await readdir(join(snappyDir, 'data'))).sort());
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      for (const file of zstdFiles) {
        const read = async (path: string) =>
          (await connection.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRowsJson();
        const codecs = (
          await connection.runAndReadAll(
            `SELECT DISTINCT compression FROM parquet_metadata('${join(zstdDir, 'data', file)}')`,
          )
        ).getRowsJson();
        expect(codecs).toEqual([['ZSTD']]);
        expect(await read(join(zstdDir, 'data', file))).toEqual(
          await read(join(snappyDir, 'data', file)),
        );
      }
      connection.closeSync();
      instance.closeSync();
    },
  );
});

async function snapshot(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  out.set('README.md', await readFile(join(root, 'README.md')));
  for (const f of (await readdir(join(root, 'data'))).sort())
    out.set(`data/${f}`, await readFile(join(root, 'data', f)));
  for (const f of await readdir(root))
    if (f === 'LICENSE') out.set(f, await readFile(join(root, f)));
  return out;
}
