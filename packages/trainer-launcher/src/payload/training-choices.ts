import { LauncherError } from '../errors.js';
import type { TrainSpec } from '../spec/schema.js';

/** Where the trainer runs: a CUDA GPU, or the CPU (`use_cpu`, fp32). */
export type PayloadDevice = 'cpu' | 'cuda';

/** `cuda` when the spec asks for GPUs, else `cpu`. */
export function deviceOf(spec: TrainSpec): PayloadDevice {
  return spec.resources.gpusPerNode > 0 ? 'cuda' : 'cpu';
}

/** The numeric precision training runs in, after `auto` is resolved for the device. */
export type ResolvedPrecision = 'bf16' | 'fp16' | 'fp32';

/**
 * `auto` → bf16 on CUDA (Ampere or newer: A100, H100, L4, RTX 30xx+), fp32 on CPU. fp16 needs a
 * GPU (PyTorch has no fp16 mixed precision on CPU).
 */
export function resolvePrecision(spec: TrainSpec, device: PayloadDevice): ResolvedPrecision {
  const { precision } = spec.hyperparameters;
  if (precision === 'auto') return device === 'cuda' ? 'bf16' : 'fp32';
  if (precision === 'fp16' && device === 'cpu') {
    throw new LauncherError(
      'render-failed',
      `${spec.name}: hyperparameters.precision "fp16" needs a GPU; on CPU use "fp32" (or "auto")`,
    );
  }
  return precision;
}

/** torch dtype name the base model is loaded in. */
export function modelDtype(precision: ResolvedPrecision): 'bfloat16' | 'float16' | 'float32' {
  return precision === 'bf16' ? 'bfloat16' : precision === 'fp16' ? 'float16' : 'float32';
}

/**
 * transformers optimiser name. `auto`: plain `adamw_torch` on CPU; on CUDA the fused AdamW for
 * LoRA and full fine-tunes, and bitsandbytes' paged 8-bit AdamW for QLoRA (its optimiser state
 * pages to host memory under pressure, the QLoRA paper's setup).
 */
export function resolveOptimizer(spec: TrainSpec, device: PayloadDevice): string {
  const { optimizer } = spec.hyperparameters;
  if (optimizer !== 'auto') return optimizer;
  if (device === 'cpu') return 'adamw_torch';
  return spec.method.type === 'qlora' ? 'paged_adamw_8bit' : 'adamw_torch_fused';
}

/** Where the rows come from, as the job sees them. */
export type DatasetSource =
  | { kind: 'hub'; id: string; config?: string; revision?: string }
  | { kind: 'file'; path: string; builder: 'json' | 'parquet' | 'csv' }
  | { kind: 'directory'; path: string };

const BUILDERS: Record<string, 'json' | 'parquet' | 'csv'> = {
  '.jsonl': 'json',
  '.json': 'json',
  '.parquet': 'parquet',
  '.csv': 'csv',
};

/**
 * Classifies `dataset`: a Hub id, one local file (by extension), or a local directory whose file
 * names carry the split (`train.jsonl`, `validation.jsonl` — how 🤗 datasets names splits).
 */
export function datasetSource(spec: TrainSpec): DatasetSource {
  const { dataset } = spec;
  if (dataset.id !== undefined) {
    return {
      kind: 'hub',
      id: dataset.id,
      ...(dataset.config ? { config: dataset.config } : {}),
      ...(dataset.revision ? { revision: dataset.revision } : {}),
    };
  }
  const path = dataset.path ?? '';
  const extension = /\.[A-Za-z]+$/.exec(path)?.[0]?.toLowerCase() ?? '';
  const builder = BUILDERS[extension];
  if (builder) {
    if (spec.eval && spec.eval.strategy !== 'no') {
      throw new LauncherError(
        'render-failed',
        `${spec.name}: dataset.path ${path} is one file, so it has no "${spec.eval.split}" split to evaluate on. Put ${spec.dataset.trainSplit}${extension} and ${spec.eval.split}${extension} in a directory and give that directory as dataset.path, or set eval.strategy to "no"`,
      );
    }
    return { kind: 'file', path, builder };
  }
  return { kind: 'directory', path };
}

/** True when the spec asks for an evaluation loop. */
export function evaluates(spec: TrainSpec): boolean {
  return spec.eval !== undefined && spec.eval.strategy !== 'no';
}
