// Crawler benchmark: our crawler against the local docs site (real etcd and Prometheus docs in
// Docsy chrome, replicated to a few hundred pages), next to Scrapy fetching the same site at the
// same concurrency without any extraction. Prints pages/s, HTML MB/s, htmlToMarkdown MB/s on its
// own, peak memory, and memory at two site sizes to show it does not grow with the page count.
//
//   pnpm --filter @cncf-llm/scraper bench [-- --copies 2 --small 0 --large 6 --concurrency 8 --latency 0]
//
// Every measured piece runs in its own process (site server, each crawl, the extraction loop,
// Scrapy), so one's memory and CPU warm-up do not count against another.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distEntry = path.join(packageDir, 'dist', 'index.js');
const fixturesDir = path.join(packageDir, 'test', 'fixtures');
const spiderPath = path.join(packageDir, 'bench', 'scrapy_spider.py');
// The benchmark never fetches the whitepaper: it measures HTML crawling, for both crawlers.
const EXCLUDE = ['/whitepapers/'];

const MB = 1024 * 1024;
const fmt = (n, digits = 1) => n.toFixed(digits);
const mb = (bytes) => `${fmt(bytes / MB)} MB`;

// ---------------------------------------------------------------------------------------------
// Children

async function childServe([bundle, copies, latencyMs]) {
  const { buildDocsSite, startDocsSite } = await import(pathToFileURL(bundle).href);
  const site = buildDocsSite({ copies: Number(copies), fixturesDir });
  const server = await startDocsSite({ site, latencyMs: Number(latencyMs) });
  const htmlBytes = site.pages.reduce((n, p) => n + Buffer.byteLength(p.html), 0);
  process.stdout.write(
    `${JSON.stringify({ baseUrl: server.baseUrl, pages: site.pages.length, htmlBytes })}\n`,
  );
  // The parent closes stdin to stop the server.
  process.stdin.resume();
  process.stdin.on('end', () => server.close().then(() => process.exit(0)));
}

async function childCrawl([baseUrl, outDir, concurrency]) {
  const { crawl } = await import(pathToFileURL(distEntry).href);
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const c = Number(concurrency);
  const started = process.hrtime.bigint();
  const report = await crawl({
    seeds: [`${baseUrl}/`],
    outDir,
    concurrency: c,
    concurrencyPerHost: c,
    // Scrapy's defaults: no politeness delay; both obey robots.txt.
    delayMs: 0,
    adaptiveDelay: false,
    respectRobots: true,
    versions: 'all',
    exclude: EXCLUDE,
    maxPages: 1_000_000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      startRss,
      peakRss,
      maxRss: process.resourceUsage().maxRSS * 1024,
      pages: report.pages,
      bytes: report.bytes,
      byStatus: report.byStatus,
      skipped: report.skipped,
      failures: report.failures.slice(0, 5),
      stoppedBy: report.stoppedBy,
    })}\n`,
  );
}

async function childExtract([bundle, extractModule, copies]) {
  const { htmlToMarkdown } = await import(pathToFileURL(extractModule).href);
  const { buildDocsSite, DOCS_SITE_ORIGIN } = await import(pathToFileURL(bundle).href);
  const site = buildDocsSite({ copies: Number(copies), fixturesDir });
  const pages = site.pages.map((p) => ({ html: p.html, url: DOCS_SITE_ORIGIN + p.path }));
  const bytes = pages.reduce((n, p) => n + Buffer.byteLength(p.html), 0);
  // One warm-up pass over a slice, so the timed pass measures steady-state code.
  for (const p of pages.slice(0, 40)) htmlToMarkdown(p.html, { url: p.url });
  let markdownBytes = 0;
  const started = process.hrtime.bigint();
  for (const p of pages) markdownBytes += htmlToMarkdown(p.html, { url: p.url }).markdown.length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `${JSON.stringify({ pages: pages.length, bytes, markdownBytes, seconds })}\n`,
  );
}

// ---------------------------------------------------------------------------------------------
// Parent

function parseArgs(argv) {
  const args = { copies: 2, small: 0, large: 6, concurrency: 8, latency: 0 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') continue;
    const key = argv[i]?.replace(/^--/, '');
    if (key === undefined || !(key in args)) {
      console.error(
        `Unknown option ${argv[i]}. Options: ${Object.keys(args)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
      process.exit(2);
    }
    args[key] = Number(argv[++i]);
  }
  return args;
}

/** Runs a command, collecting output; resolves with the exit code whatever it is. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', (error) => resolve({ code: -1, stdout, stderr: String(error) }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const self = fileURLToPath(import.meta.url);
const lastJson = (text) => JSON.parse(text.trim().split('\n').filter(Boolean).at(-1));

/** Starts the site server in a child process; resolves once it listens. */
function startServer(bundle, copies, latency) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [self, '--child', 'serve', bundle, String(copies), String(latency)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    child.stdout.once('data', (d) => {
      const info = JSON.parse(String(d).split('\n')[0]);
      resolve({
        ...info,
        stop: () =>
          new Promise((done) => {
            child.once('close', done);
            child.stdin.end();
          }),
      });
    });
    child.once('error', reject);
    child.once('close', (code) => reject(new Error(`site server exited with ${code}`)));
  });
}

