import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, type DuckDBValue, listValue } from '@duckdb/node-api';
import { z } from 'zod';
import { CorpusError } from '../errors.js';
import { type CorpusStore, storeInternals } from '../store/corpus-store.js';
import { RowBuffer } from '../store/row-buffer.js';
import type { RunRecord, StatisticRecord } from '../store/store-records.js';
import {
  type CountRow,
  DATASET_FEATURES,
  type DatasetCardInput,
  parseDatasetCard,
  renderDatasetCard,
} from './dataset-card.js';
import { DEFAULT_LICENCE_ALLOW_LIST } from './licences.js';
import { assignSplit, DEFAULT_SPLITS, SplitsSchema } from './splits.js';

/** Options of {@link exportDataset}, except the store and callbacks. */
export const ExportDatasetOptionsSchema = z.object({
  /**
   * Where the dataset goes. `data/` and `README.md` in it are replaced as a whole; other files
   * (a LICENSE, a .git folder) are left alone.
   */
  outDir: z.string().min(1),
  /** Split names and ratios; see {@link assignSplit}. @default { train: 0.98, validation: 0.02 } */
  splits: SplitsSchema.optional(),
  /** Changes which documents land in which split. @default 'cncf-llm' */
  seed: z.string().optional(),
  /**
   * Target size of one Parquet file. Rows go to a file, in order, until their estimated
   * uncompressed size reaches the target (so the estimate passes it by at most one row); as the
   * estimate ignores compression, files come out well under it. A chunk is never split.
   * @default 500_000_000
   */
  maxShardBytes: z.number().int().positive().optional(),
  /**
   * Parquet compression. zstd gives the smallest files; snappy is what readers without a zstd
   * codec (hyparquet without hyparquet-compressors, some browsers) can open.
   * @default 'zstd'
   */
  compression: z.enum(['zstd', 'snappy']).optional(),
  /** Rows per Parquet row group (small groups keep the Hub's viewer and random access fast). @default 10_000 */
  rowGroupSize: z.number().int().positive().optional(),
  /** SPDX ids exported (case-insensitive). @default DEFAULT_LICENCE_ALLOW_LIST */
  licenceAllowList: z.array(z.string().min(1)).optional(),
  /** Also export rows whose licence is unknown (`null`). Off by default: unknown is not a licence to republish. @default false */
  includeUnlicensed: z.boolean().optional(),
  card: z
    .object({
      /** `org/name` on the Hub, for the loading example. */
      repo: z
        .string()
        .regex(/^[\w.-]+\/[\w.-]+$/, 'expected org/name')
        .optional(),
      /** @default 'CNCF documentation corpus' */
      title: z.string().min(1).optional(),
      description: z.string().min(1).optional(),
    })
    .optional(),
});

/** Options of {@link exportDataset}. */
export interface ExportDatasetOptions extends z.input<typeof ExportDatasetOptionsSchema> {
  store: CorpusStore;
  signal?: AbortSignal;
  onProgress?: (event: ExportProgress) => void;
}

/** Progress of an export: one event per Parquet file written. */
export interface ExportProgress {
  type: 'shard-written';
  split: string;
  /** Path relative to `outDir`, with `/`. */
  path: string;
  rows: number;
  sizeBytes: number;
}

/** One Parquet file of an export. */
export interface ExportedFile {
  /** Relative to `outDir`, with `/` (`data/train-00000-of-00002.parquet`). */
  path: string;
  rows: number;
  sizeBytes: number;
  sha256: string;
}

/** One split of an export. */
export interface ExportedSplit {
  name: string;
  numExamples: number;
  numDocuments: number;
  /** Estimated in-memory (Arrow) size of the rows: the card's `num_bytes`. */
  numBytes: number;
  files: ExportedFile[];
}

