import { LauncherError } from '../errors.js';
import { KubernetesOptionsSchema, type TrainSpec } from '../spec/schema.js';
import type { Trial } from '../sweep/expand.js';
import {
  ANNOTATIONS,
  DEFAULT_CACHE_DIR,
  GPU_RESOURCE,
  LABELS,
  MANAGED_BY,
  MASTER_PORT,
  PAYLOAD_DIR,
} from './labels.js';
import { specMemoryToQuantity } from './quantity.js';

/** The spec's `kubernetes` block with its defaults filled in. */
export type KubernetesOptions = NonNullable<TrainSpec['kubernetes']>;

/** Resolves `spec.kubernetes`, which may be absent, to its defaults. */
export function kubernetesOptionsOf(spec: TrainSpec): KubernetesOptions {
  return spec.kubernetes ?? KubernetesOptionsSchema.parse({});
}

/** A plain Kubernetes object as rendered (YAML-ready, no client classes). */
export interface KubernetesManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** A container environment variable: a value, or a reference to a Secret's key. */
export type EnvVar =
  | { name: string; value: string }
  | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

/** One rendered unit: a run, or one trial of a sweep. */
export interface UnitContext {
  /** Object name: the run name, or the trial name. */
  unit: string;
  /** The launcher's run name (the sweep's name for a trial). */
  run: string;
  trial: Trial | undefined;
  /** The unit's own spec (a trial's spec has its values applied). */
  spec: TrainSpec;
  k8s: KubernetesOptions;
  namespace: string;
  specHash: string;
  gpuTypeLabel: string;
  multiNode: boolean;
}

/** The script bash sources (via `BASH_ENV`) before `run.sh` on several nodes. */
export const RENDEZVOUS_FILE = 'k8s-rendezvous.sh';

/**
 * Maps the rendezvous variables the Kubeflow operators inject to the launcher's own. They are
 * added to the container after ours, so `$(VAR)` references in our env list cannot see them: the
 * mapping has to happen in the container, when bash starts.
 */
export const RENDEZVOUS_SCRIPT = `# Sourced by bash before run.sh (BASH_ENV). Kubeflow Trainer v2 and training-operator >= 1.7 set
# PET_NODE_RANK, PET_MASTER_ADDR, PET_MASTER_PORT, PET_NNODES; older operators set RANK,
# MASTER_ADDR and MASTER_PORT; an Indexed Job sets JOB_COMPLETION_INDEX.
export CNCF_LLM_NODE_RANK="\${PET_NODE_RANK:-\${RANK:-\${JOB_COMPLETION_INDEX:-0}}}"
export CNCF_LLM_MASTER_ADDR="\${PET_MASTER_ADDR:-\${MASTER_ADDR:-127.0.0.1}}"
export CNCF_LLM_MASTER_PORT="\${PET_MASTER_PORT:-\${MASTER_PORT:-${MASTER_PORT}}}"
case "\${PET_NNODES:-}" in '' | *:*) ;; *) export CNCF_LLM_NNODES="$PET_NNODES" ;; esac
unset BASH_ENV
`;

/** Labels every object of a unit carries (pods included). */
export function unitLabels(ctx: UnitContext): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.run]: ctx.run,
    [LABELS.unit]: ctx.unit,
  };
  if (ctx.trial) {
    labels[LABELS.sweep] = ctx.run;
    labels[LABELS.trial] = String(ctx.trial.index);
  }
  return labels;
}

/** Annotations of a unit's top-level objects. */
export function unitAnnotations(ctx: UnitContext, kind: string): Record<string, string> {
  const annotations: Record<string, string> = {
    [ANNOTATIONS.specHash]: ctx.specHash,
    [ANNOTATIONS.workloadKind]: kind,
  };
  if (ctx.trial) annotations[ANNOTATIONS.trialValues] = JSON.stringify(ctx.trial.values);
  return annotations;
}

/** The HF cache directory in the container. */
export function cacheDirOf(spec: TrainSpec): string {
  return spec.environment.cacheDir ?? DEFAULT_CACHE_DIR;
}

const LAUNCHER_ENV = /^(CNCF_LLM_|BASH_ENV$|HF_HOME$)/;

