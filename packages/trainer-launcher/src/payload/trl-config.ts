import { LauncherError } from '../errors.js';
import type { TrainSpec } from '../spec/schema.js';
import { checkOptionNames, optionNameList } from './option-names.js';
import { toPyYaml } from './py-yaml.js';
import {
  datasetSource,
  deviceOf,
  evaluates,
  modelDtype,
  type PayloadDevice,
  resolveOptimizer,
  resolvePrecision,
} from './training-choices.js';

/** Options of {@link renderTrlConfig} and {@link renderAxolotlConfig}. */
export interface TrainerConfigOptions {
  /** The run's output directory as the job sees it (checkpoints, adapter, logs). */
  outputDir: string;
  /** @default `cuda` when the spec asks for GPUs, else `cpu` */
  device?: PayloadDevice;
}

/** A rendered trainer config: the object and the YAML text the trainer reads. */
export interface RenderedTrainerConfig {
  config: Record<string, unknown>;
  yaml: string;
}

/**
 * Renders the spec as a `trl sft --config` YAML for trl 1.13 (transformers 5): every key is a
 * field of the dataclasses `trl sft` parses, checked against the committed list.
 *
 * Choices made here: bf16, gradient checkpointing and the fused (or, for QLoRA, paged 8-bit)
 * AdamW on CUDA; fp32, `use_cpu` and plain AdamW on CPU. The chat template is the base model's
 * own (no `chat_template_path`); loss on assistant turns only (`assistant_only_loss`, chat rows)
 * or on completions only (`completion_only_loss`, prompt/completion rows, which the payload turns
 * into a user and an assistant turn so they are rendered by that same template). transformers 5
 * has no `warmup_ratio` or `logging_dir`: a ratio below 1 goes in `warmup_steps`, and TensorBoard
 * logs go to `<outputDir>/runs` through `TENSORBOARD_LOGGING_DIR` in the config's `env` block.
 */
export function renderTrlConfig(
  spec: TrainSpec,
  options: TrainerConfigOptions,
): RenderedTrainerConfig {
  const device = options.device ?? deviceOf(spec);
  const precision = resolvePrecision(spec, device);
  const h = spec.hyperparameters;
  const { method } = spec;
  const outputDir = options.outputDir;

  if (method.type === 'qlora' && device === 'cpu') {
    throw new LauncherError(
      'render-failed',
      `${spec.name}: QLoRA loads the base model in 4-bit with bitsandbytes, which needs a CUDA GPU; render for device "cuda" or use method.type "lora"`,
    );
  }
  if (h.warmupRatio >= 1) {
    throw new LauncherError(
      'render-failed',
      `${spec.name}: hyperparameters.warmupRatio ${h.warmupRatio} would warm up for the whole run (transformers 5 reads warmup_steps ≥ 1 as a step count); use a ratio below 1`,
    );
  }

  const config: Record<string, unknown> = {
    model_name_or_path: spec.baseModel.id,
    model_revision: spec.baseModel.revision,
    trust_remote_code: spec.baseModel.trustRemoteCode,
    dtype: modelDtype(precision),
  };

  const source = datasetSource(spec);
  const evalOn = evaluates(spec);
  if (source.kind === 'file') {
    config.datasets = [{ path: source.builder, data_files: source.path, split: 'train' }];
  } else {
    config.dataset_name = source.kind === 'hub' ? source.id : source.path;
    if (source.kind === 'hub' && source.config) config.dataset_config = source.config;
    config.dataset_train_split = spec.dataset.trainSplit;
    if (evalOn && spec.eval) config.dataset_test_split = spec.eval.split;
  }

  if (method.type !== 'full') {
    Object.assign(config, {
      use_peft: true,
      lora_r: method.rank,
      lora_alpha: method.alpha,
      lora_dropout: method.dropout,
      lora_target_modules: method.targetModules,
    });
  }
  if (method.type === 'qlora') {
    const q = method.quantization ?? { bits: 4, type: 'nf4', doubleQuant: true };
    Object.assign(config, {
      load_in_4bit: true,
      bnb_4bit_quant_type: q.type,
      use_bnb_nested_quant: q.doubleQuant,
    });
  }

  Object.assign(config, {
    learning_rate: h.learningRate,
    num_train_epochs: h.epochs,
    ...(h.maxSteps !== undefined ? { max_steps: h.maxSteps } : {}),
    per_device_train_batch_size: h.batchSize,
    gradient_accumulation_steps: h.gradientAccumulation,
    max_length: h.maxSeqLength,
    warmup_steps: h.warmupRatio,
    lr_scheduler_type: h.scheduler,
    weight_decay: h.weightDecay,
    packing: h.packing,
    bf16: precision === 'bf16',
    fp16: precision === 'fp16',
    ...(device === 'cpu' ? { use_cpu: true } : {}),
    gradient_checkpointing: h.gradientCheckpointing,
    optim: resolveOptimizer(spec, device),
    seed: h.seed,
    logging_steps: h.loggingSteps,
    save_strategy: 'steps',
    save_steps: h.saveSteps,
    save_total_limit: h.saveTotalLimit,
  });

  if (evalOn && spec.eval) {
    config.eval_strategy = spec.eval.strategy;
    if (spec.eval.strategy === 'steps') config.eval_steps = spec.eval.steps;
    config.per_device_eval_batch_size = spec.eval.batchSize ?? h.batchSize;
  } else {
    config.eval_strategy = 'no';
  }

  if (spec.dataset.format === 'messages') {
    config.assistant_only_loss = spec.chatTemplate.assistantOnlyLoss;
  } else {
    config.completion_only_loss = spec.chatTemplate.assistantOnlyLoss;
  }

  const reportTo: string[] = [];
  const env: Record<string, string> = {};
  if (spec.tracking.tensorboard) {
    reportTo.push('tensorboard');
    env.TENSORBOARD_LOGGING_DIR = `${outputDir}/runs`;
  }
  if (spec.tracking.wandb) {
    reportTo.push('wandb');
    env.WANDB_PROJECT = spec.tracking.wandb.project;
    if (spec.tracking.wandb.entity) env.WANDB_ENTITY = spec.tracking.wandb.entity;
  }
  config.report_to = reportTo.length > 0 ? reportTo : 'none';
  config.run_name = spec.name;
  config.output_dir = outputDir;
  if (Object.keys(env).length > 0) config.env = env;

  const unknown = checkOptionNames(config, 'trl');
  if (unknown.length > 0) {
    throw new LauncherError(
      'render-failed',
      `${spec.name}: the TRL config has keys trl ${optionNameList('trl').version} does not know: ${unknown.join(', ')}. This is a bug in the renderer; please report it`,
    );
  }
  const yaml = toPyYaml(config, [
    `trl sft config for run "${spec.name}", rendered by @cncf-llm/trainer-launcher.`,
    `Target: trl ${optionNameList('trl').version} (every key is checked against src/payload/options/trl.json).`,
    'Run it with train_with_progress.py (progress lines, resume), or plain `trl sft --config <this file>`.',
  ]);
  return { config, yaml };
}
