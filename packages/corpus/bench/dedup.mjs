// Deduplication benchmark: the real fixture pages cut into ~2 KB chunks, replicated with
// perturbations to at least 200 MB of text, streamed one chunk at a time through the
// streaming index (exact key + MinHash signature + LSH + verification). Prints MB/s for the
// index and for its parts, the fingerprint bytes and peak RSS, and what that extrapolates to
// for 1 GB. The text is generated as it is consumed: none of it is held.
//
//   pnpm --filter @cncf-llm/corpus build && node --expose-gc bench/dedup.mjs [--mb 200] [--seed 1]
//
// Mix of generated chunks (seeded): 70 % distinct (a quarter of the words replaced, so they
// share few shingles with anything), 20 % near duplicates (1–3 words changed), 10 % exact
// copies. Distinct chunks are kept and so make the index grow: the worst case for memory.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const targetMb = Number(option('mb', '200'));
const seed = Number(option('seed', '1'));
// `--entry` points at another build of the package (for measuring work in progress).
const entry = option('entry', path.join(packageDir, 'dist', 'index.js'));

const corpus = await import(pathToFileURL(path.resolve(entry)).href);
for (const name of ['createNearDuplicateIndex', 'createMinHasher', 'exactKey']) {
  if (typeof corpus[name] !== 'function') {
    console.error(`${entry} does not export ${name}: build the package first (pnpm build).`);
    process.exit(1);
  }
}

const MB = 1024 * 1024;
const fmt = (n, digits = 1) => n.toFixed(digits);

// ---------------------------------------------------------------------------------------------
// Input: real pages cut at paragraphs into chunks of about 2 KB.

const documents = readFileSync(
  path.join(packageDir, 'test', 'fixtures', 'documents', 'documents.jsonl'),
  'utf8',
)
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));
const baseChunks = [];
for (const document of documents) {
  let current = '';
  for (const paragraph of document.markdown.split(/\n{2,}/)) {
    if (current.length > 0 && current.length + paragraph.length > 2048) {
      baseChunks.push({ text: current, document });
      current = '';
    }
    current += (current ? '\n\n' : '') + paragraph;
  }
  if (current.trim()) baseChunks.push({ text: current, document });
}
const vocabulary = [
  ...new Set(documents.flatMap((document) => document.markdown.split(/\s+/))),
].filter((word) => /^[A-Za-z]{3,12}$/.test(word));

