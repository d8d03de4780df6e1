import type { V1Node } from '@kubernetes/client-node';
import type { PartitionLimits } from '../spec/cluster-limits.js';
import type { TrainSpec } from '../spec/schema.js';
import { DEFAULT_GPU_TYPE_LABEL, GPU_RESOURCE } from './labels.js';
import { kubernetesOptionsOf, type Toleration } from './pod-template.js';
import { parseQuantity } from './quantity.js';

/** The node pool a spec can land on, and what its nodes can give one pod. */
export interface NodePool {
  limits: PartitionLimits;
  /** Ready, schedulable nodes that match the spec's selector and tolerations (GPU type included). */
  nodes: string[];
  /** A human description of the selector, for messages. */
  selector: string;
}

function tolerates(
  tolerations: readonly Toleration[],
  taint: { key: string; value?: string; effect: string },
): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key === undefined) return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

/**
 * What the nodes a spec may be scheduled on can give one pod, from their allocatable
 * `nvidia.com/gpu`, cpu and memory. Nodes count when Ready, not cordoned, matching the spec's
 * `kubernetes.nodeSelector`, and tolerating the spec's tolerations (plus the GPU one the renderer
 * adds); the GPU type is matched on `gpuTypeLabel`. Kubernetes has no queue time limit, so
 * `maxTimeMinutes` is unlimited.
 */
export function nodePool(
  nodes: readonly V1Node[],
  spec: TrainSpec,
  options: { gpuTypeLabel?: string; namespace?: string } = {},
): NodePool {
  const k8s = kubernetesOptionsOf(spec);
  const gpuLabel = options.gpuTypeLabel ?? DEFAULT_GPU_TYPE_LABEL;
  const tolerations: Toleration[] = [...k8s.tolerations];
  if (spec.resources.gpusPerNode > 0) {
    tolerations.push({ key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' });
  }
  const eligible = nodes.filter((node) => {
    const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready || node.spec?.unschedulable) return false;
    const labels = node.metadata?.labels ?? {};
    if (!Object.entries(k8s.nodeSelector).every(([k, v]) => labels[k] === v)) return false;
    return (node.spec?.taints ?? [])
      .filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
      .every((t) => tolerates(tolerations, t));
  });
  const gpuTypes = [
    ...new Set(eligible.map((n) => n.metadata?.labels?.[gpuLabel]).filter((v): v is string => !!v)),
  ].sort();
  const wantType = spec.resources.gpusPerNode > 0 ? spec.resources.gpuType : undefined;
  // A type no node offers is reported by checkSpecFits; the numbers stay those of the whole pool.
  const typed =
    wantType && gpuTypes.includes(wantType)
      ? eligible.filter((n) => n.metadata?.labels?.[gpuLabel] === wantType)
      : wantType && gpuTypes.length === 0
        ? []
        : eligible;
  const max = (pick: (n: V1Node) => number) =>
    typed.reduce((m, n) => {
      const v = pick(n);
      return Number.isFinite(v) ? Math.max(m, v) : m;
    }, 0);
  const alloc = (n: V1Node, r: string) => parseQuantity(n.status?.allocatable?.[r] ?? '0');
  const selectorParts = Object.entries(k8s.nodeSelector).map(([k, v]) => `${k}=${v}`);
  if (wantType) selectorParts.push(`${gpuLabel}=${wantType}`);
  const selector = selectorParts.length > 0 ? selectorParts.join(',') : 'any node';
  return {
    limits: {
      name: `${options.namespace ? `${options.namespace}: ` : ''}nodes matching ${selector}`,
      maxGpusPerNode: max((n) => alloc(n, GPU_RESOURCE)),
      maxNodes: typed.length,
      maxCpusPerNode: Math.floor(max((n) => alloc(n, 'cpu'))),
      maxMemoryMiB: Math.floor(max((n) => alloc(n, 'memory')) / 2 ** 20),
      maxTimeMinutes: undefined,
      gpuTypes,
    },
    nodes: typed.map((n) => n.metadata?.name ?? ''),
    selector,
  };
}
