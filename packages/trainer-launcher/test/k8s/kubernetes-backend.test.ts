import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLauncherError } from '../../src/errors.js';
import {
  createKubernetesBackend,
  type KubernetesBackend,
} from '../../src/k8s/kubernetes-backend.js';
import type { RunStatus } from '../../src/state.js';
import { collectSweepResults } from '../../src/sweep/results.js';
import { type FakeKubelet, startFakeKubelet } from '../../src/testing/fake-kubelet.js';
import { type KubeCluster, startKubeCluster } from '../../src/testing/kube-cluster.js';
import { boundPods, clients, eventually, progressLog, runPod, stateOf } from './k8s-harness.js';
import { fakeHubToken, k8sSpec, stubPayload } from './spec-fixtures.js';

describe('Kubernetes backend on a real kube-apiserver 1.20', () => {
  let cluster: KubeCluster;
  let kubelet: FakeKubelet;
  let backend: KubernetesBackend;

  beforeAll(async () => {
    cluster = await startKubeCluster();
    kubelet = await startFakeKubelet({
      kubeConfig: cluster.kubeConfig,
      tls: cluster.kubeletTls,
      gpus: 2,
      cpu: '8',
      memory: '32Gi',
    });
    backend = createKubernetesBackend({
      kubeConfig: cluster.kubeConfig,
      payload: stubPayload,
      resyncMs: 2000,
    });
  });

  afterAll(async () => {
    await kubelet?.stop();
    await cluster?.stop();
  });

  it('creates a Job that the scheduler binds to the GPU node, and follows it to succeeded', async () => {
    const spec = k8sSpec({ name: 'job-ok' });
    const launched = await backend.launch(spec);
    expect(launched.submitted).toBe(true);
    expect(launched.status).toMatchObject({ name: 'job-ok', id: 'default/job-ok', backend: 'k8s' });
    expect(['pending', 'running']).toContain(launched.status.state);

    const { batch, core } = clients(cluster);
    const job = await batch.readNamespacedJob({ name: 'job-ok', namespace: 'default' });
    const container = job.spec?.template.spec?.containers[0];
    expect(container?.command).toEqual(['bash', '/etc/cncf-llm/payload/run.sh']);
    expect(container?.resources?.limits?.['nvidia.com/gpu']).toBe('1');
    expect(job.metadata?.annotations?.['cncf-llm.dev/spec-hash']).toBe(launched.rendered.specHash);
    const cm = await core.readNamespacedConfigMap({ name: 'job-ok-payload', namespace: 'default' });
    expect(cm.data?.['run.sh']).toContain('CNCF_LLM_NODE_RANK');
    expect(cm.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Job',
      name: 'job-ok',
      uid: job.metadata?.uid,
    });

    const [pod] = await boundPods(kubelet, 'job-ok');
    expect(pod?.spec?.nodeName).toBe(kubelet.nodeName);

    const seen: RunStatus['state'][] = [];
    const watching = (async () => {
      for await (const s of backend.watch('job-ok')) seen.push(s.state);
    })();
    const name = pod?.metadata?.name ?? '';
    kubelet.setLog('default', name, progressLog('job-ok', 3, 1.25));
    await kubelet.startPod('default', name);
    await stateOf(backend, 'job-ok', 'running');
    const events = await backend.progress('job-ok');
    expect(events.map((e) => e.event)).toEqual(['start', 'step', 'step', 'step', 'eval', 'end']);
    await kubelet.finishPod('default', name, { exitCode: 0 });
    const final = await backend.wait('job-ok');
    await watching;
    expect(final).toMatchObject({ state: 'succeeded', raw: 'Complete', exitCode: 0 });
    expect(final.endedAt).toBeDefined();
    expect(seen.at(-1)).toBe('succeeded');
    expect(seen).toContain('running');
  });

  it('reads logs, whole or the last lines', async () => {
    const lines: string[] = [];
    for await (const line of backend.logs('job-ok')) lines.push(line);
    expect(lines[0]).toBe('loading model test/tiny-llama');
    expect(lines).toHaveLength(7);
    const tail: string[] = [];
    for await (const line of backend.logs('job-ok', { tail: 2 })) tail.push(line);
    expect(tail).toEqual(lines.slice(-2));
  });

  it('follows a log as it is written, until the container ends', async () => {
    await backend.launch(k8sSpec({ name: 'follow-me' }));
    const [pod] = await boundPods(kubelet, 'follow-me');
    const name = pod?.metadata?.name ?? '';
    kubelet.setLog('default', name, 'line 1\n');
    await kubelet.startPod('default', name);
    const lines: string[] = [];
    const following = (async () => {
      for await (const line of backend.logs('default/follow-me', { follow: true })) {
        lines.push(line);
        if (line === 'line 2') await kubelet.finishPod('default', name, { exitCode: 0 });
      }
    })();
    await eventually(
      async () => lines.length,
      (n) => n === 1,
      'first line followed',
    );
    kubelet.appendLog('default', name, 'line 2\n');
    await following;
    expect(lines).toEqual(['line 1', 'line 2']);
    await stateOf(backend, 'follow-me', 'succeeded');
  });

  it("refuses a spec the nodes cannot hold before submitting, and leaves it pending with the scheduler's reason when forced", async () => {
    const spec = k8sSpec({
      name: 'too-big',
      resources: { nodes: 1, gpusPerNode: 3, cpusPerTask: 2, memory: '4G', timeLimit: '01:00:00' },
    });
    const refused = await backend.launch(spec).catch((e: unknown) => e);
    expect(isLauncherError(refused, 'exceeds-cluster')).toBe(true);
    expect((refused as Error).message).toMatch(
      /3 GPUs per node requested, but the nodes of .* have at most 2/,
    );
    const { batch } = clients(cluster);
    await expect(
      batch.readNamespacedJob({ name: 'too-big', namespace: 'default' }),
    ).rejects.toMatchObject({ code: 404 });

    await backend.launch(spec, { checkLimits: false });
    const pending = await eventually(
      () => backend.status('too-big'),
      (s) => s.raw === 'Unschedulable',
      'too-big unschedulable',
    );
    expect(pending.state).toBe('pending');
    expect(pending.reason).toMatch(/0\/1 nodes are available: 1 Insufficient nvidia\.com\/gpu/);
    await backend.cancel('too-big');
  });
  it('maps a failed pod to BackoffLimitExceeded → failed, with its exit code', async () => {
    await backend.launch(k8sSpec({ name: 'job-fails' }));
    const [pod] = await boundPods(kubelet, 'job-fails');
    await runPod(
      kubelet,
      pod!,
      'Traceback (most recent call last):\nRuntimeError: CUDA out of memory\n',
      3,
    );
    const failed = await stateOf(backend, 'job-fails', 'failed');
    expect(failed).toMatchObject({ raw: 'BackoffLimitExceeded', exitCode: 3 });
    expect(failed.reason).toMatch(/backoff limit/);
  });

  it('maps activeDeadlineSeconds running out to timed-out', async () => {
    await backend.launch(
      k8sSpec({
        name: 'job-slow',
        resources: { nodes: 1, gpusPerNode: 1, cpusPerTask: 1, memory: '1G', timeLimit: '00:02' },
      }),
    );
    const [pod] = await boundPods(kubelet, 'job-slow');
    await kubelet.startPod('default', pod?.metadata?.name ?? '');
    const timedOut = await stateOf(backend, 'job-slow', 'timed-out');
    expect(timedOut.raw).toBe('DeadlineExceeded');
  });

  it('cancels: deletes the Job and its pods with propagation, and remembers the run as cancelled', async () => {
    await backend.launch(k8sSpec({ name: 'cancel-me' }));
    const [pod] = await boundPods(kubelet, 'cancel-me');
    await kubelet.startPod('default', pod?.metadata?.name ?? '');
    await stateOf(backend, 'cancel-me', 'running');
    const cancelled = await backend.cancel('cancel-me');
    expect(cancelled.state).toBe('cancelled');

    const { batch, core } = clients(cluster);
    await eventually(
      () =>
        batch.readNamespacedJob({ name: 'cancel-me', namespace: 'default' }).then(
          () => 'present',
          (e) => (e.code === 404 ? 'gone' : 'error'),
        ),
      (v) => v === 'gone',
      'Job cancel-me deleted',
    );
    await eventually(
      () =>
        core.listNamespacedPod({
          namespace: 'default',
          labelSelector: 'cncf-llm.dev/unit=cancel-me',
        }),
      (pods) => pods.items.length === 0,
      'pods of cancel-me deleted',
    );
    await eventually(
      () =>
        core.listNamespacedConfigMap({
          namespace: 'default',
          labelSelector: 'cncf-llm.dev/unit=cancel-me',
        }),
      (cms) => cms.items.map((c) => c.metadata?.name).join() === 'cancel-me-cancelled',
      'only the tombstone of cancel-me left',
    );
    expect(await backend.status('cancel-me')).toMatchObject({ state: 'cancelled', raw: 'Deleted' });
    // Cancelling again changes nothing; launching again starts afresh.
    expect((await backend.cancel('cancel-me')).state).toBe('cancelled');
    const again = await backend.launch(k8sSpec({ name: 'cancel-me' }));
    expect(again.submitted).toBe(true);
    expect(again.status.state).not.toBe('cancelled');
    const [next] = await boundPods(kubelet, 'cancel-me');
    await runPod(kubelet, next!, 'done\n');
    await stateOf(backend, 'cancel-me', 'succeeded');
  });

  it('launches the same named run once, and refuses a different spec under its name', async () => {
    const spec = k8sSpec({ name: 'idem' });
    const first = await backend.launch(spec);
    const second = await backend.launch(spec);
    expect(first.submitted).toBe(true);
    expect(second.submitted).toBe(false);
    expect(second.status.name).toBe('idem');
    const { batch } = clients(cluster);
    const jobs = await batch.listNamespacedJob({
      namespace: 'default',
      labelSelector: 'cncf-llm.dev/run=idem',
    });
    expect(jobs.items).toHaveLength(1);

    const changed = k8sSpec({
      name: 'idem',
      hyperparameters: { learningRate: 1e-3, maxSteps: 20 },
    });
    const refused = await backend.launch(changed).catch((e: unknown) => e);
    expect(isLauncherError(refused, 'already-submitted')).toBe(true);
    expect((refused as Error).message).toMatch(
      /Job default\/idem already exists from a different spec .* Cancel it first \(`cncf-llm train cancel idem/,
    );
    const [pod] = await boundPods(kubelet, 'idem');
    await runPod(kubelet, pod!, 'ok\n');
    await stateOf(backend, 'idem', 'succeeded');
    const finished = await backend.launch(changed).catch((e: unknown) => e);
    expect((finished as Error).message).toMatch(
      /is succeeded\. Delete it \(`kubectl delete job -n default idem`\)/,
    );
  });

  it('runs a sweep as one Job per trial and names the best trial from the logs', async () => {
    const spec = k8sSpec({
      name: 'sweep',
      sweep: { strategy: 'grid', parameters: { learningRate: [1e-4, 2e-4, 3e-4] } },
    });
    const launched = await backend.launch(spec);
    expect(launched.rendered.trials).toHaveLength(3);
    const { batch } = clients(cluster);
    const jobs = await batch.listNamespacedJob({
      namespace: 'default',
      labelSelector: 'cncf-llm.dev/sweep=sweep',
    });
    expect(jobs.items.map((j) => j.metadata?.name).sort()).toEqual([
      'sweep-t000',
      'sweep-t001',
      'sweep-t002',
    ]);

    // Two GPUs, three one-GPU trials: one waits for the scheduler.
    const waiting = await eventually(
      () => backend.status('sweep'),
      (s) => s.tasks?.some((t) => t.raw === 'Unschedulable') ?? false,
      'one trial unschedulable',
    );
    expect(waiting.state).toBe('pending');
    expect(waiting.tasks).toHaveLength(3);

    const evalLoss = [1.5, 0.9, 1.2];
    for (const trial of [0, 1, 2]) {
      const unit = `sweep-t00${trial}`;
      const [pod] = await boundPods(kubelet, unit);
      await runPod(kubelet, pod!, progressLog(unit, 2, evalLoss[trial]!));
      await eventually(
        () => backend.status(unit),
        (s) => s.state === 'succeeded',
        `${unit} succeeded`,
      );
    }
    const done = await stateOf(backend, 'sweep', 'succeeded');
    expect(done.raw).toBe('3 trials: 3 succeeded');
    const observed = new Map(
      await Promise.all(
        launched.rendered.trials.map(
          async (t) =>
            [
              t.index,
              {
                state: done.tasks?.[t.index]?.state ?? 'unknown',
                events: await backend.progress('sweep', { trial: t.index }),
              },
            ] as const,
        ),
      ),
    );
    const results = collectSweepResults(launched.rendered.trials, observed);
    expect(results.rows.map((r) => r.evalLoss)).toEqual(evalLoss);
    expect(results.best?.name).toBe('sweep-t001');
    expect(results.best?.values).toEqual({ learningRate: 2e-4 });
    const lines: string[] = [];
    for await (const line of backend.logs('sweep', { trial: 2 })) lines.push(line);
    expect(lines[0]).toBe('loading model test/tiny-llama');
  });

  it("lists the launcher's runs with their states", async () => {
    const runs = await backend.list();
    const byName = Object.fromEntries(runs.map((r) => [r.name, r.state]));
    expect(byName).toMatchObject({
      'job-ok': 'succeeded',
      'job-fails': 'failed',
      'job-slow': 'timed-out',
      idem: 'succeeded',
      sweep: 'succeeded',
      'too-big': 'cancelled',
      'follow-me': 'succeeded',
    });
    expect(runs.find((r) => r.name === 'sweep')?.tasks).toHaveLength(3);
  });

  it('labels a queued run for Kueue (1.20 drops Job.spec.suspend, so it runs at once here)', async () => {
    await backend.launch(k8sSpec({ name: 'queued', kubernetes: { queue: 'team-a' } }));
    const { batch } = clients(cluster);
    const job = await batch.readNamespacedJob({ name: 'queued', namespace: 'default' });
    expect(job.metadata?.labels?.['kueue.x-k8s.io/queue-name']).toBe('team-a');
    expect(job.spec?.suspend).toBeUndefined();
    await backend.cancel('queued');
  });

  describe('secrets', () => {
    const saved = process.env.HF_TOKEN;
    afterAll(() => {
      if (saved === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = saved;
    });

    it('passes HF_TOKEN by Secret reference only: never in objects, YAML, errors or logs', async () => {
      const token = fakeHubToken();
      process.env.HF_TOKEN = token;
      const spec = k8sSpec({ name: 'secret-run' });
      const launched = await backend.launch(spec);
      expect(launched.rendered.files.map((f) => f.content).join('\n')).not.toContain(token);
      const { batch, core } = clients(cluster);
      const job = await batch.readNamespacedJob({ name: 'secret-run', namespace: 'default' });
      const env = job.spec?.template.spec?.containers[0]?.env ?? [];
      expect(env.find((e) => e.name === 'HF_TOKEN')).toEqual({
        name: 'HF_TOKEN',
        valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } },
      });
      const cm = await core.readNamespacedConfigMap({
        name: 'secret-run-payload',
        namespace: 'default',
      });
      expect(JSON.stringify([job, cm])).not.toContain(token);

      const refused = await backend
        .launch(k8sSpec({ name: 'secret-run', hyperparameters: { learningRate: 1, maxSteps: 1 } }))
        .catch((e: unknown) => e);
      expect(isLauncherError(refused)).toBe(true);
      expect(
        `${(refused as Error).message} ${String((refused as Error).cause ?? '')}`,
      ).not.toContain(token);

      const [pod] = await boundPods(kubelet, 'secret-run');
      await runPod(kubelet, pod!, `token is ${token}\nbye\n`);
      const lines: string[] = [];
      for await (const line of backend.logs('secret-run')) lines.push(line);
      expect(lines).toEqual(['token is [REDACTED]', 'bye']);
    });
  });

  it('validates with a server-side dry run and creates nothing', async () => {
    const result = await backend.launch(k8sSpec({ name: 'dry' }), { dryRun: true });
    expect(result.submitted).toBe(false);
    expect(result.status).toMatchObject({ raw: 'DryRun', state: 'unknown' });
    expect(result.status.reason).toMatch(/validated/);
    await expect(backend.status('dry')).rejects.toMatchObject({ code: 'job-not-found' });
  });

  it('maps API errors: bad credentials (401), no rights (403), an invalid object (422), without showing tokens', async () => {
    const bad = new KubeConfig();
    const badToken = ['kube', 'FAKE'.repeat(6)].join('-');
    bad.loadFromOptions({
      clusters: cluster.kubeConfig.clusters,
      users: [{ name: 'intruder', token: badToken }],
      contexts: [{ name: 'x', cluster: cluster.kubeConfig.clusters[0]?.name, user: 'intruder' }],
      currentContext: 'x',
    });
    const unauthorized = await createKubernetesBackend({ kubeConfig: bad })
      .status('job-ok')
      .catch((e: unknown) => e);
    expect(unauthorized).toMatchObject({ code: 'backend-error', status: 401 });
    expect((unauthorized as Error).message).toMatch(/rejected the credentials/);
    expect((unauthorized as Error).message).not.toContain(badToken);

    const nobody = createKubernetesBackend({ kubeconfigPath: cluster.unprivilegedKubeconfigPath });
    const forbidden = await nobody.list().catch((e: unknown) => e);
    expect(forbidden).toMatchObject({ code: 'backend-error', status: 403 });
    expect((forbidden as Error).message).toMatch(
      /forbidden \(403\).*User "nobody" cannot list resource "configmaps"/,
    );
    const nobodyToken =
      readFileSync(cluster.unprivilegedKubeconfigPath, 'utf8').match(/token: (\S+)/)?.[1] ??
      'missing';
    expect((forbidden as Error).message).not.toContain(nobodyToken);

    await expect(backend.status('no-such-run')).rejects.toMatchObject({ code: 'job-not-found' });

    // A field the API server refuses (422): a node-selector key that is not a label key.
    const invalid = k8sSpec({
      name: 'bad-selector',
      kubernetes: { nodeSelector: { 'not a key!': 'x' } },
    });
    const refused = await backend.launch(invalid, { checkLimits: false }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'submit-failed', status: 422 });
    expect((refused as Error).message).toMatch(
      /create Job default\/bad-selector: the API server refused it \(422\).*nodeSelector/,
    );
    await expect(backend.status('bad-selector')).rejects.toMatchObject({ code: 'job-not-found' });
  });
});
