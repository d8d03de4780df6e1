import type { JsonValue } from '@cncf-llm/scraper';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { CorpusError } from '../errors.js';
import type { RunRecord, StatisticRecord } from '../store/store-records.js';
import { licenceInfo } from './licences.js';

/** One column of the dataset, as `dataset_info.features` declares it. */
export type DatasetFeature =
  | { name: string; dtype: 'string' | 'int32' | 'int64' }
  | { name: string; sequence: 'string' };

/** The columns of the exported dataset, in file order. */
export const DATASET_FEATURES: readonly DatasetFeature[] = [
  { name: 'id', dtype: 'string' },
  { name: 'text', dtype: 'string' },
  { name: 'document_id', dtype: 'string' },
  { name: 'index', dtype: 'int32' },
  { name: 'heading_path', sequence: 'string' },
  { name: 'start_offset', dtype: 'int32' },
  { name: 'end_offset', dtype: 'int32' },
  { name: 'tokens', dtype: 'int32' },
  { name: 'project', dtype: 'string' },
  { name: 'source_type', dtype: 'string' },
  { name: 'url', dtype: 'string' },
  { name: 'title', dtype: 'string' },
  { name: 'licence', dtype: 'string' },
  { name: 'attribution', dtype: 'string' },
  { name: 'language', dtype: 'string' },
];

const FEATURE_DOCS: Record<string, string> = {
  id: 'sha256 of the document id, offsets and text: stable across builds',
  text: 'the chunk, markdown, cut at headings and paragraphs (never inside a code block or table)',
  document_id: 'sha256 of the source document’s normalised markdown',
  index: 'position of the chunk in its document, from 0',
  heading_path: 'headings above the chunk, outermost first',
  start_offset: 'start of the chunk in the normalised document (UTF-16 code units)',
  end_offset: 'end of the chunk in the normalised document (UTF-16 code units)',
  tokens: 'tokens by the build’s tokenizer',
  project: 'CNCF landscape project, or null',
  source_type: 'docs-site, github, stackoverflow or whitepaper',
  url: 'where the text was fetched',
  title: 'title of the source page',
  licence: 'SPDX identifier of the text’s licence',
  attribution: 'the credit the licence asks for',
  language: 'BCP 47 language tag',
};

/** The YAML header of the card, as far as this package writes and checks it. */
export const DatasetCardMetadataSchema = z
  .object({
    license: z.union([z.string(), z.array(z.string()).min(1)]),
    license_name: z.string().optional(),
    license_link: z.string().optional(),
    language: z.array(z.string()),
    task_categories: z.array(z.string()),
    task_ids: z.array(z.string()).optional(),
    size_categories: z.array(z.string()).length(1),
    pretty_name: z.string(),
    tags: z.array(z.string()).optional(),
    configs: z
      .array(
        z.object({
          config_name: z.string(),
          data_files: z.array(z.object({ split: z.string(), path: z.string() })).min(1),
        }),
      )
      .length(1),
    dataset_info: z.object({
      features: z.array(
        z.union([
          z.object({ name: z.string(), dtype: z.string() }),
          z.object({ name: z.string(), sequence: z.string() }),
        ]),
      ),
      splits: z.array(
        z.object({
          name: z.string(),
          num_bytes: z.number().int().nonnegative(),
          num_examples: z.number().int().nonnegative(),
        }),
      ),
      download_size: z.number().int().nonnegative(),
      dataset_size: z.number().int().nonnegative(),
    }),
  })
  .passthrough();
/** The YAML header of a dataset card. */
export type DatasetCardMetadata = z.infer<typeof DatasetCardMetadataSchema>;

/** A count of exported rows for one value (a project, a source type). */
export interface CountRow {
  key: string | null;
  documents: number;
  chunks: number;
  tokens: number;
}

/** Everything the card says, gathered by the export. */
export interface DatasetCardInput {
  /** `org/name` on the Hub; used in the loading example. */
  repo?: string;
  title: string;
  description?: string;
  splits: Array<{
    name: string;
    numExamples: number;
    numDocuments: number;
    numBytes: number;
    shards: number;
  }>;
  splitRatios: Record<string, number>;
  /** Requested splits that received no document (not declared: `datasets` refuses empty splits). */
  emptySplits?: string[];
  seed: string;
  downloadSize: number;
  datasetSize: number;
  languages: string[];
  licences: Array<{
    licence: string;
    documents: number;
    chunks: number;
    tokens: number;
    /** Most frequent attributions first, at most 20. */
    attributions: Array<{ attribution: string | null; documents: number }>;
    distinctAttributions: number;
  }>;
  byProject: CountRow[];
  bySourceType: CountRow[];
  excluded: {
    removedChunks: Array<{ reason: string | null; chunks: number }>;
    byLicence: Array<{ licence: string | null; documents: number; chunks: number }>;
    includeUnlicensed: boolean;
    allowList: readonly string[];
  };
  run: RunRecord | null;
  statistics: StatisticRecord[];
}

