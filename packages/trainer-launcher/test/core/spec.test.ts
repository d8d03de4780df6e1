import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLauncherError, LauncherError } from '../../src/errors.js';
import { loadSpec, parseSpec, parseSpecText } from '../../src/spec/load.js';

const examples = new URL('../../../../examples/', import.meta.url).pathname;

const minimal = {
  name: 'tiny-run',
  baseModel: { id: 'org/model' },
  dataset: { path: '/data/train.jsonl' },
  method: { type: 'lora' },
  hyperparameters: { learningRate: 1e-4 },
  output: { dir: '/scratch/run' },
};

function issuesOf(input: unknown): string[] {
  try {
    parseSpec(input);
  } catch (error) {
    if (isLauncherError(error, 'invalid-spec')) return [...error.issues];
    throw error;
  }
  return [];
}

describe('the fine-tune spec', () => {
  it('reads the example spec of the prototype best run with every number intact', async () => {
    const spec = await loadSpec(join(examples, 'gemma-2-9b-it-qlora.yaml'));
    expect(spec.baseModel.id).toBe('google/gemma-2-9b-it');
    expect(spec.method).toMatchObject({ type: 'qlora', rank: 32, alpha: 64, dropout: 0.1 });
    expect(spec.hyperparameters).toMatchObject({
      learningRate: 1.3446e-5,
      epochs: 5,
      batchSize: 4,
      gradientAccumulation: 8,
      maxSeqLength: 1024,
    });
    expect(spec.chatTemplate).toEqual({ source: 'base-model', assistantOnlyLoss: true });
  });

  it('reads the sweep example', async () => {
    const spec = await loadSpec(join(examples, 'gemma-2-9b-it-qlora-sweep.yaml'));
    expect(spec.sweep?.parameters.learningRate).toEqual([5e-6, 1.3446e-5, 3e-5]);
  });

  it('fills defaults so a minimal spec is complete', () => {
    const spec = parseSpec(minimal);
    expect(spec.trainer).toBe('trl');
    expect(spec.baseModel.revision).toBe('main');
    expect(spec.dataset.format).toBe('messages');
    expect(spec.method).toMatchObject({ rank: 16, alpha: 32, targetModules: 'all-linear' });
    expect(spec.resources).toMatchObject({ nodes: 1, gpusPerNode: 1, timeLimit: '24:00:00' });
    expect(spec.environment.python).toBe('python3');
  });

  it('accepts JSON text as well as YAML', () => {
    expect(parseSpecText(JSON.stringify(minimal)).name).toBe('tiny-run');
  });

  it('refuses QLoRA settings on a full fine-tune, naming the field and the fix', () => {
    const issues = issuesOf({ ...minimal, method: { type: 'full', quantization: { bits: 4 } } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(
      /^method\.quantization: quantisation is for QLoRA only.*[Uu]se method\.type "qlora"/,
    );
  });

  it('refuses QLoRA without a GPU', () => {
    expect(
      issuesOf({ ...minimal, method: { type: 'qlora' }, resources: { gpusPerNode: 0 } })[0],
    ).toMatch(/^resources\.gpusPerNode: QLoRA needs a CUDA GPU/);
  });

  it('refuses evaluating on the training split', () => {
    expect(issuesOf({ ...minimal, eval: { split: 'train' } })[0]).toMatch(
      /^eval\.split: .*training split/,
    );
  });

  it('refuses a secret in the spec', () => {
    const issues = issuesOf({ ...minimal, environment: { variables: { HF_TOKEN: 'x' } } });
    expect(issues[0]).toMatch(/environment\.variables\.HF_TOKEN: HF_TOKEN looks like a secret/);
  });

  it('reports every problem at once, not only the first', () => {
    const issues = issuesOf({
      ...minimal,
      name: 'Bad Name',
      hyperparameters: { learningRate: -1 },
      resources: { timeLimit: 'eight hours', memory: '64GB' },
    });
    expect(issues.map((i) => i.split(':')[0])).toEqual(
      expect.arrayContaining([
        'name',
        'hyperparameters.learningRate',
        'resources.memory',
        'resources.timeLimit',
      ]),
    );
  });

  it('needs exactly one of dataset.id and dataset.path', () => {
    expect(issuesOf({ ...minimal, dataset: { id: 'a/b', path: '/x' } })[0]).toMatch(
      /exactly one of dataset\.id/,
    );
    expect(issuesOf({ ...minimal, dataset: {} })[0]).toMatch(/exactly one of dataset\.id/);
  });

  it('rejects unknown keys so a typo does not silently fall back to a default', () => {
    expect(
      issuesOf({ ...minimal, hyperparameters: { learningRate: 1e-4, lerningRate: 2 } })[0],
    ).toMatch(/lerningRate/);
  });

  it('checks sweeps: ranges only for random search, an eval split to rank by', () => {
    const issues = issuesOf({
      ...minimal,
      sweep: { strategy: 'grid', parameters: { learningRate: { min: 1e-5, max: 1e-4 } } },
    });
    expect(issues.join('\n')).toMatch(/sweep\.parameters\.learningRate: grid search needs a list/);
    expect(issues.join('\n')).toMatch(/^eval: a sweep ranks trials by eval_loss/m);
  });

  it('says which file is missing and what to do', async () => {
    await expect(loadSpec('/nonexistent/spec.yaml')).rejects.toMatchObject({
      code: 'spec-not-found',
      message: expect.stringMatching(/\/nonexistent\/spec\.yaml: ENOENT\. Check the --spec path/),
    });
  });

  it('points at the YAML syntax error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spec-'));
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'name: x\nbaseModel: [unclosed\n');
    const error = await loadSpec(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LauncherError);
    expect((error as LauncherError).message).toMatch(/broken\.yaml is not valid YAML or JSON/);
  });
});