/** The container's environment: the launcher's variables, the spec's own, and secret references. */
export function containerEnv(ctx: UnitContext): EnvVar[] {
  const { spec } = ctx;
  const r = spec.resources;
  const env: EnvVar[] = [
    { name: 'CNCF_LLM_RUN', value: ctx.unit },
    { name: 'CNCF_LLM_NNODES', value: String(r.nodes) },
    { name: 'CNCF_LLM_GPUS_PER_NODE', value: String(r.gpusPerNode) },
  ];
  if (ctx.multiNode) {
    env.push({ name: 'BASH_ENV', value: `${PAYLOAD_DIR}/${RENDEZVOUS_FILE}` });
  } else {
    env.push(
      { name: 'CNCF_LLM_NODE_RANK', value: '0' },
      { name: 'CNCF_LLM_MASTER_ADDR', value: '127.0.0.1' },
      { name: 'CNCF_LLM_MASTER_PORT', value: String(MASTER_PORT) },
    );
  }
  env.push({
    name: 'CNCF_LLM_PROGRESS_FILE',
    value: `${spec.output.dir.replace(/\/+$/, '')}/progress.jsonl`,
  });
  if (ctx.trial) env.push({ name: 'CNCF_LLM_TRIAL', value: String(ctx.trial.index) });
  env.push({ name: 'HF_HOME', value: cacheDirOf(spec) });
  for (const [name, value] of Object.entries(spec.environment.variables).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    if (LAUNCHER_ENV.test(name) || name === 'HF_TOKEN') {
      throw new LauncherError(
        'invalid-spec',
        `${spec.name}: environment.variables.${name} is set by the launcher on Kubernetes. Remove it from the spec.`,
        { backend: 'k8s' },
      );
    }
    env.push({ name, value });
  }
  const secret = ctx.k8s.hfTokenSecret;
  if (secret) {
    // By reference only: the token's value never passes through the launcher.
    env.push({
      name: 'HF_TOKEN',
      valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } },
    });
  }
  const wandb = ctx.k8s.wandbSecret;
  if (spec.tracking.wandb && !wandb) {
    throw new LauncherError(
      'invalid-spec',
      `${spec.name}: tracking.wandb is set, but the pod has no Weights & Biases key. Create a Secret (kubectl create secret generic wandb --from-literal=api-key="$WANDB_API_KEY") and name it under kubernetes.wandbSecret, or remove tracking.wandb.`,
      {
        backend: 'k8s',
        issues: ['kubernetes.wandbSecret: required with tracking.wandb on Kubernetes'],
      },
    );
  }
  if (wandb && spec.tracking.wandb) {
    env.push({
      name: 'WANDB_API_KEY',
      valueFrom: { secretKeyRef: { name: wandb.name, key: wandb.key } },
    });
  }
  return env;
}

/**
 * Requests and limits, equal so the pod is in the Guaranteed QoS class (the last one evicted
 * under node pressure) and the GPU count is exact (extended resources need requests = limits).
 */
export function containerResources(spec: TrainSpec): {
  requests: Record<string, string>;
  limits: Record<string, string>;
} {
  const r = spec.resources;
  const amounts: Record<string, string> = {
    cpu: String(r.cpusPerTask),
    memory: specMemoryToQuantity(r.memory),
  };
  if (r.gpusPerNode > 0) amounts[GPU_RESOURCE] = String(r.gpusPerNode);
  return { requests: { ...amounts }, limits: { ...amounts } };
}

/** The spec's node selector, plus the GPU model as a node label when the spec names one. */
export function nodeSelectorFor(ctx: UnitContext): Record<string, string> {
  const selector = { ...ctx.k8s.nodeSelector };
  const r = ctx.spec.resources;
  if (r.gpuType && r.gpusPerNode > 0) selector[ctx.gpuTypeLabel] = r.gpuType;
  return selector;
}

/** One toleration as the spec writes it. */
export type Toleration = KubernetesOptions['tolerations'][number];

/**
 * The spec's tolerations, plus one for the `nvidia.com/gpu` taint GPU node pools commonly carry
 * (it only permits scheduling there; the GPU request is what steers the pod).
 */
