import { ApiException, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kubernetesError } from '../../src/k8s/api-errors.js';
import { createKubeApi } from '../../src/k8s/kube-api.js';
import { nodePool } from '../../src/k8s/node-limits.js';
import type { PodView } from '../../src/k8s/pod-view.js';
import { parseQuantity, specMemoryToQuantity } from '../../src/k8s/quantity.js';
import type { WorkloadObject } from '../../src/k8s/schemas.js';
import {
  combineStatuses,
  jobState,
  pytorchJobState,
  trainJobState,
  unitStatus,
} from '../../src/k8s/status-mapping.js';
import { checkSpecFits } from '../../src/spec/cluster-limits.js';
import type { RunStatus } from '../../src/state.js';
import { fakeHubToken, k8sSpec } from './spec-fixtures.js';

const t0 = '2026-11-25T10:00:00Z';
const t1 = '2026-11-25T10:05:00Z';

function job(
  kind: string,
  status: WorkloadObject['status'],
  extra: Partial<WorkloadObject> = {},
): WorkloadObject {
  return {
    apiVersion: 'batch/v1',
    kind,
    metadata: { name: 'r', uid: 'uid-1', creationTimestamp: t0 },
    status,
    ...extra,
  };
}

function pod(overrides: Partial<PodView> = {}): PodView {
  return {
    name: 'r-abcde',
    phase: 'Pending',
    labels: {},
    annotations: {},
    createdAt: t0,
    startedAt: undefined,
    deleting: false,
    nodeName: undefined,
    unschedulable: undefined,
    waiting: undefined,
    exitCode: undefined,
    terminatedReason: undefined,
    container: 'trainer',
    ...overrides,
  };
}

const cond = (type: string, reason?: string, message?: string) => ({
  type,
  status: 'True',
  reason,
  message,
  lastTransitionTime: t1,
});

describe('batch/v1 Job status', () => {
  it('maps Complete to succeeded with the end time and exit code', () => {
    const s = jobState(
      job('Job', { conditions: [cond('Complete')], completionTime: t1, startTime: t0 }),
      [pod({ phase: 'Succeeded', exitCode: 0 })],
    );
    expect(s).toMatchObject({
      state: 'succeeded',
      raw: 'Complete',
      endedAt: t1,
      startedAt: t0,
      exitCode: 0,
    });
  });

  it('maps Failed by DeadlineExceeded to timed-out and BackoffLimitExceeded to failed', () => {
    expect(
      jobState(
        job('Job', {
          conditions: [
            cond('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline'),
          ],
        }),
        [],
      ),
    ).toMatchObject({
      state: 'timed-out',
      raw: 'DeadlineExceeded',
    });
    expect(
      jobState(
        job('Job', {
          conditions: [
            cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
          ],
        }),
        [pod({ phase: 'Failed', exitCode: 3 })],
      ),
    ).toMatchObject({ state: 'failed', raw: 'BackoffLimitExceeded', exitCode: 3 });
  });

  it("is running while a pod runs, pending with the scheduler's words while none fits", () => {
    expect(jobState(job('Job', { active: 1 }), [pod({ phase: 'Running' })]).state).toBe('running');
    const message = '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.';
    expect(jobState(job('Job', { active: 1 }), [pod({ unschedulable: message })])).toMatchObject({
      state: 'pending',
      raw: 'Unschedulable',
      reason: message,
    });
    expect(
      jobState(job('Job', {}), [
        pod({ nodeName: 'n1', waiting: 'ImagePullBackOff: back-off pulling image' }),
      ]),
    ).toMatchObject({
      state: 'pending',
      reason: 'ImagePullBackOff: back-off pulling image',
    });
    expect(jobState(job('Job', {}, { spec: { suspend: true } }), []).raw).toBe('Suspended');
  });
});

