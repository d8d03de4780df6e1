// Chunking benchmark: normaliseText + chunkDocument over the real fixture documents (etcd and
// Prometheus docs, the supply-chain whitepaper) replicated to about 50 MB, with the approximate
// token counter and with a real tokenizer.json (the fixture BPE, through @huggingface/tokenizers).
// Prints MB/s for each, and peak memory.
//
//   node bench/chunk.mjs [--mb 50] [--tokenizer-mb 5] [--tokenizer PATH/tokenizer.json]
//
// The real tokenizer is far slower than the approximation (the library's pre-tokenizer regex and
// BPE merges run per word), so it runs on a smaller slice (--tokenizer-mb) of the same input.
// Uses dist/ when it exports the chunking API, else bundles the sources with tsup first.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    mb: { type: 'string', default: '50' },
    'tokenizer-mb': { type: 'string', default: '5' },
    tokenizer: {
      type: 'string',
      default: path.join(packageDir, 'test', 'fixtures', 'tokenizer', 'bpe-tokenizer.json'),
    },
  },
});

async function loadApi() {
  const dist = path.join(packageDir, 'dist', 'index.js');
  if (existsSync(dist)) {
    const mod = await import(pathToFileURL(dist).href);
    if (
      typeof mod.chunkDocumentWithStats === 'function' &&
      typeof mod.normaliseText === 'function'
    ) {
      return { api: mod, from: 'dist/index.js' };
    }
  }
  // Inside node_modules so that the bundle resolves the package's dependencies.
  const outDir = path.join(packageDir, 'node_modules', '.cache', 'corpus-bench');
  const { build } = await import('tsup');
  const entries = {
    'normalise-text': 'src/normalise/normalise-text.ts',
    'chunk-document': 'src/chunk/chunk-document.ts',
    'token-counter': 'src/chunk/token-counter.ts',
  };
  await build({
    entry: Object.fromEntries(
      Object.entries(entries).map(([name, file]) => [name, path.join(packageDir, file)]),
    ),
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    outDir,
    config: false,
    dts: false,
    sourcemap: false,
    splitting: false,
    silent: true,
    outExtension: () => ({ js: '.mjs' }),
  });
  const api = {};
  for (const name of Object.keys(entries)) {
    Object.assign(api, await import(pathToFileURL(path.join(outDir, `${name}.mjs`)).href));
  }
  return { api, from: 'src (bundled)' };
}

function loadDocuments(targetBytes) {
  const file = path.join(packageDir, 'test', 'fixtures', 'documents', 'documents.jsonl');
  const originals = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
  const docs = [];
  let bytes = 0;
  for (let copy = 0; bytes < targetBytes; copy++) {
    for (const doc of originals) {
      // A changed first line per copy, so no two copies are the same text.
      const markdown = `${doc.markdown.replace(/\n/, ` (copy ${copy})\n`)}`;
      docs.push({ ...doc, markdown });
      bytes += Buffer.byteLength(markdown);
      if (bytes >= targetBytes) break;
    }
  }
  return { docs, bytes };
}

function run(api, docs, counter) {
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const totals = { chunks: 0, tokens: 0, oversize: 0 };
  for (const doc of docs) {
    const markdown = api.normaliseText(doc.markdown);
    if (counter === null) continue;
    const { stats } = api.chunkDocumentWithStats({ ...doc, markdown }, { counter });
    totals.chunks += stats.chunks;
    totals.tokens += stats.tokens;
    totals.oversize += stats.oversize.code + stats.oversize.table + stats.oversize.other;
  }
  const cpu = process.cpuUsage(cpuStarted);
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...totals,
  };
}

const { api, from } = await loadApi();
const { docs, bytes } = loadDocuments(Number(args.mb) * MB);
const tokenizerSlice = loadDocuments(Number(args['tokenizer-mb']) * MB);
const approximate = await api.createTokenCounter();
const real = await api.createTokenCounter({ tokenizer: args.tokenizer });

console.log(
  `chunking benchmark: ${docs.length} documents, ${(bytes / MB).toFixed(1)} MB of markdown (API from ${from})`,
);
// Warm-up: let the JIT see every path once.
run(api, docs.slice(0, 400), approximate);

// Wall-clock MB/s, and MB per CPU-second (steadier when other work shares the machine).
const line = (label, r, size) =>
  console.log(
    `${label.padEnd(52)} ${(size / MB).toFixed(1).padStart(5)} MB in ${r.seconds.toFixed(2).padStart(6)} s = ` +
      `${(size / MB / r.seconds).toFixed(1).padStart(5)} MB/s (${(size / MB / r.cpuSeconds).toFixed(1)} MB/s of CPU)` +
      (r.chunks ? `  ${r.chunks} chunks, ${r.tokens} tokens, ${r.oversize} oversize` : ''),
  );
line('normaliseText only', run(api, docs, null), bytes);
line('normaliseText + chunkDocument, approximate', run(api, docs, approximate), bytes);
line(
  `normaliseText + chunkDocument, ${path.basename(args.tokenizer)}`,
  run(api, tokenizerSlice.docs, real),
  tokenizerSlice.bytes,
);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