async function bundleSupport() {
  const outDir = mkdtempSync(path.join(tmpdir(), 'scraper-bench-'));
  const { build } = await import('tsup');
  await build({
    entry: {
      'docs-site': path.join(packageDir, 'test', 'support', 'docs-site.ts'),
      // Used only when dist does not export htmlToMarkdown (yet).
      'html-extract': path.join(packageDir, 'src', 'extract', 'html.ts'),
    },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    outDir,
    config: false,
    dts: false,
    sourcemap: false,
    splitting: false,
    silent: true,
    // Bundle marked and yaml too: the output lives in a temp folder with no node_modules.
    noExternal: [/.*/],
    // yaml is CommonJS and requires node built-ins; give the ESM bundle a `require` for them.
    banner: {
      js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);",
    },
    // .mjs: the temp folder has no package.json saying `"type": "module"`.
    outExtension: () => ({ js: '.mjs' }),
  });
  return {
    file: path.join(outDir, 'docs-site.mjs'),
    extract: path.join(outDir, 'html-extract.mjs'),
    dir: outDir,
  };
}

async function ourCrawler() {
  if (!existsSync(distEntry)) {
    return `dist/index.js is missing; build the package first: pnpm --filter @cncf-llm/scraper build`;
  }
  const mod = await import(pathToFileURL(distEntry).href);
  if (typeof mod.crawl !== 'function') {
    return 'dist/index.js does not export crawl yet; rebuild once src/index.ts exports it';
  }
  return mod;
}

async function crawlOnce(bundle, copies, args) {
  const server = await startServer(bundle, copies, args.latency);
  const outDir = mkdtempSync(path.join(tmpdir(), 'scraper-bench-out-'));
  try {
    const result = await run(process.execPath, [
      self,
      '--child',
      'crawl',
      server.baseUrl,
      outDir,
      String(args.concurrency),
    ]);
    if (result.code !== 0)
      throw new Error(`crawl failed (exit ${result.code}):\n${result.stderr.slice(-2000)}`);
    return { site: server, ...lastJson(result.stdout) };
  } finally {
    await server.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function findScrapy() {
  for (const [cmd, pre] of [
    ['scrapy', []],
    ['/usr/bin/python3', ['-m', 'scrapy']],
    ['python3', ['-m', 'scrapy']],
  ]) {
    const probe = await run(cmd, [...pre, 'version']);
    if (probe.code === 0) return { cmd, pre, version: probe.stdout.trim() };
  }
  return undefined;
}

async function scrapyOnce(scrapy, bundle, copies, args) {
  const server = await startServer(bundle, copies, args.latency);
  const statsDir = mkdtempSync(path.join(tmpdir(), 'scraper-bench-scrapy-'));
  const statsFile = path.join(statsDir, 'stats.json');
  const scrapyArgs = [
    ...scrapy.pre,
    'runspider',
    spiderPath,
    '-a',
    `start_url=${server.baseUrl}/`,
    '-a',
    `out=${statsFile}`,
    '-a',
    `exclude=${EXCLUDE.join(',')}`,
    '-s',
    `CONCURRENT_REQUESTS=${args.concurrency}`,
    '-s',
    `CONCURRENT_REQUESTS_PER_DOMAIN=${args.concurrency}`,
  ];
  const timed = existsSync('/usr/bin/time');
  try {
    const started = process.hrtime.bigint();
    const result = timed
      ? await run('/usr/bin/time', ['-v', scrapy.cmd, ...scrapyArgs])
      : await run(scrapy.cmd, scrapyArgs);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.code !== 0 || !existsSync(statsFile)) {
      throw new Error(`scrapy failed (exit ${result.code}):\n${result.stderr.slice(-2000)}`);
    }
    const maxRssKb = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1];
    return {
      ...JSON.parse(readFileSync(statsFile, 'utf8')),
      wallSeconds: seconds,
      maxRss: maxRssKb === undefined ? undefined : Number(maxRssKb) * 1024,
      site: server,
    };
  } finally {
    await server.stop();
    rmSync(statsDir, { recursive: true, force: true });
  }
}

function siteLine(site, args) {
  return `Local docs site: ${site.pages} pages (real etcd + Prometheus docs, ${args.copies + 1} copies), ${mb(site.htmlBytes)} of HTML; concurrency ${args.concurrency}; server latency ${args.latency} ms`;
}

