import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';

/** Options of {@link startFakeKubelet}. */
export interface FakeKubeletOptions {
  kubeConfig: KubeConfig;
  /** Serving certificate and key (PEM); the API server does not verify kubelet certs by default. */
  tls: { cert: string; key: string };
  /** @default 'fake-gpu-node' */
  nodeName?: string;
  /** `nvidia.com/gpu` capacity. @default 2 */
  gpus?: number;
  /** @default '8' */
  cpu?: string;
  /** @default '32Gi' */
  memory?: string;
  labels?: Record<string, string>;
}

/** A node that exists only in the API server; the test decides what its pods do and print. */
export interface FakeKubelet {
  nodeName: string;
  /** Port of the https server that serves `/containerLogs/…` to the API server. */
  port: number;
  /** Sets what a pod's container has printed so far. */
  setLog(namespace: string, pod: string, text: string): void;
  /** Appends to a pod's log; followers receive it at once. */
  appendLog(namespace: string, pod: string, text: string): void;
  /** Waits until the pods that match `labelSelector` satisfy `ready` (default: at least one). */
  waitForPods(
    namespace: string,
    labelSelector: string,
    ready?: (pods: V1Pod[]) => boolean,
    timeoutMs?: number,
  ): Promise<V1Pod[]>;
  /** Moves a pod bound to this node to Running, as a kubelet does once its container starts. */
  startPod(namespace: string, pod: string): Promise<void>;
  /** Ends a pod: Succeeded with exit code 0, Failed otherwise. Ends log followers. */
  finishPod(namespace: string, pod: string, options?: { exitCode?: number }): Promise<void>;
  /** Stops serving and watching and deletes the Node. */
  stop(): Promise<void>;
}

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Plays the kubelet for one node: registers a Ready Node with GPU capacity whose kubelet endpoint
 * is an https server on 127.0.0.1 that serves container logs; moves pods to Running and to
 * Succeeded/Failed by patching `pods/status` with container statuses; and, like a kubelet,
 * finishes the deletion of pods marked for deletion (without it, the pods of a cancelled Job would
 * stay Terminating forever, since nothing stops their containers).
 */
