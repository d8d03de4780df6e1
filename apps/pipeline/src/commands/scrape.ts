import {
  cncfProjects,
  loadLandscape,
  type Maturity,
  planSources,
  type ScrapeReport,
  type ScrapeUnitKind,
  scrapeIter,
} from '@cncf-llm/scraper';
import { type Command, InvalidArgumentError } from 'commander';
import { createJobProgress } from '../progress.js';
import { maturityOption } from './landscape.js';
import { interruptSignal, intOption, listOption } from './options.js';

interface ScrapeFlags {
  landscape?: string;
  projects?: string[];
  maturity?: Maturity[];
  out: string;
  kinds?: ScrapeUnitKind[];
  site?: Record<string, string[]>;
  github?: Record<string, string[]>;
  githubApi?: string;
  stackexchangeApi?: string;
  maxPages?: number;
  concurrency?: number;
  delayMs?: number;
  userAgent?: string;
  refresh?: boolean;
  planOnly?: boolean;
  json?: boolean;
}

const KINDS = ['site', 'github', 'stackoverflow', 'whitepaper'] as const;

function kindsOption(value: string, previous: ScrapeUnitKind[] = []): ScrapeUnitKind[] {
  return [
    ...previous,
    ...listOption(value).map((k) => {
      if (!(KINDS as readonly string[]).includes(k)) {
        throw new InvalidArgumentError(`"${k}" is not a source kind; use ${KINDS.join(', ')}.`);
      }
      return k as ScrapeUnitKind;
    }),
  ];
}

function overrideOption(value: string, previous: Record<string, string[]> = {}) {
  const eq = value.indexOf('=');
  if (eq <= 0) {
    throw new InvalidArgumentError(
      `"${value}" should be PROJECT=URL, e.g. etcd=https://etcd.io/docs/.`,
    );
  }
  const project = value.slice(0, eq);
  return { ...previous, [project]: [...(previous[project] ?? []), value.slice(eq + 1)] };
}

/** `cncf-llm scrape`: plans and runs every source of the chosen projects. */
export function registerScrape(program: Command): void {
  program
    .command('scrape')
    .description(
      'Scrape the docs sites, GitHub docs, StackOverflow Q&A and whitepapers of landscape projects into DIR/sources/*/documents.jsonl. Run again to resume.',
    )
    .option('--landscape <file>', 'landscape.yml to read (default: download the official one)')
    .option('--projects <list>', 'comma-separated project names or slugs', listOption)
    .option('--maturity <list>', 'only projects of these maturities', maturityOption)
    .requiredOption('--out <dir>', 'output directory')
    .option('--kinds <list>', `sources to run: ${KINDS.join(',')} (default all)`, kindsOption)
    .option('--site <project=url>', 'docs seed URL for a project (repeatable)', overrideOption)
    .option(
      '--github <project=repo>',
      'GitHub repository for a project (repeatable)',
      overrideOption,
    )
    .option('--github-api <url>', 'GitHub API base URL (default https://api.github.com)')
    .option(
      '--stackexchange-api <url>',
      'StackExchange API base URL (default https://api.stackexchange.com/2.3)',
    )
    .option(
      '--max-pages <n>',
      'pages per project and source (default 500)',
      intOption('--max-pages', 1),
    )
    .option(
      '--concurrency <n>',
      'requests in flight per site (default 4)',
      intOption('--concurrency', 1),
    )
    .option('--delay-ms <n>', 'least delay between requests to one host', intOption('--delay-ms'))
    .option('--user-agent <s>', 'User-Agent header')
    .option('--refresh', 're-read GitHub and StackOverflow sources that finished before')
    .option('--plan-only', 'print the plan as JSON and stop')
    .option('--json', 'print the report as JSON')
    .action(async (flags: ScrapeFlags) => {
      const parsed = await loadLandscape(
        flags.landscape !== undefined ? { file: flags.landscape } : {},
      );
      for (const issue of parsed.issues)
        process.stderr.write(`warning: ${issue.path}: ${issue.message}\n`);
      const projects = cncfProjects(parsed);
      const plan = planSources(projects, {
        ...(flags.projects ? { projects: flags.projects } : {}),
        ...(flags.maturity ? { maturity: flags.maturity } : {}),
        ...(flags.site ? { siteOverrides: flags.site } : {}),
        ...(flags.github ? { githubOverrides: flags.github } : {}),
        ...(flags.maxPages !== undefined ? { budget: { maxPages: flags.maxPages } } : {}),
      });
      for (const issue of plan.issues) process.stderr.write(`warning: ${issue}\n`);
      for (const s of plan.skipped) {
        process.stderr.write(`skipped: ${s.project} ${s.source}: ${s.reason}\n`);
      }
      if (flags.planOnly) {
        process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      const progress = createJobProgress('scrape', process.stderr);
      const interrupt = interruptSignal(() =>
        progress.note('Interrupted: stopping; run the same command to resume.'),
      );
      let report: ScrapeReport | undefined;
      try {
        for await (const event of scrapeIter({
          plan,
          outDir: flags.out,
          ...(flags.kinds ? { kinds: flags.kinds } : {}),
          crawl: {
            ...(flags.concurrency !== undefined
              ? { concurrency: flags.concurrency, concurrencyPerHost: flags.concurrency }
              : {}),
            ...(flags.delayMs !== undefined ? { delayMs: flags.delayMs } : {}),
            ...(flags.userAgent !== undefined ? { userAgent: flags.userAgent } : {}),
          },
          ...(flags.githubApi ? { github: { baseUrl: flags.githubApi } } : {}),
          ...(flags.stackexchangeApi ? { stackExchange: { baseUrl: flags.stackexchangeApi } } : {}),
          ...(flags.refresh ? { refresh: true } : {}),
          signal: interrupt.signal,
        })) {
          if (event.type === 'unit-started') {
            progress.note(`[${event.index + 1}/${event.total}] ${event.key}`);
          } else if (event.type === 'unit-progress') {
            progress.update({
              done: event.done,
              ...(event.pending !== undefined ? { pending: event.pending } : {}),
              documents: event.documents,
            });
          } else if (event.type === 'unit-finished') {
            const r = event.result;
            progress.note(
              `[${event.index + 1}/${event.total}] ${r.key}: ${r.status}, ${r.documents} documents${r.failed ? `, ${r.failed} failed` : ''}${r.message ? ` (${r.message})` : ''}`,
            );
          } else if (event.type === 'scrape-finished') {
            report = event.report;
          }
        }
      } finally {
        interrupt.dispose();
      }
      if (!report) return;
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        process.stdout.write(
          `Scraped ${report.units.length} sources: ${report.totals.documents} documents, ${report.totals.failedUnits} failed sources. Report: ${flags.out}/scrape-report.json\n`,
        );
      }
      if (interrupt.signal.aborted) process.exitCode = 130;
      else if (report.totals.failedUnits > 0) process.exitCode = 2;
    });
}