/** What {@link exportDataset} wrote, and what it left out. */
export interface ExportResult {
  outDir: string;
  cardPath: string;
  /** The splits written, in name order. */
  splits: ExportedSplit[];
  /** Requested splits that received no document, so have no file and are not in the card. */
  emptySplits: string[];
  totalExamples: number;
  /** Bytes of all Parquet files. */
  downloadSize: number;
  /** Sum of the splits' `numBytes`. */
  datasetSize: number;
  /** Exported licences, most rows first. */
  licences: Array<{ licence: string | null; documents: number; chunks: number }>;
  excluded: {
    /** Chunks not kept (or whose document was not kept), per reason. */
    removed: Array<{ reason: string | null; chunks: number }>;
    /** Kept chunks left out for their licence (`null`: no licence), per licence. */
    byLicence: Array<{ licence: string | null; documents: number; chunks: number }>;
    /** Of those, chunks without a licence. */
    unlicensed: number;
  };
}

const COLUMNS = `id, text, document_id, "index"::INTEGER AS "index", heading_path,
  start_offset::INTEGER AS start_offset, end_offset::INTEGER AS end_offset, tokens::INTEGER AS tokens,
  project, source_type, url, title, licence, attribution, language`;

/**
 * Writes the kept, licence-allowed chunks of a store as a Hugging Face dataset that the
 * `datasets` library loads without conversion: `data/<split>-NNNNN-of-MMMMM.parquet` (zstd,
 * size-based shards, rows ordered by document and position) and a `README.md` card whose YAML
 * header declares licences, languages, sizes, `configs` → `data_files` and `dataset_info`.
 * Everything is written to a temporary folder inside `outDir` and moved into place at the end,
 * so `outDir` never holds a half-written export. The same store and options give byte-identical
 * files. Throws `export-error` when no row is left to export.
 */
export async function exportDataset(options: ExportDatasetOptions): Promise<ExportResult> {
  const { store, signal, onProgress, ...rest } = options;
  const parsed = ExportDatasetOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorpusError(
      'invalid-options',
      `Invalid export options: ${issue?.path.join('.') || 'value'}: ${issue?.message}.`,
    );
  }
  const o = parsed.data;
  const splits = o.splits ?? { ...DEFAULT_SPLITS };
  const seed = o.seed ?? 'cncf-llm';
  const maxShardBytes = o.maxShardBytes ?? 500_000_000;
  const rowGroupSize = o.rowGroupSize ?? 10_000;
  const compression = o.compression ?? 'zstd';
  const allowList = o.licenceAllowList ?? [...DEFAULT_LICENCE_ALLOW_LIST];
  const includeUnlicensed = o.includeUnlicensed ?? false;
  const splitNames = Object.keys(splits).sort();

  // Read before taking the store's lock (these calls take it themselves).
  const statistics = await store.statistics();
  const runs = await store.runs();
  const run = pickRun(runs, statistics);

  await mkdir(o.outDir, { recursive: true });
  const token = randomBytes(4).toString('hex');
  const workDir = join(o.outDir, `.export-${token}`);
  await mkdir(join(workDir, 'data'), { recursive: true });

  try {
    const { result, card } = await storeInternals(store).exclusive(async (connection) => {
      try {
        return await writeExport(connection, {
          workDir,
          splits,
          splitNames,
          seed,
          maxShardBytes,
          rowGroupSize,
          compression,
          allowList,
          includeUnlicensed,
          signal,
          onProgress,
          outDir: o.outDir,
          cardOptions: o.card ?? {},
          run,
          statistics,
        });
      } finally {
        await connection.run('DROP TABLE IF EXISTS temp.export_rows').catch(() => undefined);
        await connection.run('DROP TABLE IF EXISTS temp.export_split').catch(() => undefined);
      }
    });
    await writeFile(join(workDir, 'README.md'), card);
    await verifyExport(workDir, result);
    await moveIntoPlace(workDir, o.outDir, token);
    return result;
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    if (error instanceof CorpusError) throw error;
    throw new CorpusError(
      'export-error',
      `Could not export the dataset to ${o.outDir}: ${(error as Error).message}. Nothing in ${o.outDir} was changed.`,
      { cause: error },
    );
  }
}

