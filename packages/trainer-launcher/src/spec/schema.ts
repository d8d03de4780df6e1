import { z } from 'zod';

/** A Slurm-style duration: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM` or `D-HH:MM:SS`. */
const DurationSchema = z
  .string()
  .regex(
    /^(?:\d+-\d{1,2}(?::\d{1,2}){0,2}|\d+(?::\d{1,2}){0,2})$/,
    'use a Slurm duration such as "45", "08:00:00" or "2-00:00:00"',
  );

/** A memory size with a unit, as Slurm and Kubernetes both read it: `64G`, `512M`, `1T`. */
const MemorySchema = z
  .string()
  .regex(/^\d+(?:[KMGT])$/, 'use a whole number with a unit K, M, G or T, such as "64G"');

const RUN_NAME = /^[a-z0-9](?:[a-z0-9-]{0,51}[a-z0-9])?$/;

export const BaseModelSchema = z.strictObject({
  /** Hub model id, such as `google/gemma-2-9b-it`, or a local directory. */
  id: z.string().min(1),
  /** Git revision on the Hub (branch, tag or commit). Pin a commit for reproducible runs. */
  revision: z.string().min(1).default('main'),
  /** Allow custom modelling code from the Hub repo (`trust_remote_code`). */
  trustRemoteCode: z.boolean().default(false),
});

export const DatasetSpecSchema = z
  .strictObject({
    /** Hub dataset id (`org/name`). Give this or `path`. */
    id: z.string().min(1).optional(),
    /** Local dataset: a JSONL file or a directory of JSONL/Parquet files, as seen by the job. */
    path: z.string().min(1).optional(),
    revision: z.string().min(1).optional(),
    /** Hub dataset config (subset) name. */
    config: z.string().min(1).optional(),
    trainSplit: z.string().min(1).default('train'),
    /**
     * Row format. `messages`: `{messages: [{role, content}]}` rendered by the chat template.
     * `prompt-completion`: `{prompt, completion}`, also rendered as a user/assistant turn.
     */
    format: z.enum(['messages', 'prompt-completion']).default('messages'),
  })
  .refine((d) => (d.id === undefined) !== (d.path === undefined), {
    message: 'give exactly one of dataset.id (a Hub dataset) or dataset.path (a local file)',
  });

export const MethodSchema = z.strictObject({
  type: z.enum(['lora', 'qlora', 'full']),
  /** LoRA rank. */
  rank: z.number().int().positive().default(16),
  alpha: z.number().positive().default(32),
  dropout: z.number().min(0).max(1).default(0.05),
  /** Module names to adapt, or `all-linear`. */
  targetModules: z
    .union([z.literal('all-linear'), z.array(z.string().min(1)).min(1)])
    .default('all-linear'),
  /** QLoRA quantisation of the frozen base (bitsandbytes). */
  quantization: z
    .strictObject({
      bits: z.literal(4).default(4),
      type: z.enum(['nf4', 'fp4']).default('nf4'),
      doubleQuant: z.boolean().default(true),
    })
    .optional(),
});

export const HyperparametersSchema = z.strictObject({
  learningRate: z.number().positive(),
  epochs: z.number().positive().default(1),
  /** Stop after this many optimiser steps instead of `epochs` (smoke tests). */
  maxSteps: z.number().int().positive().optional(),
  /** Per-device micro-batch size. */
  batchSize: z.number().int().positive().default(1),
  gradientAccumulation: z.number().int().positive().default(1),
  maxSeqLength: z.number().int().positive().default(1024),
  warmupRatio: z.number().min(0).max(1).default(0.03),
  scheduler: z
    .enum(['linear', 'cosine', 'cosine_with_restarts', 'constant', 'constant_with_warmup'])
    .default('cosine'),
  weightDecay: z.number().min(0).default(0),
  /** Pack several short rows into one sequence (padding-free). */
  packing: z.boolean().default(false),
  /** `auto` picks bf16 on GPUs that have it and fp32 on CPU. */
  precision: z.enum(['auto', 'bf16', 'fp16', 'fp32']).default('auto'),
  gradientCheckpointing: z.boolean().default(true),
  /** Optimiser name as transformers spells it; `auto` picks a fused or paged one by method. */
  optimizer: z.string().min(1).default('auto'),
  seed: z.number().int().nonnegative().default(42),
  /** Log every N steps (also the cadence of the progress JSON lines). */
  loggingSteps: z.number().int().positive().default(10),
  /** Save a checkpoint every N steps; requeued jobs resume from the last one. */
  saveSteps: z.number().int().positive().default(200),
  saveTotalLimit: z.number().int().positive().default(2),
});

