import { parseSpec } from '../../src/spec/load.js';
import type { TrainSpec, TrainSpecInput } from '../../src/spec/schema.js';

/**
 * The prototype's best run, as the issue describes it: Gemma-2 9B IT, QLoRA r=32 alpha=64
 * dropout 0.1, lr 1.3446e-5, 5 epochs, batch 4 × 8, max length 1024, on one GPU.
 */
export const GEMMA_EXAMPLE: TrainSpecInput = {
  name: 'gemma2-9b-cncf-qa',
  baseModel: { id: 'google/gemma-2-9b-it' },
  dataset: { path: '/data/cncf-qa', format: 'messages' },
  method: { type: 'qlora', rank: 32, alpha: 64, dropout: 0.1 },
  hyperparameters: {
    learningRate: 1.3446e-5,
    epochs: 5,
    batchSize: 4,
    gradientAccumulation: 8,
    maxSeqLength: 1024,
  },
  eval: { split: 'validation', strategy: 'steps', steps: 100 },
  resources: {
    nodes: 1,
    gpusPerNode: 1,
    gpuType: 'h100',
    cpusPerTask: 8,
    memory: '64G',
    timeLimit: '24:00:00',
  },
  output: { dir: '/scratch/runs/gemma2-9b-cncf-qa' },
};

/** A small LoRA run on CPU. */
export const CPU_LORA: TrainSpecInput = {
  name: 'tiny-lora',
  baseModel: { id: '/models/tiny' },
  dataset: { path: '/data/chat', format: 'messages' },
  method: { type: 'lora', rank: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
  hyperparameters: { learningRate: 2e-4, maxSteps: 12, saveSteps: 5, loggingSteps: 1 },
  eval: { split: 'validation', strategy: 'steps', steps: 5 },
  resources: { nodes: 1, gpusPerNode: 0, cpusPerTask: 2, memory: '4G', timeLimit: '00:10:00' },
  output: { dir: '/tmp/out' },
  tracking: { tensorboard: false },
};

export type SpecPatch = {
  [K in keyof TrainSpecInput]?: TrainSpecInput[K] extends object
    ? Partial<TrainSpecInput[K]>
    : TrainSpecInput[K];
};

/** A validated spec: `base` with top-level sections shallow-merged from `patch`. */
export function spec(base: TrainSpecInput, patch: SpecPatch = {}): TrainSpec {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = (base as Record<string, unknown>)[key];
    merged[key] =
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object'
        ? { ...(current as object), ...(value as object) }
        : value;
  }
  return parseSpec(merged);
}
