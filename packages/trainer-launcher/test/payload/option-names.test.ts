import { describe, expect, it } from 'vitest';
import { renderAxolotlConfig } from '../../src/payload/axolotl-config.js';
import { checkOptionNames, optionNameList } from '../../src/payload/option-names.js';
import { renderTrlConfig } from '../../src/payload/trl-config.js';
import type { TrainSpec } from '../../src/spec/schema.js';
import { GEMMA_EXAMPLE, type SpecPatch, spec } from './specs.js';

/** Every combination of method, device, dataset source, eval, tracking and packing. */
function variants(): { label: string; spec: TrainSpec; device: 'cpu' | 'cuda' }[] {
  const out: { label: string; spec: TrainSpec; device: 'cpu' | 'cuda' }[] = [];
  const methods: SpecPatch['method'][] = [
    { type: 'lora', targetModules: ['q_proj', 'v_proj'] },
    { type: 'lora', targetModules: 'all-linear' },
    { type: 'qlora', quantization: { bits: 4, type: 'fp4', doubleQuant: false } },
    { type: 'full' },
  ];
  const datasets: SpecPatch['dataset'][] = [
    { path: '/data/dir', format: 'messages' },
    { path: undefined, id: 'org/qa', config: 'en', revision: 'v1', format: 'messages' },
    { path: '/data/dir', format: 'prompt-completion' },
  ];
  const evals = [
    { split: 'validation', strategy: 'steps' as const, steps: 50 },
    { split: 'test', strategy: 'epoch' as const },
    undefined,
  ];
  const trackings = [
    { tensorboard: true },
    { tensorboard: false, wandb: { project: 'p', entity: 'e' } },
    { tensorboard: false },
  ];
  for (const method of methods) {
    for (const gpus of [0, 1, 8]) {
      if (method?.type === 'qlora' && gpus === 0) continue;
      for (const dataset of datasets) {
        for (const evalSpec of evals) {
          for (const tracking of trackings) {
            for (const packing of [false, true]) {
              const s = spec(GEMMA_EXAMPLE, {
                method,
                dataset,
                eval: evalSpec,
                tracking,
                hyperparameters: { packing, maxSteps: packing ? 100 : undefined },
                resources: { gpusPerNode: gpus, nodes: gpus === 8 ? 2 : 1 },
                output: method?.type === 'full' ? { merge: false } : { merge: true },
              });
              out.push({
                label: `${method?.type}/${gpus}gpu/${dataset?.id ?? dataset?.format}/${evalSpec?.strategy ?? 'no-eval'}/${tracking.wandb ? 'wandb' : tracking.tensorboard}/${packing}`,
                spec: s,
                device: gpus > 0 ? 'cuda' : 'cpu',
              });
            }
          }
        }
      }
    }
  }
  return out;
}

describe('checkOptionNames', () => {
  const all = variants();

  it('finds no unknown key in any rendered TRL config', () => {
    expect(all.length).toBeGreaterThan(300);
    for (const { label, spec: s, device } of all) {
      const { config } = renderTrlConfig(s, { outputDir: '/o', device });
      expect(checkOptionNames(config, 'trl'), label).toEqual([]);
    }
  });

  it('finds no unknown key in any rendered axolotl config', () => {
    const chat = all.filter((v) => v.spec.dataset.format === 'messages');
    expect(chat.length).toBeGreaterThan(200);
    for (const { label, spec: s, device } of chat) {
      const { config } = renderAxolotlConfig(s, { outputDir: '/o', device });
      expect(checkOptionNames(config, 'axolotl'), label).toEqual([]);
    }
  });

  it('catches a misspelt key, a key of the other trainer and a misspelt key inside datasets', () => {
    const trl = renderTrlConfig(
      spec(GEMMA_EXAMPLE, { dataset: { path: '/d/train.jsonl' }, eval: undefined }),
      {
        outputDir: '/o',
      },
    ).config;
    expect(checkOptionNames({ ...trl, lerning_rate: 1e-4 }, 'trl')).toEqual(['lerning_rate']);
    expect(checkOptionNames({ ...trl, micro_batch_size: 2 }, 'trl')).toEqual(['micro_batch_size']);
    expect(checkOptionNames({ ...trl, warmup_ratio: 0.1, logging_dir: '/x' }, 'trl')).toEqual([
      'warmup_ratio',
      'logging_dir',
    ]);
    expect(
      checkOptionNames({ ...trl, datasets: [{ path: 'json', data_file: 'x' }] }, 'trl'),
    ).toEqual(['datasets[0].data_file']);

    const axolotl = renderAxolotlConfig(spec(GEMMA_EXAMPLE), { outputDir: '/o' }).config;
    expect(checkOptionNames({ ...axolotl, per_device_train_batch_size: 4 }, 'axolotl')).toEqual([
      'per_device_train_batch_size',
    ]);
    expect(
      checkOptionNames(
        { ...axolotl, test_datasets: [{ path: 'x', roles_to_trian: [] }] },
        'axolotl',
      ),
    ).toEqual(['test_datasets[0].roles_to_trian']);
  });

  it('keeps each list with its source: package, version and how it was made', () => {
    const trl = optionNameList('trl');
    expect(trl).toMatchObject({
      package: 'trl',
      version: '1.13.0',
      generatedBy: 'tools/trl-option-names.py',
    });
    expect(trl.options).toContain('assistant_only_loss');
    expect(trl.options).toContain('env');
    expect(trl.nested.datasets).toEqual([
      'columns',
      'data_dir',
      'data_files',
      'fraction',
      'name',
      'path',
      'split',
    ]);
    const axolotl = optionNameList('axolotl');
    expect(axolotl.source).toMatch(/config-reference/);
    expect(axolotl.options).toContain('sample_packing');
    expect(axolotl.nested.datasets).toContain('roles_to_train');
  });
});
