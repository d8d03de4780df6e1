import { Command, InvalidArgumentError, Option } from 'commander';
import { BenchError } from '../errors.js';
import { formatFixed } from '../format.js';
import type { BaseScore, Metric } from '../metric.js';
import { createMetric, type MetricOptions } from '../metrics.js';
import { defaultSeed, scoreStatistics, sentenceScore } from '../score.js';
import type { Signature } from '../signature.js';
import { pairedTest } from '../significance/paired.js';
import { collectStreamStatistics } from '../stream.js';
import { VERSION } from '../version.js';
import { createProgress } from './progress.js';
import {
  alignLines,
  pairedCell,
  pairedExplanation,
  scoreJson,
  scoreLine,
  signaturesBlock,
  table,
} from './render.js';
import { normalizeSacrebleuArgs } from './sacrebleu-args.js';
import { zipSegments } from './segments.js';

/** Where the command reads and writes; tests pass their own. */
export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress is then one updating line, else JSON lines). */
  stderrIsTTY?: boolean;
}

interface ParsedOptions {
  input?: string[];
  metrics: string[];
  numRefs: number;
  sentenceLevel?: boolean;
  smoothMethod: 'exp' | 'floor' | 'add-k' | 'none';
  smoothValue?: number;
  tokenize: string;
  lowercase?: boolean;
  force?: boolean;
  chrfCharOrder: number;
  chrfWordOrder: number;
  chrfBeta: number;
  chrfWhitespace?: boolean;
  chrfLowercase?: boolean;
  chrfEpsSmoothing?: boolean;
  terCaseSensitive?: boolean;
  terAsianSupport?: boolean;
  terNoPunct?: boolean;
  terNormalized?: boolean;
  confidence?: boolean;
  confidenceN: number;
  pairedAr?: boolean;
  pairedBs?: boolean;
  pairedArN: number;
  pairedBsN: number;
  quiet?: boolean;
  short?: boolean;
  scoreOnly?: boolean;
  width: number;
  format: 'json' | 'text';
  color: boolean;
  encoding: string;
}

const int = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer.`);
  return n;
};

const num = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number.`);
  return n;
};

/**
 * The `score` command: sacreBLEU's command line (same flags, same defaults, same output forms)
 * over this package's metrics. Also mounted by the `cncf-llm` CLI as `cncf-llm bench score`.
 */
export function createScoreCommand(io: CliIo, name = 'cncf-bench'): Command {
  const program = new Command(name)
    .description(
      'Score system outputs against references with BLEU, chrF/chrF++ and TER, exactly as sacreBLEU 2.6.0.\n' +
        'Files are UTF-8, one segment per line. Without -i, systems are read from stdin (tab-separated for several).',
    )
    .version(VERSION, '-V, --version')
    .argument('[refs...]', 'reference files (give them before -i)')
    .option('-i, --input <files...>', 'system output files (default: stdin)')
    .addOption(
      new Option('-m, --metrics <names...>', 'metrics to compute')
        .choices(['bleu', 'chrf', 'ter'])
        .default(['bleu']),
    )
    .option(
      '--num-refs <n>',
      'split each reference line on tabs into this many references (-nr)',
      int('--num-refs'),
      1,
    )
    .option('--sentence-level', 'score each segment (one system, one metric) (-sl)')
    .option('-e, --encoding <name>', 'input encoding (only utf-8 is supported)', 'utf-8')
    .addOption(
      new Option('-s, --smooth-method <method>', 'BLEU smoothing')
        .choices(['exp', 'floor', 'add-k', 'none'])
        .default('exp'),
    )
    .option(
      '--smooth-value <x>',
      'BLEU smoothing value for floor (0.1) and add-k (1) (-sv)',
      num('--smooth-value'),
    )
    .addOption(
      new Option('--tokenize <name>', 'BLEU tokenizer (-tok)')
        .choices(['13a', 'intl', 'zh', 'char', 'none'])
        .default('13a'),
    )
    .option('--lowercase', 'case-insensitive BLEU (-lc)')
    .option('--force', 'accepted for compatibility: no tokenized-input warning is issued')
    .option(
      '--chrf-char-order <n>',
      'chrF character n-gram order (-cc)',
      int('--chrf-char-order'),
      6,
    )
    .option(
      '--chrf-word-order <n>',
      'chrF word n-gram order; 2 gives chrF++ (-cw)',
      int('--chrf-word-order'),
      0,
    )
    .option('--chrf-beta <n>', 'chrF recall weight', int('--chrf-beta'), 2)
    .option('--chrf-whitespace', 'keep whitespace in chrF character n-grams')
    .option('--chrf-lowercase', 'case-insensitive chrF')
    .option(
      '--chrf-eps-smoothing',
      'chrF epsilon smoothing (chrF++.py, NLTK, Moses) instead of effective order',
    )
    .option('--ter-case-sensitive', 'case-sensitive TER')
    .option('--ter-asian-support', 'split Asian characters in TER')
    .option('--ter-no-punct', 'remove punctuation for TER')
    .option('--ter-normalized', 'normalize and tokenize for TER')
    .option('--confidence', 'bootstrap 95% confidence interval (one system) (-ci)')
    .option(
      '--confidence-n <n>',
      'bootstrap resamples for --confidence (-cin)',
      int('--confidence-n'),
      1000,
    )
    .addOption(
      new Option(
        '--paired-ar',
        'paired approximate randomization test, first -i is the baseline (-par)',
      ).conflicts('pairedBs'),
    )
    .addOption(
      new Option(
        '--paired-bs',
        'paired bootstrap resampling test, first -i is the baseline (-pbs)',
      ).conflicts('pairedAr'),
    )
    .option(
      '--paired-ar-n <n>',
      'approximate randomization trials (-parn)',
      int('--paired-ar-n'),
      10000,
    )
    .option('--paired-bs-n <n>', 'paired bootstrap resamples (-pbsn)', int('--paired-bs-n'), 1000)
    .option('-q, --quiet', 'print no progress (shown on stderr for runs longer than a second)')
    .option('--short', 'short signatures (-sh)')
    .option('-b, --score-only', 'print only the score')
    .option('-w, --width <n>', 'decimals of printed scores', int('--width'), 1)
    .addOption(
      new Option(
        '-f, --format <format>',
        'output format (default from SACREBLEU_FORMAT, else json)',
      )
        .choices(['json', 'text'])
        .default(process.env.SACREBLEU_FORMAT === 'text' ? 'text' : 'json'),
    )
    .option('--no-color', 'accepted for compatibility: output is never colored (-nc)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .action(async (refs: string[], opts: ParsedOptions) => {
      await runScore(refs, opts, io);
    });
  return program;
}