/** The Hub's size buckets, by number of rows. */
export function sizeCategory(rows: number): string {
  const buckets: Array<[number, string]> = [
    [1e3, 'n<1K'],
    [1e4, '1K<n<10K'],
    [1e5, '10K<n<100K'],
    [1e6, '100K<n<1M'],
    [1e7, '1M<n<10M'],
    [1e8, '10M<n<100M'],
    [1e9, '100M<n<1B'],
    [1e10, '1B<n<10B'],
    [1e11, '10B<n<100B'],
    [1e12, '100B<n<1T'],
  ];
  for (const [limit, name] of buckets) if (rows < limit) return name;
  return 'n>1T';
}

/** The `license` fields: one Hub id, a list of them, or `other` with a name and a link. */
function licenceFields(
  licences: string[],
): Pick<DatasetCardMetadata, 'license' | 'license_name' | 'license_link'> {
  const infos = licences.map(licenceInfo);
  const hubIds = [...new Set(infos.flatMap((info) => (info.hubId ? [info.hubId] : [])))].sort();
  const unknown = infos.filter((info) => info.hubId === null);
  const fields: Pick<DatasetCardMetadata, 'license' | 'license_name' | 'license_link'> = {
    license: hubIds.length === 1 && unknown.length === 0 ? (hubIds[0] as string) : hubIds,
  };
  if (unknown.length > 0) {
    fields.license = hubIds.length === 0 ? 'other' : [...hubIds, 'other'];
    const only = unknown.length === 1 ? unknown[0] : undefined;
    fields.license_name = only ? only.spdx.toLowerCase() : 'mixed';
    fields.license_link = only ? only.url : 'README.md';
  }
  return fields;
}

/** The YAML header for an export. */
export function datasetCardMetadata(input: DatasetCardInput): DatasetCardMetadata {
  const total = input.splits.reduce((n, s) => n + s.numExamples, 0);
  return {
    ...licenceFields(input.licences.map((l) => l.licence)),
    language: input.languages,
    task_categories: ['text-generation'],
    task_ids: ['language-modeling'],
    size_categories: [sizeCategory(total)],
    pretty_name: input.title,
    tags: ['cncf', 'cloud-native', 'documentation'],
    configs: [
      {
        config_name: 'default',
        data_files: input.splits.map((s) => ({ split: s.name, path: `data/${s.name}-*` })),
      },
    ],
    dataset_info: {
      features: DATASET_FEATURES.map((f) => ({ ...f })),
      splits: input.splits.map((s) => ({
        name: s.name,
        num_bytes: s.numBytes,
        num_examples: s.numExamples,
      })),
      download_size: input.downloadSize,
      dataset_size: input.datasetSize,
    },
  };
}

/** The README.md of an export: YAML header and a generated body. Deterministic for the same input. */
export function renderDatasetCard(input: DatasetCardInput): string {
  const metadata = datasetCardMetadata(input);
  const header = stringifyYaml(metadata, { lineWidth: 0 });
  return `---\n${header}---\n\n${renderBody(input)}`;
}

/** Splits a card into its YAML header (validated) and its body. */
export function parseDatasetCard(text: string): { metadata: DatasetCardMetadata; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) {
    throw new CorpusError(
      'invalid-record',
      'The dataset card has no YAML header between --- lines.',
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(match[1] as string);
  } catch (error) {
    throw new CorpusError(
      'invalid-record',
      `The dataset card's YAML header does not parse: ${(error as Error).message}.`,
      {
        cause: error,
      },
    );
  }
  const parsed = DatasetCardMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorpusError(
      'invalid-record',
      `The dataset card's YAML header is not valid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}.`,
    );
  }
  return { metadata: parsed.data, body: match[2] as string };
}

// ---- body --------------------------------------------------------------------------------------