describe('Kubeflow status', () => {
  it('maps PyTorchJob conditions, latest first', () => {
    const running = [cond('Created'), cond('Running')];
    expect(pytorchJobState(job('PyTorchJob', { conditions: running }), []).state).toBe('running');
    expect(
      pytorchJobState(
        job('PyTorchJob', { conditions: [...running, cond('Succeeded', 'PyTorchJobSucceeded')] }),
        [],
      ).state,
    ).toBe('succeeded');
    expect(
      pytorchJobState(
        job('PyTorchJob', {
          conditions: [...running, cond('Failed', 'PyTorchJobFailed', 'pods failed')],
        }),
        [],
      ).state,
    ).toBe('failed');
    expect(
      pytorchJobState(job('PyTorchJob', { conditions: [cond('Failed', 'DeadlineExceeded')] }), [])
        .state,
    ).toBe('timed-out');
    expect(
      pytorchJobState(job('PyTorchJob', { conditions: [cond('Created'), cond('Restarting')] }), [])
        .state,
    ).toBe('requeued');
    expect(
      pytorchJobState(job('PyTorchJob', { conditions: [cond('Created'), cond('Suspended')] }), [])
        .state,
    ).toBe('pending');
    expect(
      pytorchJobState(job('PyTorchJob', { conditions: [cond('Created')] }), [
        pod({ unschedulable: '0/3 nodes are available' }),
      ]),
    ).toMatchObject({ state: 'pending', reason: '0/3 nodes are available' });
  });

  it('maps TrainJob conditions', () => {
    expect(
      trainJobState(job('TrainJob', { conditions: [cond('Complete', 'JobsCompleted')] }), []).state,
    ).toBe('succeeded');
    expect(
      trainJobState(job('TrainJob', { conditions: [cond('Failed', 'JobsFailed')] }), []).state,
    ).toBe('failed');
    expect(
      trainJobState(
        job('TrainJob', { conditions: [cond('Suspended', 'Suspended', 'TrainJob is suspended')] }),
        [],
      ),
    ).toMatchObject({
      state: 'pending',
      reason: 'TrainJob is suspended',
    });
    expect(trainJobState(job('TrainJob', {}), [pod({ phase: 'Running' })]).state).toBe('running');
  });
});

describe('cancellation and sweeps', () => {
  const base = { unit: 'r', namespace: 'ns', kind: 'Job' as const, trial: undefined, pods: [] };

  it('reads a cancelled run as cancelled, before and after its objects are gone', () => {
    const tombstone = { cancelledAt: t1, uid: 'uid-1' };
    const active = job('Job', { active: 1 });
    expect(unitStatus({ ...base, workload: active, tombstone })).toMatchObject({
      state: 'cancelled',
      raw: 'Deleting',
      id: 'ns/r',
    });
    expect(unitStatus({ ...base, workload: undefined, tombstone })).toMatchObject({
      state: 'cancelled',
      raw: 'Deleted',
      endedAt: t1,
    });
    // A tombstone of an earlier, cancelled run does not cancel a new run of the same name.
    const relaunched = job('Job', { active: 1 }, { metadata: { name: 'r', uid: 'uid-2' } });
    expect(
      unitStatus({ ...base, workload: relaunched, pods: [pod({ phase: 'Running' })], tombstone })
        .state,
    ).toBe('running');
  });

  it("keeps a finished run's result while its TTL deletes it", () => {
    const done = job(
      'Job',
      { conditions: [cond('Complete')] },
      { metadata: { name: 'r', uid: 'u', deletionTimestamp: t1 } },
    );
    expect(unitStatus({ ...base, workload: done, tombstone: undefined }).state).toBe('succeeded');
  });

  it('combines trials: running while any runs, succeeded only when all did', () => {
    const task = (state: RunStatus['state']): RunStatus => ({
      name: 't',
      id: 'ns/t',
      backend: 'k8s',
      state,
      raw: state,
    });
    expect(
      combineStatuses('s', 'ns', [task('succeeded'), task('running'), task('pending')]).state,
    ).toBe('running');
    expect(combineStatuses('s', 'ns', [task('succeeded'), task('succeeded')]).state).toBe(
      'succeeded',
    );
    expect(combineStatuses('s', 'ns', [task('succeeded'), task('failed')])).toMatchObject({
      state: 'failed',
      raw: '2 trials: 1 succeeded, 1 failed',
    });
    expect(combineStatuses('s', 'ns', [task('cancelled'), task('failed')]).state).toBe('cancelled');
  });
});

