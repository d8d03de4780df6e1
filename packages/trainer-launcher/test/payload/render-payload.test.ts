// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are bash, whose ${…} is not a template placeholder
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLauncherError } from '../../src/errors.js';
import { renderPayload } from '../../src/payload/render-payload.js';
import { run, writePayload } from './run-payload.js';
import { CPU_LORA, GEMMA_EXAMPLE, type SpecPatch, spec } from './specs.js';

const PACKAGE = resolve(import.meta.dirname, '../..');
const FAKE_HF = ['hf', 'FAKE'.repeat(8)].join('_');
const FAKE_WANDB = ['wandb', 'fake', 'key', '0'.repeat(16)].join('-');

const byPath = (files: { path: string }[]) => files.map((f) => f.path);

describe('renderPayload', () => {
  const saved = { HF_TOKEN: process.env.HF_TOKEN, WANDB_API_KEY: process.env.WANDB_API_KEY };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('renders the TRL payload: config, run.sh and the shipped Python files, byte for byte', () => {
    const payload = renderPayload(spec(CPU_LORA), { payloadDir: '/tmp/out/.cncf-llm' });
    expect(payload.entrypoint).toBe('run.sh');
    expect(byPath(payload.files)).toEqual([
      'trl.yaml',
      'run.sh',
      'train_with_progress.py',
      'progress_callback.py',
      'progress_events.py',
      'post_train.py',
    ]);
    expect(payload.files.find((f) => f.path === 'run.sh')?.mode).toBe(0o755);
    for (const file of payload.files.filter((f) => f.path.endsWith('.py'))) {
      expect(file.content).toBe(readFileSync(join(PACKAGE, 'payload', file.path), 'utf8'));
    }
  });

  it('adds accelerate.yaml for several GPUs or nodes, and the axolotl plugin for axolotl', () => {
    const multi = renderPayload(spec(GEMMA_EXAMPLE, { resources: { nodes: 2, gpusPerNode: 4 } }), {
      payloadDir: '/p',
    });
    const accelerate = multi.files.find((f) => f.path === 'accelerate.yaml')?.content ?? '';
    expect(accelerate).toMatch(/^num_processes: 8$/m);
    expect(accelerate).toMatch(/^num_machines: 2$/m);
    expect(accelerate).toMatch(/^mixed_precision: bf16$/m);

    const axolotl = renderPayload(spec(GEMMA_EXAMPLE, { trainer: 'axolotl' }), {
      payloadDir: '/p',
    });
    expect(byPath(axolotl.files)).toEqual([
      'axolotl.yaml',
      'run.sh',
      'axolotl_progress.py',
      'progress_callback.py',
      'progress_events.py',
      'post_train.py',
    ]);
    expect(axolotl.files.find((f) => f.path === 'run.sh')?.content).toContain(
      '-m axolotl.cli.train "$PAYLOAD_DIR/axolotl.yaml"',
    );
  });

  it('never writes a secret: tokens in the environment stay out, and one smuggled into the spec is refused', () => {
    process.env.HF_TOKEN = FAKE_HF;
    process.env.WANDB_API_KEY = FAKE_WANDB;
    const payload = renderPayload(
      spec(GEMMA_EXAMPLE, {
        output: {
          merge: true,
          hub: { adapterRepo: 'me/adapter', mergedRepo: 'me/merged', private: true },
        },
        tracking: { tensorboard: true, wandb: { project: 'cncf-llm' } },
      }),
      { payloadDir: '/p' },
    );
    for (const file of payload.files) {
      expect(file.content).not.toContain(FAKE_HF);
      expect(file.content).not.toContain(FAKE_WANDB);
    }
    const smuggled: SpecPatch[] = [
      { environment: { setup: [`export HF_TOKEN=${FAKE_HF}`] } },
      { environment: { variables: { HUB_URL: `https://user:${FAKE_WANDB}@example.org` } } },
      {
        environment: {
          variables: { MIRROR: `https://x.org/?t=${['hf', 'abc'.repeat(9)].join('_')}` },
        },
      },
    ];
    for (const patch of smuggled) {
      try {
        renderPayload(spec(GEMMA_EXAMPLE, patch), { payloadDir: '/p' });
        expect.unreachable('a payload with a secret in it was rendered');
      } catch (error) {
        expect(isLauncherError(error, 'render-failed')).toBe(true);
        expect((error as Error).message).toMatch(/secrets? by variable name only/);
        expect((error as Error).message).not.toContain(FAKE_HF);
      }
    }
  });

  it('asks for a payload directory', () => {
    expect(() => renderPayload(spec(CPU_LORA), { payloadDir: '' })).toThrow(/payloadDir/);
  });
});

