import {
  type BuildReport,
  buildCorpusIter,
  exportDataset,
  openCorpusStore,
  parseSplitSpec,
  pullDataset,
  pushDataset,
} from '@cncf-llm/corpus';
import { type Command, InvalidArgumentError } from 'commander';
import { createJobProgress } from '../progress.js';
import { interruptSignal, intOption, listOption } from './options.js';

function numberOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${name} takes a number from ${min} to ${max}; got "${value}".`,
      );
    }
    return n;
  };
}

function splitOption(value: string): Record<string, number> {
  try {
    return parseSplitSpec(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** `cncf-llm corpus build|stats`. */
export function registerCorpus(program: Command): void {
  const corpus = program
    .command('corpus')
    .description('Build a clean, deduplicated, licensed corpus from scraped documents (DuckDB).');
  corpus
    .command('build')
    .description(
      'Ingest documents.jsonl files, scrub PII and secrets, filter by language and quality, deduplicate, and chunk.',
    )
    .requiredOption('--in <files...>', 'documents.jsonl files written by the scraper')
    .requiredOption('--db <file>', 'DuckDB file (created when missing)')
    .option(
      '--chunk-tokens <n>',
      'token budget per chunk (default 512)',
      intOption('--chunk-tokens', 16),
    )
    .option(
      '--overlap-tokens <n>',
      'tokens repeated between chunks (default 0)',
      intOption('--overlap-tokens'),
    )
    .option(
      '--tokenizer <file>',
      'tokenizer.json to count tokens with (default: a fast approximation)',
    )
    .option(
      '--dedup-threshold <x>',
      'near-duplicate Jaccard threshold (default 0.8)',
      numberOption('--dedup-threshold', 0, 1),
    )
    .option('--languages <list>', 'languages kept (default en; "all" keeps every one)', listOption)
    .option('--no-scrub', 'keep PII and secrets (not recommended)')
    .option('--json', 'print the build report as JSON')
    .action(
      async (flags: {
        in: string[];
        db: string;
        chunkTokens?: number;
        overlapTokens?: number;
        tokenizer?: string;
        dedupThreshold?: number;
        languages?: string[];
        scrub: boolean;
        json?: boolean;
      }) => {
        const progress = createJobProgress('corpus', process.stderr);
        const interrupt = interruptSignal(() =>
          progress.note('Interrupted; run the same command again to finish.'),
        );
        let report: BuildReport | undefined;
        try {
          for await (const event of buildCorpusIter({
            inputs: flags.in,
            db: flags.db,
            ...(flags.chunkTokens !== undefined ? { chunkTokens: flags.chunkTokens } : {}),
            ...(flags.overlapTokens !== undefined ? { overlapTokens: flags.overlapTokens } : {}),
            ...(flags.tokenizer !== undefined ? { tokenizer: flags.tokenizer } : {}),
            ...(flags.dedupThreshold !== undefined ? { dedupThreshold: flags.dedupThreshold } : {}),
            ...(flags.languages !== undefined
              ? { languages: flags.languages.includes('all') ? [] : flags.languages }
              : {}),
            scrub: flags.scrub,
            signal: interrupt.signal,
          })) {
            if (event.type === 'step-started') progress.note(`step: ${event.step}`);
            else if (event.type === 'step-progress') {
              progress.update({
                done: event.done,
                ...(event.bytes !== undefined ? { bytes: event.bytes } : {}),
              });
            } else if (event.type === 'step-finished') {
              progress.note(`step: ${event.step} done in ${(event.elapsedMs / 1000).toFixed(1)} s`);
            } else if (event.type === 'build-finished') report = event.report;
          }
        } finally {
          interrupt.dispose();
        }
        if (!report) return;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return;
        }
        const invalid = report.ingest.files.reduce((n, f) => n + f.invalid, 0);
        const lines = [
          `Corpus ${flags.db}: ${report.chunking.documents} documents kept, ${report.chunking.chunks} chunks (${report.chunking.tokens} tokens, ${report.chunking.tokenizer}); ${report.chunkDedup?.removed ?? 0} duplicate chunks removed.`,
          `Removed documents: ${report.filters.removed} by language/quality filters, ${Object.values(report.documentDedup.byReason).reduce((a, b) => a + b, 0)} duplicates.`,
          `Scrubbed: ${
            Object.entries(report.scrubbed)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ') || 'nothing'
          }.`,
        ];
        if (invalid > 0) {
          lines.push(`${invalid} invalid input records were skipped:`);
          for (const f of report.ingest.files) {
            for (const p of f.problems.slice(0, 5))
              lines.push(`  ${f.path}:${p.line}: ${p.message}`);
          }
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );
  corpus
    .command('stats')
    .description(
      'Counts of a corpus: documents, chunks, tokens, per project, source type and licence.',
    )
    .requiredOption('--db <file>', 'DuckDB file')
    .option('--json', 'print JSON')
    .action(async (flags: { db: string; json?: boolean }) => {
      const store = await openCorpusStore({ path: flags.db, readOnly: true });
      try {
        const stats = await store.stats();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
          return;
        }
        const d = stats.documents;
        const c = stats.chunks;
        const lines = [
          `Documents: ${d.total} (${d.kept} kept, ${d.removed} removed), ${(d.markdownBytes / 1024 ** 2).toFixed(1)} MiB of markdown`,
          `Chunks: ${c.total} (${c.kept} kept, ${c.removed} removed), ${c.keptTokens} tokens kept`,
          'By project:',
          ...stats.byProject.map(
            (g) => `  ${String(g.key ?? '(none)').padEnd(24)} ${JSON.stringify(g)}`,
          ),
          'By licence:',
          ...stats.byLicence.map(
            (g) => `  ${String(g.key ?? '(none)').padEnd(24)} ${JSON.stringify(g)}`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        await store.close();
      }
    });
}

/** `cncf-llm dataset export|push|pull`. */
export function registerDataset(program: Command): void {
  const dataset = program
    .command('dataset')
    .description('Export the corpus as a Hugging Face dataset (Parquet + card) and publish it.');
  dataset
    .command('export')
    .description('Write data/<split>-NNNNN-of-MMMMM.parquet and a README.md dataset card.')
    .requiredOption('--db <file>', 'DuckDB file built by `cncf-llm corpus build`')
    .requiredOption('--out <dir>', 'dataset directory')
    .option('--split <spec>', 'split ratios, e.g. train=0.98,validation=0.02', splitOption)
    .option(
      '--max-shard-mb <n>',
      'largest Parquet shard in MB (default 500)',
      intOption('--max-shard-mb', 1),
    )
    .option('--repo <org/name>', 'Hub repository named in the card')
    .option('--json', 'print the export result as JSON')
    .action(
      async (flags: {
        db: string;
        out: string;
        split?: Record<string, number>;
        maxShardMb?: number;
        repo?: string;
        json?: boolean;
      }) => {
        const store = await openCorpusStore({ path: flags.db, readOnly: true });
        try {
          const result = await exportDataset({
            store,
            outDir: flags.out,
            ...(flags.split ? { splits: flags.split } : {}),
            ...(flags.maxShardMb ? { maxShardBytes: flags.maxShardMb * 1024 * 1024 } : {}),
            ...(flags.repo ? { card: { repo: flags.repo } } : {}),
          });
          if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          else {
            process.stdout.write(
              `Exported ${result.totalExamples} rows to ${flags.out}: ${result.splits.map((s) => `${s.name} ${s.numExamples} rows in ${s.files.length} shard(s)`).join(', ')}; ${result.excluded.unlicensed} unlicensed chunks left out. Card: ${result.cardPath}\n`,
            );
          }
        } finally {
          await store.close();
        }
      },
    );
  dataset
    .command('push')
    .description('Upload a dataset directory to the Hugging Face Hub (token from HF_TOKEN).')
    .requiredOption('--dir <dir>', 'dataset directory (README.md + data/)')
    .requiredOption('--repo <org/name>', 'dataset repository')
    .option('--private', 'create the repository private')
    .option('--revision <branch>', 'branch to commit to (created from main when missing)')
    .option('--tag <tag>', 'tag the pushed commit')
    .option('--hub-url <url>', 'Hub endpoint (default https://huggingface.co or HF_ENDPOINT)')
    .action(
      async (flags: {
        dir: string;
        repo: string;
        private?: boolean;
        revision?: string;
        tag?: string;
        hubUrl?: string;
      }) => {
        const result = await pushDataset({
          dir: flags.dir,
          repo: flags.repo,
          ...(flags.private ? { private: true } : {}),
          ...(flags.revision ? { revision: flags.revision } : {}),
          ...(flags.tag ? { tag: flags.tag } : {}),
          ...(flags.hubUrl ? { hubUrl: flags.hubUrl } : {}),
        });
        process.stdout.write(
          `Pushed to ${result.repoUrl} (${result.revision}): ${result.commits.length} commit(s), ${result.unchanged} file(s) unchanged${result.tag ? `, tag ${result.tag}` : ''}.\n`,
        );
      },
    );
  dataset
    .command('pull')
    .description('Download a dataset repository, verifying every file checksum.')
    .requiredOption('--repo <org/name>', 'dataset repository')
    .requiredOption('--dir <dir>', 'where to write it')
    .option('--revision <rev>', 'branch, tag or commit (default main)')
    .option('--hub-url <url>', 'Hub endpoint')
    .action(async (flags: { repo: string; dir: string; revision?: string; hubUrl?: string }) => {
      const result = await pullDataset({
        repo: flags.repo,
        dir: flags.dir,
        ...(flags.revision ? { revision: flags.revision } : {}),
        ...(flags.hubUrl ? { hubUrl: flags.hubUrl } : {}),
      });
      process.stdout.write(
        `Pulled ${result.files.length} files of ${flags.repo} at ${result.commit}, checksums verified.\n`,
      );
    });
}
