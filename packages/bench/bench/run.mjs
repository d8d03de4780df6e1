// Throughput and memory of each metric on 16 systems × 3,000 real sentences, next to the Python
// reference sacreBLEU 2.6.0 on the same files when it is available (SACREBLEU_BIN=/path/to/
// sacrebleu, or `sacrebleu` on PATH; its python is used for the API timing). Two views:
//  - CLI: the whole command, process start to printed scores (median of 3 runs);
//  - API: scoring in a running process, references prepared once, file reading excluded.
// Prints figures and ratios and checks that both implementations print the same scores; it
// asserts nothing about time.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeBenchFiles } from './systems.mjs';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..');
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  console.error('Build first: pnpm --filter @cncf-llm/bench build');
  process.exit(1);
}
const dir = join(root, 'bench-data');
const files = writeBenchFiles(dir);
const total = files.segments * files.systems.length;
const sacrebleu = findSacrebleu();
const python = sacrebleu ? join(dirname(sacrebleu), 'python') : undefined;
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const log = (event) => console.log(JSON.stringify(event));

/** Runs a command; wall seconds, peak RSS in MiB (with /usr/bin/time) and stdout. */
function measure(cmd, args) {
  const [bin, argv] = timeBin ? [timeBin, ['-f', '%M', cmd, ...args]] : [cmd, args];
  const start = process.hrtime.bigint();
  const r = spawnSync(bin, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const peakMiB = timeBin ? Number(r.stderr.trim().split('\n').at(-1)) / 1024 : Number.NaN;
  return { seconds, peakMiB, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Per-system scores from multi-system JSON output (both CLIs print this layout). */
function scoresOf(stdout) {
  return JSON.parse(stdout).map((row) => {
    const [, value] = Object.entries(row).find(([k]) => k !== 'system');
    return Number(typeof value === 'object' ? value.score : value);
  });
}

const same = (a, b, tolerance) =>
  a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tolerance);
const flags = ['-f', 'json', '-w', '4', '-q'];
const cliRows = [];
for (const metric of ['bleu', 'chrf', 'ter']) {
  const args = [files.reference, '-i', ...files.systems, '-m', metric, ...flags];
  const ours = [0, 1, 2].map(() => measure(process.execPath, [cli, ...args]));
  const row = {
    metric,
    seconds: median(ours.map((r) => r.seconds)),
    peakMiB: Math.max(...ours.map((r) => r.peakMiB)),
  };
  if (sacrebleu) {
    const ref = measure(sacrebleu, args);
    row.pythonSeconds = ref.seconds;
    row.pythonPeakMiB = ref.peakMiB;
    row.speedup = ref.seconds / row.seconds;
    row.sameScores = same(scoresOf(ours[0].stdout), scoresOf(ref.stdout), 1e-9);
  }
  cliRows.push(row);
  log({ event: 'cli-measured', ...row });
}

const api = JSON.parse(
  spawnSync(process.execPath, [join(here, 'api.mjs'), files.reference, ...files.systems], {
    encoding: 'utf8',
  }).stdout,
);
const pyApi = python
  ? JSON.parse(
      spawnSync(python, [join(here, 'python-api.py'), files.reference, ...files.systems], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      }).stdout,
    )
  : undefined;
log({
  event: 'api-measured',
  ours: api,
  python: pyApi && Object.fromEntries(Object.entries(pyApi).map(([k, v]) => [k, v.seconds])),
});

// Streaming: memory follows the statistics (segments × systems), not the text. One system is
// scored on the 3,000 segments and on the same file ten times over (30,000 segments, 10× the
// text); sacreBLEU holds every line in memory, we hold 20 numbers per segment.
const big = join(dir, 'tenfold');
const bigFiles = writeBenchFiles(big, 1);
for (const f of [bigFiles.reference, ...bigFiles.systems])
  writeFileSync(f, readFileSync(f, 'utf8').repeat(10));
const one = (f, bin = process.execPath, pre = [cli]) =>
  measure(bin, [...pre, f.reference, '-i', f.systems[0], '-m', 'bleu', 'chrf', ...flags]);
const shortRun = one(files);
const longRun = one(bigFiles);
const pyShort = sacrebleu ? one(files, sacrebleu, []) : undefined;
const pyLong = sacrebleu ? one(bigFiles, sacrebleu, []) : undefined;

const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const mb = (f) => readFileSync(f).length / 1e6;
console.log(
  `\n@cncf-llm/bench — ${files.systems.length} systems × ${files.segments} segments (${total} segment scores), one reference; Node ${process.version}, ${process.arch}\n`,
);
console.log('CLI, process start to printed scores (median of 3):\n');
console.log(
  '| metric | ours (s) | segments/s | peak RSS (MiB) | sacreBLEU 2.6.0 (s) | its peak (MiB) | speed-up | same scores |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of cliRows)
  console.log(
    `| ${r.metric} | ${fmt(r.seconds)} | ${fmt(total / r.seconds, 0)} | ${fmt(r.peakMiB, 0)} | ${fmt(r.pythonSeconds)} | ${fmt(r.pythonPeakMiB, 0)} | ${r.speedup ? `${fmt(r.speedup, 1)}×` : 'n/a'} | ${r.sameScores === undefined ? 'n/a' : r.sameScores ? 'yes' : 'NO'} |`,
  );
console.log('\nAPI, in a running process (references prepared once, reading excluded):\n');
console.log(
  '| metric | ours, first run (s) | ours, warm (s) | segments/s warm | sacreBLEU API (s) | speed-up first / warm | same scores |',
);
console.log('|---|---|---|---|---|---|---|');
for (const id of ['bleu', 'chrf', 'ter']) {
  const o = api[id];
  const p = pyApi?.[id];
  console.log(
    `| ${id} | ${fmt(o.firstSeconds, 3)} | ${fmt(o.bestSeconds, 3)} | ${fmt(total / o.bestSeconds, 0)} | ${p ? fmt(p.seconds) : 'n/a'} | ${p ? `${fmt(p.seconds / o.firstSeconds, 1)}× / ${fmt(p.seconds / o.bestSeconds, 1)}×` : 'n/a'} | ${p ? (same(o.scores, p.scores, 1e-9) ? 'yes' : 'NO') : 'n/a'} |`,
  );
}
if (!sacrebleu)
  console.log(
    '\nsacreBLEU not found (set SACREBLEU_BIN=/path/to/venv/bin/sacrebleu): for scale, the issue measured 6 s (BLEU), 13 s (chrF) and 80 s (TER) for this workload on a 2-core machine.',
  );
console.log(
  `\nStreaming (BLEU + chrF, one system): 3,000 segments (${fmt(mb(files.reference))} MB of references) → peak ${fmt(shortRun.peakMiB, 0)} MiB; 30,000 segments (${fmt(mb(bigFiles.reference))} MB) → peak ${fmt(longRun.peakMiB, 0)} MiB` +
    (pyShort
      ? `; sacreBLEU: ${fmt(pyShort.peakMiB, 0)} MiB → ${fmt(pyLong.peakMiB, 0)} MiB.`
      : '.'),
);

function findSacrebleu() {
  if (process.env.SACREBLEU_BIN) return process.env.SACREBLEU_BIN;
  const r = spawnSync('sh', ['-c', 'command -v sacrebleu'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