export const ChatTemplateSchema = z.strictObject({
  /**
   * `base-model`: use the template stored with the base model's tokenizer, the same one the
   * serving side applies. The 2024 prototype trained on `### Question/### Answer` text and served
   * with Gemma's template; this is the only policy we offer for that reason.
   */
  source: z.literal('base-model').default('base-model'),
  /** Compute the loss on assistant tokens only. */
  assistantOnlyLoss: z.boolean().default(true),
});

export const EvalSchema = z.strictObject({
  /** Split of the dataset held out for evaluation. Never the training split. */
  split: z.string().min(1).default('validation'),
  /** Evaluate every N steps, or once per epoch. */
  strategy: z.enum(['steps', 'epoch', 'no']).default('steps'),
  steps: z.number().int().positive().default(100),
  batchSize: z.number().int().positive().optional(),
});

export const ResourcesSchema = z.strictObject({
  nodes: z.number().int().positive().default(1),
  gpusPerNode: z.number().int().nonnegative().default(1),
  /** GPU model as the cluster names it (Slurm gres type, a node label value on Kubernetes). */
  gpuType: z.string().min(1).optional(),
  cpusPerTask: z.number().int().positive().default(8),
  memory: MemorySchema.default('64G'),
  timeLimit: DurationSchema.default('24:00:00'),
});

export const OutputSchema = z.strictObject({
  /** Where checkpoints, the adapter, the merged model and the progress file go, as the job sees it. */
  dir: z.string().min(1),
  hub: z
    .strictObject({
      adapterRepo: z
        .string()
        .regex(/^[\w.-]+\/[\w.-]+$/, 'use "owner/name"')
        .optional(),
      mergedRepo: z
        .string()
        .regex(/^[\w.-]+\/[\w.-]+$/, 'use "owner/name"')
        .optional(),
      private: z.boolean().default(true),
    })
    .optional(),
  /** Merge the adapter into the base weights after training (LoRA/QLoRA only). */
  merge: z.boolean().default(false),
  /** Convert the merged model to GGUF with llama.cpp's `convert_hf_to_gguf.py` for serving. */
  gguf: z
    .strictObject({
      outtype: z.enum(['f16', 'bf16', 'q8_0', 'f32']).default('q8_0'),
      /** Path to llama.cpp's `convert_hf_to_gguf.py` as the job sees it. */
      converter: z.string().min(1).default('convert_hf_to_gguf.py'),
    })
    .optional(),
});

export const TrackingSchema = z.strictObject({
  tensorboard: z.boolean().default(true),
  wandb: z
    .strictObject({ project: z.string().min(1), entity: z.string().min(1).optional() })
    .optional(),
});

export const EnvironmentSchema = z.strictObject({
  /** Run inside a container: pyxis/enroot or apptainer on Slurm; the pod image on Kubernetes. */
  container: z
    .strictObject({
      image: z.string().min(1),
      /** Slurm only. */
      runtime: z.enum(['pyxis', 'apptainer']).default('pyxis'),
      mounts: z.array(z.string().min(1)).default([]),
    })
    .optional(),
  /** Shell lines run before the payload (`module load cuda/12.4`, `source venv/bin/activate`). */
  setup: z.array(z.string()).default([]),
  /** Non-secret environment variables for the job. Secrets come from the environment, never here. */
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  /** The Python that has trl/axolotl installed, as the job sees it. */
  python: z.string().min(1).default('python3'),
  /** Hugging Face cache directory shared between runs (`HF_HOME`). */
  cacheDir: z.string().min(1).optional(),
});

export const SlurmOptionsSchema = z.strictObject({
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  qos: z.string().min(1).optional(),
  /** Requeue on preemption or node failure; the payload resumes from its last checkpoint. */
  requeue: z.boolean().default(true),
  /** Extra `#SBATCH` options, verbatim (`--constraint=a100`, `--exclusive`). */
  extraArgs: z
    .array(z.string().regex(/^--?[A-Za-z]/, 'an sbatch option such as "--exclusive"'))
    .default([]),
});

