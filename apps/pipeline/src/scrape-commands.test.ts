import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const landscape = join(fixtures, 'landscape.yml');

// A small documentation site of real Prometheus pages, served as markdown files behind an
// HTML index, as many docs hosts do.
let server: Server;
let baseUrl: string;
let pages: string[];
let out: string;
beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('apps/pipeline is not built: run `pnpm build` first.');
  pages = (await readdir(join(fixtures, 'prometheus'))).filter(
    (f) => f.endsWith('.md') && f !== 'SOURCES.md',
  );
  server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/docs/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html lang="en"><head><title>Concepts</title></head><body><main><h1>Concepts</h1><ul>${pages.map((p) => `<li><a href="/docs/${p}">${p}</a></li>`).join('')}</ul></main></body></html>`,
      );
      return;
    }
    const name = path.replace(/^\/docs\//, '');
    if (pages.includes(name)) {
      res.writeHead(200, { 'content-type': 'text/markdown; charset=utf-8' });
      res.end(await readFile(join(fixtures, 'prometheus', name)));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  out = await mkdtemp(join(tmpdir(), 'cli-scrape-'));
});
afterAll(async () => {
  server?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

const lines = async (path: string) =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('cncf-llm landscape', () => {
  it('lists CNCF projects of a maturity as JSON', async () => {
    const { stdout } = await run(process.execPath, [
      cli,
      'landscape',
      '--file',
      landscape,
      '--maturity',
      'graduated',
      '--json',
    ]);
    const projects = JSON.parse(stdout) as { name: string; maturity: string }[];
    expect(projects.length).toBe(38);
    expect(projects.every((p) => p.maturity === 'graduated')).toBe(true);
    expect(projects.map((p) => p.name)).toContain('etcd');
  });

  it('rejects an unknown maturity, naming the accepted values', async () => {
    const error = (await run(process.execPath, [
      cli,
      'landscape',
      '--file',
      landscape,
      '--maturity',
      'gradu',
    ]).catch((e) => e)) as { code: number; stderr: string };
    expect(error.code).not.toBe(0);
    expect(error.stderr).toContain('graduated, incubating, sandbox or archived');
  });
});

describe('cncf-llm crawl', () => {
  it('stops at --max-pages, then resumes on the same --out and completes', async () => {
    const dir = join(out, 'crawl');
    const first = await run(process.execPath, [
      cli,
      'crawl',
      `${baseUrl}/docs/`,
      '--out',
      dir,
      '--max-pages',
      '2',
      '--no-sitemaps',
    ]);
    expect(first.stdout).toContain('stopped (max-pages)');
    // Not a terminal: progress goes to stderr as JSON lines.
    expect(
      first.stderr
        .split('\n')
        .filter(Boolean)
        .every((l) => JSON.parse(l).event),
    ).toBe(true);
    const second = await run(process.execPath, [
      cli,
      'crawl',
      `${baseUrl}/docs/`,
      '--out',
      dir,
      '--json',
    ]);
    const report = JSON.parse(second.stdout);
    expect(report.complete).toBe(true);
    expect(report.runs).toBe(2);
    const docs = await lines(join(dir, 'documents.jsonl'));
    // The index page, and every markdown page but index.md, which is front matter only.
    expect(docs.length).toBe(pages.length);
    expect(report.skipped.empty.examples[0]).toContain('/docs/index.md');
    expect(new Set(docs.map((d) => d.url)).size).toBe(docs.length);
    const model = docs.find((d) => d.url.endsWith('data_model.md'));
    expect(model.title).toBe('Data model');
    expect(model.contentType).toBe('text/markdown');
    expect(JSON.parse(await readFile(join(dir, 'crawl-report.json'), 'utf8')).pages.documents).toBe(
      pages.length,
    );
  });

  it('explains a bad option', async () => {
    const error = (await run(process.execPath, [
      cli,
      'crawl',
      `${baseUrl}/docs/`,
      '--out',
      join(out, 'x'),
      '--max-pages',
      'lots',
    ]).catch((e) => e)) as { code: number; stderr: string };
    expect(error.code).not.toBe(0);
    expect(error.stderr).toContain('--max-pages takes a whole number');
  });
});

describe('cncf-llm scrape', () => {
  it('plans and runs the sources of a landscape project, pointed at a local site', async () => {
    const dir = join(out, 'scrape');
    const { stdout } = await run(process.execPath, [
      cli,
      'scrape',
      '--landscape',
      landscape,
      '--projects',
      'prometheus',
      '--kinds',
      'site',
      '--site',
      `prometheus=${baseUrl}/docs/`,
      '--out',
      dir,
      '--json',
    ]);
    const report = JSON.parse(stdout);
    expect(report.units).toHaveLength(1);
    expect(report.units[0]).toMatchObject({
      kind: 'site',
      status: 'complete',
      projects: ['Prometheus'],
    });
    const docs = await lines(join(dir, report.documentFiles[0]));
    expect(docs.length).toBe(pages.length);
    expect(docs.every((d) => d.project === 'Prometheus')).toBe(true);
  });

  it('--plan-only prints the plan of the real landscape without fetching anything', async () => {
    const { stdout } = await run(process.execPath, [
      cli,
      'scrape',
      '--landscape',
      landscape,
      '--projects',
      'etcd',
      '--out',
      join(out, 'p'),
      '--plan-only',
    ]);
    const plan = JSON.parse(stdout);
    expect(plan.github.map((r: { key: string }) => r.key)).toContain('github:etcd-io/etcd');
    expect(plan.sites[0].seedUrls[0]).toMatch(/^https:\/\/etcd\.io\//);
  });
});
