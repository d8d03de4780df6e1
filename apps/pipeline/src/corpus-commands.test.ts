import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type HubStandIn, startHubStandIn } from '@cncf-llm/corpus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const documents = fileURLToPath(new URL('../test/fixtures/documents.jsonl', import.meta.url));
const token = 'hf_cli_test_token_not_real';

let hub: HubStandIn;
let work: string;
beforeAll(async () => {
  hub = await startHubStandIn({ token, user: 'cncf' });
  work = await mkdtemp(join(tmpdir(), 'cli-corpus-'));
});
afterAll(async () => {
  await hub?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const cncf = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });

describe('cncf-llm corpus and dataset', () => {
  it('builds a corpus, exports it as a Hub dataset, pushes it and pulls it back', async () => {
    const db = join(work, 'corpus.duckdb');
    const build = JSON.parse(
      (await cncf(['corpus', 'build', '--in', documents, '--db', db, '--json'])).stdout,
    );
    expect(build.ingest.files[0].read).toBe(30);
    expect(build.chunking.chunks).toBeGreaterThan(30);

    const stats = JSON.parse((await cncf(['corpus', 'stats', '--db', db, '--json'])).stdout);
    expect(stats.documents.total).toBe(30);
    expect(stats.chunks.kept).toBe(build.chunkDedup.kept);

    const out = join(work, 'dataset');
    const exported = JSON.parse(
      (
        await cncf([
          'dataset',
          'export',
          '--db',
          db,
          '--out',
          out,
          '--split',
          'train=0.8,validation=0.2',
          '--repo',
          'cncf/etcd-docs',
          '--json',
        ])
      ).stdout,
    );
    expect(exported.totalExamples).toBe(stats.chunks.kept);
    const data = await readdir(join(out, 'data'));
    expect(data.some((f) => /^train-00000-of-\d{5}\.parquet$/.test(f))).toBe(true);
    expect(await readFile(join(out, 'README.md'), 'utf8')).toMatch(/^---\n[\s\S]*configs:/);

    const pushed = await cncf(
      [
        'dataset',
        'push',
        '--dir',
        out,
        '--repo',
        'cncf/etcd-docs',
        '--hub-url',
        hub.hubUrl,
        '--tag',
        'v1',
      ],
      { HF_TOKEN: token },
    );
    expect(pushed.stdout).toContain('Pushed to');
    expect(pushed.stdout + pushed.stderr).not.toContain(token);

    const back = join(work, 'pulled');
    const pulled = await cncf(
      [
        'dataset',
        'pull',
        '--repo',
        'cncf/etcd-docs',
        '--dir',
        back,
        '--revision',
        'v1',
        '--hub-url',
        hub.hubUrl,
      ],
      { HF_TOKEN: token },
    );
    expect(pulled.stdout).toContain('checksums verified');
    for (const file of data) {
      expect(await readFile(join(back, 'data', file))).toEqual(
        await readFile(join(out, 'data', file)),
      );
    }
  });

  it('push without HF_TOKEN fails with a message naming it', async () => {
    const env = { ...process.env };
    delete env.HF_TOKEN;
    const error = (await run(
      process.execPath,
      [cli, 'dataset', 'push', '--dir', work, '--repo', 'cncf/x', '--hub-url', hub.hubUrl],
      { env },
    ).catch((e) => e)) as { code: number; stderr: string };
    expect(error.code).not.toBe(0);
    expect(error.stderr).toContain('HF_TOKEN');
  });
});
