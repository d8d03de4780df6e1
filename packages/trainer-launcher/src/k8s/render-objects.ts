import { stringify } from 'yaml';
import type { RenderedFile, RenderedJob } from '../backend.js';
import { LauncherError } from '../errors.js';
import {
  type PayloadOptions,
  type RenderedPayload,
  renderPayload,
} from '../payload/render-payload.js';
import { specHash } from '../run-identity.js';
import type { TrainSpec } from '../spec/schema.js';
import { expandSweep, type Trial } from '../sweep/expand.js';
import { DEFAULT_GPU_TYPE_LABEL, LABELS, PAYLOAD_DIR, payloadConfigMapName } from './labels.js';
import {
  type KubernetesManifest,
  kubernetesOptionsOf,
  type PayloadItem,
  RENDEZVOUS_FILE,
  RENDEZVOUS_SCRIPT,
  type UnitContext,
  unitAnnotations,
  unitLabels,
} from './pod-template.js';
import type { WorkloadKind } from './workload-kinds.js';
import { renderWorkload, workloadKindFor } from './workloads.js';

/** Renders one trial's payload (TRL/axolotl config, `run.sh`…); `renderPayload` by default. */
export type PayloadRenderer = (spec: TrainSpec, options: PayloadOptions) => RenderedPayload;

/** Options of {@link renderKubernetesObjects}. */
export interface KubernetesRenderOptions {
  /** Namespace of every object. @default spec.kubernetes.namespace, else `default` */
  namespace?: string;
  /** The payload renderer. @default renderPayload */
  payload?: PayloadRenderer;
  /** Node label that carries the GPU model. @default 'nvidia.com/gpu.product' */
  gpuTypeLabel?: string;
}

/** A run, or one trial of a sweep: its payload ConfigMap and its workload. */
export interface KubernetesUnit {
  /** Object name of the workload (the run name, or the trial name). */
  name: string;
  trial: Trial | undefined;
  kind: WorkloadKind;
  configMap: KubernetesManifest;
  workload: KubernetesManifest;
  /** The payload files as rendered (paths relative to the mount). */
  files: RenderedFile[];
}

/** Everything a spec becomes on Kubernetes, in creation order. */
export interface RenderedKubernetesObjects {
  name: string;
  namespace: string;
  specHash: string;
  /** True when the spec is a sweep (one unit per trial). */
  sweep: boolean;
  trials: Trial[];
  units: KubernetesUnit[];
  /** ConfigMap, workload, ConfigMap, workload, … */
  objects: KubernetesManifest[];
  /** The objects as one multi-document YAML text (`--dry-run`). */
  yaml: string;
}

/** A ConfigMap holds at most 1 MiB; leave room for its metadata. */
const MAX_CONFIGMAP_BYTES = 1024 * 1024 - 16 * 1024;

function configMapKey(path: string): string {
  return path.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_');
}

function payloadConfigMap(
  ctx: UnitContext,
  kind: WorkloadKind,
  files: readonly RenderedFile[],
): { manifest: KubernetesManifest; items: PayloadItem[] } {
  const data: Record<string, string> = {};
  const items: PayloadItem[] = [];
  let bytes = 0;
  for (const file of files) {
    const key = configMapKey(file.path);
    if (key in data) {
      throw new LauncherError(
        'render-failed',
        `${ctx.unit}: payload files "${file.path}" and another one map to the same ConfigMap key "${key}". Rename one of them.`,
        { backend: 'k8s' },
      );
    }
    data[key] = file.content;
    bytes += Buffer.byteLength(file.content) + key.length;
    items.push({ key, path: file.path.replace(/^\/+/, ''), mode: file.mode ?? 0o644 });
  }
  if (bytes > MAX_CONFIGMAP_BYTES) {
    throw new LauncherError(
      'render-failed',
      `${ctx.unit}: the payload is ${Math.ceil(bytes / 1024)} KiB, more than a ConfigMap holds (1 MiB). Put large files in the image or on the cache volume.`,
      { backend: 'k8s' },
    );
  }
  return {
    manifest: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: payloadConfigMapName(ctx.unit),
        namespace: ctx.namespace,
        labels: { ...unitLabels(ctx), [LABELS.component]: 'payload' },
        annotations: unitAnnotations(ctx, kind),
      },
      data,
    },
    items,
  };
}

