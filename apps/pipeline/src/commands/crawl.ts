import { type CrawlReport, crawlIter } from '@cncf-llm/scraper';
import type { Command } from 'commander';
import { createJobProgress } from '../progress.js';
import { interruptSignal, intOption, listOption } from './options.js';

interface CrawlFlags {
  out: string;
  maxPages?: number;
  maxDepth?: number;
  concurrency?: number;
  concurrencyPerHost?: number;
  delayMs?: number;
  userAgent?: string;
  project?: string;
  licence?: string;
  robots: boolean;
  sitemaps: boolean;
  versions?: 'latest' | 'all';
  exclude?: string[];
  refresh?: boolean;
  timeoutMs?: number;
  json?: boolean;
}

/** `cncf-llm crawl URL... --out DIR`: a resumable, polite crawl of documentation sites. */
export function registerCrawl(program: Command): void {
  program
    .command('crawl')
    .description(
      'Crawl documentation sites into DIR/documents.jsonl and DIR/crawl-report.json. Run it again on the same DIR to resume an unfinished crawl, or to refresh a finished one with conditional requests.',
    )
    .argument('<url...>', "start URLs; each one's host and directory bound the crawl")
    .requiredOption('--out <dir>', 'output directory')
    .option('--max-pages <n>', 'pages to fetch (default 10000)', intOption('--max-pages', 1))
    .option(
      '--max-depth <n>',
      'links to follow from a start URL (default 20)',
      intOption('--max-depth'),
    )
    .option(
      '--concurrency <n>',
      'requests in flight in all (default 4)',
      intOption('--concurrency', 1),
    )
    .option(
      '--concurrency-per-host <n>',
      'requests in flight per host (default 2)',
      intOption('--concurrency-per-host', 1),
    )
    .option(
      '--delay-ms <n>',
      'least delay between requests to one host (default 0, adaptive)',
      intOption('--delay-ms'),
    )
    .option('--user-agent <s>', 'User-Agent header, also matched against robots.txt')
    .option('--project <name>', 'landscape project name stamped on the documents')
    .option('--licence <spdx>', 'SPDX licence of the site content, stamped on the documents')
    .option('--no-robots', 'ignore robots.txt (only for sites you own)')
    .option('--no-sitemaps', 'do not read sitemaps')
    .option('--versions <mode>', 'versioned docs: latest (default) or all')
    .option('--exclude <substrings>', 'comma-separated path substrings never fetched', listOption)
    .option('--refresh', 're-check every known page even if the last crawl was cut short')
    .option('--timeout-ms <n>', 'per-request timeout (default 30000)', intOption('--timeout-ms', 1))
    .option('--json', 'print the report as JSON on stdout')
    .action(async (urls: string[], flags: CrawlFlags) => {
      const progress = createJobProgress('crawl', process.stderr);
      const interrupt = interruptSignal(() =>
        progress.note(
          'Interrupted: finishing the pages in flight; run the same command to resume.',
        ),
      );
      let report: CrawlReport | undefined;
      try {
        const it = crawlIter({
          seeds: urls,
          outDir: flags.out,
          ...(flags.maxPages !== undefined ? { maxPages: flags.maxPages } : {}),
          ...(flags.maxDepth !== undefined ? { maxDepth: flags.maxDepth } : {}),
          ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
          ...(flags.concurrencyPerHost !== undefined
            ? { concurrencyPerHost: flags.concurrencyPerHost }
            : flags.concurrency !== undefined
              ? { concurrencyPerHost: flags.concurrency }
              : {}),
          ...(flags.delayMs !== undefined ? { delayMs: flags.delayMs } : {}),
          ...(flags.userAgent !== undefined ? { userAgent: flags.userAgent } : {}),
          ...(flags.project !== undefined ? { project: flags.project } : {}),
          ...(flags.licence !== undefined ? { licence: flags.licence } : {}),
          ...(flags.versions !== undefined ? { versions: flags.versions } : {}),
          ...(flags.exclude !== undefined ? { exclude: flags.exclude } : {}),
          ...(flags.timeoutMs !== undefined ? { timeoutMs: flags.timeoutMs } : {}),
          respectRobots: flags.robots,
          useSitemaps: flags.sitemaps,
          mode: flags.refresh ? 'refresh' : 'auto',
          signal: interrupt.signal,
        });
        for await (const event of it) {
          if (event.type === 'crawl-started') {
            progress.note(
              `${event.mode === 'fresh' ? 'Crawling' : event.mode === 'resume' ? 'Resuming' : 'Refreshing'} ${event.seeds.join(' ')} (run ${event.run}, ${event.pending} pages queued, ${event.documentsInFile} documents already in ${flags.out})`,
            );
          } else if (event.type === 'page-done') {
            progress.update({
              done: event.stats.done,
              pending: event.stats.pending,
              documents: event.stats.documents,
              failed: event.stats.failed,
            });
          } else if (event.type === 'crawl-finished') {
            report = event.report;
          }
        }
      } finally {
        interrupt.dispose();
      }
      if (!report) return;
      progress.done({
        done:
          report.pages.documents +
          report.pages.notModified +
          report.pages.duplicates +
          report.pages.skipped +
          report.pages.failed,
        pending: report.pages.pending,
        documents: report.pages.documents,
        failed: report.pages.failed,
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(summarise(report, flags.out));
      if (report.stoppedBy === 'interrupted') process.exitCode = 130;
    });
}

function summarise(report: CrawlReport, out: string): string {
  const p = report.pages;
  const skipped = Object.entries(report.skipped)
    .sort((a, b) => b[1].count - a[1].count)
    .map(([reason, { count }]) => `${reason} ${count}`)
    .join(', ');
  const lines = [
    `Crawl ${report.stoppedBy === 'complete' ? 'complete' : `stopped (${report.stoppedBy})`}: ${p.documents} documents, ${p.notModified} not modified, ${p.duplicates} duplicates, ${p.skipped} skipped, ${p.failed} failed, ${p.pending} pending; ${(report.bytes.received / 1024 ** 2).toFixed(1)} MiB in ${(report.durationMs / 1000).toFixed(1)} s.`,
  ];
  if (skipped) lines.push(`Skipped: ${skipped}.`);
  for (const f of report.failures.slice(0, 5)) lines.push(`Failed: ${f.url}: ${f.message}`);
  if (report.failures.length > 5) lines.push(`… and ${report.failures.length - 5} more failures.`);
  lines.push(
    `Documents: ${out}/documents.jsonl (${report.documentsInFile}); report: ${out}/crawl-report.json`,
  );
  return `${lines.join('\n')}\n`;
}
