import { LauncherError } from '../errors.js';
import { isNotFound } from './api-errors.js';
import type { KubeApi } from './kube-api.js';
import type { KubernetesManifest } from './pod-template.js';
import { WorkloadListSchema, type WorkloadObject, WorkloadObjectSchema } from './schemas.js';
import { WORKLOAD_RESOURCES, type WorkloadKind } from './workload-kinds.js';

function parseWorkload(value: unknown, what: string): WorkloadObject {
  const parsed = WorkloadObjectSchema.safeParse(value);
  if (!parsed.success) {
    throw new LauncherError(
      'invalid-response',
      `${what}: the API server's answer is not a workload object (${parsed.error.issues[0]?.message ?? 'invalid'}).`,
      { backend: 'k8s' },
    );
  }
  return parsed.data;
}

function target(kind: WorkloadKind, namespace: string, name?: string): string {
  return name === undefined ? `${kind}s in ${namespace}` : `${kind} ${namespace}/${name}`;
}

/**
 * The error for a kind the cluster does not serve: a CRD that is not installed makes the API
 * server answer 404 for the whole resource path.
 */
export function kindNotServed(kind: WorkloadKind, name: string, cause?: unknown): LauncherError {
  const r = WORKLOAD_RESOURCES[kind];
  const alternative =
    kind === 'PyTorchJob'
      ? 'or set kubernetes.multiNode to "trainjob" if Kubeflow Trainer v2 is installed'
      : 'or set kubernetes.multiNode to "pytorchjob" if the training-operator is installed';
  return new LauncherError(
    'submit-failed',
    `cannot create ${kind} ${name}: this cluster does not serve ${r.apiVersion} ${kind} (its CustomResourceDefinition ${r.plural}.${r.group} is not installed). Install ${r.providedBy ?? 'it'}, ${alternative}, or run on one node (a batch/v1 Job).`,
    { backend: 'k8s', status: 404, cause },
  );
}

/** Reads a workload; `undefined` when it (or its kind) does not exist. */
export async function getWorkload(
  api: KubeApi,
  kind: WorkloadKind,
  namespace: string,
  name: string,
  signal?: AbortSignal,
): Promise<WorkloadObject | undefined> {
  const r = WORKLOAD_RESOURCES[kind];
  try {
    const value = await api.call(
      'read',
      target(kind, namespace, name),
      () =>
        api.custom.getNamespacedCustomObject({
          group: r.group,
          version: r.version,
          plural: r.plural,
          namespace,
          name,
        }),
      signal,
    );
    return parseWorkload(value, `read ${target(kind, namespace, name)}`);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Lists workloads of a kind by label selector; empty when the kind is not served. */
export async function listWorkloads(
  api: KubeApi,
  kind: WorkloadKind,
  namespace: string,
  labelSelector: string,
  signal?: AbortSignal,
): Promise<WorkloadObject[]> {
  const r = WORKLOAD_RESOURCES[kind];
  try {
    const value = await api.call(
      'list',
      target(kind, namespace),
      () =>
        api.custom.listNamespacedCustomObject({
          group: r.group,
          version: r.version,
          plural: r.plural,
          namespace,
          labelSelector,
        }),
      signal,
    );
    const parsed = WorkloadListSchema.safeParse(value);
    if (!parsed.success) {
      throw new LauncherError(
        'invalid-response',
        `list ${target(kind, namespace)}: the API server's answer is not a list (${parsed.error.issues[0]?.message ?? 'invalid'}).`,
        { backend: 'k8s' },
      );
    }
    return parsed.data.items;
  } catch (error) {
    if (kind !== 'Job' && isNotFound(error)) return [];
    throw error;
  }
}

/** Creates a workload (server-side dry run with `dryRun`). */
export async function createWorkload(
  api: KubeApi,
  kind: WorkloadKind,
  manifest: KubernetesManifest,
  options: { dryRun?: boolean; signal?: AbortSignal } = {},
): Promise<WorkloadObject> {
  const r = WORKLOAD_RESOURCES[kind];
  const { namespace, name } = manifest.metadata;
  try {
    const value = await api.call(
      options.dryRun ? 'validate (server-side dry run)' : 'create',
      target(kind, namespace, name),
      () =>
        api.custom.createNamespacedCustomObject({
          group: r.group,
          version: r.version,
          plural: r.plural,
          namespace,
          body: manifest,
          ...(options.dryRun ? { dryRun: 'All' } : {}),
        }),
      options.signal,
    );
    return parseWorkload(value, `create ${target(kind, namespace, name)}`);
  } catch (error) {
    if (kind !== 'Job' && isNotFound(error))
      throw kindNotServed(kind, `${namespace}/${name}`, error);
    throw error;
  }
}

/** Deletes a workload and, through the garbage collector, its pods; `false` when it was gone. */
export async function deleteWorkload(
  api: KubeApi,
  kind: WorkloadKind,
  namespace: string,
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const r = WORKLOAD_RESOURCES[kind];
  try {
    await api.call(
      'delete',
      target(kind, namespace, name),
      () =>
        api.custom.deleteNamespacedCustomObject({
          group: r.group,
          version: r.version,
          plural: r.plural,
          namespace,
          name,
          // Background: the workload goes at once and the garbage collector removes its pods
          // (and payload ConfigMap) after it. Foreground would keep the workload until then, but
          // waits on the collector having discovered the kind, which takes up to 30 s for a CRD
          // installed after the controller manager started.
          propagationPolicy: 'Background',
        }),
      signal,
    );
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