function renderUnit(
  ctx: UnitContext,
  kind: WorkloadKind,
  payload: PayloadRenderer,
): KubernetesUnit {
  let rendered: RenderedPayload;
  try {
    rendered = payload(ctx.spec, { payloadDir: PAYLOAD_DIR });
  } catch (error) {
    if (error instanceof LauncherError) throw error;
    throw new LauncherError(
      'render-failed',
      `${ctx.unit}: rendering the payload failed: ${(error as Error).message}`,
      { backend: 'k8s', cause: error },
    );
  }
  const files = [...rendered.files];
  if (ctx.multiNode) files.push({ path: RENDEZVOUS_FILE, content: RENDEZVOUS_SCRIPT, mode: 0o644 });
  const { manifest: configMap, items } = payloadConfigMap(ctx, kind, files);
  const workload = renderWorkload(kind, ctx, {
    configMapName: configMap.metadata.name,
    items,
    entrypoint: rendered.entrypoint,
  });
  workload.metadata.labels[LABELS.component] = 'workload';
  return { name: ctx.unit, trial: ctx.trial, kind, configMap, workload, files };
}

/** Multi-document YAML of the objects, in order. */
export function manifestsToYaml(objects: readonly KubernetesManifest[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/**
 * Renders a spec for Kubernetes without contacting a cluster: per run (or per sweep trial) a
 * ConfigMap with the payload files and a workload — a batch/v1 Job for one node, a PyTorchJob or
 * TrainJob for several. Pure and deterministic: the same spec gives the same objects.
 *
 * @throws LauncherError `invalid-spec` when the spec cannot run on Kubernetes (no container image),
 *   `render-failed` when the payload does not fit a ConfigMap.
 */
export function renderKubernetesObjects(
  spec: TrainSpec,
  options: KubernetesRenderOptions = {},
): RenderedKubernetesObjects {
  const k8s = kubernetesOptionsOf(spec);
  const namespace = options.namespace ?? k8s.namespace;
  const hash = specHash(spec);
  const trials = expandSweep(spec);
  const sweep = spec.sweep !== undefined;
  const payload = options.payload ?? renderPayload;
  const units = trials.map((trial) => {
    const trialK8s = kubernetesOptionsOf(trial.spec);
    const ctx: UnitContext = {
      unit: trial.name,
      run: spec.name,
      trial: sweep ? trial : undefined,
      spec: trial.spec,
      k8s: trialK8s,
      namespace,
      specHash: hash,
      gpuTypeLabel: options.gpuTypeLabel ?? DEFAULT_GPU_TYPE_LABEL,
      multiNode: trial.spec.resources.nodes > 1,
    };
    return renderUnit(ctx, workloadKindFor(ctx), payload);
  });
  const objects = units.flatMap((u) => [u.configMap, u.workload]);
  return {
    name: spec.name,
    namespace,
    specHash: hash,
    sweep,
    trials,
    units,
    objects,
    yaml: manifestsToYaml(objects),
  };
}

/** The backend-neutral view of rendered objects (`LaunchBackend.render`). */
export function toRenderedJob(rendered: RenderedKubernetesObjects): RenderedJob {
  const files: RenderedFile[] = rendered.units.flatMap((u) =>
    u.files.map((f) => (rendered.sweep ? { ...f, path: `${u.name}/${f.path}` } : f)),
  );
  files.push({ path: 'manifests.yaml', content: rendered.yaml });
  const summary = rendered.objects
    .map((o) => `${o.kind} ${rendered.namespace}/${o.metadata.name}`)
    .join('\n');
  return {
    backend: 'k8s',
    name: rendered.name,
    specHash: rendered.specHash,
    trials: rendered.trials,
    files,
    summary,
  };
}
