import { LauncherError } from '../errors.js';
import type { TrainSpec } from '../spec/schema.js';
import { checkOptionNames } from './option-names.js';
import { toPyYaml } from './py-yaml.js';
import {
  datasetSource,
  deviceOf,
  evaluates,
  resolveOptimizer,
  resolvePrecision,
} from './training-choices.js';
import type { RenderedTrainerConfig, TrainerConfigOptions } from './trl-config.js';

/** The axolotl plugin (payload/axolotl_progress.py) that writes the progress lines. */
export const AXOLOTL_PROGRESS_PLUGIN = 'axolotl_progress.ProgressPlugin';

/**
 * Renders the spec as an axolotl config (`axolotl train axolotl.yaml`). Chat rows use
 * `type: chat_template` with the tokenizer's own template (`chat_template: tokenizer_default`)
 * and loss on assistant turns (`roles_to_train: [assistant]`, `train_on_eos: turn`); a held-out
 * split becomes `test_datasets`. Resume after preemption is axolotl's own
 * `auto_resume_from_checkpoints`; progress lines come from the `axolotl_progress` plugin.
 * Every key is checked against axolotl's config reference (src/payload/options/axolotl.json).
 */
export function renderAxolotlConfig(
  spec: TrainSpec,
  options: TrainerConfigOptions,
): RenderedTrainerConfig {
  const device = options.device ?? deviceOf(spec);
  const precision = resolvePrecision(spec, device);
  const h = spec.hyperparameters;
  const { method } = spec;
  const outputDir = options.outputDir;

  if (spec.dataset.format !== 'messages') {
    throw new LauncherError(
      'render-failed',
      `${spec.name}: the axolotl payload reads chat rows ({messages: [...]}) so they go through the model's chat template; convert prompt/completion rows to messages, or use trainer "trl", which converts them itself`,
    );
  }
  if (method.type === 'qlora' && device === 'cpu') {
    throw new LauncherError(
      'render-failed',
      `${spec.name}: QLoRA needs a CUDA GPU (bitsandbytes 4-bit); use method.type "lora" on CPU`,
    );
  }

  const source = datasetSource(spec);
  const datasetEntry = (split: string): Record<string, unknown> => {
    const entry: Record<string, unknown> = {};
    if (source.kind === 'hub') {
      entry.path = source.id;
      if (source.config) entry.name = source.config;
      if (source.revision) entry.revision = source.revision;
    } else if (source.kind === 'file') {
      entry.path = source.path;
      entry.ds_type = source.builder;
    } else {
      entry.path = source.path;
    }
    Object.assign(entry, {
      split,
      type: 'chat_template',
      field_messages: 'messages',
      roles_to_train: spec.chatTemplate.assistantOnlyLoss ? ['assistant'] : ['user', 'assistant'],
      train_on_eos: 'turn',
    });
    return entry;
  };

  const config: Record<string, unknown> = {
    base_model: spec.baseModel.id,
    revision_of_model: spec.baseModel.revision,
    trust_remote_code: spec.baseModel.trustRemoteCode,
  };
  if (method.type !== 'full') {
    config.adapter = method.type;
    Object.assign(config, {
      lora_r: method.rank,
      lora_alpha: method.alpha,
      lora_dropout: method.dropout,
    });
    if (method.targetModules === 'all-linear') config.lora_target_linear = true;
    else config.lora_target_modules = method.targetModules;
  }
  if (method.type === 'qlora') {
    const q = method.quantization ?? { bits: 4, type: 'nf4', doubleQuant: true };
    config.load_in_4bit = true;
    config.bnb_config_kwargs = {
      bnb_4bit_quant_type: q.type,
      bnb_4bit_use_double_quant: q.doubleQuant,
    };
  }

  config.chat_template = 'tokenizer_default';
  config.datasets = [datasetEntry(spec.dataset.trainSplit)];
  config.dataset_prepared_path = `${outputDir}/.prepared`;
  if (evaluates(spec) && spec.eval) {
    config.test_datasets = [datasetEntry(spec.eval.split)];
    config.eval_strategy = spec.eval.strategy;
    if (spec.eval.strategy === 'steps') config.eval_steps = spec.eval.steps;
    config.eval_batch_size = spec.eval.batchSize ?? h.batchSize;
  } else {
    config.val_set_size = 0;
    config.eval_strategy = 'no';
  }

  Object.assign(config, {
    sequence_len: h.maxSeqLength,
    sample_packing: h.packing,
    ...(h.packing ? { pad_to_sequence_len: true, eval_sample_packing: false } : {}),
    micro_batch_size: h.batchSize,
    gradient_accumulation_steps: h.gradientAccumulation,
    num_epochs: h.epochs,
    ...(h.maxSteps !== undefined ? { max_steps: h.maxSteps } : {}),
    learning_rate: h.learningRate,
    lr_scheduler: h.scheduler,
    warmup_ratio: h.warmupRatio,
    weight_decay: h.weightDecay,
    optimizer: resolveOptimizer(spec, device),
    bf16: precision === 'bf16',
    fp16: precision === 'fp16',
    tf32: device === 'cuda',
    gradient_checkpointing: h.gradientCheckpointing,
    ...(device === 'cuda' ? { flash_attention: false, sdp_attention: true } : {}),
    train_on_inputs: false,
    seed: h.seed,
    logging_steps: h.loggingSteps,
    save_strategy: 'steps',
    save_steps: h.saveSteps,
    save_total_limit: h.saveTotalLimit,
    auto_resume_from_checkpoints: true,
    output_dir: outputDir,
    use_tensorboard: spec.tracking.tensorboard,
  });
  if (spec.tracking.wandb) {
    config.wandb_project = spec.tracking.wandb.project;
    if (spec.tracking.wandb.entity) config.wandb_entity = spec.tracking.wandb.entity;
    config.wandb_name = spec.name;
  }
  config.plugins = [AXOLOTL_PROGRESS_PLUGIN];

  const unknown = checkOptionNames(config, 'axolotl');
  if (unknown.length > 0) {
    throw new LauncherError(
      'render-failed',
      `${spec.name}: the axolotl config has keys axolotl's config reference does not list: ${unknown.join(', ')}. This is a bug in the renderer; please report it`,
    );
  }
  const yaml = toPyYaml(config, [
    `axolotl config for run "${spec.name}", rendered by @cncf-llm/trainer-launcher.`,
    'Keys checked against axolotl’s config reference (src/payload/options/axolotl.json).',
    'Run: axolotl train <this file>  (run.sh puts the payload dir on PYTHONPATH for the progress plugin).',
  ]);
  return { config, yaml };
}
