import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { Log } from '@kubernetes/client-node';
import { LauncherError } from '../errors.js';
import { redactSecrets } from '../secrets.js';
import { kubernetesError } from './api-errors.js';
import type { KubeApi } from './kube-api.js';

/** Which pod and container to read. */
export interface PodLogTarget {
  namespace: string;
  pod: string;
  container: string;
}

function lines(text: string): string[] {
  const out = text.split('\n');
  if (out.at(-1) === '') out.pop();
  return out;
}

/**
 * A pod's log, once (`readNamespacedPodLog`). Lines go through `redactSecrets`, so a payload that
 * printed a token does not hand it on.
 */
export async function readPodLog(
  api: KubeApi,
  target: PodLogTarget,
  options: { tail?: number; signal?: AbortSignal } = {},
): Promise<string[]> {
  const text = await api.call(
    'read the log of',
    `pod ${target.namespace}/${target.pod}`,
    () =>
      api.core.readNamespacedPodLog({
        name: target.pod,
        namespace: target.namespace,
        container: target.container,
        ...(options.tail === undefined ? {} : { tailLines: options.tail }),
      }),
    options.signal,
  );
  return lines(redactSecrets(String(text)));
}

/** A pod's log as it is written, until the container ends or `signal` aborts. */
export async function* followPodLog(
  api: KubeApi,
  target: PodLogTarget,
  options: { tail?: number; signal?: AbortSignal } = {},
): AsyncGenerator<string> {
  const what = `pod ${target.namespace}/${target.pod}`;
  if (options.signal?.aborted)
    throw new LauncherError('aborted', `follow the log of ${what}: aborted`, { backend: 'k8s' });
  const stream = new PassThrough();
  let controller: AbortController;
  try {
    controller = await new Log(api.kubeConfig).log(
      target.namespace,
      target.pod,
      target.container,
      stream,
      {
        follow: true,
        ...(options.tail === undefined ? {} : { tailLines: options.tail }),
      },
    );
  } catch (error) {
    throw kubernetesError(error, { action: 'follow the log of', target: what, server: api.server });
  }
  const onAbort = () => {
    controller.abort();
    stream.end();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const line of createInterface({
      input: stream,
      crlfDelay: Number.POSITIVE_INFINITY,
    })) {
      yield redactSecrets(line);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort();
    stream.destroy();
  }
}
