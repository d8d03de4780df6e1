/** Where the payload ConfigMap is mounted in every training container. */
export const PAYLOAD_DIR = '/etc/cncf-llm/payload';

/** Default Hugging Face cache (`HF_HOME`) in the container when the spec names none. */
export const DEFAULT_CACHE_DIR = '/var/cache/cncf-llm/huggingface';

/** Port the rendezvous master listens on (torchrun / accelerate `--main_process_port`). */
export const MASTER_PORT = 29500;

/** Node label that carries the GPU model (NVIDIA GPU feature discovery's name for it). */
export const DEFAULT_GPU_TYPE_LABEL = 'nvidia.com/gpu.product';

/** The extended resource NVIDIA's device plugin advertises. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** Labels and annotations the launcher puts on everything it creates. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  /** The launcher's run name: the spec's `name` (for a sweep, the sweep's name). */
  run: 'cncf-llm.dev/run',
  /** The object's own unit: the run name, or the trial name for a sweep trial. */
  unit: 'cncf-llm.dev/unit',
  sweep: 'cncf-llm.dev/sweep',
  trial: 'cncf-llm.dev/trial',
  /** `payload`, `workload` or `tombstone`. */
  component: 'cncf-llm.dev/component',
  kueueQueue: 'kueue.x-k8s.io/queue-name',
} as const;

export const MANAGED_BY = 'cncf-llm';

export const ANNOTATIONS = {
  specHash: 'cncf-llm.dev/spec-hash',
  /** The workload kind a payload ConfigMap belongs to (`Job`, `PyTorchJob`, `TrainJob`). */
  workloadKind: 'cncf-llm.dev/workload-kind',
  trialValues: 'cncf-llm.dev/trial-values',
  /** On a tombstone: when the run was cancelled, and the uid of the workload it cancelled. */
  cancelledAt: 'cncf-llm.dev/cancelled-at',
  cancelledUid: 'cncf-llm.dev/cancelled-uid',
} as const;

/** Name of the ConfigMap that holds a unit's payload files. */
export function payloadConfigMapName(unit: string): string {
  return `${unit}-payload`;
}

/** Name of the ConfigMap left behind when a unit is cancelled (its workload is deleted). */
export function tombstoneName(unit: string): string {
  return `${unit}-cancelled`;
}