export const KubernetesOptionsSchema = z.strictObject({
  namespace: z.string().min(1).default('default'),

  /** Kueue LocalQueue: adds the `kueue.x-k8s.io/queue-name` label. */
  queue: z.string().min(1).optional(),
  /** For several nodes: Kubeflow Trainer v2 `TrainJob` or training-operator `PyTorchJob`. */
  multiNode: z.enum(['pytorchjob', 'trainjob']).default('pytorchjob'),
  /** TrainJob only: the ClusterTrainingRuntime to reference. */
  trainingRuntime: z.string().min(1).default('torch-distributed'),
  nodeSelector: z.record(z.string(), z.string()).default({}),
  tolerations: z
    .array(
      z.strictObject({
        key: z.string().optional(),
        operator: z.enum(['Exists', 'Equal']).optional(),
        value: z.string().optional(),
        effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
      }),
    )
    .default([]),
  /** The Secret that holds the Hub token; mounted as `HF_TOKEN` by reference, never inline. */
  hfTokenSecret: z
    .strictObject({ name: z.string().min(1), key: z.string().min(1).default('token') })
    .optional(),
  /** The Secret that holds the Weights & Biases key (for tracking.wandb); `WANDB_API_KEY` by reference. */
  wandbSecret: z
    .strictObject({ name: z.string().min(1), key: z.string().min(1).default('api-key') })
    .optional(),
  /** PersistentVolumeClaim for the Hugging Face cache and outputs; an emptyDir when absent. */
  cacheVolumeClaim: z.string().min(1).optional(),
  serviceAccountName: z.string().min(1).optional(),
  /** Pod restarts allowed before the Job fails. */
  backoffLimit: z.number().int().nonnegative().default(0),
  /** Delete the finished Job after this many seconds. */
  ttlSecondsAfterFinished: z.number().int().positive().optional(),
});

const SweepValueSchema = z.union([z.number(), z.string(), z.boolean()]);

/** Hyperparameter names a sweep may vary, with the spec path each one sets. */
export const SWEEPABLE = {
  learningRate: 'hyperparameters.learningRate',
  epochs: 'hyperparameters.epochs',
  batchSize: 'hyperparameters.batchSize',
  gradientAccumulation: 'hyperparameters.gradientAccumulation',
  warmupRatio: 'hyperparameters.warmupRatio',
  weightDecay: 'hyperparameters.weightDecay',
  scheduler: 'hyperparameters.scheduler',
  seed: 'hyperparameters.seed',
  maxSeqLength: 'hyperparameters.maxSeqLength',
  rank: 'method.rank',
  alpha: 'method.alpha',
  dropout: 'method.dropout',
} as const;

export const SweepSchema = z.strictObject({
  strategy: z.enum(['grid', 'random']),
  /** Random search: how many trials. Grid search runs every combination. */
  trials: z.number().int().positive().optional(),
  seed: z.number().int().nonnegative().default(0),
  /** Each parameter: a list of values, or (random only) a range, log-uniform when `log`. */
  parameters: z.partialRecord(
    z.enum(Object.keys(SWEEPABLE) as [keyof typeof SWEEPABLE, ...(keyof typeof SWEEPABLE)[]]),
    z.union([
      z.array(SweepValueSchema).min(1),
      z.strictObject({
        min: z.number(),
        max: z.number(),
        log: z.boolean().default(false),
        integer: z.boolean().default(false),
      }),
    ]),
  ),
  /** Trials run at once (Slurm `--array=…%N`). */
  maxParallel: z.number().int().positive().optional(),
  metric: z.literal('eval_loss').default('eval_loss'),
  goal: z.literal('minimize').default('minimize'),
});

