import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Publishable means proven: the packed tarball passes publint, installs into an empty project
// (offline, from the local pnpm store) and renders a payload there, which needs the Python files
// and cluster scripts it ships beside dist/.
const pkgDir = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'launcher-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sh = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed package', () => {
  it('is built', () => {
    expect(existsSync(join(pkgDir, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(pkgDir, 'dist', 'testing.js'))).toBe(true);
  });

  it('passes publint', () => {
    expect(sh('pnpm', ['exec', 'publint', '--strict'], pkgDir)).not.toMatch(/error|warning/i);
  });

  it('installs from its tarball into an empty project and renders a payload there', () => {
    sh('pnpm', ['pack', '--pack-destination', join(work, 'tgz')], pkgDir);
    const name = readdirSync(join(work, 'tgz')).find((f) => f.endsWith('.tgz'));
    expect(name).toBeDefined();
    const listing = sh('tar', ['-tzf', join(work, 'tgz', name as string)], work);
    expect(listing).toMatch(/package\/payload\/train_with_progress\.py/);
    expect(listing).toMatch(/package\/clusters\/start-slurm\.sh/);
    expect(listing).not.toMatch(/__pycache__|\.test\.|package\/test\//);
    const app = join(work, 'app');
    sh('mkdir', ['-p', app], work);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'smoke', private: true, type: 'module' }),
    );
    sh('pnpm', ['add', join(work, 'tgz', name as string), '--offline'], app);
    writeFileSync(
      join(app, 'smoke.mjs'),
      `import { parseSpec, renderPayload, checkOptionNames } from '@cncf-llm/trainer-launcher';
import { startSlurmCluster } from '@cncf-llm/trainer-launcher/testing';
const spec = parseSpec({ name: 'smoke', baseModel: { id: 'org/m' }, dataset: { id: 'org/d' }, method: { type: 'lora' }, hyperparameters: { learningRate: 1e-4 }, output: { dir: '/o' } });
const p = renderPayload(spec, { payloadDir: '/o/.cncf-llm' });
const trl = p.files.find((f) => f.path === 'trl.yaml');
console.log(JSON.stringify({ files: p.files.map((f) => f.path).sort(), unknown: checkOptionNames(Object.fromEntries(trl.content.split('\\n').filter((l) => /^[a-z_0-9]+:/.test(l)).map((l) => [l.split(':')[0], 1])), 'trl'), keys: trl.content.split('\\n').filter((l) => /^[a-z_0-9]+:/.test(l)).length, harness: typeof startSlurmCluster }));`,
    );
    const result = JSON.parse(sh(process.execPath, ['smoke.mjs'], app));
    expect(result.files).toEqual(
      expect.arrayContaining(['run.sh', 'trl.yaml', 'train_with_progress.py', 'post_train.py']),
    );
    expect(result.keys).toBeGreaterThan(20);
    expect(result.unknown).toEqual([]);
    expect(result.harness).toBe('function');
  });
});
