import { LauncherError } from '../errors.js';
import { durationToMinutes, type PartitionLimits } from '../spec/cluster-limits.js';
import type { SlurmNodeInfo, SlurmPartitionInfo } from './client.js';
import { parseScontrolRecord } from './job-info.js';

/** One GPU entry of a node's Gres string. */
export interface GpuGres {
  type: string | undefined;
  count: number;
}

/**
 * Reads the GPUs out of a node's Gres string: `gpu:2`, `gpu:a100:4(S:0-1)`,
 * `gpu:a100:4,gpu:v100:2`, `gpu:fake:2,shard:8`. Other generic resources are skipped.
 */
export function parseGpuGres(gres: string): GpuGres[] {
  const out: GpuGres[] = [];
  // Commas inside "(S:0-1,3)" belong to the socket list, not to the next resource.
  for (const entry of gres.split(/,(?![^(]*\))/)) {
    const clean = entry.trim().replace(/\(.*\)$/, '');
    const parts = clean.split(':');
    if (parts[0] !== 'gpu') continue;
    const last = parts.at(-1) ?? '';
    const count = /^\d+$/.test(last) ? Number(last) : 1;
    const type =
      parts.length === 3 ? parts[1] : parts.length === 2 && !/^\d+$/.test(last) ? last : undefined;
    out.push({ type, count });
  }
  return out;
}

const UNLIMITED = /^(UNLIMITED|INFINITE|NONE)$/i;

function limitMinutes(value: string | undefined): number | undefined {
  if (!value || UNLIMITED.test(value)) return undefined;
  const minutes = durationToMinutes(value);
  return Number.isFinite(minutes) ? minutes : undefined;
}

/** Parses `scontrol show partition --oneliner`. */
export function parseScontrolPartitions(text: string): SlurmPartitionInfo[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('PartitionName='))
    .map((line) => {
      const f = parseScontrolRecord(line);
      const maxNodes = f.get('MaxNodes');
      return {
        name: f.get('PartitionName') ?? '',
        isDefault: f.get('Default') === 'YES',
        maxTimeMinutes: limitMinutes(f.get('MaxTime')),
        maxNodesPerJob: maxNodes && /^\d+$/.test(maxNodes) ? Number(maxNodes) : undefined,
        state: f.get('State') ?? 'UNKNOWN',
      };
    });
}

/** Parses `scontrol show node --oneliner`. */
export function parseScontrolNodes(text: string): SlurmNodeInfo[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('NodeName='))
    .map((line) => {
      const f = parseScontrolRecord(line);
      const gres = f.get('Gres') ?? '';
      return {
        name: f.get('NodeName') ?? '',
        partitions: (f.get('Partitions') ?? '').split(',').filter(Boolean),
        cpus: Number(f.get('CPUTot') ?? 0),
        memoryMiB: Number(f.get('RealMemory') ?? 0),
        gres: gres === '(null)' ? '' : gres,
        state: f.get('State') ?? 'UNKNOWN',
      };
    });
}

/**
 * What one job can get from a partition: the biggest node's GPUs, CPUs and memory, the
 * partition's MaxNodes (or its node count) and MaxTime, and the GPU types its nodes offer.
 * `partition` undefined picks the cluster's default partition.
 */
export function partitionLimits(
  partitions: readonly SlurmPartitionInfo[],
  nodes: readonly SlurmNodeInfo[],
  partition: string | undefined,
): PartitionLimits {
  const chosen =
    partition === undefined
      ? partitions.find((p) => p.isDefault)
      : partitions.find((p) => p.name === partition);
  if (!chosen) {
    const names = partitions.map((p) => p.name).join(', ') || 'none';
    throw new LauncherError(
      'exceeds-cluster',
      partition === undefined
        ? `the cluster has no default partition (partitions: ${names}). Set slurm.partition in the spec.`
        : `slurm.partition "${partition}" does not exist on this cluster (partitions: ${names}). Use one of those.`,
      {
        backend: 'slurm',
        issues: [`slurm.partition: "${partition ?? '(default)'}" not found; partitions: ${names}`],
      },
    );
  }
  const members = nodes.filter((n) => n.partitions.includes(chosen.name));
  const gpus = members.map((n) => parseGpuGres(n.gres));
  const types = new Set<string>();
  for (const list of gpus) for (const g of list) if (g.type) types.add(g.type);
  const maxNodes =
    chosen.maxNodesPerJob === undefined
      ? members.length
      : Math.min(chosen.maxNodesPerJob, members.length);
  return {
    name: chosen.name,
    maxGpusPerNode: Math.max(0, ...gpus.map((list) => list.reduce((sum, g) => sum + g.count, 0))),
    maxNodes,
    maxCpusPerNode: Math.max(0, ...members.map((n) => n.cpus)),
    maxMemoryMiB: Math.max(0, ...members.map((n) => n.memoryMiB)),
    maxTimeMinutes: chosen.maxTimeMinutes,
    gpuTypes: [...types].sort(),
  };
}