export function tolerationsFor(ctx: UnitContext): Toleration[] {
  const tolerations = [...ctx.k8s.tolerations];
  if (ctx.spec.resources.gpusPerNode > 0 && !tolerations.some((t) => t.key === GPU_RESOURCE)) {
    tolerations.push({ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' });
  }
  return tolerations;
}

/** A ConfigMap item: which key goes to which relative path, with which mode. */
export interface PayloadItem {
  key: string;
  path: string;
  mode: number;
}

const VOLUME = { payload: 'payload', data: 'data', shm: 'dshm' } as const;

/** Volumes: the payload ConfigMap, the cache (PVC or emptyDir), and a RAM-backed /dev/shm. */
export function podVolumes(ctx: UnitContext, configMapName: string, items: readonly PayloadItem[]) {
  const claim = ctx.k8s.cacheVolumeClaim;
  return [
    {
      name: VOLUME.payload,
      configMap: { name: configMapName, defaultMode: 0o644, items: [...items] },
    },
    claim
      ? { name: VOLUME.data, persistentVolumeClaim: { claimName: claim } }
      : { name: VOLUME.data, emptyDir: {} },
    // NCCL and DataLoader workers exchange tensors through /dev/shm; the container default is 64 MiB.
    { name: VOLUME.shm, emptyDir: { medium: 'Memory' } },
  ];
}

/** Where the volumes are mounted: payload read-only, the cache at HF_HOME and the output dir. */
export function containerMounts(ctx: UnitContext) {
  const cacheDir = cacheDirOf(ctx.spec).replace(/\/+$/, '');
  const outputDir = ctx.spec.output.dir.replace(/\/+$/, '');
  if (cacheDir === outputDir) {
    throw new LauncherError(
      'invalid-spec',
      `${ctx.spec.name}: output.dir and environment.cacheDir are both "${outputDir}". Give the outputs their own directory.`,
      { backend: 'k8s' },
    );
  }
  return [
    { name: VOLUME.payload, mountPath: PAYLOAD_DIR, readOnly: true },
    { name: VOLUME.data, mountPath: cacheDir, subPath: 'huggingface' },
    { name: VOLUME.data, mountPath: outputDir, subPath: `outputs/${ctx.unit}` },
    { name: VOLUME.shm, mountPath: '/dev/shm' },
  ];
}

/** `bash <payload>/<entrypoint>`: the payload is a shell script, so its mode does not matter. */
export function containerCommand(entrypoint: string): string[] {
  return ['bash', `${PAYLOAD_DIR}/${entrypoint.replace(/^\/+/, '')}`];
}

/** The image, required on Kubernetes. */
export function containerImage(spec: TrainSpec): string {
  const image = spec.environment.container?.image;
  if (!image) {
    throw new LauncherError(
      'invalid-spec',
      `${spec.name}: Kubernetes runs the payload in a container, and environment.container.image is not set. Set it to an image with Python and ${spec.trainer === 'axolotl' ? 'axolotl' : 'trl, peft and accelerate'} installed.`,
      { backend: 'k8s', issues: ['environment.container.image: required on Kubernetes'] },
    );
  }
  return image;
}

/** The pod spec of one node of a unit. */
export function podSpecFor(
  ctx: UnitContext,
  options: {
    containerName: string;
    configMapName: string;
    items: readonly PayloadItem[];
    entrypoint: string;
    ports?: { name: string; containerPort: number }[];
  },
): Record<string, unknown> {
  const pod: Record<string, unknown> = {
    restartPolicy: 'Never',
    containers: [
      {
        name: options.containerName,
        image: containerImage(ctx.spec),
        command: containerCommand(options.entrypoint),
        workingDir: ctx.spec.output.dir,
        env: containerEnv(ctx),
        resources: containerResources(ctx.spec),
        volumeMounts: containerMounts(ctx),
        ...(options.ports ? { ports: options.ports } : {}),
      },
    ],
    volumes: podVolumes(ctx, options.configMapName, options.items),
  };
  const selector = nodeSelectorFor(ctx);
  if (Object.keys(selector).length > 0) pod.nodeSelector = selector;
  const tolerations = tolerationsFor(ctx);
  if (tolerations.length > 0) pod.tolerations = tolerations;
  if (ctx.k8s.serviceAccountName) pod.serviceAccountName = ctx.k8s.serviceAccountName;
  // A trainer needs no API access: keep the service-account token out unless one is named.
  else pod.automountServiceAccountToken = false;
  return pod;
}
