#!/usr/bin/env node
// Runs every workspace's tests through turbo, then prints one plain summary line
// (`N passed, N failed`) from the vitest JSON reports, which CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir)).map((name) => join(root, dir, name))
    : [],
);
for (const ws of workspaces) rmSync(join(ws, 'test-results.json'), { force: true });

// Lint and types are part of "every test": a red Biome or tsc run is a failure like any other.
const lint = spawnSync('pnpm', ['exec', 'biome', 'check', '.'], { cwd: root, stdio: 'inherit' });
const run = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'typecheck', 'test', '--continue', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', NO_COLOR: '1' },
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const ws of workspaces) {
  const manifest = join(ws, 'package.json');
  if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) continue;
  const report = join(ws, 'test-results.json');
  if (!existsSync(report)) {
    missing.push(ws.slice(root.length));
    continue;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  // A suite that failed to load has no tests to count: count it as a failure.
  failed += r.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  ).length;
}
if (missing.length) {
  console.log(`No test report from: ${missing.join(', ')} (its tests did not run).`);
  failed += missing.length;
}
if (lint.status !== 0) {
  console.log('Biome found problems (pnpm lint shows them; pnpm format fixes formatting).');
  failed += 1;
}
if (run.status !== 0 && failed === 0) {
  console.log('turbo reported a failing task (typecheck or build): see its output above.');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
