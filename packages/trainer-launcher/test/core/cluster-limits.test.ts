import { describe, expect, it } from 'vitest';
import {
  assertSpecFits,
  checkSpecFits,
  durationToMinutes,
  memoryToMiB,
  type PartitionLimits,
} from '../../src/spec/cluster-limits.js';
import { parseSpec } from '../../src/spec/load.js';

const gpuPartition: PartitionLimits = {
  name: 'gpu',
  maxGpusPerNode: 2,
  maxNodes: 4,
  maxCpusPerNode: 32,
  maxMemoryMiB: 256 * 1024,
  maxTimeMinutes: 60,
  gpuTypes: ['a100'],
};

const spec = (resources: Record<string, unknown>) =>
  parseSpec({
    name: 'fit',
    baseModel: { id: 'org/model' },
    dataset: { path: '/d.jsonl' },
    method: { type: 'lora' },
    hyperparameters: { learningRate: 1e-4 },
    output: { dir: '/o' },
    resources: { timeLimit: '00:30:00', memory: '32G', cpusPerTask: 8, ...resources },
  });

describe('checking a spec against what a partition can give', () => {
  it('reads Slurm durations', () => {
    expect(durationToMinutes('45')).toBe(45);
    expect(durationToMinutes('45:30')).toBe(45.5);
    expect(durationToMinutes('08:00:00')).toBe(480);
    expect(durationToMinutes('2-00:00:00')).toBe(2880);
    expect(durationToMinutes('1-12')).toBe(2160);
  });

  it('reads memory sizes', () => {
    expect(memoryToMiB('64G')).toBe(65536);
    expect(memoryToMiB('512M')).toBe(512);
    expect(memoryToMiB('1T')).toBe(1048576);
  });

  it('accepts what fits', () => {
    expect(checkSpecFits(spec({ gpusPerNode: 2, gpuType: 'a100' }), gpuPartition)).toEqual([]);
  });

  it('refuses more GPUs per node than the nodes have, and says what to do', () => {
    const [issue] = checkSpecFits(spec({ gpusPerNode: 3 }), gpuPartition);
    expect(issue).toMatch(
      /^resources\.gpusPerNode: 3 GPUs per node requested, but the nodes of partition "gpu" have at most 2\. Lower it/,
    );
  });

  it('refuses a time limit the queue does not allow', () => {
    const [issue] = checkSpecFits(spec({ timeLimit: '2-00:00:00' }), gpuPartition);
    expect(issue).toMatch(
      /^resources\.timeLimit: 2-00:00:00 requested, but partition "gpu" allows at most 01:00:00/,
    );
  });

  it('refuses an unknown GPU type, memory and CPUs beyond a node, and too many nodes', () => {
    const issues = checkSpecFits(
      spec({ gpuType: 'h100', memory: '1T', cpusPerTask: 64, nodes: 5 }),
      gpuPartition,
    );
    expect(issues.map((i) => i.split(':')[0]).sort()).toEqual([
      'resources.cpusPerTask',
      'resources.gpuType',
      'resources.memory',
      'resources.nodes',
    ]);
  });

  it('throws exceeds-cluster with every issue', () => {
    expect(() =>
      assertSpecFits(spec({ gpusPerNode: 3, timeLimit: '02:00:00' }), gpuPartition, 'slurm'),
    ).toThrow(
      expect.objectContaining({
        code: 'exceeds-cluster',
        backend: 'slurm',
        issues: expect.arrayContaining([expect.any(String), expect.any(String)]),
      }),
    );
  });

  it('treats an unlimited partition as unlimited', () => {
    expect(
      checkSpecFits(spec({ timeLimit: '30-00:00:00' }), {
        ...gpuPartition,
        maxTimeMinutes: undefined,
      }),
    ).toEqual([]);
  });
});