/**
 * Runs the score command on `args` (without the program name). Resolves to the exit code:
 * 0 on success, 1 for bad input or usage (with a message on stderr).
 */
export async function runScoreCli(
  args: readonly string[],
  io: Partial<CliIo> = {},
): Promise<number> {
  const full: CliIo = {
    stdin: io.stdin ?? process.stdin,
    stdout: io.stdout ?? ((t) => process.stdout.write(t)),
    stderr: io.stderr ?? ((t) => process.stderr.write(t)),
    stderrIsTTY: io.stderr ? io.stderrIsTTY : process.stderr.isTTY,
  };
  try {
    await createScoreCommand(full).parseAsync(normalizeSacrebleuArgs(args), { from: 'user' });
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return 0;
    if (typeof code === 'string' && code.startsWith('commander.')) return 1;
    full.stderr(`cncf-bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function runScore(refFiles: string[], opts: ParsedOptions, io: CliIo): Promise<void> {
  if (!/^utf-?8$/i.test(opts.encoding))
    throw new BenchError(
      'invalid-options',
      `encoding '${opts.encoding}' is not supported: convert the files to UTF-8.`,
    );
  if (refFiles.length === 0)
    throw new BenchError(
      'invalid-input',
      'no reference file given: pass one or more reference files before -i.',
    );
  if (opts.numRefs > 1 && refFiles.length > 1)
    throw new BenchError(
      'invalid-options',
      '--num-refs splits one tab-separated reference file; give a single reference file with it.',
    );
  const paired = opts.pairedAr ? 'ar' : opts.pairedBs ? 'bs' : undefined;
  const systemFiles = opts.input;
  if (systemFiles) {
    const seen = new Set<string>();
    for (const f of systemFiles) {
      if (seen.has(f))
        throw new BenchError(
          'invalid-input',
          `'${f}' is given twice with -i: every system needs its own file name.`,
        );
      seen.add(f);
    }
  }
  const metricIds = [...new Set(opts.metrics.map((m) => m.toLowerCase()))].sort((a, b) =>
    a.toUpperCase() < b.toUpperCase() ? -1 : 1,
  );
  const metricOptions: MetricOptions = {
    bleu: {
      tokenize: opts.tokenize,
      lowercase: opts.lowercase ?? false,
      smoothMethod: opts.smoothMethod,
      smoothValue: opts.smoothValue,
      effectiveOrder: opts.sentenceLevel ?? false,
    },
    chrf: {
      charOrder: opts.chrfCharOrder,
      wordOrder: opts.chrfWordOrder,
      beta: opts.chrfBeta,
      whitespace: opts.chrfWhitespace ?? false,
      lowercase: opts.chrfLowercase ?? false,
      epsSmoothing: opts.chrfEpsSmoothing ?? false,
    },
    ter: {
      caseSensitive: opts.terCaseSensitive ?? false,
      asianSupport: opts.terAsianSupport ?? false,
      noPunct: opts.terNoPunct ?? false,
      normalized: opts.terNormalized ?? false,
    },
  };
  const metrics = metricIds.map((id) => createMetric(id, metricOptions));

  const segments = zipSegments(refFiles, opts.numRefs, systemFiles, io.stdin);
  const progress = opts.quiet
    ? undefined
    : createProgress('segments scored', { isTTY: io.stderrIsTTY ?? false, write: io.stderr });
  if (opts.sentenceLevel) {
    await sentenceLevel(metrics, segments, opts, io);
    return;
  }
  const {
    statistics,
    nrefs,
    segments: count,
  } = await collectStreamStatistics(metrics, segments.iterate(), {
    onSegment: (n) => progress?.update(n),
  });
  progress?.done(count);
  const names = segments.systemNames();
  if (count === 0)
    throw new BenchError('empty-input', 'the test set has no segments: the files are empty.');
  if (paired && names.length < 2)
    throw new BenchError(
      'invalid-options',
      'paired tests need at least two systems after -i: the first is the baseline.',
    );
  if (opts.confidence && names.length > 1)
    throw new BenchError(
      'invalid-options',
      '--confidence scores one system; for several systems use --paired-bs or --paired-ar.',
    );

  const render = {
    width: opts.width,
    short: opts.short ?? false,
    scoreOnly: opts.scoreOnly ?? false,
  };
  if (names.length === 1) {
    const results = metrics.map((m, i) =>
      scoreStatistics(m, statistics[i]![0]!, nrefs, {
        bootstrap: opts.confidence ? opts.confidenceN : 1,
        seed: defaultSeed(),
      }),
    );
    if (opts.format === 'json') {
      // With -b, sacreBLEU prints bare scores even in JSON mode (as a bracketed list for several).
      const json = results.map((r) =>
        render.scoreOnly ? scoreLine(r, render) : JSON.stringify(scoreJson(r, opts.width), null, 1),
      );
      io.stdout(`${json.length > 1 ? `[\n${json.join(',\n')}\n]` : json[0]}\n`);
    } else {
      io.stdout(`${alignLines(results.map((r) => scoreLine(r, render)))}\n`);
    }
    return;
  }

  const signatures = new Map<string, Signature>();
  if (!paired) {
    const columns = metrics.map((m, i) =>
      names.map((_, s) => scoreStatistics(m, statistics[i]![s]!, nrefs)),
    );
    if (opts.format === 'json') {
      const rows = names.map((system, s) => ({
        system,
        ...Object.fromEntries(columns.map((col) => [col[s]!.name, scoreJson(col[s]!, opts.width)])),
      }));
      io.stdout(`${JSON.stringify(rows, null, 4)}\n`);
      return;
    }
    for (const col of columns) signatures.set(col[0]!.name, col[0]!.signature);
    const headers = ['System', ...columns.map((c) => c[0]!.name)];
    const rows = names.map((n, s) => [
      n,
      ...columns.map((c) => formatFixed(c[s]!.score, opts.width)),
    ]);
    io.stdout(`${table(headers, rows)}\n\n${signaturesBlock(signatures, render.short)}\n`);
    return;
  }

  const samples = paired === 'bs' ? opts.pairedBsN : opts.pairedArN;
  const outcomes = metrics.map((m, i) =>
    pairedTest(m, statistics[i]![0]!, statistics[i]!.slice(1), nrefs, {
      test: paired,
      samples,
      seed: defaultSeed(),
    }),
  );
  const labels = [`Baseline: ${names[0]}`, ...names.slice(1)];
  const scoreNames = metrics.map((m) => m.name);
  if (opts.format === 'json') {
    const rows = labels.map((system, s) => ({
      system,
      ...Object.fromEntries(
        outcomes.map((o, i) => [
          scoreNames[i]!,
          { ...(s === 0 ? o.baseline : o.systems[s - 1]), signature: o.signature.format() },
        ]),
      ),
    }));
    io.stdout(`${JSON.stringify(rows, null, 4)}\n`);
    return;
  }
  for (const [i, o] of outcomes.entries()) signatures.set(scoreNames[i]!, o.signature);
  const suffix = paired === 'bs' ? ' (μ ± 95% CI)' : '';
  const headers = ['System', ...scoreNames.map((n) => n + suffix)];
  const rows = labels.map((label, s) => [
    label,
    ...outcomes.map((o) => pairedCell(s === 0 ? o.baseline : o.systems[s - 1]!, opts.width)),
  ]);
  io.stdout(
    `${table(headers, rows)}\n\n${pairedExplanation(paired, samples, labels[0]!)}\n${signaturesBlock(signatures, render.short)}\n`,
  );
}

async function sentenceLevel(
  metrics: Metric<BaseScore, unknown>[],
  segments: ReturnType<typeof zipSegments>,
  opts: ParsedOptions,
  io: CliIo,
): Promise<void> {
  if (metrics.length !== 1)
    throw new BenchError(
      'invalid-options',
      '--sentence-level scores one metric at a time: pass a single -m.',
    );
  const metric = metrics[0]!;
  const render = {
    width: opts.width,
    short: opts.short ?? false,
    scoreOnly: opts.scoreOnly ?? false,
  };
  let checked = false;
  for await (const seg of segments.iterate()) {
    if (!checked && seg.hypotheses.length !== 1)
      throw new BenchError(
        'invalid-options',
        '--sentence-level scores one system: pass a single -i file.',
      );
    checked = true;
    const refs = seg.references.filter((r): r is string => typeof r === 'string');
    io.stdout(`${scoreLine(sentenceScore(metric, seg.hypotheses[0]!, refs), render)}\n`);
  }
}