export const TrainSpecSchema = z
  .strictObject({
    /** Run name: lower-case letters, digits and dashes; also the Slurm job name and Kubernetes object name. */
    name: z
      .string()
      .regex(
        RUN_NAME,
        'use 1–53 lower-case letters, digits or dashes, starting and ending with a letter or digit',
      ),
    description: z.string().optional(),
    trainer: z.enum(['trl', 'axolotl']).default('trl'),
    baseModel: BaseModelSchema,
    dataset: DatasetSpecSchema,
    method: MethodSchema,
    hyperparameters: HyperparametersSchema,
    chatTemplate: ChatTemplateSchema.default({ source: 'base-model', assistantOnlyLoss: true }),
    eval: EvalSchema.optional(),
    resources: ResourcesSchema.default({
      nodes: 1,
      gpusPerNode: 1,
      cpusPerTask: 8,
      memory: '64G',
      timeLimit: '24:00:00',
    }),
    output: OutputSchema,
    tracking: TrackingSchema.default({ tensorboard: true }),
    environment: EnvironmentSchema.default({ setup: [], variables: {}, python: 'python3' }),
    slurm: SlurmOptionsSchema.optional(),
    kubernetes: KubernetesOptionsSchema.optional(),
    sweep: SweepSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const { method, resources, output, environment } = spec;
    if (method.type === 'full' && method.quantization) {
      ctx.addIssue({
        code: 'custom',
        path: ['method', 'quantization'],
        message:
          'quantisation is for QLoRA only: a full fine-tune trains every weight in 16/32-bit. Use method.type "qlora", or remove method.quantization',
      });
    }
    if (method.type === 'qlora' && resources.gpusPerNode === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['resources', 'gpusPerNode'],
        message:
          'QLoRA needs a CUDA GPU (bitsandbytes 4-bit): set resources.gpusPerNode ≥ 1, or use method.type "lora" to train on CPU',
      });
    }
    if (resources.nodes > 1 && resources.gpusPerNode === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['resources', 'nodes'],
        message:
          'training on several nodes needs GPUs on each: set resources.gpusPerNode ≥ 1, or use one node',
      });
    }
    if ((output.merge || output.gguf || output.hub?.mergedRepo) && method.type === 'full') {
      if (output.merge) {
        ctx.addIssue({
          code: 'custom',
          path: ['output', 'merge'],
          message: 'a full fine-tune has no adapter to merge: remove output.merge',
        });
      }
    }
    if ((output.gguf || output.hub?.mergedRepo) && method.type !== 'full' && !output.merge) {
      ctx.addIssue({
        code: 'custom',
        path: ['output', 'merge'],
        message:
          'GGUF export and output.hub.mergedRepo need the merged model: set output.merge to true',
      });
    }
    if (spec.eval && spec.eval.split === spec.dataset.trainSplit) {
      ctx.addIssue({
        code: 'custom',
        path: ['eval', 'split'],
        message: `the eval split "${spec.eval.split}" is the training split: evaluating on training rows measures memorisation. Name a held-out split`,
      });
    }
    if (spec.sweep) {
      const { sweep } = spec;
      if (Object.keys(sweep.parameters).length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['sweep', 'parameters'],
          message: 'a sweep needs at least one parameter',
        });
      }
      if (sweep.strategy === 'random' && sweep.trials === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['sweep', 'trials'],
          message: 'random search needs sweep.trials',
        });
      }
      for (const [key, value] of Object.entries(sweep.parameters)) {
        if (value && !Array.isArray(value)) {
          if (sweep.strategy === 'grid') {
            ctx.addIssue({
              code: 'custom',
              path: ['sweep', 'parameters', key],
              message: 'grid search needs a list of values; ranges are for random search',
            });
          } else if (value.min > value.max || (value.log && value.min <= 0)) {
            ctx.addIssue({
              code: 'custom',
              path: ['sweep', 'parameters', key],
              message: 'a range needs min ≤ max (and min > 0 when log is true)',
            });
          }
        }
      }
      if (!spec.eval) {
        ctx.addIssue({
          code: 'custom',
          path: ['eval'],
          message: 'a sweep ranks trials by eval_loss: add an eval section with a held-out split',
        });
      }
    }
    for (const key of Object.keys(environment.variables)) {
      if (/TOKEN|SECRET|PASSWORD|API_KEY/i.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['environment', 'variables', key],
          message: `${key} looks like a secret: secrets come from the submitting environment (HF_TOKEN, WANDB_API_KEY) or a Kubernetes Secret, never from the spec. Remove it`,
        });
      }
    }
  });

/** A fine-tune spec as written by a user (defaults optional). */
export type TrainSpecInput = z.input<typeof TrainSpecSchema>;
/** A validated fine-tune spec with every default filled in. */
export type TrainSpec = z.output<typeof TrainSpecSchema>;
export type SweepSpec = z.output<typeof SweepSchema>;
export type ResourcesSpec = z.output<typeof ResourcesSchema>;