describe('node pool limits', () => {
  const node = (
    name: string,
    labels: Record<string, string>,
    allocatable: Record<string, string>,
    extra: Partial<V1Node> = {},
  ): V1Node => ({
    metadata: { name, labels },
    status: { allocatable, conditions: [{ type: 'Ready', status: 'True' }] },
    ...extra,
  });
  const nodes = [
    node(
      'a100-1',
      { 'nvidia.com/gpu.product': 'A100', pool: 'train' },
      { 'nvidia.com/gpu': '4', cpu: '32', memory: '257655832Ki' },
    ),
    node(
      'h100-1',
      { 'nvidia.com/gpu.product': 'H100', pool: 'train' },
      { 'nvidia.com/gpu': '8', cpu: '96', memory: '1Ti' },
    ),
    node('cpu-1', { pool: 'cpu' }, { cpu: '64', memory: '512Gi' }),
    node(
      'h100-tainted',
      { 'nvidia.com/gpu.product': 'H100', pool: 'train' },
      { 'nvidia.com/gpu': '16', cpu: '8', memory: '8Gi' },
      {
        spec: { taints: [{ key: 'dedicated', value: 'other-team', effect: 'NoSchedule' }] },
      },
    ),
  ];

  it('reads the most a matching node can give from allocatable', () => {
    const spec = k8sSpec({ kubernetes: { nodeSelector: { pool: 'train' } } });
    const pool = nodePool(nodes, spec);
    expect(pool.nodes).toEqual(['a100-1', 'h100-1']);
    expect(pool.limits).toMatchObject({
      maxGpusPerNode: 8,
      maxNodes: 2,
      maxCpusPerNode: 96,
      maxMemoryMiB: 1024 * 1024,
      gpuTypes: ['A100', 'H100'],
    });
  });

  it('narrows to the GPU type, and names types no node offers', () => {
    const a100 = k8sSpec({
      resources: {
        gpusPerNode: 8,
        gpuType: 'A100',
        cpusPerTask: 2,
        memory: '4G',
        timeLimit: '01:00:00',
        nodes: 1,
      },
    });
    const pool = nodePool(nodes, a100);
    expect(pool.nodes).toEqual(['a100-1']);
    expect(checkSpecFits(a100, pool.limits).join('\n')).toMatch(
      /gpusPerNode: 8 GPUs per node requested, but .* at most 4/,
    );
    const b200 = k8sSpec({
      resources: {
        gpusPerNode: 1,
        gpuType: 'B200',
        cpusPerTask: 2,
        memory: '4G',
        timeLimit: '01:00:00',
        nodes: 1,
      },
    });
    expect(checkSpecFits(b200, nodePool(nodes, b200).limits).join('\n')).toMatch(
      /"B200" is not offered .* A100, H100/,
    );
  });

  it('counts tainted nodes only when the spec tolerates the taint', () => {
    const spec = k8sSpec({
      kubernetes: { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] },
    });
    expect(nodePool(nodes, spec).nodes).toContain('h100-tainted');
    expect(nodePool(nodes, k8sSpec()).nodes).not.toContain('h100-tainted');
  });

  it('parses Kubernetes quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('64Gi')).toBe(64 * 2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('128974848')).toBe(128974848);
    expect(parseQuantity('12k')).toBe(12000);
    expect(parseQuantity('x')).toBeNaN();
    expect(specMemoryToQuantity('64G')).toBe('64Gi');
  });
});

describe('API errors', () => {
  const saved = process.env.HF_TOKEN;
  afterEach(() => {
    if (saved === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = saved;
  });
  const ctx = { action: 'create', target: 'Job ns/r', server: 'https://127.0.0.1:6443' };
  const apiError = (code: number, body: unknown) => new ApiException(code, 'failed', body, {});

  it('says what to do for each status', () => {
    expect(kubernetesError(apiError(401, { message: 'Unauthorized' }), ctx).message).toMatch(
      /rejected the credentials.*kubeconfig/,
    );
    const forbidden = kubernetesError(
      apiError(403, {
        message: 'jobs.batch is forbidden: User "alice" cannot create resource "jobs"',
      }),
      ctx,
    );
    expect(forbidden.message).toMatch(/forbidden \(403\): jobs\.batch is forbidden.*Role/);
    expect(kubernetesError(apiError(404, { message: 'jobs.batch "r" not found' }), ctx).code).toBe(
      'job-not-found',
    );
    expect(
      kubernetesError(apiError(409, { message: 'jobs.batch "r" already exists' }), ctx).code,
    ).toBe('already-submitted');
    const invalid = kubernetesError(
      apiError(422, {
        message: 'Job.batch "r" is invalid: spec.template.spec.containers[0].image: Required value',
        details: {
          causes: [{ field: 'spec.template.spec.containers[0].image', message: 'Required value' }],
        },
      }),
      ctx,
    );
    expect(invalid.code).toBe('submit-failed');
    expect(invalid.status).toBe(422);
    expect(invalid.message).toMatch(/containers\[0\]\.image: Required value/);
    const down = kubernetesError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      ctx,
    );
    expect(down.message).toMatch(
      /cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:6443 \(ECONNREFUSED\)/,
    );
  });

  it('never shows the kubeconfig token or the Hub token in an error', () => {
    const kubeToken = ['kube', 'FAKE'.repeat(6)].join('-');
    process.env.HF_TOKEN = fakeHubToken();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
      users: [{ name: 'u', token: kubeToken }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    createKubeApi({ kubeConfig: kc });
    const echoed = kubernetesError(
      apiError(400, { message: `bad header Bearer ${kubeToken} and ${process.env.HF_TOKEN}` }),
      ctx,
    );
    expect(echoed.message).not.toContain(kubeToken);
    expect(echoed.message).not.toContain(process.env.HF_TOKEN);
    expect(echoed.message).toContain('[REDACTED]');
  });
});
