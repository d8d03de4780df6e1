import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { isLauncherError } from '../../src/errors.js';
import { RENDEZVOUS_SCRIPT } from '../../src/k8s/pod-template.js';
import { renderKubernetesObjects, toRenderedJob } from '../../src/k8s/render-objects.js';
import { specHash } from '../../src/run-identity.js';
import { fakeHubToken, k8sSpec, stubPayload } from './spec-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests walk rendered manifests by path.
type Obj = Record<string, any>;

const render = (spec = k8sSpec(), options = {}) =>
  renderKubernetesObjects(spec, { payload: stubPayload, ...options });

function podSpecOf(workload: Obj): Obj {
  if (workload.kind === 'Job') return workload.spec.template.spec;
  if (workload.kind === 'PyTorchJob') return workload.spec.pytorchReplicaSpecs.Master.template.spec;
  throw new Error(`no pod spec in ${workload.kind}`);
}

function envOf(container: Obj): Record<string, unknown> {
  return Object.fromEntries(container.env.map((e: Obj) => [e.name, e.value ?? e.valueFrom]));
}

describe('renderKubernetesObjects: one node', () => {
  it('renders a ConfigMap with the payload and a batch/v1 Job that runs it', () => {
    const spec = k8sSpec({
      resources: { nodes: 1, gpusPerNode: 2, cpusPerTask: 4, memory: '32G', timeLimit: '02:00:00' },
      kubernetes: {
        backoffLimit: 1,
        ttlSecondsAfterFinished: 3600,
        hfTokenSecret: { name: 'hf-token', key: 'token' },
      },
    });
    const out = render(spec);
    expect(out.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`)).toEqual([
      'v1 ConfigMap tiny-lora-payload',
      'batch/v1 Job tiny-lora',
    ]);
    const [cm, job] = out.objects as Obj[];
    expect(cm?.data['run.sh']).toContain('set -euo pipefail');
    expect(cm?.data['config_trl.yaml']).toBe('learning_rate: 0.0002\n');

    expect(job?.spec).toMatchObject({
      backoffLimit: 1,
      activeDeadlineSeconds: 7200,
      ttlSecondsAfterFinished: 3600,
      completions: 1,
      parallelism: 1,
    });
    expect(job?.spec.suspend).toBeUndefined();
    const pod = podSpecOf(job as Obj);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.automountServiceAccountToken).toBe(false);
    const [container] = pod.containers;
    expect(container.image).toBe('ghcr.io/example/trl:0.24');
    expect(container.command).toEqual(['bash', '/etc/cncf-llm/payload/run.sh']);
    expect(container.resources).toEqual({
      requests: { cpu: '4', memory: '32Gi', 'nvidia.com/gpu': '2' },
      limits: { cpu: '4', memory: '32Gi', 'nvidia.com/gpu': '2' },
    });
    expect(envOf(container)).toMatchObject({
      CNCF_LLM_RUN: 'tiny-lora',
      CNCF_LLM_NNODES: '1',
      CNCF_LLM_NODE_RANK: '0',
      CNCF_LLM_MASTER_ADDR: '127.0.0.1',
      CNCF_LLM_MASTER_PORT: '29500',
      CNCF_LLM_GPUS_PER_NODE: '2',
      CNCF_LLM_PROGRESS_FILE: '/outputs/tiny-lora/progress.jsonl',
      HF_TOKEN: { secretKeyRef: { name: 'hf-token', key: 'token' } },
    });
    // The payload keeps its relative paths (a ConfigMap key cannot hold a slash).
    const payloadVolume = pod.volumes.find((v: Obj) => v.name === 'payload');
    expect(payloadVolume.configMap.name).toBe('tiny-lora-payload');
    expect(payloadVolume.configMap.items).toContainEqual({
      key: 'config_trl.yaml',
      path: 'config/trl.yaml',
      mode: 0o644,
    });
    expect(payloadVolume.configMap.items).toContainEqual({
      key: 'run.sh',
      path: 'run.sh',
      mode: 0o755,
    });
    expect(pod.volumes.find((v: Obj) => v.name === 'dshm')).toEqual({
      name: 'dshm',
      emptyDir: { medium: 'Memory' },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
    expect(container.volumeMounts).toContainEqual({
      name: 'payload',
      mountPath: '/etc/cncf-llm/payload',
      readOnly: true,
    });
  });

  it('labels and annotates every object for the launcher to find it again', () => {
    const spec = k8sSpec();
    const out = render(spec);
    for (const o of out.objects) {
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'cncf-llm',
        'cncf-llm.dev/run': 'tiny-lora',
      });
      expect(o.metadata.annotations?.['cncf-llm.dev/spec-hash']).toBe(specHash(spec));
    }
    expect(out.objects[1]?.metadata.labels['kueue.x-k8s.io/queue-name']).toBeUndefined();
  });

  it('refuses a spec without a container image, naming the field', () => {
    const spec = k8sSpec({ environment: { container: undefined, setup: ['module load cuda'] } });
    let caught: unknown;
    try {
      render(spec);
    } catch (error) {
      caught = error;
    }
    expect(isLauncherError(caught, 'invalid-spec')).toBe(true);
    expect((caught as Error).message).toMatch(/environment\.container\.image/);
  });

  it('is deterministic, and its YAML reads back as the same objects', () => {
    const a = render();
    const b = render();
    expect(a.yaml).toBe(b.yaml);
    const docs = parseAllDocuments(a.yaml).map((d) => d.toJS());
    expect(docs).toEqual(JSON.parse(JSON.stringify(a.objects)));
  });

  it('sets the pod up for the node pool: node selector, GPU type label, tolerations', () => {
    const spec = k8sSpec({
      resources: {
        nodes: 1,
        gpusPerNode: 1,
        gpuType: 'NVIDIA-H100-80GB-HBM3',
        cpusPerTask: 2,
        memory: '4G',
        timeLimit: '01:00:00',
      },
      kubernetes: {
        nodeSelector: { pool: 'training' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }],
        serviceAccountName: 'trainer',
      },
    });
    const pod = podSpecOf(render(spec).units[0]?.workload as Obj);
    expect(pod.nodeSelector).toEqual({
      pool: 'training',
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
    });
    expect(pod.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' },
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(pod.serviceAccountName).toBe('trainer');
    expect(pod.automountServiceAccountToken).toBeUndefined();
    const custom = podSpecOf(
      render(spec, { gpuTypeLabel: 'cloud.google.com/gke-accelerator' }).units[0]?.workload as Obj,
    );
    expect(custom.nodeSelector['cloud.google.com/gke-accelerator']).toBe('NVIDIA-H100-80GB-HBM3');
  });

  it('asks for no GPU and adds no GPU toleration on CPU', () => {
    const spec = k8sSpec({
      resources: { nodes: 1, gpusPerNode: 0, cpusPerTask: 2, memory: '4G', timeLimit: '00:10:00' },
    });
    const pod = podSpecOf(render(spec).units[0]?.workload as Obj);
    expect(pod.containers[0].resources.limits['nvidia.com/gpu']).toBeUndefined();
    expect(pod.tolerations).toBeUndefined();
    expect(pod.nodeSelector).toBeUndefined();
  });

  it('mounts the cache PVC at HF_HOME and the outputs, or an emptyDir without one', () => {
    const withClaim = k8sSpec({
      kubernetes: { cacheVolumeClaim: 'hf-cache' },
      environment: { container: { image: 'img:1' }, cacheDir: '/cache/hf' },
    });
    const pod = podSpecOf(render(withClaim).units[0]?.workload as Obj);
    expect(pod.volumes.find((v: Obj) => v.name === 'data')).toEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'hf-cache' },
    });
    expect(pod.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'data', mountPath: '/cache/hf', subPath: 'huggingface' },
        { name: 'data', mountPath: '/outputs/tiny-lora', subPath: 'outputs/tiny-lora' },
      ]),
    );
    expect(envOf(pod.containers[0]).HF_HOME).toBe('/cache/hf');
    const without = podSpecOf(render(k8sSpec()).units[0]?.workload as Obj);
    expect(without.volumes.find((v: Obj) => v.name === 'data')).toEqual({
      name: 'data',
      emptyDir: {},
    });
  });

  it('adds the Kueue queue label and creates the workload suspended for Kueue to admit', () => {
    const job = render(k8sSpec({ kubernetes: { queue: 'gpu-queue' } })).units[0]?.workload as Obj;
    expect(job.metadata.labels['kueue.x-k8s.io/queue-name']).toBe('gpu-queue');
    expect(job.spec.suspend).toBe(true);
    const two = { nodes: 2, gpusPerNode: 1, cpusPerTask: 2, memory: '4G', timeLimit: '01:00:00' };
    const pt = render(k8sSpec({ resources: two, kubernetes: { queue: 'gpu-queue' } })).units[0]
      ?.workload as Obj;
    expect(pt.spec.runPolicy.suspend).toBe(true);
    expect(pt.metadata.labels['kueue.x-k8s.io/queue-name']).toBe('gpu-queue');
    const tj = render(
      k8sSpec({ resources: two, kubernetes: { queue: 'gpu-queue', multiNode: 'trainjob' } }),
    ).units[0]?.workload as Obj;
    expect(tj.spec.suspend).toBe(true);
  });

  it('refuses environment variables the launcher sets itself', () => {
    const spec = k8sSpec({
      environment: { container: { image: 'img:1' }, variables: { CNCF_LLM_NNODES: '4' } },
    });
    expect(() => render(spec)).toThrow(/environment\.variables\.CNCF_LLM_NNODES/);
  });
});

describe('renderKubernetesObjects: several nodes', () => {
  const two = {
    nodes: 3,
    gpusPerNode: 4,
    cpusPerTask: 16,
    memory: '200G',
    timeLimit: '1-00:00:00',
  };

  it('renders a PyTorchJob with a Master and nodes - 1 Workers', () => {
    const out = render(k8sSpec({ resources: two }));
    const pt = out.units[0]?.workload as Obj;
    expect(pt.apiVersion).toBe('kubeflow.org/v1');
    expect(pt.kind).toBe('PyTorchJob');
    expect(pt.spec.nprocPerNode).toBe('4');
    expect(pt.spec.runPolicy).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 86400,
      cleanPodPolicy: 'None',
    });
    expect(pt.spec.pytorchReplicaSpecs.Master.replicas).toBe(1);
    expect(pt.spec.pytorchReplicaSpecs.Worker.replicas).toBe(2);
    expect(pt.spec.pytorchReplicaSpecs.Worker.restartPolicy).toBe('Never');
    const container = podSpecOf(pt).containers[0];
    expect(container.name).toBe('pytorch');
    expect(container.ports).toEqual([{ name: 'pytorchjob-port', containerPort: 29500 }]);
    const env = envOf(container);
    expect(env.CNCF_LLM_NNODES).toBe('3');
    expect(env.CNCF_LLM_NODE_RANK).toBeUndefined();
    expect(env.BASH_ENV).toBe('/etc/cncf-llm/payload/k8s-rendezvous.sh');
    expect((out.units[0]!.configMap as Obj).data['k8s-rendezvous.sh']).toBe(RENDEZVOUS_SCRIPT);
  });

  it('renders a Kubeflow Trainer v2 TrainJob on the named runtime', () => {
    const out = render(
      k8sSpec({
        resources: two,
        kubernetes: {
          multiNode: 'trainjob',
          trainingRuntime: 'torch-cuda-251',
          nodeSelector: { pool: 'a' },
        },
      }),
    );
    const tj = out.units[0]?.workload as Obj;
    expect(tj.apiVersion).toBe('trainer.kubeflow.org/v1alpha1');
    expect(tj.kind).toBe('TrainJob');
    expect(tj.spec.runtimeRef).toEqual({
      name: 'torch-cuda-251',
      apiGroup: 'trainer.kubeflow.org',
      kind: 'ClusterTrainingRuntime',
    });
    expect(tj.spec.trainer).toMatchObject({
      image: 'ghcr.io/example/trl:0.24',
      command: ['bash', '/etc/cncf-llm/payload/run.sh'],
      numNodes: 3,
      numProcPerNode: 4,
      resourcesPerNode: { limits: { 'nvidia.com/gpu': '4', cpu: '16', memory: '200Gi' } },
    });
    expect(envOf(tj.spec.trainer).HF_TOKEN).toEqual({
      secretKeyRef: { name: 'hf-token', key: 'token' },
    });
    const [override] = tj.spec.podSpecOverrides;
    expect(override.targetJobs).toEqual([{ name: 'node' }]);
    expect(override.nodeSelector).toEqual({ pool: 'a' });
    expect(override.volumes.map((v: Obj) => v.name)).toEqual(['payload', 'data', 'dshm']);
  });

  it("maps the rendezvous variables each operator injects to the launcher's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdzv-'));
    try {
      writeFileSync(join(dir, 'rdzv.sh'), RENDEZVOUS_SCRIPT);
      writeFileSync(
        join(dir, 'run.sh'),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash default, not a JS template.
        'echo "$CNCF_LLM_NODE_RANK $CNCF_LLM_MASTER_ADDR $CNCF_LLM_MASTER_PORT $CNCF_LLM_NNODES ${BASH_ENV:-unset}"\n',
      );
      const run = (env: Record<string, string>) =>
        execFileSync('bash', [join(dir, 'run.sh')], {
          env: {
            PATH: process.env.PATH,
            BASH_ENV: join(dir, 'rdzv.sh'),
            CNCF_LLM_NNODES: '3',
            ...env,
          },
          encoding: 'utf8',
        }).trim();
      // Kubeflow Trainer v2 / training-operator >= 1.7.
      expect(
        run({
          PET_NODE_RANK: '2',
          PET_MASTER_ADDR: 'tj-node-0-0.tj',
          PET_MASTER_PORT: '29400',
          PET_NNODES: '3',
        }),
      ).toBe('2 tj-node-0-0.tj 29400 3 unset');
      // Older training-operator: RANK, MASTER_ADDR, MASTER_PORT.
      expect(run({ RANK: '1', MASTER_ADDR: 'pt-master-0', MASTER_PORT: '23456' })).toBe(
        '1 pt-master-0 23456 3 unset',
      );
      // An elastic range in PET_NNODES keeps the launcher's count.
      expect(run({ PET_NNODES: '1:3' })).toBe('0 127.0.0.1 29500 3 unset');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderKubernetesObjects: sweeps and secrets', () => {
  const saved = process.env.HF_TOKEN;
  beforeEach(() => {
    process.env.HF_TOKEN = fakeHubToken();
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = saved;
  });

  it('renders one ConfigMap and one Job per trial, labelled with the sweep and trial', () => {
    const spec = k8sSpec({
      name: 'lr-sweep',
      sweep: { strategy: 'grid', parameters: { learningRate: [1e-4, 2e-4, 3e-4] } },
    });
    const out = render(spec);
    expect(out.sweep).toBe(true);
    expect(out.units.map((u) => u.name)).toEqual([
      'lr-sweep-t000',
      'lr-sweep-t001',
      'lr-sweep-t002',
    ]);
    expect(out.objects).toHaveLength(6);
    out.units.forEach((u, i) => {
      expect(u.workload.metadata.labels).toMatchObject({
        'cncf-llm.dev/run': 'lr-sweep',
        'cncf-llm.dev/sweep': 'lr-sweep',
        'cncf-llm.dev/trial': String(i),
        'cncf-llm.dev/unit': u.name,
      });
      expect(u.workload.metadata.annotations?.['cncf-llm.dev/spec-hash']).toBe(specHash(spec));
      expect((u.configMap as Obj).data['config_trl.yaml']).toBe(
        `learning_rate: ${[1e-4, 2e-4, 3e-4][i]}\n`,
      );
      expect(envOf(podSpecOf(u.workload as Obj).containers[0]).CNCF_LLM_TRIAL).toBe(String(i));
    });
    const job = toRenderedJob(out);
    expect(job.files.map((f) => f.path)).toContain('lr-sweep-t002/run.sh');
    expect(job.summary.split('\n')).toHaveLength(6);
  });

  it('never puts the Hub token in a manifest: a secretKeyRef only', () => {
    const token = process.env.HF_TOKEN as string;
    const out = render(k8sSpec());
    expect(out.yaml).not.toContain(token);
    expect(JSON.stringify(out.objects)).not.toContain(token);
    expect(out.yaml).toContain('secretKeyRef');
    const job = toRenderedJob(out);
    for (const file of job.files) expect(file.content).not.toContain(token);
  });

  it('passes the W&B key by Secret reference, and refuses W&B tracking without one', () => {
    const tracked = { tensorboard: false, wandb: { project: 'cncf-llm' } };
    const out = render(
      k8sSpec({ tracking: tracked, kubernetes: { wandbSecret: { name: 'wandb' } } }),
    );
    const env = envOf(podSpecOf(out.objects.find((o) => o.kind === 'Job') as Obj).containers[0]);
    expect(env.WANDB_API_KEY).toEqual({ secretKeyRef: { name: 'wandb', key: 'api-key' } });
    expect(() => render(k8sSpec({ tracking: tracked }))).toThrow(
      /tracking\.wandb is set, but the pod has no Weights & Biases key.*kubernetes\.wandbSecret/,
    );
  });

  it('leaves HF_TOKEN out entirely without a Secret to reference', () => {
    const spec = k8sSpec({ kubernetes: { namespace: 'ml', hfTokenSecret: undefined } });
    const out = render(spec);
    expect(out.yaml).not.toContain('HF_TOKEN');
    expect(out.namespace).toBe('ml');
  });
});
