import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLauncherError } from '../../src/errors.js';
import { renderSbatch, sbatchArgs, sbatchDirectives } from '../../src/slurm/render-sbatch.js';
import { restJobProperties } from '../../src/slurm/rest-client.js';
import { createSlurmBackend } from '../../src/slurm/slurm-backend.js';
import type { TrainSpecInput } from '../../src/spec/schema.js';
import { expandSweep } from '../../src/sweep/expand.js';
import { fakePayload, testSpec } from './fake-payload.js';
import { fakeHubToken } from './helpers.js';

const DIR = '/shared/runs/demo';
const PAYLOAD = `${DIR}/.cncf-llm`;

function render(overrides: Partial<TrainSpecInput> = {}, name = 'demo') {
  const spec = testSpec(name, DIR, overrides);
  return renderSbatch(spec, {
    payloadDir: PAYLOAD,
    specHash: 'abcdef0123456789',
    trials: spec.sweep ? expandSweep(spec) : undefined,
  });
}

const directives = (script: string) => script.split('\n').filter((l) => l.startsWith('#SBATCH '));

/** `bash -n`: the rendered script parses. */
function assertBashParses(script: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'sbatch-'));
  try {
    writeFileSync(join(dir, 'job.sbatch'), script);
    execFileSync('bash', ['-n', join(dir, 'job.sbatch')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('renderSbatch', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.HF_TOKEN;
    process.env.HF_TOKEN = fakeHubToken();
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = saved;
  });

  it('writes the resources, log file, requeue signal, comment and export of a one-node run', () => {
    const script = render();
    expect(directives(script)).toEqual([
      '#SBATCH --job-name=demo',
      `#SBATCH --output=${PAYLOAD}/logs/%j.log`,
      `#SBATCH --error=${PAYLOAD}/logs/%j.log`,
      '#SBATCH --open-mode=append',
      `#SBATCH --chdir=${DIR}`,
      '#SBATCH --nodes=1',
      '#SBATCH --ntasks-per-node=1',
      '#SBATCH --cpus-per-task=1',
      '#SBATCH --mem=200M',
      '#SBATCH --time=00:10:00',
      '#SBATCH --requeue',
      '#SBATCH --signal=B:USR1@60',
      '#SBATCH --comment=cncf-llm:abcdef0123456789',
      '#SBATCH --export=ALL',
    ]);
    expect(script).toContain(`PAYLOAD_DIR=${PAYLOAD}`);
    expect(script).toContain('ENTRYPOINT="$PAYLOAD_DIR/run.sh"');
    expect(script).toContain(`export CNCF_LLM_PROGRESS_FILE="$OUTPUT_DIR/progress.jsonl"`);
    expect(script).toContain('trap requeue_before_time_limit USR1');
    expect(script).toContain(
      `bash -c 'export CNCF_LLM_NODE_RANK="$SLURM_NODEID"; exec "$@"' cncf-llm-node bash "$ENTRYPOINT" &`,
    );
    expect(script).not.toContain(process.env.HF_TOKEN);
    assertBashParses(script);
  });

  it('asks for typed GPUs on several nodes with partition, account, QoS and extra options', () => {
    const script = render({
      resources: {
        nodes: 4,
        gpusPerNode: 8,
        gpuType: 'h100',
        cpusPerTask: 64,
        memory: '512G',
        timeLimit: '2-00:00:00',
      },
      slurm: {
        partition: 'gpu',
        account: 'proj-llm',
        qos: 'high',
        requeue: true,
        extraArgs: ['--exclusive', '--constraint=ib'],
      },
    });
    const lines = directives(script);
    expect(lines).toEqual(
      expect.arrayContaining([
        '#SBATCH --nodes=4',
        '#SBATCH --ntasks-per-node=1',
        '#SBATCH --gres=gpu:h100:8',
        '#SBATCH --cpus-per-task=64',
        '#SBATCH --mem=512G',
        '#SBATCH --time=2-00:00:00',
        '#SBATCH --partition=gpu',
        '#SBATCH --account=proj-llm',
        '#SBATCH --qos=high',
        '#SBATCH --signal=B:USR1@300',
      ]),
    );
    expect(lines.slice(-2)).toEqual(['#SBATCH --exclusive', '#SBATCH --constraint=ib']);
    expect(script).toContain(`export CNCF_LLM_NNODES="\${SLURM_JOB_NUM_NODES:-4}"`);
    expect(script).toContain('export CNCF_LLM_GPUS_PER_NODE=8');
    expect(script).toContain(
      `scontrol show hostnames "\${SLURM_JOB_NODELIST:-}" 2>/dev/null | head -n 1`,
    );
    expect(script).toContain(
      `export CNCF_LLM_MASTER_PORT=$(( 29500 + \${SLURM_JOB_ID:-0} % 10000 ))`,
    );
    expect(script).toContain(
      'srun --nodes="$CNCF_LLM_NNODES" --ntasks-per-node=1 --kill-on-bad-exit=1 \\',
    );
    assertBashParses(script);
  });

  it('can ask with --gpus-per-node instead of --gres', () => {
    const spec = testSpec('demo', DIR, {
      resources: {
        nodes: 1,
        gpusPerNode: 2,
        gpuType: 'a100',
        cpusPerTask: 4,
        memory: '8G',
        timeLimit: '01:00:00',
      },
    });
    const script = renderSbatch(spec, {
      payloadDir: PAYLOAD,
      specHash: 'h',
      gpuRequest: 'gpus-per-node',
    });
    expect(directives(script)).toContain('#SBATCH --gpus-per-node=a100:2');
    expect(script).not.toContain('--gres');
  });

  it('runs the payload in a pyxis container with the output dir, cache and mounts', () => {
    const script = render({
      environment: {
        container: {
          image: 'nvcr.io#nvidia/pytorch:24.05-py3',
          runtime: 'pyxis',
          mounts: ['/datasets', '/scratch/x:/data'],
        },
        cacheDir: '/shared/hf-cache',
      },
    });
    expect(script).toContain(
      `srun --nodes="$CNCF_LLM_NNODES" --ntasks-per-node=1 --kill-on-bad-exit=1 --container-image='nvcr.io#nvidia/pytorch:24.05-py3' --container-mounts=${DIR}:${DIR},/shared/hf-cache:/shared/hf-cache,/datasets:/datasets,/scratch/x:/data --container-workdir=${DIR} \\`,
    );
    assertBashParses(script);
  });

  it('runs the payload with apptainer exec, --nv only when there are GPUs', () => {
    const gpu = render({
      resources: { nodes: 1, gpusPerNode: 1, cpusPerTask: 1, memory: '1G', timeLimit: '00:30:00' },
      environment: {
        container: { image: '/shared/images/trl.sif', runtime: 'apptainer', mounts: ['/datasets'] },
      },
    });
    expect(gpu).toContain(
      `cncf-llm-node apptainer exec --nv --bind ${DIR},/datasets --pwd ${DIR} /shared/images/trl.sif bash "$ENTRYPOINT" &`,
    );
    const cpu = render({
      environment: {
        container: { image: 'docker://python:3.12', runtime: 'apptainer', mounts: [] },
      },
    });
    expect(cpu).toContain(`apptainer exec --bind ${DIR} --pwd ${DIR} docker://python:3.12 bash`);
    assertBashParses(gpu);
  });

  it('leaves the setup block to run.sh on every node (not duplicated into job.sbatch)', () => {
    const setup = ['module load cuda/12.4', 'source /shared/venvs/trl/bin/activate'];
    const spec = testSpec('setup', DIR, { environment: { setup } });
    const rendered = createSlurmBackend({ recordsDir: '/nonexistent' }).render(spec);
    const sbatch = rendered.files.find((f) => f.path === 'job.sbatch')?.content ?? '';
    const runSh = rendered.files.find((f) => f.path === 'run.sh')?.content ?? '';
    for (const line of setup) {
      expect(runSh).toContain(line);
      expect(sbatch).not.toContain(line);
    }
    expect(rendered.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['run.sh', 'trl.yaml', 'job.sbatch']),
    );
  });

  it('renders a sweep as a job array: one task per trial, each with its own directory', () => {
    const script = render({
      eval: { split: 'validation' },
      sweep: { strategy: 'grid', parameters: { learningRate: [1e-3, 1e-4, 1e-5] }, maxParallel: 2 },
    });
    expect(directives(script)).toEqual(
      expect.arrayContaining([
        `#SBATCH --output=${PAYLOAD}/logs/%A_%a.log`,
        '#SBATCH --array=0-2%2',
      ]),
    );
    expect(script).toContain(`  0) OUTPUT_DIR=${DIR}/demo-t000 ;;`);
    expect(script).toContain(`  2) OUTPUT_DIR=${DIR}/demo-t002 ;;`);
    expect(script).toContain('ENTRYPOINT="$PAYLOAD_DIR/trials/$CNCF_LLM_TRIAL/run.sh"');
    assertBashParses(script);
    const rendered = createSlurmBackend({
      payload: fakePayload,
      recordsDir: '/nonexistent',
    }).render(
      testSpec('demo', DIR, {
        eval: { split: 'validation' },
        sweep: { strategy: 'grid', parameters: { learningRate: [1e-3, 1e-4] } },
      }),
    );
    expect(rendered.files.map((f) => f.path)).toEqual([
      'trials/0/run.sh',
      'trials/1/run.sh',
      'job.sbatch',
    ]);
    expect(rendered.summary).toContain('job array 0-1 (2 trials)');
  });

  it('requeues itself on SIGUSR1 unless warned right after its start (run in bash with stand-in srun/scontrol)', async () => {
    const { spawn } = await import('node:child_process');
    const runOnce = async (minRunSecondsBeforeRequeue: number) => {
      const dir = mkdtempSync(join(tmpdir(), 'sbatch-trap-'));
      try {
        const bin = join(dir, 'bin');
        execFileSync('mkdir', ['-p', bin, join(dir, 'out')]);
        // srun runs its command after its own options; scontrol logs what it was asked.
        writeFileSync(
          join(bin, 'srun'),
          '#!/bin/bash\nwhile [[ "$1" == --* ]]; do shift; done\nexec "$@"\n',
          { mode: 0o755 },
        );
        writeFileSync(
          join(bin, 'scontrol'),
          `#!/bin/bash\necho "$*" >> ${dir}/scontrol.log\n[ "$1" = show ] && echo node1\nexit 0\n`,
          { mode: 0o755 },
        );
        writeFileSync(
          join(dir, 'out', 'run.sh'),
          'sleep 1.5; echo "payload rank=$CNCF_LLM_NODE_RANK"\n',
        );
        const spec = testSpec('trap', join(dir, 'out'));
        const script = renderSbatch(spec, {
          payloadDir: join(dir, 'out'),
          specHash: 'h',
          requeueSignalSeconds: 60,
          minRunSecondsBeforeRequeue,
        });
        writeFileSync(join(dir, 'job.sbatch'), script);
        const child = spawn('bash', [join(dir, 'job.sbatch')], {
          env: {
            PATH: `${bin}:${process.env.PATH}`,
            SLURM_JOB_ID: '42',
            SLURM_JOB_NODELIST: 'node1',
            SLURM_NODEID: '0',
          },
        });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        setTimeout(() => child.kill('SIGUSR1'), 500);
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        const log = readFileSync(join(dir, 'scontrol.log'), 'utf8');
        return { code, output, log };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const early = await runOnce(60);
    expect(early.code).toBe(0);
    expect(early.output).toContain('a requeue would make no progress; running on');
    expect(early.output).toContain('payload rank=0');
    expect(early.log).not.toContain('requeue');
    const late = await runOnce(0);
    expect(late.output).toContain('cncf-llm: time limit near: requeueing job 42');
    expect(late.log).toContain('requeue 42');
    // The step keeps running after the trap (wait is resumed), so the payload still finishes.
    expect(late.output).toContain('payload rank=0');
  });

  it('drops the requeue trap when requeue is off', () => {
    const script = render({ slurm: { requeue: false, extraArgs: [] } });
    expect(directives(script)).toContain('#SBATCH --no-requeue');
    expect(script).not.toContain('--signal');
    expect(script).not.toContain('trap ');
  });

  it('is deterministic', () => {
    const spec = testSpec('same', DIR, {
      eval: { split: 'validation' },
      sweep: {
        strategy: 'random',
        trials: 3,
        parameters: { learningRate: { min: 1e-5, max: 1e-3, log: true } },
      },
    });
    const backend = createSlurmBackend({ payload: fakePayload, recordsDir: '/nonexistent' });
    expect(backend.render(spec)).toEqual(backend.render(spec));
  });

  it('refuses what sbatch would misread, and any secret', () => {
    const relative = (() => {
      try {
        return render({ output: { dir: 'runs/demo' } as never });
      } catch (e) {
        return e;
      }
    })();
    expect(isLauncherError(relative, 'invalid-spec')).toBe(true);
    expect(() =>
      renderSbatch(testSpec('x', '/shared/my runs'), {
        payloadDir: '/shared/my runs/.cncf-llm',
        specHash: 'h',
      }),
    ).toThrow(/cannot take in an #SBATCH line/);
    expect(() =>
      render({ slurm: { partition: 'gpu\n#SBATCH --qos=admin', requeue: true, extraArgs: [] } }),
    ).toThrow(/slurm.partition contains a line break/);
    const token = process.env.HF_TOKEN ?? '';
    const leak = (() => {
      try {
        return render({ slurm: { requeue: true, extraArgs: [`--comment=${token}`] } });
      } catch (e) {
        return e;
      }
    })();
    expect(isLauncherError(leak, 'render-failed')).toBe(true);
    expect((leak as Error).message).not.toContain(token);
  });
});

describe('restJobProperties (slurmrestd ignores #SBATCH lines)', () => {
  it('carries every directive as a v0.0.38 job property', () => {
    const spec = testSpec('demo', DIR, {
      resources: {
        nodes: 2,
        gpusPerNode: 4,
        gpuType: 'a100',
        cpusPerTask: 8,
        memory: '64G',
        timeLimit: '1-00:00:00',
      },
      slurm: {
        partition: 'gpu',
        account: 'acct',
        qos: 'q',
        requeue: true,
        extraArgs: ['--exclusive', '--constraint=ib'],
      },
    });
    const d = sbatchDirectives(spec, { payloadDir: PAYLOAD, specHash: 'h' });
    expect(restJobProperties(d, { PATH: '/usr/bin' })).toEqual({
      name: 'demo',
      nodes: [2, 2],
      tasks: 2,
      tasks_per_node: 1,
      cpus_per_task: 8,
      memory_per_node: 65536,
      time_limit: 1440,
      current_working_directory: DIR,
      standard_output: `${PAYLOAD}/logs/%j.log`,
      standard_error: `${PAYLOAD}/logs/%j.log`,
      open_mode: 'append',
      requeue: true,
      comment: 'cncf-llm:h',
      environment: { PATH: '/usr/bin' },
      gres: 'gpu:a100:4',
      partition: 'gpu',
      account: 'acct',
      qos: 'q',
      exclusive: 'exclusive',
      constraints: 'ib',
    });
    expect(sbatchArgs(d)).toContain('--gres=gpu:a100:4');
  });

  it('refuses sbatch options it cannot translate', () => {
    const spec = testSpec('demo', DIR, {
      slurm: { requeue: true, extraArgs: ['--mail-type=END'] },
    });
    expect(() =>
      restJobProperties(sbatchDirectives(spec, { payloadDir: PAYLOAD, specHash: 'h' }), {}),
    ).toThrow(
      /slurm.extraArgs "--mail-type=END" cannot be sent through slurmrestd .* Use transport 'cli', or remove it/,
    );
  });
});
