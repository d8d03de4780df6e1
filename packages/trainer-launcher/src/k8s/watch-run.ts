import { Watch } from '@kubernetes/client-node';
import { isFinalState, type RunStatus } from '../state.js';
import type { KubeApi } from './kube-api.js';

/** Options of a run watch. */
export interface WatchRunOptions {
  signal?: AbortSignal;
  /** Re-read the status at least this often, in case an event was missed. @default 30000 */
  resyncMs?: number;
}

/** What the watcher needs from the backend. */
export interface WatchTarget {
  api: KubeApi;
  /** API collection paths to watch (`/apis/batch/v1/namespaces/ns/jobs`…) with their selectors. */
  paths: { path: string; labelSelector: string }[];
  /** Reads the current status. */
  status: () => Promise<RunStatus>;
}

function fingerprint(s: RunStatus): string {
  return JSON.stringify([
    s.state,
    s.raw,
    s.reason,
    s.tasks?.map((t) => [t.state, t.raw, t.reason]),
  ]);
}

/**
 * Yields a run's status now and each time it changes, until it reaches a final state or `signal`
 * aborts. Changes are noticed through API watches on the run's workloads and pods (each event
 * triggers a fresh status read); a watch the server closes is reopened, and the status is re-read
 * every `resyncMs` regardless.
 */
export async function* watchRunStatus(
  target: WatchTarget,
  options: WatchRunOptions = {},
): AsyncGenerator<RunStatus> {
  const { signal } = options;
  let last = await target.status();
  yield last;
  if (isFinalState(last.state) || signal?.aborted) return;

  let wake: (() => void) | undefined;
  let dirty = false;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  let stopped = false;
  const controllers: AbortController[] = [];
  const watch = new Watch(target.api.kubeConfig);
  const open = (path: string, labelSelector: string): void => {
    if (stopped) return;
    watch
      .watch(
        path,
        { labelSelector, allowWatchBookmarks: false },
        () => poke(),
        () => {
          // Closed by the server (timeout) or by an error: reopen after a pause.
          if (!stopped) setTimeout(() => open(path, labelSelector), 1000).unref();
        },
      )
      .then((controller) => {
        if (stopped) controller.abort();
        else controllers.push(controller);
      })
      .catch(() => {
        if (!stopped) setTimeout(() => open(path, labelSelector), 1000).unref();
      });
  };
  for (const { path, labelSelector } of target.paths) open(path, labelSelector);
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal?.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.resyncMs ?? 30_000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      if (signal?.aborted) return;
      dirty = false;
      const next = await target.status();
      if (fingerprint(next) !== fingerprint(last)) {
        last = next;
        yield next;
      }
      if (isFinalState(next.state)) return;
    }
  } finally {
    stopped = true;
    signal?.removeEventListener('abort', onAbort);
    for (const c of controllers) c.abort();
  }
}
