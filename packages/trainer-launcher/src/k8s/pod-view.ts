import type { V1Pod } from '@kubernetes/client-node';

/** What the backend needs to know about one pod of a run. */
export interface PodView {
  name: string;
  /** `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`. */
  phase: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createdAt: string | undefined;
  startedAt: string | undefined;
  deleting: boolean;
  nodeName: string | undefined;
  /** The scheduler's message when it cannot place the pod ("0/1 nodes are available: …"). */
  unschedulable: string | undefined;
  /** Why the container waits (`ContainerCreating`, `ImagePullBackOff: …`), when it does. */
  waiting: string | undefined;
  exitCode: number | undefined;
  /** Why the container ended (`Completed`, `Error`, `OOMKilled`), when it did. */
  terminatedReason: string | undefined;
  /** The training container's name (the first container unless a known trainer name is present). */
  container: string | undefined;
}

const TRAINER_CONTAINERS = ['trainer', 'pytorch', 'node'];

function iso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Reduces a pod from the typed client to a {@link PodView}. */
export function toPodView(pod: V1Pod): PodView {
  const containers = pod.spec?.containers ?? [];
  const container =
    containers.find((c) => TRAINER_CONTAINERS.includes(c.name))?.name ?? containers[0]?.name;
  const statuses = pod.status?.containerStatuses ?? [];
  const status = statuses.find((s) => s.name === container) ?? statuses[0];
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const terminated = status?.state?.terminated ?? status?.lastState?.terminated;
  const waiting = status?.state?.waiting;
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    labels: pod.metadata?.labels ?? {},
    annotations: pod.metadata?.annotations ?? {},
    createdAt: iso(pod.metadata?.creationTimestamp),
    startedAt: iso(pod.status?.startTime),
    deleting: pod.metadata?.deletionTimestamp !== undefined,
    nodeName: pod.spec?.nodeName,
    unschedulable:
      scheduled?.status === 'False' && scheduled.reason === 'Unschedulable'
        ? (scheduled.message ?? 'Unschedulable')
        : undefined,
    waiting: waiting?.reason
      ? waiting.message
        ? `${waiting.reason}: ${waiting.message}`
        : waiting.reason
      : undefined,
    exitCode: terminated?.exitCode,
    terminatedReason: terminated?.reason,
    container,
  };
}

/** Rank-0 pod first (PyTorchJob master, completion index 0), then the newest. */
export function primaryPod(pods: readonly PodView[]): PodView | undefined {
  const rank = (p: PodView): number => {
    const type = p.labels['training.kubeflow.org/replica-type']?.toLowerCase();
    if (type === 'master') return 0;
    const index =
      p.annotations['batch.kubernetes.io/job-completion-index'] ??
      p.labels['jobset.sigs.k8s.io/job-index'] ??
      p.labels['training.kubeflow.org/replica-index'];
    if (type === 'worker') return 1 + Number(index ?? 0);
    return index === undefined ? 0 : Number(index);
  };
  return [...pods].sort((a, b) => {
    const byRank = rank(a) - rank(b);
    if (byRank !== 0) return byRank;
    return (b.createdAt ?? '').localeCompare(a.createdAt ?? '');
  })[0];
}