function seededRandom(start) {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seededRandom(seed);

function replaceWords(text, share) {
  const tokens = text.split(/(\s+)/);
  for (let i = 0; i < tokens.length; i += 2) {
    if (random() < share) tokens[i] = vocabulary[Math.floor(random() * vocabulary.length)];
  }
  return tokens.join('');
}

function changeWords(text, count) {
  const tokens = text.split(/(\s+)/);
  for (let n = 0; n < count; n += 1) {
    const at = 2 * Math.floor(random() * Math.ceil(tokens.length / 2));
    tokens[at] = vocabulary[Math.floor(random() * vocabulary.length)];
  }
  return tokens.join('');
}

function* chunks(totalBytes) {
  let bytes = 0;
  let n = 0;
  while (bytes < totalBytes) {
    const base = baseChunks[Math.floor(random() * baseChunks.length)];
    const roll = random();
    const text =
      roll < 0.7
        ? replaceWords(base.text, 0.25)
        : roll < 0.9
          ? changeWords(base.text, 1 + Math.floor(random() * 3))
          : base.text;
    bytes += Buffer.byteLength(text);
    n += 1;
    const { document } = base;
    yield {
      // Chunk ids are 64 hex digits in the corpus; strings of that size, not short ones.
      id: n.toString(16).padStart(64, '0'),
      text,
      key: { project: document.project, sourceType: document.sourceType, url: document.url },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Parts on their own, on a fixed sample (warm, in this process).

const sample = [...chunks(8 * MB)];
const sampleBytes = sample.reduce((sum, item) => sum + Buffer.byteLength(item.text), 0);
function rate(name, run) {
  run(sample.slice(0, 500));
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  run(sample);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(
    `${name.padEnd(34)} ${fmt(sampleBytes / MB / seconds).padStart(6)} MB/s wall, ${fmt(sampleBytes / MB / cpuSeconds).padStart(6)} MB/s CPU`,
  );
}
console.log(
  `${documents.length} real pages → ${baseChunks.length} base chunks of about 2 KB; sample ${fmt(sampleBytes / MB)} MB`,
);
rate('exactKey', (items) => {
  for (const item of items) corpus.exactKey(item.text);
});
const hasher = corpus.createMinHasher();
const signature = new Uint32Array(hasher.size);
rate('MinHash signature (scan included)', (items) => {
  for (const item of items) hasher.signatureInto(item.text, signature);
});
sample.length = 0;

// ---------------------------------------------------------------------------------------------
// The index over the whole stream.

const index = corpus.createNearDuplicateIndex({ level: 'chunk' });
let bytes = 0;
let items = 0;
let addSeconds = 0;
let addCpuSeconds = 0;
let peakRss = 0;
const checkpoints = [];
const started = process.hrtime.bigint();
// Generated in batches of 2,000 chunks (about 4 MB) so that the timer sees only the index;
// CPU time is measured too, as other processes on a 2-core machine distort wall time.
const stream = chunks(targetMb * MB);
for (;;) {
  const batch = [];
  // Not `for…of`: leaving that loop early would close the generator.
  for (let next = stream.next(); !next.done; next = stream.next()) {
    batch.push(next.value);
    if (batch.length === 2000) break;
  }
  if (batch.length === 0) break;
  const cpu = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const item of batch) index.add(item);
  addSeconds += Number(process.hrtime.bigint() - t0) / 1e9;
  const used = process.cpuUsage(cpu);
  addCpuSeconds += (used.user + used.system) / 1e6;
  for (const item of batch) bytes += Buffer.byteLength(item.text);
  items += batch.length;
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  if (items % 20_000 === 0) {
    // Live memory, after a full collection when `--expose-gc` allows one: RSS alone counts
    // garbage the collector has not had a reason to return yet.
    globalThis.gc?.();
    const usage = process.memoryUsage();
    checkpoints.push({
      mb: bytes / MB,
      kept: index.kept,
      fingerprints: index.byteLength,
      rss,
      live: usage.heapUsed + usage.arrayBuffers,
    });
  }
}
const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
globalThis.gc?.();
{
  const usage = process.memoryUsage();
  checkpoints.push({
    mb: bytes / MB,
    kept: index.kept,
    fingerprints: index.byteLength,
    rss: usage.rss,
    live: usage.heapUsed + usage.arrayBuffers,
  });
}
peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
const report = index.report();

console.log('');
console.log(`${items} chunks, ${fmt(bytes / MB)} MB of text (UTF-8)`);
console.log(
  `kept ${report.totals.kept}, removed ${report.totals.removed} (exact ${report.totals.exact}, near ${report.totals.near}, version ${report.totals.version})`,
);
console.log(
  `index.add: ${fmt(addSeconds)} s wall → ${fmt(bytes / MB / addSeconds)} MB/s; ${fmt(addCpuSeconds)} s CPU → ${fmt(bytes / MB / addCpuSeconds)} MB/s (${fmt(items / addCpuSeconds / 1000)}k chunks/s)`,
);
console.log(`wall time with generating the text: ${fmt(wallSeconds)} s`);
for (const point of checkpoints) {
  console.log(
    `  at ${fmt(point.mb, 0).padStart(4)} MB: ${point.kept} kept, fingerprints ${fmt(point.fingerprints / MB)} MB, live heap ${fmt(point.live / MB)} MB, RSS ${fmt(point.rss / MB)} MB`,
  );
}
const perKept = index.byteLength / index.kept;
console.log(
  `fingerprints ${fmt(index.byteLength / MB)} MB (${fmt(perKept, 0)} bytes per kept chunk); peak RSS ${fmt(peakRss / MB)} MB`,
);
const scale = 1024 / (bytes / MB);
const first = checkpoints[0];
const last = checkpoints[checkpoints.length - 1];
const livePerKept = (last.live - first.live) / (last.kept - first.kept);
const keptAt1Gb = index.kept * scale;
console.log(
  `live memory grows ${fmt(livePerKept, 0)} bytes per kept chunk (fingerprints, id and URL references, report)` +
    (globalThis.gc ? '' : ' [run with --expose-gc for a measure without garbage]'),
);
console.log(
  `1 GB extrapolated: dedup ${fmt((1024 * MB) / (bytes / addSeconds), 0)} s wall, ${fmt((1024 * MB) / (bytes / addCpuSeconds), 0)} s CPU; ` +
    `${Math.round(keptAt1Gb)} kept chunks → live memory ≈ ${fmt((first.live + livePerKept * (keptAt1Gb - first.kept)) / MB, 0)} MB`,
);