export async function startFakeKubelet(options: FakeKubeletOptions): Promise<FakeKubelet> {
  const nodeName = options.nodeName ?? 'fake-gpu-node';
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const logs = new Map<string, string>();
  const followers = new Map<string, Set<ServerResponse>>();
  const key = (ns: string, pod: string) => `${ns}/${pod}`;

  const server: Server = createServer(
    { cert: options.tls.cert, key: options.tls.key },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      const k = key(decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''));
      let text = logs.get(k) ?? '';
      const tail = url.searchParams.get('tailLines');
      if (tail !== null) {
        const lines = text.split('\n');
        if (lines.at(-1) === '') lines.pop();
        text = lines
          .slice(-Number(tail))
          .map((l) => `${l}\n`)
          .join('');
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write(text);
      if (url.searchParams.get('follow') === 'true') {
        const set = followers.get(k) ?? new Set();
        set.add(res);
        followers.set(k, set);
        res.on('close', () => set.delete(res));
      } else {
        res.end();
      }
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const now = () => new Date().toISOString();
  const amounts = {
    cpu: options.cpu ?? '8',
    memory: options.memory ?? '32Gi',
    pods: '110',
    'nvidia.com/gpu': String(options.gpus ?? 2),
  };
  await core.createNode({
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: nodeName,
        labels: {
          'kubernetes.io/hostname': nodeName,
          'kubernetes.io/os': 'linux',
          ...options.labels,
        },
      },
    },
  });
  await core.patchNodeStatus(
    {
      name: nodeName,
      body: {
        status: {
          capacity: amounts,
          allocatable: amounts,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'the test plays the kubelet',
              lastHeartbeatTime: now(),
              lastTransitionTime: now(),
            },
          ],
          addresses: [
            { type: 'InternalIP', address: '127.0.0.1' },
            { type: 'Hostname', address: nodeName },
          ],
          daemonEndpoints: { kubeletEndpoint: { Port: port } },
          nodeInfo: {
            machineID: 'fake',
            systemUUID: 'fake',
            bootID: 'fake',
            kernelVersion: 'fake',
            osImage: 'fake',
            containerRuntimeVersion: 'fake://1',
            kubeletVersion: 'v1.20.2',
            kubeProxyVersion: 'v1.20.2',
            operatingSystem: 'linux',
            architecture: 'amd64',
          },
        },
      },
    },
    MERGE,
  );

  // Finish deleting pods marked for deletion, as a kubelet does once their containers stop.
  let stopped = false;
  let watchController: AbortController | undefined;
  const watch = new Watch(options.kubeConfig);
  const finalizeDeletion = (pod: V1Pod) => {
    const name = pod.metadata?.name;
    const namespace = pod.metadata?.namespace;
    if (!name || !namespace || !pod.metadata?.deletionTimestamp) return;
    for (const res of followers.get(key(namespace, name)) ?? []) res.end();
    core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  };
  const openWatch = () => {
    if (stopped) return;
    watch
      .watch(
        '/api/v1/pods',
        { fieldSelector: `spec.nodeName=${nodeName}` },
        (type, obj: V1Pod) => {
          if (type !== 'DELETED') finalizeDeletion(obj);
        },
        () => {
          if (!stopped) setTimeout(openWatch, 500).unref();
        },
      )
      .then((c) => {
        watchController = c;
        if (stopped) c.abort();
      })
      .catch(() => {
        if (!stopped) setTimeout(openWatch, 500).unref();
      });
  };
  openWatch();

  const readPod = (namespace: string, name: string) => core.readNamespacedPod({ name, namespace });

  return {
    nodeName,
    port,
    setLog(namespace, pod, text) {
      logs.set(key(namespace, pod), text);
    },
    appendLog(namespace, pod, text) {
      const k = key(namespace, pod);
      logs.set(k, (logs.get(k) ?? '') + text);
      for (const res of followers.get(k) ?? []) res.write(text);
    },
    async waitForPods(
      namespace,
      labelSelector,
      ready = (pods) => pods.length > 0,
      timeoutMs = 30_000,
    ) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items;
        if (ready(pods)) return pods;
        if (Date.now() > deadline) {
          const seen = pods.map(
            (p) => `${p.metadata?.name}:${p.status?.phase}@${p.spec?.nodeName ?? '-'}`,
          );
          throw new Error(
            `pods matching ${labelSelector} in ${namespace} never got ready (seen: ${seen.join(', ') || 'none'})`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async startPod(namespace, name) {
      const pod = await readPod(namespace, name);
      if (pod.spec?.nodeName !== nodeName) {
        throw new Error(
          `pod ${namespace}/${name} is not bound to ${nodeName} (node: ${pod.spec?.nodeName ?? 'none'})`,
        );
      }
      const t = now();
      await core.patchNamespacedPodStatus(
        {
          name,
          namespace,
          body: {
            status: {
              phase: 'Running',
              hostIP: '127.0.0.1',
              podIP: '127.0.0.1',
              startTime: t,
              conditions: [
                { type: 'Initialized', status: 'True', lastTransitionTime: t },
                { type: 'Ready', status: 'True', lastTransitionTime: t },
                { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
                { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
              ],
              containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
                name: c.name,
                image: c.image,
                imageID: '',
                ready: true,
                started: true,
                restartCount: 0,
                state: { running: { startedAt: t } },
              })),
            },
          },
        },
        MERGE,
      );
    },
    async finishPod(namespace, name, finish = {}) {
      const pod = await readPod(namespace, name);
      const exitCode = finish.exitCode ?? 0;
      const t = now();
      const started = pod.status?.startTime ? new Date(pod.status.startTime).toISOString() : t;
      await core.patchNamespacedPodStatus(
        {
          name,
          namespace,
          body: {
            status: {
              phase: exitCode === 0 ? 'Succeeded' : 'Failed',
              conditions: [
                { type: 'Initialized', status: 'True', lastTransitionTime: t },
                { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: t },
                {
                  type: 'ContainersReady',
                  status: 'False',
                  reason: 'PodCompleted',
                  lastTransitionTime: t,
                },
                { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
              ],
              containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
                name: c.name,
                image: c.image,
                imageID: '',
                ready: false,
                started: false,
                restartCount: 0,
                state: {
                  terminated: {
                    exitCode,
                    reason: exitCode === 0 ? 'Completed' : 'Error',
                    startedAt: started,
                    finishedAt: t,
                  },
                },
              })),
            },
          },
        },
        MERGE,
      );
      for (const res of followers.get(key(namespace, name)) ?? []) res.end();
    },
    async stop() {
      stopped = true;
      watchController?.abort();
      for (const set of followers.values()) for (const res of set) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await core.deleteNode({ name: nodeName }).catch(() => undefined);
    },
  };
}