function renderBody(input: DatasetCardInput): string {
  const total = input.splits.reduce((n, s) => n + s.numExamples, 0);
  const documents = input.splits.reduce((n, s) => n + s.numDocuments, 0);
  const tokens = input.licences.reduce((n, l) => n + l.tokens, 0);
  const out: string[] = [];
  out.push(`# ${input.title}`, '');
  out.push(
    input.description ??
      'Documentation of cloud-native projects (CNCF), cleaned, deduplicated and cut into chunks for training and retrieval. Every row keeps its source URL, licence and attribution.',
    '',
  );
  out.push(
    `${fmt(total)} chunks (${fmt(tokens)} tokens) from ${fmt(documents)} documents, built with \`@cncf-llm/corpus\`.`,
    '',
  );

  out.push('## How to load', '', '```python', 'from datasets import load_dataset', '');
  if (input.repo) {
    out.push(`ds = load_dataset("${input.repo}")`);
  } else {
    out.push('ds = load_dataset("path/to/this/folder")  # or the Hub repository, "org/name"');
  }
  const first = input.splits[0]?.name ?? 'train';
  out.push(`print(ds["${first}"][0]["text"])`, '```', '');
  out.push(
    'The files are plain Parquet (`data/<split>-NNNNN-of-MMMMM.parquet`), so DuckDB, pandas or any Parquet reader loads them too.',
    '',
  );

  out.push('## Dataset structure', '', '| Column | Type | Meaning |', '|---|---|---|');
  for (const f of DATASET_FEATURES) {
    const type = 'sequence' in f ? `list of ${f.sequence}` : f.dtype;
    out.push(`| \`${f.name}\` | ${type} | ${FEATURE_DOCS[f.name] ?? ''} |`);
  }
  out.push('', '| Split | Chunks | Documents | Shards |', '|---|---:|---:|---:|');
  for (const s of input.splits)
    out.push(`| ${s.name} | ${fmt(s.numExamples)} | ${fmt(s.numDocuments)} | ${s.shards} |`);
  const ratios = Object.keys(input.splitRatios)
    .sort()
    .map((name) => `${name} ${pct(input.splitRatios[name] as number)}`)
    .join(', ');
  out.push(
    '',
    `Splits are assigned per document (${ratios}) from a sha256 of the seed \`${escapeCell(input.seed)}\` and the document id, so all chunks of a document are in the same split and no page leaks between train and validation. A document keeps its split when the corpus grows.`,
    '',
  );
  if (input.emptySplits && input.emptySplits.length > 0) {
    out.push(
      `No document fell into ${input.emptySplits.map((s) => `\`${s}\``).join(', ')} at this corpus size, so ${input.emptySplits.length === 1 ? 'that split is' : 'those splits are'} not included.`,
      '',
    );
  }

  out.push('## Sources', '', '| Project | Documents | Chunks | Tokens |', '|---|---:|---:|---:|');
  for (const row of input.byProject) out.push(countLine(row, '(none)'));
  out.push('', '| Source type | Documents | Chunks | Tokens |', '|---|---:|---:|---:|');
  for (const row of input.bySourceType) out.push(countLine(row, '(none)'));
  out.push('');

  out.push('## Licences and attribution', '');
  out.push(
    'The dataset has no single licence: each row is under the licence of the page it came from (`licence` column) and carries the credit that licence asks for (`attribution` column). Whoever republishes rows must honour both.',
    '',
    '| Licence | Documents | Chunks | What reuse requires |',
    '|---|---:|---:|---|',
  );
  for (const l of input.licences) {
    const info = licenceInfo(l.licence);
    out.push(
      `| [${escapeCell(info.spdx)}](${info.url}) | ${fmt(l.documents)} | ${fmt(l.chunks)} | ${escapeCell(info.obligations)} |`,
    );
  }
  out.push('');
  const shareAlike = input.licences.filter((l) => licenceInfo(l.licence).shareAlike);
  if (shareAlike.length > 0) {
    out.push(
      `**Share alike.** Rows under ${shareAlike.map((l) => licenceInfo(l.licence).spdx).join(', ')} may be reused only if adaptations (a model's training set that modifies them, an edited copy) are shared under the same licence, with credit to the authors and a link to the licence.`,
      '',
    );
  }
  const stackOverflow = input.bySourceType.find((row) => row.key === 'stackoverflow');
  if (stackOverflow && stackOverflow.chunks > 0) {
    out.push(
      `**StackOverflow content** (${fmt(stackOverflow.chunks)} chunks) is licensed by its authors under CC BY-SA (the version depends on the post date: CC-BY-SA-3.0 or CC-BY-SA-4.0, see each row's \`licence\`). Reuse requires attribution (a link to the question or answer and its author, as in \`attribution\`) and sharing adaptations alike; it is not MIT or Apache text.`,
      '',
    );
  }
  for (const l of input.licences) {
    const listed = l.attributions.filter((a) => a.attribution !== null);
    if (listed.length === 0) continue;
    out.push(
      `Attributions for ${escapeCell(licenceInfo(l.licence).spdx)} (${fmt(l.distinctAttributions)} distinct):`,
      '',
    );
    for (const a of listed)
      out.push(`- ${escapeInline(a.attribution as string)} (${plural(a.documents, 'document')})`);
    if (l.distinctAttributions > listed.length) {
      out.push(
        `- … and ${fmt(l.distinctAttributions - listed.length)} more; see the \`attribution\` column.`,
      );
    }
    out.push('');
  }

  out.push('## What was left out', '');
  const allow = input.excluded.allowList.join(', ');
  out.push(
    `Only kept chunks (after deduplication and filtering) whose licence is in the allow-list are exported. Allow-list: ${allow}. Rows without a licence are ${input.excluded.includeUnlicensed ? 'included' : 'excluded'}.`,
    '',
  );
  if (input.excluded.byLicence.length > 0) {
    out.push('| Excluded licence | Documents | Chunks |', '|---|---:|---:|');
    for (const e of input.excluded.byLicence) {
      out.push(
        `| ${e.licence === null ? '(none)' : escapeCell(e.licence)} | ${fmt(e.documents)} | ${fmt(e.chunks)} |`,
      );
    }
    out.push('');
  } else {
    out.push('No kept chunk was excluded for its licence.', '');
  }
  if (input.excluded.removedChunks.length > 0) {
    out.push('| Removed before export (reason) | Chunks |', '|---|---:|');
    for (const r of input.excluded.removedChunks)
      out.push(
        `| ${r.reason === null ? '(unspecified)' : escapeCell(r.reason)} | ${fmt(r.chunks)} |`,
      );
    out.push('');
  }

  out.push('## How it was built', '');
  out.push(
    'The `@cncf-llm/corpus` pipeline stores scraped pages (docs sites, GitHub repositories, whitepapers, StackOverflow) in DuckDB, normalises them (Unicode NFC, whitespace; code blocks verbatim), filters them by language and quality heuristics, replaces secrets and personal data with typed placeholders, cuts them into chunks at headings and paragraphs within a token budget, and removes exact and near duplicates (MinHash LSH) at document and chunk level.',
    '',
  );
  const steps = [...new Set(input.statistics.map((s) => s.step))];
  if (steps.length > 0)
    out.push(
      `Steps that recorded statistics in this build: ${steps.map((s) => `\`${escapeInline(s)}\``).join(', ')}.`,
      '',
    );
  if (input.run) {
    out.push(
      `Build run \`${input.run.id}\`, started ${input.run.startedAt}${input.run.finishedAt ? `, finished ${input.run.finishedAt}` : ''} (${input.run.status}).`,
      '',
    );
    if (input.run.inputFiles.length > 0) {
      out.push('Input files:', '');
      for (const file of input.run.inputFiles) out.push(`- \`${escapeInline(file)}\``);
      out.push('');
    }
    out.push(
      'Options (tokenizer, budgets, thresholds):',
      '',
      '```json',
      JSON.stringify(input.run.options, null, 2),
      '```',
      '',
    );
  } else {
    out.push('No build run is recorded in the store.', '');
  }

  out.push('## Deduplication and filter statistics', '');
  if (input.statistics.length === 0) {
    out.push('No statistics were recorded.', '');
  } else {
    out.push('| Step | Measure | Value |', '|---|---|---|');
    for (const s of input.statistics)
      out.push(`| ${escapeCell(s.step)} | ${escapeCell(s.key)} | ${renderValue(s.value)} |`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function countLine(row: CountRow, none: string): string {
  return `| ${row.key === null ? none : escapeCell(row.key)} | ${fmt(row.documents)} | ${fmt(row.chunks)} | ${fmt(row.tokens)} |`;
}

function renderValue(value: JsonValue): string {
  if (typeof value === 'number') return fmt(value);
  if (typeof value === 'string') return escapeCell(value);
  // A flat record of counts (what most steps record) reads better as "key: value" pairs.
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.every(([, v]) => v === null || typeof v !== 'object')) {
      return escapeCell(
        entries.map(([k, v]) => `${k}: ${typeof v === 'number' ? fmt(v) : String(v)}`).join(', '),
      );
    }
  }
  return `\`${escapeCell(JSON.stringify(value))}\``;
}

function plural(n: number, noun: string): string {
  return `${fmt(n)} ${n === 1 ? noun : `${noun}s`}`;
}

/** Thousands separators, fixed (not the machine's locale) so the card is byte-stable. */
function fmt(n: number): string {
  if (!Number.isInteger(n)) return String(n);
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function pct(ratio: number): string {
  return `${Number((ratio * 100).toFixed(4))}%`;
}

function escapeCell(text: string): string {
  return escapeInline(text).replace(/\|/g, '\\|');
}

function escapeInline(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