describe('run.sh', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cncf-llm-runsh-'));
    // A stand-in for the job's Python: logs how it was called and with which environment.
    await writeFile(
      join(dir, 'python'),
      [
        '#!/usr/bin/env bash',
        'echo "CALL $*" >> "$STUB_LOG"',
        'echo "ENV rank=${RANK:-} hf_home=${HF_HOME:-} var=${MY_VAR:-} setup=${FROM_SETUP:-} progress=${CNCF_LLM_PROGRESS_FILE} run=${CNCF_LLM_RUN_NAME} pypath=${PYTHONPATH}" >> "$STUB_LOG"',
        'case "$*" in *train_with_progress.py*|*axolotl.cli.train*) exit "${STUB_TRAIN_EXIT:-0}";; esac',
        'exit 0',
      ].join('\n'),
    );
    await chmod(join(dir, 'python'), 0o755);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function runScript(
    name: string,
    patch: Parameters<typeof spec>[1],
    env: Record<string, string> = {},
  ) {
    const out = join(dir, name);
    const s = spec(CPU_LORA, {
      output: { dir: out, ...(patch?.output ?? {}) },
      environment: {
        setup: ['export FROM_SETUP=yes-$UNSET_IN_SETUP'],
        variables: { MY_VAR: "it's quoted" },
        python: join(dir, 'python'),
        cacheDir: join(dir, 'hf home'),
        ...(patch?.environment ?? {}),
      },
      ...Object.fromEntries(
        Object.entries(patch ?? {}).filter(([k]) => k !== 'output' && k !== 'environment'),
      ),
    });
    const payloadDir = join(out, '.cncf-llm');
    await writePayload(renderPayload(s, { payloadDir }), payloadDir);
    const log = join(dir, `${name}.log`);
    const result = await run('bash', [join(payloadDir, 'run.sh')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', STUB_LOG: log, ...env },
    });
    const calls = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n');
    return { result, calls, payloadDir, out };
  }

  it('passes bash -n for every trainer and layout', async () => {
    for (const [name, patch] of Object.entries({
      cpu: {},
      axolotl: { trainer: 'axolotl' as const },
      multi: { resources: { nodes: 2, gpusPerNode: 4 } },
    })) {
      const s = spec(GEMMA_EXAMPLE, patch);
      const file = join(dir, `syntax-${name}.sh`);
      await writeFile(
        file,
        renderPayload(s, { payloadDir: '/p' }).files.find((f) => f.path === 'run.sh')?.content ??
          '',
      );
      const checked = await run('bash', ['-n', file]);
      expect(checked.code, checked.stderr).toBe(0);
    }
  });

  it('runs one process with the spec’s setup, variables, HF_HOME and default progress file, then the post-steps', async () => {
    const { result, calls, payloadDir, out } = await runScript('single', {
      output: { merge: true },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(calls[0]).toBe(
      `CALL ${payloadDir}/train_with_progress.py --config ${payloadDir}/trl.yaml`,
    );
    expect(calls[1]).toBe(
      `ENV rank= hf_home=${join(dir, 'hf home')} var=it's quoted setup=yes- progress=${out}/progress.jsonl run=tiny-lora pypath=${payloadDir}`,
    );
    expect(calls[2]).toBe(
      `CALL ${payloadDir}/post_train.py --output-dir ${out} --method lora --base-model /models/tiny --revision main --dtype float32 --merge`,
    );
  });

  it('uses accelerate launch with the backend’s node rank, address and port, and skips post-steps off rank 0', async () => {
    const { result, calls, payloadDir } = await runScript(
      'multi',
      { output: { merge: true } },
      {
        CNCF_LLM_NNODES: '2',
        CNCF_LLM_NODE_RANK: '1',
        CNCF_LLM_MASTER_ADDR: '10.0.0.7',
        CNCF_LLM_MASTER_PORT: '29600',
        CNCF_LLM_GPUS_PER_NODE: '2',
        CNCF_LLM_PROGRESS_FILE: join(dir, 'elsewhere/progress.jsonl'),
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(calls[0]).toBe(
      `CALL -m accelerate.commands.launch --multi_gpu --mixed_precision no --num_machines 2 --num_processes 4 --machine_rank 1 --main_process_ip 10.0.0.7 --main_process_port 29600 ${payloadDir}/train_with_progress.py --config ${payloadDir}/trl.yaml`,
    );
    expect(calls[1]).toContain(`progress=${join(dir, 'elsewhere/progress.jsonl')}`);
    expect(calls.filter((c) => c.includes('post_train.py'))).toEqual([]);
  });

  it('passes the trainer’s exit status on and makes sure a failed end line exists', async () => {
    const { result, calls, payloadDir } = await runScript('failing', {}, { STUB_TRAIN_EXIT: '3' });
    expect(result.code).toBe(3);
    expect(calls[2]).toBe(
      `CALL ${payloadDir}/progress_events.py end-if-missing --error the trainer exited with status 3; see the job log`,
    );
  });
});