async function extractionAlone(bundle, args, crawler) {
  const fromDist = typeof crawler !== 'string' && typeof crawler.htmlToMarkdown === 'function';
  const module = fromDist ? distEntry : bundle.extract;
  const ex = await run(process.execPath, [
    self,
    '--child',
    'extract',
    bundle.file,
    module,
    String(args.copies),
  ]);
  if (ex.code !== 0) {
    console.log(`htmlToMarkdown alone: failed:\n${ex.stderr.slice(-1500)}`);
    return;
  }
  const e = lastJson(ex.stdout);
  console.log(
    `htmlToMarkdown alone (${fromDist ? 'dist' : 'src/extract/html.ts, bundled: dist does not export it'}): ${e.pages} pages, ${mb(e.bytes)} of HTML in ${fmt(e.seconds, 2)} s = ${fmt(e.bytes / MB / e.seconds)} MB/s, ${fmt((e.seconds * 1000) / e.pages, 2)} ms per page`,
  );
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  console.log('Bundling the docs site (test/support/docs-site.ts)…');
  const bundle = await bundleSupport();
  try {
    const crawler = await ourCrawler();
    const rows = [];
    let ours;
    let siteShown = false;
    if (typeof crawler === 'string') {
      console.log(`\n(a) our crawler: skipped — ${crawler}.`);
    } else {
      console.log(`\n(a) our crawler: fetch, extract to markdown, write documents.jsonl…`);
      ours = await crawlOnce(bundle.file, args.copies, args);
      console.log(siteLine(ours.site, args));
      siteShown = true;
      console.log(
        `  ${ours.pages.fetched} URLs fetched: ${ours.pages.documents} documents, ${ours.pages.skipped} skipped, ${ours.pages.failed} failed; by status ${JSON.stringify(ours.byStatus)}; stopped by ${ours.stoppedBy}${
          ours.pages.skipped > 0
            ? `; skipped: ${Object.entries(ours.skipped)
                .map(([k, v]) => `${k} ${v.count} (e.g. ${v.examples[0]})`)
                .join(', ')}`
            : ''
        }`,
      );
      rows.push({
        name: 'our crawler (fetch + extract + write)',
        urls: ours.pages.fetched,
        seconds: ours.seconds,
        bytes: ours.bytes.received,
        rss: Math.max(ours.peakRss, ours.maxRss),
      });
    }

    const scrapy = await findScrapy();
    if (scrapy === undefined) {
      console.log(
        '\n(b) Scrapy: not installed. On Debian/Ubuntu: apt-get update && apt-get install -y python3-scrapy (Scrapy 2.8), then rerun.',
      );
    } else {
      console.log(
        `\n(b) ${scrapy.version}: same site, same concurrency, robots.txt obeyed, links followed, no extraction…`,
      );
      const theirs = await scrapyOnce(scrapy, bundle.file, args.copies, args);
      if (!siteShown) console.log(siteLine(theirs.site, args));
      console.log(
        `  ${theirs.responses} responses (${theirs.pages} HTML pages), by status ${JSON.stringify(theirs.byStatus)}; ${theirs.robotsForbidden} URLs refused by robots.txt; ${fmt(theirs.seconds, 2)} s from spider start to close, ${fmt(theirs.wallSeconds, 2)} s with Python start-up`,
      );
      rows.push({
        name: `${scrapy.version} (fetch only)`,
        urls: theirs.responses,
        seconds: theirs.seconds,
        bytes: theirs.htmlBytes,
        rss: theirs.maxRss,
      });
    }

    console.log('');
    await extractionAlone(bundle, args, crawler);

    if (rows.length > 0) {
      console.log(
        `\n${'run'.padEnd(40)}${'URLs'.padStart(7)}${'seconds'.padStart(9)}${'URLs/s'.padStart(9)}${'MB/s'.padStart(8)}${'peak RSS'.padStart(11)}`,
      );
      for (const r of rows) {
        console.log(
          `${r.name.padEnd(40)}${String(r.urls).padStart(7)}${fmt(r.seconds, 2).padStart(9)}${fmt(r.urls / r.seconds).padStart(9)}${fmt(r.bytes / MB / r.seconds).padStart(8)}${(r.rss === undefined ? 'n/a' : mb(r.rss)).padStart(11)}`,
        );
      }
      if (rows.length === 2) {
        const [a, b] = rows;
        console.log(
          `ours / scrapy, URLs per second: ${fmt(a.urls / a.seconds / (b.urls / b.seconds), 2)}x (times exclude process start-up on both sides)`,
        );
      }
    }

    if (ours !== undefined) {
      console.log('\nMemory against site size (our crawler, a fresh process each):');
      const sizes = [
        [args.small, undefined],
        [args.copies, ours],
        [args.large, undefined],
      ].sort((x, y) => x[0] - y[0]);
      for (const [copies, known] of sizes) {
        const r = known ?? (await crawlOnce(bundle.file, copies, args));
        console.log(
          `  ${String(r.site.pages).padStart(5)} pages, ${mb(r.site.htmlBytes).padStart(8)} of HTML: peak RSS ${mb(Math.max(r.peakRss, r.maxRss)).padStart(9)} (${mb(r.peakRss - r.startRss)} above the process before crawling), ${fmt(r.pages.fetched / r.seconds)} URLs/s`,
        );
      }
    }
  } finally {
    rmSync(bundle.dir, { recursive: true, force: true });
  }
}

const [, , flag, mode, ...rest] = process.argv;
if (flag === '--child') {
  const children = { serve: childServe, crawl: childCrawl, extract: childExtract };
  await children[mode](rest);
} else {
  await main();
}
