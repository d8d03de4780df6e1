import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLauncherError } from '../../src/errors.js';
import {
  parseArrayTasks,
  parseJobsJson,
  parseSacctJson,
  parseScontrolJobs,
  parseScontrolRecord,
} from '../../src/slurm/job-info.js';
import {
  parseGpuGres,
  parseScontrolNodes,
  parseScontrolPartitions,
  partitionLimits,
} from '../../src/slurm/limits.js';
import { submissionStatus } from '../../src/slurm/run-status.js';
import { quoteShellWord, shellCommandLine } from '../../src/slurm/shell.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('scontrol show job --oneliner (real 22.05 output)', () => {
  const jobs = parseScontrolJobs(fixture('scontrol-show-job.txt'));

  it('reads every job, its state, reason, exit code and comment', () => {
    expect(jobs.map((j) => [j.jobId, j.name, j.state, j.reason, j.exitCode])).toEqual([
      ['1', 'fixture-ok', 'COMPLETED', 'None', 0],
      ['2', 'fixture-fail', 'FAILED', 'NonZeroExitCode', 3],
      ['5', 'fixture-sweep', 'RUNNING', 'None', undefined],
      ['4', 'fixture-too-long', 'PENDING', 'PartitionTimeLimit', undefined],
      ['3', 'fixture-sweep', 'PENDING', 'JobArrayTaskLimit', undefined],
    ]);
    expect(jobs[0]).toMatchObject({
      comment: 'cncf-llm:0123456789abcdef',
      user: 'root',
      partition: 'debug',
      restarts: 0,
      stdout: '/tmp/jt/.cncf-llm/logs/1.log',
    });
    expect(jobs[0]?.endTime).toMatch(/^2026-11-25T\d\d:\d\d:\d\d\.000Z$/);
    expect(jobs[3]?.startTime).toBeUndefined();
  });

  it('splits the array: a running task and one record for three pending tasks', () => {
    expect(jobs[2]).toMatchObject({ arrayJobId: '3', arrayTaskId: 0, arrayTasks: undefined });
    expect(jobs[4]).toMatchObject({
      arrayJobId: '3',
      arrayTaskId: undefined,
      arrayTasks: [1, 2, 3],
    });
    const sweep = submissionStatus(
      jobs.filter((j) => j.arrayJobId === '3'),
      'fixture-sweep',
    );
    expect(sweep).toMatchObject({
      id: '3',
      state: 'running',
      reason: '4 trials: 1 running, 3 pending',
    });
    expect(sweep.tasks?.map((t) => [t.id, t.name, t.raw])).toEqual([
      ['3_0', 'fixture-sweep-t000', 'RUNNING'],
      ['3_1', 'fixture-sweep-t001', 'PENDING (JobArrayTaskLimit)'],
      ['3_2', 'fixture-sweep-t002', 'PENDING (JobArrayTaskLimit)'],
      ['3_3', 'fixture-sweep-t003', 'PENDING (JobArrayTaskLimit)'],
    ]);
  });

  it('keeps values with spaces whole', () => {
    const f = parseScontrolRecord(
      'JobId=7 Reason=Some words here Comment=a b NumNodes=1 CPUs/Task=2 AllocNode:Sid=vm:1',
    );
    expect(Object.fromEntries(f)).toEqual({
      JobId: '7',
      Reason: 'Some words here',
      Comment: 'a b',
      NumNodes: '1',
      'CPUs/Task': '2',
      'AllocNode:Sid': 'vm:1',
    });
  });

  it('refuses a record it cannot read', () => {
    expect(() => parseScontrolJobs('JobId=abc JobState=RUNNING')).toThrow(
      /scontrol show job printed a record the launcher cannot read/,
    );
  });
});

describe('squeue --json (real 22.05 output)', () => {
  it('normalises jobs the same way as scontrol', () => {
    const jobs = parseJobsJson(fixture('squeue.json'), 'squeue --json');
    expect(
      jobs.map((j) => [j.jobId, j.state, j.exitCode, j.arrayJobId, j.arrayTaskId, j.arrayTasks]),
    ).toEqual([
      ['1', 'COMPLETED', 0, undefined, undefined, undefined],
      ['2', 'FAILED', 3, undefined, undefined, undefined],
      ['5', 'RUNNING', undefined, '3', 0, undefined],
      ['4', 'PENDING', undefined, undefined, undefined, undefined],
      ['3', 'PENDING', undefined, '3', undefined, [1, 2, 3]],
    ]);
    expect(jobs[0]?.stdout).toBe('/tmp/jt/.cncf-llm/logs/%j.log');
    expect(jobs[0]?.submitTime).toMatch(/^2026-11-25T/);
  });

  it('throws invalid-response on text that is not the v0.0.38 shape', () => {
    for (const text of ['squeue: error: x', '{"jobs":[{"job_id":"one"}]}']) {
      const error = (() => {
        try {
          parseJobsJson(text, 'squeue --json');
        } catch (e) {
          return e;
        }
      })();
      expect(isLauncherError(error, 'invalid-response')).toBe(true);
    }
  });
});

