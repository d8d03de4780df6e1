import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Publishable means proven: the packed tarball passes publint, installs into an empty project
// (offline, from the local pnpm store) and works there, both entry points included.
const pkgDir = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'scraper-pack-'));
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
    sh('pnpm', ['pack', '--pack-destination', work], pkgDir);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error('pnpm pack wrote no tarball');
    const app = join(work, 'app');
    sh('mkdir', ['-p', app], work);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'smoke', private: true, type: 'module' }),
    );
    sh('pnpm', ['add', join(work, tarball), '--offline', '--ignore-workspace'], app);
    writeFileSync(
      join(app, 'smoke.mjs'),
      `import { htmlToMarkdown, documentId, normaliseUrl } from '@cncf-llm/scraper';
import { startHttpStandIn } from '@cncf-llm/scraper/testing';
const page = htmlToMarkdown('<html lang="en"><body><nav>Menu</nav><main><h1>Install</h1><pre><code class="language-sh">etcd --version</code></pre></main></body></html>', { url: 'https://etcd.io/docs/' });
console.log(JSON.stringify({ markdown: page.markdown, id: documentId(page.markdown).length, url: normaliseUrl('HTTPS://Etcd.io:443/docs/?utm_source=x#top'), standIn: typeof startHttpStandIn }));`,
    );
    const result = JSON.parse(sh(process.execPath, ['smoke.mjs'], app));
    expect(result.markdown).toBe('# Install\n\n```sh\netcd --version\n```\n');
    expect(result.id).toBe(64);
    expect(result.url).toBe('https://etcd.io/docs/');
    expect(result.standIn).toBe('function');
  });
});
