import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isLauncherError } from '../../src/errors.js';
import { renderTrlConfig } from '../../src/payload/trl-config.js';
import { CPU_LORA, GEMMA_EXAMPLE, spec } from './specs.js';

describe('renderTrlConfig', () => {
  it('renders the prototype’s best run (Gemma-2 9B IT, QLoRA) as the exact trl sft fields', () => {
    const { config } = renderTrlConfig(spec(GEMMA_EXAMPLE), {
      outputDir: '/scratch/runs/gemma2-9b-cncf-qa',
    });
    expect(config).toEqual({
      model_name_or_path: 'google/gemma-2-9b-it',
      model_revision: 'main',
      trust_remote_code: false,
      dtype: 'bfloat16',
      dataset_name: '/data/cncf-qa',
      dataset_train_split: 'train',
      dataset_test_split: 'validation',
      use_peft: true,
      lora_r: 32,
      lora_alpha: 64,
      lora_dropout: 0.1,
      lora_target_modules: 'all-linear',
      load_in_4bit: true,
      bnb_4bit_quant_type: 'nf4',
      use_bnb_nested_quant: true,
      learning_rate: 1.3446e-5,
      num_train_epochs: 5,
      per_device_train_batch_size: 4,
      gradient_accumulation_steps: 8,
      max_length: 1024,
      warmup_steps: 0.03,
      lr_scheduler_type: 'cosine',
      weight_decay: 0,
      packing: false,
      bf16: true,
      fp16: false,
      gradient_checkpointing: true,
      optim: 'paged_adamw_8bit',
      seed: 42,
      logging_steps: 10,
      save_strategy: 'steps',
      save_steps: 200,
      save_total_limit: 2,
      eval_strategy: 'steps',
      eval_steps: 100,
      per_device_eval_batch_size: 4,
      assistant_only_loss: true,
      report_to: ['tensorboard'],
      run_name: 'gemma2-9b-cncf-qa',
      output_dir: '/scratch/runs/gemma2-9b-cncf-qa',
      env: { TENSORBOARD_LOGGING_DIR: '/scratch/runs/gemma2-9b-cncf-qa/runs' },
    });
  });

  it('writes YAML that reads back (as YAML 1.1, like PyYAML) to the same values, floats included', () => {
    const rendered = renderTrlConfig(
      spec(GEMMA_EXAMPLE, { hyperparameters: { learningRate: 2e-7 } }),
      { outputDir: '/o' },
    );
    expect(rendered.yaml).toMatch(/^learning_rate: 2\.0e-7$/m);
    expect(rendered.yaml).toMatch(/^# trl sft config for run "gemma2-9b-cncf-qa"/);
    expect(parseYaml(rendered.yaml, { version: '1.1' })).toEqual(rendered.config);
  });

  it('uses fp32, use_cpu and plain AdamW on CPU, and the fused AdamW for LoRA on CUDA', () => {
    const cpu = renderTrlConfig(spec(CPU_LORA), { outputDir: '/o' }).config;
    expect(cpu).toMatchObject({
      use_cpu: true,
      bf16: false,
      fp16: false,
      dtype: 'float32',
      optim: 'adamw_torch',
    });
    expect(cpu.lora_target_modules).toEqual(['q_proj', 'v_proj']);
    expect(cpu).not.toHaveProperty('load_in_4bit');
    expect(cpu.report_to).toBe('none');
    expect(cpu).not.toHaveProperty('env');

    const gpu = renderTrlConfig(spec(CPU_LORA, { resources: { gpusPerNode: 2 } }), {
      outputDir: '/o',
    }).config;
    expect(gpu).toMatchObject({ bf16: true, dtype: 'bfloat16', optim: 'adamw_torch_fused' });
    expect(gpu).not.toHaveProperty('use_cpu');
  });

  it('renders a full fine-tune without PEFT keys and fp16 when asked', () => {
    const full = renderTrlConfig(
      spec(GEMMA_EXAMPLE, {
        method: { type: 'full' },
        hyperparameters: { precision: 'fp16', optimizer: 'adafactor', packing: true },
      }),
      { outputDir: '/o' },
    ).config;
    expect(full).not.toHaveProperty('use_peft');
    expect(full).not.toHaveProperty('lora_r');
    expect(full).toMatchObject({
      fp16: true,
      bf16: false,
      dtype: 'float16',
      optim: 'adafactor',
      packing: true,
    });
  });

  it('loads one local file through TRL’s datasets list and a Hub dataset by name and config', () => {
    const file = renderTrlConfig(
      spec(CPU_LORA, { dataset: { path: '/data/train.jsonl' }, eval: undefined }),
      { outputDir: '/o' },
    ).config;
    expect(file.datasets).toEqual([
      { path: 'json', data_files: '/data/train.jsonl', split: 'train' },
    ]);
    expect(file).not.toHaveProperty('dataset_name');
    expect(file.eval_strategy).toBe('no');

    const hub = renderTrlConfig(
      spec(GEMMA_EXAMPLE, {
        dataset: {
          path: undefined,
          id: 'org/cncf-qa',
          config: 'v2',
          trainSplit: 'train',
          format: 'messages',
        },
      }),
      { outputDir: '/o' },
    ).config;
    expect(hub).toMatchObject({
      dataset_name: 'org/cncf-qa',
      dataset_config: 'v2',
      dataset_test_split: 'validation',
    });
  });

  it('asks for completion-only loss on prompt/completion rows, and full loss when the spec says so', () => {
    const pc = renderTrlConfig(spec(CPU_LORA, { dataset: { format: 'prompt-completion' } }), {
      outputDir: '/o',
    }).config;
    expect(pc.completion_only_loss).toBe(true);
    expect(pc).not.toHaveProperty('assistant_only_loss');
    const all = renderTrlConfig(
      spec(CPU_LORA, { chatTemplate: { source: 'base-model', assistantOnlyLoss: false } }),
      { outputDir: '/o' },
    ).config;
    expect(all.assistant_only_loss).toBe(false);
  });

  it('reports to wandb and tensorboard with the project in the env block, never a key', () => {
    const { config, yaml } = renderTrlConfig(
      spec(GEMMA_EXAMPLE, {
        tracking: { tensorboard: true, wandb: { project: 'cncf-llm', entity: 'lab' } },
      }),
      { outputDir: '/o' },
    );
    expect(config.report_to).toEqual(['tensorboard', 'wandb']);
    expect(config.env).toEqual({
      TENSORBOARD_LOGGING_DIR: '/o/runs',
      WANDB_PROJECT: 'cncf-llm',
      WANDB_ENTITY: 'lab',
    });
    expect(yaml).not.toMatch(/API_KEY|TOKEN/);
  });

  it('refuses what cannot run: QLoRA or fp16 on CPU, a single file with an eval split, warmup ratio 1', () => {
    const cases = [
      () => renderTrlConfig(spec(GEMMA_EXAMPLE), { outputDir: '/o', device: 'cpu' }),
      () =>
        renderTrlConfig(spec(CPU_LORA, { hyperparameters: { precision: 'fp16' } }), {
          outputDir: '/o',
        }),
      () =>
        renderTrlConfig(spec(CPU_LORA, { dataset: { path: '/data/all.jsonl' } }), {
          outputDir: '/o',
        }),
      () =>
        renderTrlConfig(spec(CPU_LORA, { hyperparameters: { warmupRatio: 1 } }), {
          outputDir: '/o',
        }),
    ];
    const messages = cases.map((render) => {
      try {
        render();
        return 'rendered';
      } catch (error) {
        expect(isLauncherError(error, 'render-failed')).toBe(true);
        return (error as Error).message;
      }
    });
    expect(messages[0]).toMatch(/QLoRA .* CUDA GPU/);
    expect(messages[1]).toMatch(/fp16.*needs a GPU/);
    expect(messages[2]).toMatch(/one file.*"validation" split.*directory/);
    expect(messages[3]).toMatch(/warmupRatio 1/);
  });
});
