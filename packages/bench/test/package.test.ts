import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Publishable means proven: the packed tarball passes publint, installs into an empty project
// (offline, from the local pnpm store) and works there as a library and as a CLI.
const pkgDir = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'bench-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sh = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed package', () => {
  it('is built', () => {
    expect(existsSync(join(pkgDir, 'dist', 'index.js'))).toBe(true);
  });

  it('passes publint', () => {
    const out = sh('pnpm', ['exec', 'publint', '--strict'], pkgDir);
    expect(out).not.toMatch(/error|warning/i);
  });

  it('installs from its tarball into an empty project and works', () => {
    sh('pnpm', ['pack', '--pack-destination', work], pkgDir);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    const app = join(work, 'app');
    sh('mkdir', ['-p', app], work);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'smoke', private: true, type: 'module' }),
    );
    sh('pnpm', ['add', join(work, tarball), '--offline', '--ignore-workspace'], app);
    writeFileSync(
      join(app, 'smoke.mjs'),
      `import { corpusBleu, corpusChrf, corpusTer } from '@cncf-llm/bench';
const h = ['The cat sat on the mat.'];
const r = [['The cat sat on the mat.']];
console.log(JSON.stringify([corpusBleu(h, r).score, corpusChrf(h, r).score, corpusTer(h, r).score]));`,
    );
    const [bleu, chrf, ter] = JSON.parse(sh(process.execPath, ['smoke.mjs'], app));
    expect(bleu).toBeCloseTo(100, 10); // 100.00000000000004, as sacreBLEU computes it
    expect(chrf).toBe(100);
    expect(ter).toBe(0);
    writeFileSync(join(app, 'ref.txt'), 'The cat sat on the mat.\n');
    writeFileSync(join(app, 'hyp.txt'), 'The cat sat on the mat.\n');
    const out = sh(
      join(app, 'node_modules', '.bin', 'cncf-bench'),
      ['ref.txt', '-i', 'hyp.txt', '-b'],
      app,
    );
    expect(out.trim()).toBe('100.0');
  });
});
