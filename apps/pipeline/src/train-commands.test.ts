import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  buildTinyModel,
  provisionPython,
  type SlurmCluster,
  startSlurmCluster,
} from '@cncf-llm/trainer-launcher/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

// The whole path a user takes, through the real CLI: a spec → the real Slurm 22.05 cluster on
// 127.0.0.1 → the real `trl sft` (LoRA on a tiny Llama, CPU) → progress, status, logs, the
// adapter on disk, and a sweep ranked by its real eval losses.

const exec = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const chat = fileURLToPath(new URL('../test/fixtures/chat/', import.meta.url));
const fakeHub = ['hf', 'CLIFAKE'.repeat(5)].join('_');

let cluster: SlurmCluster;
let work: string;
let python: string;
let model: string;
let env: NodeJS.ProcessEnv;

async function cncf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], {
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
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

function spec(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    baseModel: { id: model },
    dataset: { path: join(work, 'chat'), format: 'messages' },
    method: { type: 'lora', rank: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
    hyperparameters: {
      learningRate: 5e-3,
      maxSteps: 8,
      batchSize: 2,
      maxSeqLength: 256,
      warmupRatio: 0,
      loggingSteps: 1,
      saveSteps: 4,
      gradientCheckpointing: false,
    },
    eval: { split: 'validation', strategy: 'steps', steps: 4, batchSize: 4 },
    resources: { nodes: 1, gpusPerNode: 0, cpusPerTask: 1, memory: '2G', timeLimit: '00:10:00' },
    output: { dir: join(work, 'runs', name) },
    tracking: { tensorboard: false },
    environment: { python, variables: { HF_HUB_OFFLINE: '1', OMP_NUM_THREADS: '1' } },
    slurm: { partition: 'debug' },
    ...extra,
  };
}

async function writeSpec(name: string, value: unknown): Promise<string> {
  const file = join(work, `${name}.yaml`);
  await writeFile(file, stringify(value));
  return file;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cli-train-'));
  [cluster, python] = await Promise.all([
    startSlurmCluster(),
    provisionPython().then((venv) => join(venv, 'bin', 'python')),
  ]);
  await mkdir(join(work, 'chat'), { recursive: true });
  for (const f of ['train.jsonl', 'validation.jsonl']) {
    await writeFile(join(work, 'chat', f), await readFile(join(chat, f)));
  }
  model = await buildTinyModel({
    python,
    outDir: join(work, 'tiny-llama'),
    data: [join(chat, 'train.jsonl')],
  });
  env = {
    ...process.env,
    ...cluster.env,
    XDG_STATE_HOME: join(work, 'state'),
    HF_TOKEN: fakeHub,
    HF_HUB_OFFLINE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    TOKENIZERS_PARALLELISM: 'false',
  };
}, 900_000);

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('cncf-llm train on a real Slurm cluster', () => {
  it('renders the sbatch script and TRL config without contacting the cluster', async () => {
    const file = await writeSpec('render', spec('cli-render'));
    const r = await cncf([
      'train',
      'render',
      '--backend',
      'slurm',
      '--spec',
      file,
      '--out',
      join(work, 'rendered'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Wrote \d+ files/);
    const trl = await readFile(join(work, 'rendered', 'trl.yaml'), 'utf8').catch(async () =>
      readFile(join(work, 'rendered', 'trials', '0', 'trl.yaml'), 'utf8'),
    );
    expect(trl).toMatch(/lora_r: 8/);
    expect(trl).toMatch(/assistant_only_loss: true/);
  });

  it('refuses a spec the partition cannot run, before submitting, with exit code 2', async () => {
    const file = await writeSpec(
      'too-big',
      spec('cli-too-big', {
        resources: {
          nodes: 1,
          gpusPerNode: 3,
          cpusPerTask: 1,
          memory: '2G',
          timeLimit: '00:10:00',
        },
      }),
    );
    const r = await cncf(['train', 'launch', '--backend', 'slurm', '--spec', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /resources\.gpusPerNode: 3 GPUs per node requested, but the nodes of partition "debug" have at most 2/,
    );
    const list = await cncf(['train', 'list', '--backend', 'slurm', '--json']);
    expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).not.toContain(
      'cli-too-big',
    );
  });

  it('launches the real trl sft, follows its progress to the end, and leaves an adapter', async () => {
    const file = await writeSpec('lora', spec('cli-lora'));
    const dry = await cncf(['train', 'launch', '--backend', 'slurm', '--spec', file, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Dry run: cli-lora fits; nothing was submitted/);

    const r = await cncf(['train', 'launch', '--backend', 'slurm', '--spec', file, '--wait']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^Submitted cli-lora \(slurm \d+\)/);
    // Not a TTY: progress arrives as JSON lines.
    const lines = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.event === 'state-changed' && l.state === 'running')).toBe(true);
    expect(lines.filter((l) => l.event === 'progress').length).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatchObject({
      event: 'run-ended',
      state: 'succeeded',
      step: 8,
      ended: 'succeeded',
    });

    const status = JSON.parse(
      (await cncf(['train', 'status', 'cli-lora', '--backend', 'slurm', '--json'])).stdout,
    );
    expect(status.status.state).toBe('succeeded');
    expect(status.progress).toMatchObject({ step: 8, maxSteps: 8, ended: 'succeeded' });
    expect(status.progress.evalLoss).toBeGreaterThan(0);

    const adapter = join(work, 'runs', 'cli-lora');
    expect(existsSync(join(adapter, 'adapter_model.safetensors'))).toBe(true);
    const loaded = await exec(
      python,
      [
        '-c',
        'import sys; from peft import PeftConfig; c = PeftConfig.from_pretrained(sys.argv[1]); print(c.r, sorted(c.target_modules))',
        adapter,
      ],
      { env },
    );
    expect(loaded.stdout.trim()).toBe("8 ['q_proj', 'v_proj']");

    const logs = await cncf(['train', 'logs', 'cli-lora', '--backend', 'slurm']);
    expect(logs.stdout).toMatch(/cncf-llm-progress \{"event": ?"end"/);
    expect(logs.stdout).not.toContain(fakeHub);

    const again = await cncf(['train', 'launch', '--backend', 'slurm', '--spec', file]);
    expect(again.stdout).toMatch(/^Already submitted, not submitted again: cli-lora .*succeeded/);

    const list = await cncf(['train', 'list', '--backend', 'slurm']);
    expect(list.stdout).toMatch(/cli-lora \(slurm \d+\): succeeded/);
    for (const text of [r.stdout, r.stderr, logs.stdout, list.stdout])
      expect(text).not.toContain(fakeHub);
    const sbatch = await readFile(join(adapter, '.cncf-llm', 'job.sbatch'), 'utf8');
    expect(sbatch).not.toContain(fakeHub);
  });

  it('runs a sweep as a job array and names the trial with the lowest real eval loss', async () => {
    const file = await writeSpec(
      'sweep',
      spec('cli-sweep', {
        hyperparameters: { ...spec('x').hyperparameters, maxSteps: 6, saveSteps: 6 },
        eval: { split: 'validation', strategy: 'steps', steps: 6, batchSize: 4 },
        sweep: { strategy: 'grid', parameters: { learningRate: [1e-2, 1e-6] } },
      }),
    );
    const r = await cncf(['train', 'sweep', '--backend', 'slurm', '--spec', file, '--wait']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const rows = r.stdout.split('\n');
    expect(rows[0]).toMatch(/trial +learningRate +state +steps +train_loss +eval_loss/);
    expect(rows.filter((l) => / succeeded +6 /.test(l))).toHaveLength(2);
    const best = /Best trial: (cli-sweep-t00\d) \(eval_loss ([\d.]+)\)/.exec(r.stdout);
    expect(best).not.toBeNull();
    // The table's losses come from the trials' own eval lines; the best is their minimum.
    const losses = rows.slice(1, 3).map((l) => Number(l.trim().split(/\s+/).at(-1)));
    expect(Number(best?.[2])).toBeCloseTo(Math.min(...losses), 4);
    expect(rows.find((l) => l.startsWith('*'))).toContain(best?.[1]);
  });
});
