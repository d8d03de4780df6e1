import { LauncherError } from '../errors.js';
import type { TrainSpec } from './schema.js';

/** What a partition (Slurm) or node pool (Kubernetes) can give one job. */
export interface PartitionLimits {
  name: string;
  /** Most GPUs any one node of it has. */
  maxGpusPerNode: number;
  /** Most nodes one job may use. */
  maxNodes: number;
  /** Most CPUs on one node. */
  maxCpusPerNode: number;
  /** Most memory on one node, MiB. */
  maxMemoryMiB: number;
  /** Longest time limit allowed, minutes; `undefined` is unlimited. */
  maxTimeMinutes: number | undefined;
  /** GPU types offered (gres types or node label values). */
  gpuTypes: string[];
}

/** Parses a Slurm duration (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH[:MM[:SS]]`) into minutes. */
export function durationToMinutes(duration: string): number {
  const dayMatch = /^(\d+)-(.*)$/.exec(duration);
  if (dayMatch) {
    const [h = '0', m = '0', s = '0'] = (dayMatch[2] ?? '').split(':');
    return Number(dayMatch[1]) * 1440 + Number(h) * 60 + Number(m) + Number(s) / 60;
  }
  const parts = duration.split(':').map(Number);
  if (parts.length === 1) return parts[0] ?? 0;
  if (parts.length === 2) return (parts[0] ?? 0) + (parts[1] ?? 0) / 60;
  return (parts[0] ?? 0) * 60 + (parts[1] ?? 0) + (parts[2] ?? 0) / 60;
}

/** Memory with a K/M/G/T unit, in MiB. */
export function memoryToMiB(memory: string): number {
  const m = /^(\d+)([KMGT])$/.exec(memory);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return { K: n / 1024, M: n, G: n * 1024, T: n * 1024 * 1024 }[m[2] as 'K' | 'M' | 'G' | 'T'];
}

/**
 * Checks a spec against what the target partition can give, before anything is submitted.
 * Returns one message per problem (empty when it fits); each names the field and the fix.
 */
export function checkSpecFits(spec: TrainSpec, limits: PartitionLimits): string[] {
  const r = spec.resources;
  const issues: string[] = [];
  const where = `partition "${limits.name}"`;
  if (r.gpusPerNode > limits.maxGpusPerNode) {
    issues.push(
      `resources.gpusPerNode: ${r.gpusPerNode} GPUs per node requested, but the nodes of ${where} have at most ${limits.maxGpusPerNode}. Lower it, or add nodes (resources.nodes) instead.`,
    );
  }
  if (r.nodes > limits.maxNodes) {
    issues.push(
      `resources.nodes: ${r.nodes} nodes requested, but ${where} allows ${limits.maxNodes}. Lower it or pick another partition.`,
    );
  }
  if (r.cpusPerTask > limits.maxCpusPerNode) {
    issues.push(
      `resources.cpusPerTask: ${r.cpusPerTask} CPUs requested, but the nodes of ${where} have ${limits.maxCpusPerNode}. Lower it.`,
    );
  }
  const mem = memoryToMiB(r.memory);
  if (mem > limits.maxMemoryMiB) {
    issues.push(
      `resources.memory: ${r.memory} requested, but the nodes of ${where} have ${limits.maxMemoryMiB} MiB. Lower it.`,
    );
  }
  const minutes = durationToMinutes(r.timeLimit);
  if (limits.maxTimeMinutes !== undefined && minutes > limits.maxTimeMinutes) {
    issues.push(
      `resources.timeLimit: ${r.timeLimit} requested, but ${where} allows at most ${formatMinutes(limits.maxTimeMinutes)}. Shorten it (checkpoints and requeue let a long run continue in a new job).`,
    );
  }
  if (
    r.gpuType &&
    r.gpusPerNode > 0 &&
    limits.gpuTypes.length > 0 &&
    !limits.gpuTypes.includes(r.gpuType)
  ) {
    issues.push(
      `resources.gpuType: "${r.gpuType}" is not offered by ${where} (it has ${limits.gpuTypes.join(', ')}). Use one of those.`,
    );
  }
  return issues;
}

/** Throws `exceeds-cluster` with every problem when the spec does not fit. */
export function assertSpecFits(
  spec: TrainSpec,
  limits: PartitionLimits,
  backend: 'slurm' | 'k8s',
): void {
  const issues = checkSpecFits(spec, limits);
  if (issues.length > 0) {
    throw new LauncherError(
      'exceeds-cluster',
      `${spec.name} does not fit ${backend} partition "${limits.name}":\n  ${issues.join('\n  ')}`,
      {
        issues,
        backend,
      },
    );
  }
}

function formatMinutes(minutes: number): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = Math.round(minutes % 60);
  const hms = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
  return d > 0 ? `${d}-${hms}` : hms;
}
