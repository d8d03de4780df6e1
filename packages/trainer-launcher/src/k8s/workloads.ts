import { durationToMinutes } from '../spec/cluster-limits.js';
import { LABELS, MASTER_PORT } from './labels.js';
import {
  containerCommand,
  containerEnv,
  containerImage,
  containerMounts,
  containerResources,
  type KubernetesManifest,
  nodeSelectorFor,
  type PayloadItem,
  podSpecFor,
  podVolumes,
  tolerationsFor,
  type UnitContext,
  unitAnnotations,
  unitLabels,
} from './pod-template.js';
import { WORKLOAD_RESOURCES, type WorkloadKind } from './workload-kinds.js';

/** Inputs shared by the workload renderers. */
export interface WorkloadInput {
  configMapName: string;
  items: readonly PayloadItem[];
  entrypoint: string;
}

/** The time limit in seconds (`activeDeadlineSeconds`). */
export function deadlineSeconds(ctx: UnitContext): number {
  return Math.max(1, Math.round(durationToMinutes(ctx.spec.resources.timeLimit) * 60));
}

function metadata(ctx: UnitContext, kind: WorkloadKind): KubernetesManifest['metadata'] {
  const labels = unitLabels(ctx);
  if (ctx.k8s.queue) labels[LABELS.kueueQueue] = ctx.k8s.queue;
  return {
    name: ctx.unit,
    namespace: ctx.namespace,
    labels,
    annotations: unitAnnotations(ctx, kind),
  };
}

/**
 * Kueue admits a workload by un-suspending it, so with a queue it is created suspended. Kubernetes
 * 1.20 has no `Job.spec.suspend` (1.21+) and drops it silently: on such a cluster the Job runs at
 * once, as it would without Kueue.
 */
function suspended(ctx: UnitContext): { suspend: true } | Record<string, never> {
  return ctx.k8s.queue ? { suspend: true } : {};
}

/** One node: a batch/v1 Job with one pod. */
export function renderJob(ctx: UnitContext, input: WorkloadInput): KubernetesManifest {
  return {
    apiVersion: WORKLOAD_RESOURCES.Job.apiVersion,
    kind: 'Job',
    metadata: metadata(ctx, 'Job'),
    spec: {
      ...suspended(ctx),
      parallelism: 1,
      completions: 1,
      backoffLimit: ctx.k8s.backoffLimit,
      activeDeadlineSeconds: deadlineSeconds(ctx),
      ...(ctx.k8s.ttlSecondsAfterFinished === undefined
        ? {}
        : { ttlSecondsAfterFinished: ctx.k8s.ttlSecondsAfterFinished }),
      template: {
        metadata: { labels: unitLabels(ctx) },
        spec: podSpecFor(ctx, { containerName: 'trainer', ...input }),
      },
    },
  };
}

/**
 * Several nodes with the Kubeflow training-operator: a `PyTorchJob` with one Master and
 * `nodes - 1` Workers. The operator requires the container to be named `pytorch`, and takes the
 * master port from a container port named `pytorchjob-port`.
 */
export function renderPyTorchJob(ctx: UnitContext, input: WorkloadInput): KubernetesManifest {
  const template = {
    metadata: { labels: unitLabels(ctx) },
    spec: podSpecFor(ctx, {
      containerName: 'pytorch',
      ...input,
      ports: [{ name: 'pytorchjob-port', containerPort: MASTER_PORT }],
    }),
  };
  const replica = (replicas: number) => ({ replicas, restartPolicy: 'Never', template });
  return {
    apiVersion: WORKLOAD_RESOURCES.PyTorchJob.apiVersion,
    kind: 'PyTorchJob',
    metadata: metadata(ctx, 'PyTorchJob'),
    spec: {
      nprocPerNode: String(ctx.spec.resources.gpusPerNode),
      runPolicy: {
        ...suspended(ctx),
        backoffLimit: ctx.k8s.backoffLimit,
        activeDeadlineSeconds: deadlineSeconds(ctx),
        // Keep finished pods: their logs hold the progress lines.
        cleanPodPolicy: 'None',
        ...(ctx.k8s.ttlSecondsAfterFinished === undefined
          ? {}
          : { ttlSecondsAfterFinished: ctx.k8s.ttlSecondsAfterFinished }),
      },
      pytorchReplicaSpecs: {
        Master: replica(1),
        Worker: replica(ctx.spec.resources.nodes - 1),
      },
    },
  };
}

/** The replicated job and container of Kubeflow Trainer's `torch-distributed` runtimes. */
export const TRAINJOB_TARGET = 'node';

/**
 * Several nodes with Kubeflow Trainer v2: a `TrainJob` (v1alpha1, Trainer 2.0 field names) that
 * references a ClusterTrainingRuntime. The runtime owns the pod template, restart and deadline
 * policy (TrainJob v1alpha1 has no activeDeadlineSeconds, backoffLimit or TTL fields); the
 * launcher sets the image, command, environment, node count and per-node resources, and overrides
 * the pods' volumes, node selector and tolerations.
 */
export function renderTrainJob(ctx: UnitContext, input: WorkloadInput): KubernetesManifest {
  const r = ctx.spec.resources;
  const override: Record<string, unknown> = {
    targetJobs: [{ name: TRAINJOB_TARGET }],
    containers: [{ name: TRAINJOB_TARGET, volumeMounts: containerMounts(ctx) }],
    volumes: podVolumes(ctx, input.configMapName, input.items),
  };
  const selector = nodeSelectorFor(ctx);
  if (Object.keys(selector).length > 0) override.nodeSelector = selector;
  const tolerations = tolerationsFor(ctx);
  if (tolerations.length > 0) override.tolerations = tolerations;
  if (ctx.k8s.serviceAccountName) override.serviceAccountName = ctx.k8s.serviceAccountName;
  return {
    apiVersion: WORKLOAD_RESOURCES.TrainJob.apiVersion,
    kind: 'TrainJob',
    metadata: metadata(ctx, 'TrainJob'),
    spec: {
      ...suspended(ctx),
      runtimeRef: {
        name: ctx.k8s.trainingRuntime,
        apiGroup: 'trainer.kubeflow.org',
        kind: 'ClusterTrainingRuntime',
      },
      trainer: {
        image: containerImage(ctx.spec),
        command: containerCommand(input.entrypoint),
        env: containerEnv(ctx),
        numNodes: r.nodes,
        numProcPerNode: r.gpusPerNode,
        resourcesPerNode: containerResources(ctx.spec),
      },
      labels: unitLabels(ctx),
      podSpecOverrides: [override],
    },
  };
}

/** Which kind a unit is submitted as. */
export function workloadKindFor(ctx: Pick<UnitContext, 'spec' | 'k8s'>): WorkloadKind {
  if (ctx.spec.resources.nodes <= 1) return 'Job';
  return ctx.k8s.multiNode === 'trainjob' ? 'TrainJob' : 'PyTorchJob';
}

/** Renders a unit's workload of the given kind. */
export function renderWorkload(
  kind: WorkloadKind,
  ctx: UnitContext,
  input: WorkloadInput,
): KubernetesManifest {
  if (kind === 'Job') return renderJob(ctx, input);
  if (kind === 'PyTorchJob') return renderPyTorchJob(ctx, input);
  return renderTrainJob(ctx, input);
}
