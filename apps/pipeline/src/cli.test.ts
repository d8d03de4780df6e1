import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const examples = fileURLToPath(new URL('../../../packages/bench/examples/', import.meta.url));

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('apps/pipeline is not built: run `pnpm build` first.');
});

describe('cncf-llm', () => {
  it('--help lists the command groups', async () => {
    const { stdout } = await run(process.execPath, [cli, '--help']);
    expect(stdout).toContain('Usage: cncf-llm');
    expect(stdout).toMatch(/bench\s+Evaluate models/);
  });

  it('--version prints the version of the app', async () => {
    const { stdout } = await run(process.execPath, [cli, '--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('bench score runs the bench CLI with sacreBLEU flags and prints the table', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        cli,
        'bench',
        'score',
        'reference.txt',
        '-i',
        'system-a.txt',
        'system-b.txt',
        '-m',
        'bleu',
        'chrf',
        'ter',
        '-f',
        'text',
        '-tok',
        '13a',
      ],
      { cwd: examples },
    );
    expect(stdout).toMatch(/│\s+System │\s+BLEU\s+│\s+chrF2\s+│\s+TER\s+│/);
    const rows = stdout.split('\n').filter((l) => l.includes('system-'));
    expect(rows).toHaveLength(2);
    const bleu = rows.map((r) => Number(r.split('│')[2]));
    expect(bleu[0]).toBeGreaterThan(bleu[1]!); // the close paraphrase beats the terse answers
    expect(stdout).toContain(
      'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:cncf-llm-bench-',
    );
  });

  it('bench score --help shows the bench flags', async () => {
    const { stdout } = await run(process.execPath, [cli, 'bench', 'score', '--help']);
    expect(stdout).toContain('--paired-bs');
    expect(stdout).toContain('--chrf-word-order');
  });

  it('bench score exits 1 with a clear message on bad input', async () => {
    const error = await run(
      process.execPath,
      [cli, 'bench', 'score', 'missing.txt', '-i', 'x.txt'],
      {
        cwd: examples,
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).toBe(1);
    expect((error as { stderr: string }).stderr).toContain(
      "cannot read reference file 'missing.txt'",
    );
  });
});
