import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Publishable means proven: the packed tarball passes publint, installs into an empty project
// (offline, from the local pnpm store, with the scraper's tarball for its workspace dependency)
// and works there, both entry points included.
const pkgDir = new URL('..', import.meta.url).pathname;
const scraperDir = new URL('../../scraper/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'corpus-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sh = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed package', () => {
  it('is built', () => {
    expect(existsSync(join(pkgDir, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(pkgDir, 'dist', 'testing.js'))).toBe(true);
  });

  it('passes publint', () => {
    const out = sh('pnpm', ['exec', 'publint', '--strict'], pkgDir);
    expect(out).not.toMatch(/error|warning/i);
  });

  it('installs from its tarball into an empty project and works', () => {
    sh('pnpm', ['pack', '--pack-destination', join(work, 'corpus')], pkgDir);
    sh('pnpm', ['pack', '--pack-destination', join(work, 'scraper')], scraperDir);
    const tarball = (dir: string) => {
      const name = readdirSync(join(work, dir)).find((f) => f.endsWith('.tgz'));
      if (!name) throw new Error(`pnpm pack wrote no tarball for ${dir}`);
      return join(work, dir, name);
    };
    const app = join(work, 'app');
    sh('mkdir', ['-p', app], work);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'smoke', private: true, type: 'module' }),
    );
    writeFileSync(
      join(app, 'pnpm-workspace.yaml'),
      `overrides:\n  '@cncf-llm/scraper': 'file:${tarball('scraper')}'\nallowBuilds:\n  '@duckdb/node-bindings': true\n`,
    );
    sh('pnpm', ['add', tarball('corpus'), '--offline'], app);
    writeFileSync(
      join(app, 'smoke.mjs'),
      `import { normaliseText, scrubText, chunkDocument, createTokenCounter } from '@cncf-llm/corpus';
import { startHubStandIn } from '@cncf-llm/corpus/testing';
const counter = await createTokenCounter();
const md = normaliseText('# Install\\r\\n\\r\\nRun it.\\n\\n\\n\\n\`\`\`sh\\netcd --version\\n\`\`\`\\n');
const chunks = chunkDocument({ id: 'a'.repeat(64), markdown: md, project: 'etcd', sourceType: 'docs-site', url: 'https://etcd.io/docs/', title: 'Install', licence: 'CC-BY-4.0', attribution: null, language: 'en' }, { counter });
console.log(JSON.stringify({ md, chunks: chunks.length, path: chunks[0].headingPath, scrub: scrubText('mail jane.doe.ops@gmail.com').text, standIn: typeof startHubStandIn }));`,
    );
    const result = JSON.parse(sh(process.execPath, ['smoke.mjs'], app));
    expect(result.md).not.toContain('\r');
    expect(result.md).toContain('Run it.\n\n```sh\netcd --version\n```');
    expect(result.chunks).toBe(1);
    expect(result.path).toEqual(['Install']);
    expect(result.scrub).toBe('mail <EMAIL>');
    expect(result.standIn).toBe('function');
  });
});
