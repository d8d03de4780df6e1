// Corpus build benchmark: the real scraped etcd/Prometheus documents replicated with seeded
// perturbations into a documents.jsonl of at least 200 MB of markdown, then the whole
// `buildCorpus` (ingest with normalisation and scrubbing, language and quality filters,
// document dedup, chunking, chunk dedup) into a fresh DuckDB file. Prints MB/s per step,
// peak RSS, and what the time extrapolates to for 1 GB.
//
//   pnpm --filter @cncf-llm/corpus build && node bench/run.mjs [--mb 200] [--seed 1]
//
// Mix of generated documents: 80 % distinct (a sixth of the words replaced), 15 % near
// duplicates (a few words changed), 5 % exact copies at another URL.
//
// Other benchmarks: bench/chunk.mjs (normalise + chunk alone), bench/dedup.mjs (dedup alone).

import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const targetMb = Number(option('mb', '200'));
let seed = Number(option('seed', '1')) >>> 0;
const MB = 1024 * 1024;

const corpus = await import(pathToFileURL(path.join(packageDir, 'dist', 'index.js')).href);
const { documentId } = await import('@cncf-llm/scraper');
if (typeof corpus.buildCorpusIter !== 'function') {
  console.error('dist/index.js does not export buildCorpusIter: run `pnpm build` first.');
  process.exit(1);
}

const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const fixture = path.join(packageDir, 'test', 'fixtures', 'documents', 'documents.jsonl');
const base = readFileSync(fixture, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const vocabulary = [
  ...new Set(base.flatMap((d) => d.markdown.split(/\s+/)).filter((w) => /^[a-z]{3,}$/.test(w))),
];

function perturb(markdown, fraction) {
  // Word replacements outside code fences keep code blocks as real code.
  const parts = markdown.split(/(```[\s\S]*?```)/);
  return parts
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/\b[a-z]{3,}\b/g, (w) =>
            random() < fraction ? vocabulary[Math.floor(random() * vocabulary.length)] : w,
          ),
    )
    .join('');
}

const work = mkdtempSync(path.join(tmpdir(), 'corpus-bench-'));
const input = path.join(work, 'documents.jsonl');
const out = createWriteStream(input);
let bytes = 0;
let n = 0;
const started = Date.now();
while (bytes < targetMb * MB) {
  const doc = base[n % base.length];
  const roll = random();
  const markdown =
    roll < 0.8
      ? perturb(doc.markdown, 1 / 6)
      : roll < 0.95
        ? perturb(doc.markdown, 0.003)
        : doc.markdown;
  const url = doc.url.replace(/\/?$/, `/copy-${n}/`);
  const record = { ...doc, url, canonicalUrl: url, markdown, id: documentId(markdown) };
  const line = `${JSON.stringify(record)}\n`;
  if (!out.write(line)) await new Promise((resolve) => out.once('drain', resolve));
  bytes += Buffer.byteLength(markdown);
  n++;
}
await new Promise((resolve) => out.end(resolve));
console.log(
  `Input: ${n} documents, ${(bytes / MB).toFixed(0)} MB of markdown (generated in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
);

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100);
const t0 = performance.now();
let report;
for await (const event of corpus.buildCorpusIter({
  inputs: [input],
  db: path.join(work, 'corpus.duckdb'),
})) {
  if (event.type === 'step-finished') {
    const seconds = event.elapsedMs / 1000;
    console.log(
      `  ${event.step.padEnd(16)} ${seconds.toFixed(1).padStart(7)} s  ${(bytes / MB / seconds).toFixed(1).padStart(7)} MB/s`,
    );
  } else if (event.type === 'build-finished') report = event.report;
}
clearInterval(sampler);
const total = (performance.now() - t0) / 1000;
const chunkAndDedup =
  (report.stepMs.chunk + report.stepMs['dedup-chunks'] + report.stepMs['dedup-documents']) / 1000;
console.log(
  `Total ${total.toFixed(1)} s = ${(bytes / MB / total).toFixed(1)} MB/s; peak RSS ${(peakRss / MB).toFixed(0)} MB; ${report.chunking.chunks} chunks, ${report.chunkDedup?.removed ?? 0} duplicate chunks, ${report.documentDedup.totals?.removed ?? 0} duplicate documents removed`,
);
const perGb = (s) => (s * 1024) / (bytes / MB);
console.log(
  `1 GB extrapolated: whole build ${perGb(total).toFixed(0)} s; chunking + dedup ${perGb(chunkAndDedup).toFixed(0)} s (target: under 300 s)`,
);
rmSync(work, { recursive: true, force: true });