describe('sacct --json', () => {
  it('reads the accounting record shape of 22.05', () => {
    const text = JSON.stringify({
      jobs: [
        {
          job_id: 12,
          name: 'acct',
          state: { current: 'TIMEOUT', reason: 'None' },
          exit_code: {
            status: 'SIGNALED',
            return_code: 0,
            signal: { signal_id: 15, name: 'TERM' },
          },
          comment: { job: 'cncf-llm:abc' },
          array: { job_id: 0, task_id: null },
          time: { submission: 1795631725, start: 1795631726, end: 1795635326 },
        },
      ],
    });
    expect(parseSacctJson(text)[0]).toMatchObject({
      jobId: '12',
      state: 'TIMEOUT',
      exitCode: 143,
      comment: 'cncf-llm:abc',
      arrayJobId: undefined,
    });
  });
});

describe('partition limits (real scontrol output)', () => {
  const partitions = parseScontrolPartitions(fixture('scontrol-show-partition.txt'));
  const nodes = parseScontrolNodes(fixture('scontrol-show-node.txt'));

  it('reads partitions and nodes', () => {
    expect(partitions).toEqual([
      {
        name: 'debug',
        isDefault: true,
        maxTimeMinutes: 60,
        maxNodesPerJob: undefined,
        state: 'UP',
      },
      { name: 'gpu', isDefault: false, maxTimeMinutes: 60, maxNodesPerJob: undefined, state: 'UP' },
    ]);
    expect(nodes).toEqual([
      {
        name: 'vm',
        partitions: ['debug', 'gpu'],
        cpus: 2,
        memoryMiB: 19284,
        gres: 'gpu:fake:2',
        state: 'ALLOCATED',
      },
    ]);
  });

  it('gives what one job can get, from the default partition or a named one', () => {
    expect(partitionLimits(partitions, nodes, undefined)).toEqual({
      name: 'debug',
      maxGpusPerNode: 2,
      maxNodes: 1,
      maxCpusPerNode: 2,
      maxMemoryMiB: 19284,
      maxTimeMinutes: 60,
      gpuTypes: ['fake'],
    });
    expect(partitionLimits(partitions, nodes, 'gpu').name).toBe('gpu');
    expect(() => partitionLimits(partitions, nodes, 'a100')).toThrow(
      'slurm.partition "a100" does not exist on this cluster (partitions: debug, gpu). Use one of those.',
    );
  });

  it('treats UNLIMITED as no limit and takes MaxNodes and the biggest node', () => {
    const [p] = parseScontrolPartitions(
      'PartitionName=big Default=NO MaxNodes=4 MaxTime=UNLIMITED State=UP',
    );
    const many = parseScontrolNodes(
      [
        'NodeName=a1 CPUTot=64 RealMemory=512000 Gres=gpu:a100:4(S:0-1),gpu:v100:2 Partitions=big State=IDLE',
        'NodeName=a2 CPUTot=128 RealMemory=1024000 Gres=gpu:8 Partitions=big State=IDLE',
        'NodeName=c1 CPUTot=256 RealMemory=2048000 Gres=(null) Partitions=cpu State=IDLE',
      ].join('\n'),
    );
    expect(partitionLimits(p ? [p] : [], many, 'big')).toEqual({
      name: 'big',
      maxGpusPerNode: 8,
      maxNodes: 2,
      maxCpusPerNode: 128,
      maxMemoryMiB: 1024000,
      maxTimeMinutes: undefined,
      gpuTypes: ['a100', 'v100'],
    });
  });

  it('reads GPUs out of Gres strings', () => {
    expect(parseGpuGres('gpu:fake:2')).toEqual([{ type: 'fake', count: 2 }]);
    expect(parseGpuGres('gpu:2')).toEqual([{ type: undefined, count: 2 }]);
    expect(parseGpuGres('gpu:a100:4(S:0-1,3),shard:8,gpu:v100:2')).toEqual([
      { type: 'a100', count: 4 },
      { type: 'v100', count: 2 },
    ]);
    expect(parseGpuGres('')).toEqual([]);
  });

  it('expands array task expressions', () => {
    expect(parseArrayTasks('1-3%1')).toEqual([1, 2, 3]);
    expect(parseArrayTasks('0,4-5')).toEqual([0, 4, 5]);
    expect(parseArrayTasks('0-6:3')).toEqual([0, 3, 6]);
    expect(parseArrayTasks('[2-3]')).toEqual([2, 3]);
  });
});

describe('shell quoting', () => {
  it('survives a real POSIX shell, whatever the bytes', () => {
    const words = [
      `it's`,
      '$HOME',
      '`id`',
      '"q"',
      'a b',
      '*',
      ';rm -rf /nope',
      '\\',
      'ü',
      '',
      'plain-word_1.2',
    ];
    const out = execFileSync('sh', ['-c', shellCommandLine(['printf', '%s\\n', ...words])], {
      encoding: 'utf8',
    });
    expect(out).toBe(words.map((w) => `${w}\n`).join(''));
    expect(quoteShellWord('plain-word_1.2')).toBe('plain-word_1.2');
    expect(quoteShellWord(`a'b`)).toBe(`'a'\\''b'`);
  });
});
