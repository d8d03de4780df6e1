import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type SlurmCluster, startSlurmCluster } from '@cncf-llm/trainer-launcher/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

// What the CLI prints and exits with when a run fails or does not exist, on the real Slurm 22.05
// cluster. The payload's Python is `/bin/false`, so the job fails at once without a trainer.

const exec = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let cluster: SlurmCluster;
let work: string;
let env: NodeJS.ProcessEnv;

async function cncf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], {
      env,
      timeout: 300_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}

async function failingSpec(name: string): Promise<string> {
  const file = join(work, `${name}.yaml`);
  await writeFile(
    file,
    stringify({
      name,
      baseModel: { id: join(work, 'no-model') },
      dataset: { path: join(work, 'no-data'), format: 'messages' },
      method: { type: 'lora' },
      hyperparameters: { learningRate: 1e-4, maxSteps: 2 },
      resources: { nodes: 1, gpusPerNode: 0, cpusPerTask: 1, memory: '1G', timeLimit: '00:05:00' },
      output: { dir: join(work, 'runs', name) },
      tracking: { tensorboard: false },
      environment: { python: '/bin/false' },
      slurm: { partition: 'debug' },
    }),
  );
  return file;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cli-train-exit-'));
  cluster = await startSlurmCluster();
  env = { ...process.env, ...cluster.env, XDG_STATE_HOME: join(work, 'state') };
}, 600_000);

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('cncf-llm train exit codes on a real Slurm cluster', () => {
  it('sweep --dry-run --json lists the trials as JSON and submits nothing', async () => {
    const file = join(work, 'dry-sweep.yaml');
    const spec = parse(await readFile(await failingSpec('dry-sweep'), 'utf8'));
    await writeFile(
      file,
      stringify({
        ...spec,
        eval: { split: 'validation' },
        sweep: { strategy: 'grid', parameters: { learningRate: [1e-4, 3e-4], rank: [8, 16] } },
      }),
    );
    const r = await cncf([
      'train',
      'sweep',
      '--backend',
      'slurm',
      '--spec',
      file,
      '--dry-run',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.trials.map((t: { name: string }) => t.name)).toEqual([
      'dry-sweep-t000',
      'dry-sweep-t001',
      'dry-sweep-t002',
      'dry-sweep-t003',
    ]);
    expect(out.trials[3].values).toEqual({ learningRate: 3e-4, rank: 16 });
    const list = JSON.parse((await cncf(['train', 'list', '--backend', 'slurm', '--json'])).stdout);
    expect(list.map((s: { name: string }) => s.name)).not.toContain('dry-sweep');
  });

  it('status of a run that does not exist says so and exits 1', async () => {
    const r = await cncf(['train', 'status', 'no-such-run', '--backend', 'slurm']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cncf-llm train: no Slurm run named no-such-run was found/);
    expect(r.stdout).toBe('');
  });

  it('launch --wait of a run that fails exits 1, and --json keeps stdout one JSON document', async () => {
    const file = await failingSpec('cli-fails');
    const r = await cncf([
      'train',
      'launch',
      '--backend',
      'slurm',
      '--spec',
      file,
      '--wait',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(1);
    const final = JSON.parse(r.stdout);
    expect(final).toMatchObject({ name: 'cli-fails', backend: 'slurm', state: 'failed' });
    expect(r.stderr).toMatch(/Submitted cli-fails/);
  });
});
