import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  loadYaml,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLauncherError } from '../../src/errors.js';
import {
  createKubernetesBackend,
  type KubernetesBackend,
} from '../../src/k8s/kubernetes-backend.js';
import { type KubeCluster, startKubeCluster } from '../../src/testing/kube-cluster.js';
import { eventually, stateOf } from './k8s-harness.js';
import { k8sSpec, stubPayload } from './spec-fixtures.js';

// loadYaml maps `x-kubernetes-preserve-unknown-fields` to the typed model's property; a plain
// YAML parse would be serialised without it, and the API server would prune every field.
const crdFile = (name: string) =>
  loadYaml<V1CustomResourceDefinition>(
    readFileSync(fileURLToPath(new URL(`../fixtures/crds/${name}`, import.meta.url)), 'utf8'),
  );

// biome-ignore lint/suspicious/noExplicitAny: the test walks whatever the API server stored.
type Manifest = Record<string, any>;

const twoNodes = { nodes: 2, gpusPerNode: 1, cpusPerTask: 2, memory: '4G', timeLimit: '01:00:00' };
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('Kubeflow PyTorchJob and TrainJob on a real kube-apiserver 1.20', () => {
  let cluster: KubeCluster;
  let backend: KubernetesBackend;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    cluster = await startKubeCluster();
    backend = createKubernetesBackend({ kubeConfig: cluster.kubeConfig, payload: stubPayload });
    custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('refuses a multi-node run with a clear message while the CRDs are not installed', async () => {
    for (const [multiNode, kind, fix] of [
      ['pytorchjob', 'PyTorchJob', /Install the Kubeflow training-operator/],
      ['trainjob', 'TrainJob', /Install Kubeflow Trainer v2/],
    ] as const) {
      const spec = k8sSpec({
        name: `no-crd-${multiNode}`,
        resources: twoNodes,
        kubernetes: { multiNode },
      });
      const error = await backend.launch(spec, { checkLimits: false }).catch((e: unknown) => e);
      expect(isLauncherError(error, 'submit-failed')).toBe(true);
      expect((error as Error).message).toMatch(
        new RegExp(`does not serve .* ${kind} \\(its CustomResourceDefinition`),
      );
      expect((error as Error).message).toMatch(fix);
      // The payload ConfigMap made before the refusal is cleaned up.
      const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
      const left = await core.listNamespacedConfigMap({
        namespace: 'default',
        labelSelector: `cncf-llm.dev/run=${spec.name}`,
      });
      expect(left.items).toHaveLength(0);
      const dry = await backend
        .launch(spec, { checkLimits: false, dryRun: true })
        .catch((e: unknown) => e);
      expect(isLauncherError(dry, 'submit-failed')).toBe(true);
    }
  });

  it('has the API server accept PyTorchJob and TrainJob objects once the CRDs are installed', async () => {
    const ext = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
    for (const file of ['pytorchjobs.kubeflow.org.yaml', 'trainjobs.trainer.kubeflow.org.yaml']) {
      const crd = crdFile(file);
      await ext.createCustomResourceDefinition({ body: crd });
      await eventually(
        () => ext.readCustomResourceDefinition({ name: crd.metadata?.name ?? '' }),
        (c) =>
          c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ??
          false,
        `${crd.metadata?.name} established`,
      );
    }
    const pt = k8sSpec({
      name: 'pt-run',
      resources: twoNodes,
      kubernetes: { multiNode: 'pytorchjob', queue: 'team-a' },
    });
    // Served a moment after Established: retry the first create.
    const launched = await eventually(
      () => backend.launch(pt, { checkLimits: false }),
      (r) => r.submitted,
      'PyTorchJob created',
    );
    expect(launched.status).toMatchObject({ name: 'pt-run', state: 'pending' });
    const stored = (await custom.getNamespacedCustomObject({
      group: 'kubeflow.org',
      version: 'v1',
      namespace: 'default',
      plural: 'pytorchjobs',
      name: 'pt-run',
    })) as { metadata: { labels: Record<string, string> }; spec: Manifest };
    expect(stored.spec.pytorchReplicaSpecs.Worker.replicas).toBe(1);
    expect(stored.spec.pytorchReplicaSpecs.Master.template.spec.containers[0].name).toBe('pytorch');
    expect(stored.spec.runPolicy.suspend).toBe(true);
    expect(stored.metadata.labels['kueue.x-k8s.io/queue-name']).toBe('team-a');

    const tj = k8sSpec({
      name: 'tj-run',
      resources: twoNodes,
      kubernetes: { multiNode: 'trainjob' },
    });
    await eventually(
      () => backend.launch(tj, { checkLimits: false }),
      (r) => r.submitted,
      'TrainJob created',
    );
    const storedTj = (await custom.getNamespacedCustomObject({
      group: 'trainer.kubeflow.org',
      version: 'v1alpha1',
      namespace: 'default',
      plural: 'trainjobs',
      name: 'tj-run',
    })) as { spec: Manifest };
    expect(storedTj.spec.runtimeRef.name).toBe('torch-distributed');
    expect(storedTj.spec.trainer.numNodes).toBe(2);

    // The CRD's own validation speaks through the launcher's error.
    const broken = await custom
      .createNamespacedCustomObject({
        group: 'kubeflow.org',
        version: 'v1',
        namespace: 'default',
        plural: 'pytorchjobs',
        body: {
          apiVersion: 'kubeflow.org/v1',
          kind: 'PyTorchJob',
          metadata: { name: 'broken' },
          spec: {},
        },
      })
      .catch((e: unknown) => e);
    expect(broken).toMatchObject({ code: 422 });
  });

  it("maps the operators' status conditions to the launcher's states", async () => {
    const setConditions = (
      plural: string,
      group: string,
      version: string,
      name: string,
      conditions: object[],
    ) =>
      custom.patchNamespacedCustomObjectStatus(
        { group, version, namespace: 'default', plural, name, body: { status: { conditions } } },
        MERGE,
      );
    const at = new Date().toISOString();
    const c = (type: string, reason: string) => ({
      type,
      status: 'True',
      reason,
      lastTransitionTime: at,
    });
    await setConditions('pytorchjobs', 'kubeflow.org', 'v1', 'pt-run', [
      c('Created', 'PyTorchJobCreated'),
      c('Running', 'PyTorchJobRunning'),
    ]);
    await stateOf(backend, 'pt-run', 'running');
    await setConditions('pytorchjobs', 'kubeflow.org', 'v1', 'pt-run', [
      c('Created', 'PyTorchJobCreated'),
      { ...c('Running', 'PyTorchJobRunning'), status: 'False' },
      c('Succeeded', 'PyTorchJobSucceeded'),
    ]);
    expect((await stateOf(backend, 'pt-run', 'succeeded')).raw).toBe('PyTorchJobSucceeded');

    await setConditions('trainjobs', 'trainer.kubeflow.org', 'v1alpha1', 'tj-run', [
      c('Failed', 'DeadlineExceeded'),
    ]);
    expect((await stateOf(backend, 'tj-run', 'timed-out')).raw).toBe('DeadlineExceeded');
  });

  it('cancels a TrainJob by deleting it, and lists both kinds', async () => {
    const tj = k8sSpec({
      name: 'tj-cancel',
      resources: twoNodes,
      kubernetes: { multiNode: 'trainjob' },
    });
    await backend.launch(tj, { checkLimits: false });
    expect((await backend.cancel('tj-cancel')).state).toBe('cancelled');
    await eventually(
      () =>
        custom.listNamespacedCustomObject({
          group: 'trainer.kubeflow.org',
          version: 'v1alpha1',
          namespace: 'default',
          plural: 'trainjobs',
          labelSelector: 'cncf-llm.dev/run=tj-cancel',
        }),
      (list: { items: unknown[] }) => list.items.length === 0,
      'TrainJob tj-cancel deleted',
    );
    const runs = Object.fromEntries((await backend.list()).map((r) => [r.name, r.state]));
    expect(runs).toEqual({
      'pt-run': 'succeeded',
      'tj-run': 'timed-out',
      'tj-cancel': 'cancelled',
    });
  });
});
