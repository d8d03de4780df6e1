// Throughput and memory of each metric on 16 systems × 3,000 real sentences, end to end through
// the CLI (process start, reading files, scoring, printing), next to the Python reference
// sacreBLEU on the same files when it is available (set SACREBLEU_BIN, or have `sacrebleu` on
// PATH). Prints figures and ratios; asserts nothing about time.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeBenchFiles } from './systems.mjs';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  console.error('Build first: pnpm --filter @cncf-llm/bench build');
  process.exit(1);
}
const dir = join(root, 'bench-data');
const files = writeBenchFiles(dir);
const segmentsTotal = files.segments * files.systems.length;
const sacrebleu = findSacrebleu();
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Runs a command, returns wall seconds, peak RSS (MiB, when /usr/bin/time exists) and stdout. */
function measure(cmd, args) {
  const full = timeBin ? [timeBin, ['-f', '%M', cmd, ...args]] : [cmd, args];
  const start = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const rssKb = timeBin ? Number(r.stderr.trim().split('\n').at(-1)) : Number.NaN;
  return { seconds, peakMiB: rssKb / 1024, stdout: r.stdout };
}

/** Per-system scores from multi-system JSON output (both CLIs print the same layout). */
function scoresOf(stdout) {
  return JSON.parse(stdout).map((row) => {
    const [, value] = Object.entries(row).find(([k]) => k !== 'system');
    return typeof value === 'object' ? value.score : Number(value);
  });
}

const flags = ['-f', 'json', '-w', '4', '-q'];
const rows = [];
for (const metric of ['bleu', 'chrf', 'ter']) {
  const args = [files.reference, '-i', ...files.systems, '-m', metric, ...flags];
  const ours = measure(process.execPath, [cli, ...args]);
  const row = {
    metric,
    seconds: ours.seconds,
    segPerSec: segmentsTotal / ours.seconds,
    peakMiB: ours.peakMiB,
  };
  if (sacrebleu) {
    const ref = measure(sacrebleu, args);
    const a = scoresOf(ours.stdout);
    const b = scoresOf(ref.stdout);
    row.pythonSeconds = ref.seconds;
    row.pythonPeakMiB = ref.peakMiB;
    row.speedup = ref.seconds / ours.seconds;
    row.sameScores = a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-9);
  }
  rows.push(row);
  console.log(JSON.stringify({ event: 'metric-measured', ...row }));
}

// Streaming: memory follows the statistics (segments × systems), not the length of the text.
const long = join(dir, 'long');
const longFiles = writeBenchFiles(long, 1);
const { readFileSync } = await import('node:fs');
for (const f of [longFiles.reference, ...longFiles.systems]) {
  const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean);
  writeFileSync(f, `${lines.map((l) => Array(20).fill(l).join(' ')).join('\n')}\n`);
}
const shortRun = measure(process.execPath, [
  cli,
  files.reference,
  '-i',
  files.systems[0],
  '-m',
  'bleu',
  ...flags,
]);
const longRun = measure(process.execPath, [
  cli,
  longFiles.reference,
  '-i',
  longFiles.systems[0],
  '-m',
  'bleu',
  ...flags,
]);

const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(
  `\n@cncf-llm/bench — ${files.systems.length} systems × ${files.segments} segments (${segmentsTotal} segment scores), one reference, CLI end to end on ${process.arch}, Node ${process.version}\n`,
);
console.log(
  '| metric | ours (s) | segments/s | peak RSS (MiB) | sacreBLEU 2.6.0 (s) | sacreBLEU peak (MiB) | speed-up | same scores |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.metric} | ${fmt(r.seconds)} | ${fmt(r.segPerSec, 0)} | ${fmt(r.peakMiB, 0)} | ${fmt(r.pythonSeconds)} | ${fmt(r.pythonPeakMiB, 0)} | ${r.speedup ? `${fmt(r.speedup, 1)}×` : 'n/a'} | ${r.sameScores === undefined ? 'n/a' : r.sameScores ? 'yes' : 'NO'} |`,
  );
if (!sacrebleu)
  console.log(
    '\nsacreBLEU not found (set SACREBLEU_BIN=/path/to/sacrebleu): for scale, the issue measured 6 s (BLEU), 13 s (chrF) and 80 s (TER) for this workload on a 2-core machine.',
  );
console.log(
  `\nStreaming BLEU, one system: 3,000 segments of ${fmt(statSize(files.reference) / 1e6)} MB → peak ${fmt(shortRun.peakMiB, 0)} MiB; the same 3,000 segments 20× longer (${fmt(statSize(longFiles.reference) / 1e6)} MB) → peak ${fmt(longRun.peakMiB, 0)} MiB (ratio ${fmt(longRun.peakMiB / shortRun.peakMiB)}).`,
);

function statSize(f) {
  return readFileSync(f).length;
}

function findSacrebleu() {
  if (process.env.SACREBLEU_BIN) return process.env.SACREBLEU_BIN;
  const r = spawnSync('sh', ['-c', 'command -v sacrebleu'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
