/** The objects a run is submitted as. */
export type WorkloadKind = 'Job' | 'PyTorchJob' | 'TrainJob';

/** Where each workload kind lives in the API. */
export interface WorkloadResource {
  kind: WorkloadKind;
  group: string;
  version: string;
  plural: string;
  apiVersion: string;
  /** Who serves it when it is not built in (for "install this" messages). */
  providedBy: string | undefined;
}

export const WORKLOAD_RESOURCES: Readonly<Record<WorkloadKind, WorkloadResource>> = {
  Job: {
    kind: 'Job',
    group: 'batch',
    version: 'v1',
    plural: 'jobs',
    apiVersion: 'batch/v1',
    providedBy: undefined,
  },
  PyTorchJob: {
    kind: 'PyTorchJob',
    group: 'kubeflow.org',
    version: 'v1',
    plural: 'pytorchjobs',
    apiVersion: 'kubeflow.org/v1',
    providedBy: 'the Kubeflow training-operator',
  },
  TrainJob: {
    kind: 'TrainJob',
    group: 'trainer.kubeflow.org',
    version: 'v1alpha1',
    plural: 'trainjobs',
    apiVersion: 'trainer.kubeflow.org/v1alpha1',
    providedBy: 'Kubeflow Trainer v2',
  },
};

/** Narrows a string (an annotation value) to a {@link WorkloadKind}. */
export function isWorkloadKind(value: string | undefined): value is WorkloadKind {
  return value === 'Job' || value === 'PyTorchJob' || value === 'TrainJob';
}

/** API path of a kind's collection in a namespace (for watches). */
export function workloadCollectionPath(kind: WorkloadKind, namespace: string): string {
  const r = WORKLOAD_RESOURCES[kind];
  return `/apis/${r.group}/${r.version}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
}