interface WriteContext {
  workDir: string;
  outDir: string;
  splits: Record<string, number>;
  splitNames: string[];
  seed: string;
  maxShardBytes: number;
  rowGroupSize: number;
  compression: 'zstd' | 'snappy';
  allowList: string[];
  includeUnlicensed: boolean;
  signal: AbortSignal | undefined;
  onProgress: ((event: ExportProgress) => void) | undefined;
  cardOptions: { repo?: string; title?: string; description?: string };
  run: RunRecord | null;
  statistics: StatisticRecord[];
}

type Rows = (
  sql: string,
  params?: DuckDBValue[] | Record<string, DuckDBValue>,
) => Promise<DuckDBValue[][]>;

/** The rows chosen for export (in temp tables) and what was left out. */
interface Selection {
  perSplit: Map<string, { rows: number; documents: number; shards: number; bytes: number }>;
  excluded: ExportResult['excluded'];
}

async function writeExport(
  connection: DuckDBConnection,
  ctx: WriteContext,
): Promise<{ result: ExportResult; card: string }> {
  const rows: Rows = async (sql, params = []) =>
    (await connection.runAndReadAll(sql, params)).getRows();
  const selection = await selectRows(connection, rows, ctx);
  // One thread while writing: the files then depend only on the rows, never on how work was
  // scheduled, so the same store gives byte-identical shards.
  const threads = String((await rows(`SELECT current_setting('threads')`))[0]?.[0] ?? '');
  await connection.run('SET threads = 1');
  let splits: ExportedSplit[];
  try {
    splits = await writeShards(rows, ctx, selection);
  } finally {
    if (/^\d+$/.test(threads)) await connection.run(`SET threads = ${threads}`);
  }
  return describeExport(rows, ctx, selection, splits);
}

function checkAbort(ctx: WriteContext): void {
  if (ctx.signal?.aborted)
    throw new CorpusError('aborted', `Exporting to ${ctx.outDir} was aborted.`);
}

/**
 * Counts what is left out, assigns each exported document its split, and materialises the
 * exported rows in `temp.export_rows` with their split and shard: consecutive rows of a split
 * (ordered by document and position) until their estimated size reaches maxShardBytes.
 */
