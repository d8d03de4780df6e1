import { BatchV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { KubernetesBackend } from '../../src/k8s/kubernetes-backend.js';
import { PROGRESS_PREFIX } from '../../src/progress.js';
import type { RunStatus } from '../../src/state.js';
import type { FakeKubelet } from '../../src/testing/fake-kubelet.js';
import type { KubeCluster } from '../../src/testing/kube-cluster.js';

/** Polls `read` until `done` holds (the cluster's controllers work asynchronously). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(last)}${lastError ? `, error: ${(lastError as Error).message}` : ''})`,
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits for a run to reach a state. */
export function stateOf(
  backend: KubernetesBackend,
  run: string,
  state: RunStatus['state'],
  timeoutMs?: number,
) {
  return eventually(
    () => backend.status(run),
    (s) => s.state === state,
    `${run} → ${state}`,
    timeoutMs,
  );
}

/** Progress lines as the payload prints them. */
export function progressLog(run: string, steps: number, evalLoss: number): string {
  const t = '2026-11-25T10:00:00Z';
  const lines = [
    'loading model test/tiny-llama',
    `${PROGRESS_PREFIX}${JSON.stringify({ event: 'start', time: t, run, maxSteps: steps, epochs: 1, worldSize: 1 })}`,
  ];
  for (let step = 1; step <= steps; step++) {
    lines.push(
      `${PROGRESS_PREFIX}${JSON.stringify({ event: 'step', time: t, step, maxSteps: steps, epoch: step / steps, loss: 3 - step / 10, learningRate: 2e-4, tokensPerSecond: 100, etaSeconds: steps - step })}`,
    );
  }
  lines.push(
    `${PROGRESS_PREFIX}${JSON.stringify({ event: 'eval', time: t, step: steps, evalLoss })}`,
  );
  lines.push(
    `${PROGRESS_PREFIX}${JSON.stringify({ event: 'end', time: t, status: 'succeeded', step: steps, evalLoss })}`,
  );
  return `${lines.join('\n')}\n`;
}

/** Direct API access for assertions on what the backend created. */
export function clients(cluster: KubeCluster) {
  return {
    core: cluster.kubeConfig.makeApiClient(CoreV1Api),
    batch: cluster.kubeConfig.makeApiClient(BatchV1Api),
  };
}

/** The pods of a unit (run or trial) that the scheduler bound to the fake node. */
export async function boundPods(kubelet: FakeKubelet, unit: string, count = 1): Promise<V1Pod[]> {
  return kubelet.waitForPods(
    'default',
    `cncf-llm.dev/unit=${unit}`,
    (pods) =>
      pods.filter((p) => p.spec?.nodeName === kubelet.nodeName && !p.metadata?.deletionTimestamp)
        .length >= count,
  );
}

/** Plays one pod through: log, Running, then the exit code. */
export async function runPod(
  kubelet: FakeKubelet,
  pod: V1Pod,
  log: string,
  exitCode = 0,
): Promise<void> {
  const name = pod.metadata?.name ?? '';
  kubelet.setLog('default', name, log);
  await kubelet.startPod('default', name);
  await kubelet.finishPod('default', name, { exitCode });
}
