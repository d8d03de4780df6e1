import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isLauncherError } from '../../src/errors.js';
import { renderAxolotlConfig } from '../../src/payload/axolotl-config.js';
import { CPU_LORA, GEMMA_EXAMPLE, spec } from './specs.js';

describe('renderAxolotlConfig', () => {
  it('renders the Gemma QLoRA example with the tokenizer’s own chat template and assistant-only loss', () => {
    const { config, yaml } = renderAxolotlConfig(spec(GEMMA_EXAMPLE), { outputDir: '/scratch/o' });
    expect(config).toMatchObject({
      base_model: 'google/gemma-2-9b-it',
      revision_of_model: 'main',
      adapter: 'qlora',
      load_in_4bit: true,
      bnb_config_kwargs: { bnb_4bit_quant_type: 'nf4', bnb_4bit_use_double_quant: true },
      lora_r: 32,
      lora_alpha: 64,
      lora_dropout: 0.1,
      lora_target_linear: true,
      chat_template: 'tokenizer_default',
      sequence_len: 1024,
      sample_packing: false,
      micro_batch_size: 4,
      gradient_accumulation_steps: 8,
      num_epochs: 5,
      learning_rate: 1.3446e-5,
      lr_scheduler: 'cosine',
      warmup_ratio: 0.03,
      optimizer: 'paged_adamw_8bit',
      bf16: true,
      fp16: false,
      gradient_checkpointing: true,
      eval_strategy: 'steps',
      eval_steps: 100,
      save_steps: 200,
      seed: 42,
      auto_resume_from_checkpoints: true,
      output_dir: '/scratch/o',
      use_tensorboard: true,
      plugins: ['axolotl_progress.ProgressPlugin'],
    });
    const train = {
      path: '/data/cncf-qa',
      type: 'chat_template',
      field_messages: 'messages',
      roles_to_train: ['assistant'],
      train_on_eos: 'turn',
    };
    expect(config.datasets).toEqual([{ ...train, split: 'train' }]);
    expect(config.test_datasets).toEqual([{ ...train, split: 'validation' }]);
    expect(config).not.toHaveProperty('lora_target_modules');
    expect(parseYaml(yaml, { version: '1.1' })).toEqual(config);
  });

  it('names target modules, a Hub dataset with its revision, one file with its type, and wandb', () => {
    const hub = renderAxolotlConfig(
      spec(GEMMA_EXAMPLE, {
        method: { type: 'lora', targetModules: ['q_proj', 'v_proj'] },
        dataset: {
          path: undefined,
          id: 'org/qa',
          revision: 'abc123',
          config: 'en',
          format: 'messages',
        },
        tracking: { tensorboard: false, wandb: { project: 'cncf-llm' } },
      }),
      { outputDir: '/o' },
    ).config;
    expect(hub).toMatchObject({
      adapter: 'lora',
      lora_target_modules: ['q_proj', 'v_proj'],
      wandb_project: 'cncf-llm',
    });
    expect(hub).not.toHaveProperty('load_in_4bit');
    expect((hub.datasets as object[])[0]).toMatchObject({
      path: 'org/qa',
      name: 'en',
      revision: 'abc123',
    });

    const file = renderAxolotlConfig(
      spec(CPU_LORA, { dataset: { path: '/d/train.jsonl' }, eval: undefined }),
      { outputDir: '/o' },
    ).config;
    expect((file.datasets as object[])[0]).toMatchObject({
      path: '/d/train.jsonl',
      ds_type: 'json',
    });
    expect(file).toMatchObject({
      val_set_size: 0,
      eval_strategy: 'no',
      bf16: false,
      optimizer: 'adamw_torch',
    });
    expect(file).not.toHaveProperty('test_datasets');
  });

  it('refuses prompt/completion rows (axolotl reads chat rows here) with a fix in the message', () => {
    try {
      renderAxolotlConfig(spec(CPU_LORA, { dataset: { format: 'prompt-completion' } }), {
        outputDir: '/o',
      });
      expect.unreachable();
    } catch (error) {
      expect(isLauncherError(error, 'render-failed')).toBe(true);
      expect((error as Error).message).toMatch(
        /convert prompt\/completion rows to messages, or use trainer "trl"/,
      );
    }
  });
});