async function selectRows(
  connection: DuckDBConnection,
  rows: Rows,
  ctx: WriteContext,
): Promise<Selection> {
  const allowed = listValue(ctx.allowList.map((l) => l.trim().toLowerCase()));
  const licenceOk = (param: string): string =>
    `(coalesce(list_contains(${param}, lower(trim(c.licence))), false)${ctx.includeUnlicensed ? ' OR c.licence IS NULL' : ''})`;
  const eligible = `FROM chunks c JOIN documents d ON d.id = c.document_id
    WHERE c.status = 'kept' AND d.status = 'kept'`;

  const removed = (
    await rows(
      `SELECT reason, count(*) AS n FROM (
         SELECT CASE WHEN c.status <> 'kept' THEN c.removed_reason
                     WHEN d.id IS NULL THEN 'document missing'
                     ELSE 'document ' || coalesce(d.removed_reason, 'removed') END AS reason
         FROM chunks c LEFT JOIN documents d ON d.id = c.document_id
         WHERE c.status <> 'kept' OR d.id IS NULL OR d.status <> 'kept')
       GROUP BY reason ORDER BY n DESC, reason NULLS LAST`,
    )
  ).map((r) => ({ reason: str(r[0]), chunks: num(r[1]) }));
  const byLicence = (
    await rows(
      `SELECT c.licence, count(DISTINCT c.document_id), count(*) ${eligible} AND NOT ${licenceOk('$1')}
       GROUP BY c.licence ORDER BY 3 DESC, 1 NULLS LAST`,
      [allowed],
    )
  ).map((r) => ({ licence: str(r[0]), documents: num(r[1]), chunks: num(r[2]) }));
  const unlicensed = byLicence.find((e) => e.licence === null)?.chunks ?? 0;

  // The split of each document is decided in JS, by assignSplit, so the rule is one documented
  // and separately tested function rather than SQL hashing that may change between versions.
  const documentIds = await rows(
    `SELECT DISTINCT c.document_id ${eligible} AND ${licenceOk('$1')} ORDER BY 1`,
    [allowed],
  );
  if (documentIds.length === 0) {
    const kept = num((await rows(`SELECT count(*) ${eligible}`))[0]?.[0]);
    throw new CorpusError(
      'export-error',
      `Nothing to export from the store: ${kept} kept chunks, none with a licence in the allow-list (${ctx.allowList.join(', ')}${ctx.includeUnlicensed ? ', or none' : ''}). Build chunks first, or widen licenceAllowList.`,
    );
  }
  await connection.run(
    'CREATE OR REPLACE TEMP TABLE export_split (document_id VARCHAR, split VARCHAR)',
  );
  const splitRows = new RowBuffer(await connection.createAppender('export_split', 'main', 'temp'));
  for (const [id] of documentIds)
    splitRows.add([id as string, assignSplit(id as string, ctx.splits, ctx.seed)], 0);
  splitRows.close();
  checkAbort(ctx);

  // shard_bytes over-estimates a row's share of a compressed file (so files stay under the
  // target); arrow_bytes approximates its in-memory size, which the card reports as num_bytes.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE export_rows AS
     WITH base AS (
       SELECT c.id, c.text, c.document_id, c."index", c.heading_path, c.start_offset, c.end_offset,
         c.tokens, c.project, c.source_type, c.url, c.title, c.licence, c.attribution, c.language, s.split,
         strlen(c.text) + strlen(c.url) + strlen(c.title) + strlen(coalesce(c.attribution, ''))
           + strlen(array_to_string(c.heading_path, '')) + 8 * len(c.heading_path) + 256 AS shard_bytes,
         strlen(c.id) + strlen(c.text) + strlen(c.document_id) + strlen(coalesce(c.project, ''))
           + strlen(c.source_type) + strlen(c.url) + strlen(c.title) + strlen(coalesce(c.licence, ''))
           + strlen(coalesce(c.attribution, '')) + strlen(c.language) + 10 * 4 + 4 * 4
           + 4 + strlen(array_to_string(c.heading_path, '')) + 4 * len(c.heading_path) AS arrow_bytes
       FROM chunks c
       JOIN documents d ON d.id = c.document_id
       JOIN export_split s ON s.document_id = c.document_id
       WHERE c.status = 'kept' AND d.status = 'kept' AND ${licenceOk('$allowed')}),
     placed AS (
       SELECT *, coalesce(sum(shard_bytes) OVER (PARTITION BY split ORDER BY document_id, "index", id
         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS bytes_before
       FROM base)
     SELECT * EXCLUDE (bytes_before),
       dense_rank() OVER (PARTITION BY split ORDER BY floor(bytes_before / $max)) - 1 AS shard
     FROM placed ORDER BY split, document_id, "index", id`,
    { allowed, max: ctx.maxShardBytes },
  );
  checkAbort(ctx);

  const perSplit = new Map(
    (
      await rows(
        `SELECT split, count(*), count(DISTINCT document_id), max(shard) + 1, sum(arrow_bytes)
         FROM export_rows GROUP BY split`,
      )
    ).map((r) => [
      String(r[0]),
      { rows: num(r[1]), documents: num(r[2]), shards: num(r[3]), bytes: num(r[4]) },
    ]),
  );
  return { perSplit, excluded: { removed, byLicence, unlicensed } };
}

/**
 * Writes one Parquet file per shard. A split that received no document (a small corpus, a small
 * ratio) gets no file and is left out of the card: `datasets` refuses a declared split without
 * rows ("corresponds to no data"), so declaring it would make the whole dataset unloadable.
 */
async function writeShards(
  rows: Rows,
  ctx: WriteContext,
  selection: Selection,
): Promise<ExportedSplit[]> {
  const exported: ExportedSplit[] = [];
  for (const name of ctx.splitNames) {
    const info = selection.perSplit.get(name);
    if (!info) continue;
    const files: ExportedFile[] = [];
    for (let shard = 0; shard < info.shards; shard++) {
      checkAbort(ctx);
      const file = `data/${name}-${pad(shard)}-of-${pad(info.shards)}.parquet`;
      const target = join(ctx.workDir, file);
      const copied = await rows(
        `COPY (SELECT ${COLUMNS} FROM export_rows WHERE split = $split AND shard = $shard
               ORDER BY document_id, "index", id)
         TO ${sqlString(target)} (FORMAT parquet, COMPRESSION ${ctx.compression}, ROW_GROUP_SIZE ${ctx.rowGroupSize})`,
        { split: name, shard },
      );
      const written = num(copied[0]?.[0]);
      const sizeBytes = (await stat(target)).size;
      files.push({ path: file, rows: written, sizeBytes, sha256: await sha256File(target) });
      ctx.onProgress?.({
        type: 'shard-written',
        split: name,
        path: file,
        rows: written,
        sizeBytes,
      });
    }
    exported.push({
      name,
      numExamples: info.rows,
      numDocuments: info.documents,
      numBytes: info.bytes,
      files,
    });
  }
  return exported;
}

/** The result and the card: counts of the exported rows per licence, project and source. */
async function describeExport(
  rows: Rows,
  ctx: WriteContext,
  selection: Selection,
  splits: ExportedSplit[],
): Promise<{ result: ExportResult; card: string }> {
  const countRows = async (column: string): Promise<CountRow[]> =>
    (
      await rows(
        `SELECT ${column}, count(DISTINCT document_id), count(*), sum(tokens) FROM export_rows
         GROUP BY ${column} ORDER BY 3 DESC, 1 NULLS LAST`,
      )
    ).map((r) => ({ key: str(r[0]), documents: num(r[1]), chunks: num(r[2]), tokens: num(r[3]) }));
  const licenceRows = await countRows('licence');
  const attributions = await rows(
    `SELECT licence, attribution, n FROM (
       SELECT licence, attribution, count(DISTINCT document_id) AS n,
              row_number() OVER (PARTITION BY licence
                                 ORDER BY count(DISTINCT document_id) DESC, attribution NULLS LAST) AS rank
       FROM export_rows GROUP BY licence, attribution)
     WHERE rank <= 20 ORDER BY licence, rank`,
  );
  const distinctAttributions = new Map(
    (
      await rows('SELECT licence, count(DISTINCT attribution) FROM export_rows GROUP BY licence')
    ).map((r) => [str(r[0]), num(r[1])]),
  );
  const languages = (
    await rows(`SELECT DISTINCT lower(split_part(language, '-', 1)) FROM export_rows ORDER BY 1`)
  )
    .map((r) => String(r[0]))
    .filter((code) => /^[a-z]{2,3}$/.test(code));

  const totalExamples = splits.reduce((n, s) => n + s.numExamples, 0);
  const downloadSize = splits.reduce((n, s) => n + s.files.reduce((m, f) => m + f.sizeBytes, 0), 0);
  const datasetSize = splits.reduce((n, s) => n + s.numBytes, 0);
  const cardInput: DatasetCardInput = {
    ...(ctx.cardOptions.repo ? { repo: ctx.cardOptions.repo } : {}),
    title: ctx.cardOptions.title ?? 'CNCF documentation corpus',
    ...(ctx.cardOptions.description ? { description: ctx.cardOptions.description } : {}),
    splits: splits.map((s) => ({
      name: s.name,
      numExamples: s.numExamples,
      numDocuments: s.numDocuments,
      numBytes: s.numBytes,
      shards: s.files.length,
    })),
    splitRatios: ctx.splits,
    emptySplits: ctx.splitNames.filter((name) => !splits.some((s) => s.name === name)),
    seed: ctx.seed,
    downloadSize,
    datasetSize,
    languages,
    licences: licenceRows.map((l) => ({
      // Only reachable with includeUnlicensed: the card lists those rows as "unknown".
      licence: l.key ?? 'unknown',
      documents: l.documents,
      chunks: l.chunks,
      tokens: l.tokens,
      attributions: attributions
        .filter((a) => str(a[0]) === l.key)
        .map((a) => ({ attribution: str(a[1]), documents: num(a[2]) })),
      distinctAttributions: distinctAttributions.get(l.key) ?? 0,
    })),
    byProject: await countRows('project'),
    bySourceType: await countRows('source_type'),
    excluded: {
      removedChunks: selection.excluded.removed,
      byLicence: selection.excluded.byLicence,
      includeUnlicensed: ctx.includeUnlicensed,
      allowList: ctx.allowList,
    },
    run: ctx.run,
    statistics: ctx.statistics,
  };
  const result: ExportResult = {
    outDir: ctx.outDir,
    cardPath: join(ctx.outDir, 'README.md'),
    splits,
    emptySplits: ctx.splitNames.filter((name) => !splits.some((s) => s.name === name)),
    totalExamples,
    downloadSize,
    datasetSize,
    licences: licenceRows.map((l) => ({
      licence: l.key,
      documents: l.documents,
      chunks: l.chunks,
    })),
    excluded: selection.excluded,
  };
  return { result, card: renderDatasetCard(cardInput) };
}

/** Reads the card back and checks that it describes exactly the files written. */
async function verifyExport(workDir: string, result: ExportResult): Promise<void> {
  const { metadata } = parseDatasetCard(await readFile(join(workDir, 'README.md'), 'utf8'));
  const files = (await readdir(join(workDir, 'data'))).map((f) => `data/${f}`).sort();
  const problems: string[] = [];
  const declared = metadata.configs[0]?.data_files ?? [];
  const matched = new Set<string>();
  for (const split of result.splits) {
    const entry = declared.find((d) => d.split === split.name);
    if (!entry) {
      problems.push(`split ${split.name} is not in configs`);
      continue;
    }
    const prefix = entry.path.replace(/\*$/, '');
    const hits = files.filter((f) => f.startsWith(prefix));
    for (const hit of hits) matched.add(hit);
    const expected = split.files.map((f) => f.path).sort();
    if (JSON.stringify(hits) !== JSON.stringify(expected))
      problems.push(`${entry.path} matches ${hits.join(', ')}`);
    const info = metadata.dataset_info.splits.find((s) => s.name === split.name);
    if (info?.num_examples !== split.numExamples) problems.push(`num_examples of ${split.name}`);
  }
  if (matched.size !== files.length) problems.push('files outside every split');
  if (
    metadata.dataset_info.features.map((f) => f.name).join() !==
    DATASET_FEATURES.map((f) => f.name).join()
  ) {
    problems.push('features');
  }
  if (problems.length > 0) {
    throw new CorpusError(
      'export-error',
      `The generated dataset card does not match the files (${problems.join('; ')}). This is a bug.`,
    );
  }
}

/** Swaps the new `data/` and `README.md` in; the old `data/` is removed only after. */
async function moveIntoPlace(workDir: string, outDir: string, token: string): Promise<void> {
  const data = join(outDir, 'data');
  const old = join(outDir, `.export-old-${token}`);
  let hadData = false;
  try {
    await rename(data, old);
    hadData = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(join(workDir, 'data'), data);
  await rename(join(workDir, 'README.md'), join(outDir, 'README.md'));
  await rm(workDir, { recursive: true, force: true });
  if (hadData) await rm(old, { recursive: true, force: true });
}

/** The run the card describes: the one whose statistics it shows, else the latest. */
function pickRun(runs: RunRecord[], statistics: StatisticRecord[]): RunRecord | null {
  const statsRun = statistics[0]?.runId;
  if (statsRun) return runs.find((r) => r.id === statsRun) ?? null;
  return runs[runs.length - 1] ?? null;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function pad(n: number): string {
  return String(n).padStart(5, '0');
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function str(value: DuckDBValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

function num(value: DuckDBValue | undefined): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return 0;
  return Number(value);
}
