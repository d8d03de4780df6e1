import type { V1ConfigMap } from '@kubernetes/client-node';
import type { LaunchBackend, LaunchOptions, LaunchResult, LogOptions } from '../backend.js';
import { LauncherError } from '../errors.js';
import { type ProgressEvent, parseProgress } from '../progress.js';
import { assertSpecFits, type PartitionLimits } from '../spec/cluster-limits.js';
import type { TrainSpec } from '../spec/schema.js';
import { isFinalState, type RunStatus } from '../state.js';
import { isConflict, isNotFound, isUnreachable } from './api-errors.js';
import {
  createKubeApi,
  type KubeApi,
  type KubeConnectionOptions,
  throwIfAborted,
} from './kube-api.js';
import {
  ANNOTATIONS,
  DEFAULT_GPU_TYPE_LABEL,
  LABELS,
  MANAGED_BY,
  tombstoneName,
} from './labels.js';
import { type NodePool, nodePool } from './node-limits.js';
import { observeRuns, type RunObservation, runStatus } from './observe.js';
import { followPodLog, readPodLog } from './pod-logs.js';
import { primaryPod } from './pod-view.js';
import {
  type KubernetesUnit,
  type PayloadRenderer,
  type RenderedKubernetesObjects,
  renderKubernetesObjects,
  toRenderedJob,
} from './render-objects.js';
import type { UnitObservation } from './status-mapping.js';
import { unitStatus } from './status-mapping.js';
import { watchRunStatus } from './watch-run.js';
import { createWorkload, deleteWorkload, getWorkload } from './workload-api.js';
import { workloadCollectionPath } from './workload-kinds.js';

/** Options of {@link createKubernetesBackend}. */
export interface KubernetesBackendOptions extends KubeConnectionOptions {
  /**
   * Namespace for `status`, `logs`, `cancel`, `list` and `progress`, and for `launch` over the
   * spec's own `kubernetes.namespace`.
   * @default the kubeconfig context's namespace, else `default` (launch: the spec's namespace)
   */
  namespace?: string;
  /** Renders a trial's payload files. @default renderPayload */
  payload?: PayloadRenderer;
  /** Node label that carries the GPU model. @default 'nvidia.com/gpu.product' */
  gpuTypeLabel?: string;
  /** How often a watch re-reads the status even without events, ms. @default 30000 */
  resyncMs?: number;
}

/** `launch` options on Kubernetes. */
export interface KubernetesLaunchOptions extends LaunchOptions {
  /**
   * Check the spec against the nodes' allocatable resources before submitting. Turn off to
   * submit anyway (the pod then waits, Pending, with the scheduler's reason).
   * @default true
   */
  checkLimits?: boolean;
}

/** The Kubernetes backend: {@link LaunchBackend} plus watch/wait and the raw objects. */
export interface KubernetesBackend extends LaunchBackend {
  readonly kind: 'k8s';
  /** Namespace used for runs addressed by name only. */
  readonly namespace: string;
  /** The objects a spec becomes (pure). */
  renderObjects(spec: TrainSpec): RenderedKubernetesObjects;
  /** The nodes a spec may land on and what they can give. */
  nodePool(spec: TrainSpec, options?: { signal?: AbortSignal }): Promise<NodePool>;
  launch(spec: TrainSpec, options?: KubernetesLaunchOptions): Promise<LaunchResult>;
  /** The run's status now and on every change, until it ends (API watches). */
  watch(run: string, options?: { signal?: AbortSignal }): AsyncGenerator<RunStatus>;
  /** Waits until the run ends and returns its final status. */
  wait(run: string, options?: { signal?: AbortSignal }): Promise<RunStatus>;
}

interface RunRef {
  namespace: string;
  name: string;
}

/**
 * Creates the Kubernetes backend: a batch/v1 Job for one node, a PyTorchJob or TrainJob for
 * several, one per trial for a sweep, each with its payload in a ConfigMap. Launching is
 * idempotent by run name and spec hash; `cancel` deletes the workload with background propagation
 * and leaves a small tombstone ConfigMap (`<run>-cancelled`) so the run reads as `cancelled`
 * afterwards.
 *
 * @throws LauncherError `invalid-options` when no kubeconfig can be loaded.
 */
export function createKubernetesBackend(options: KubernetesBackendOptions = {}): KubernetesBackend {
  const api: KubeApi = createKubeApi(options);
  const namespace = options.namespace ?? api.contextNamespace ?? 'default';
  const gpuTypeLabel = options.gpuTypeLabel ?? DEFAULT_GPU_TYPE_LABEL;

  const render = (spec: TrainSpec): RenderedKubernetesObjects =>
    renderKubernetesObjects(spec, {
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...(options.payload ? { payload: options.payload } : {}),
      gpuTypeLabel,
    });

  const ref = (run: string): RunRef => {
    const slash = run.indexOf('/');
    return slash > 0
      ? { namespace: run.slice(0, slash), name: run.slice(slash + 1) }
      : { namespace, name: run };
  };

  /** The run named `name` (a run, a sweep, or one trial of a sweep). */
  async function observe(r: RunRef, signal?: AbortSignal): Promise<RunObservation> {
    const byRun = await observeRuns(api, r.namespace, `${LABELS.run}=${r.name}`, signal);
    const run = byRun.get(r.name);
    if (run) return run;
    // A trial addressed by its own name.
    const byUnit = await observeRuns(api, r.namespace, `${LABELS.unit}=${r.name}`, signal);
    const unit = [...byUnit.values()].flatMap((x) => x.units).find((u) => u.unit === r.name);
    if (unit) {
      return {
        run: r.name,
        namespace: r.namespace,
        sweep: false,
        units: [unit],
        selector: `${LABELS.unit}=${r.name}`,
      };
    }
    throw new LauncherError(
      'job-not-found',
      `no run named "${r.name}" in namespace ${r.namespace}. \`cncf-llm train list --backend k8s\` shows the runs there; a finished run is deleted ttlSecondsAfterFinished after it ends.`,
      { backend: 'k8s', status: 404 },
    );
  }

  async function status(run: string, opts: { signal?: AbortSignal } = {}): Promise<RunStatus> {
    return runStatus(await observe(ref(run), opts.signal));
  }

  async function pool(spec: TrainSpec, opts: { signal?: AbortSignal } = {}): Promise<NodePool> {
    const nodes = await api.call('list', 'nodes', () => api.core.listNode(), opts.signal);
    return nodePool(nodes.items, spec, { gpuTypeLabel });
  }

  function pickUnits(run: RunObservation, trial: number | undefined): UnitObservation[] {
    if (trial === undefined) return run.units;
    const unit = run.units.find((u) => u.trial === trial);
    if (!unit) {
      throw new LauncherError(
        'job-not-found',
        `${run.run} has no trial ${trial} (it has ${run.units.map((u) => u.trial ?? 0).join(', ')}).`,
        { backend: 'k8s', status: 404 },
      );
    }
    return [unit];
  }

  function logTarget(unit: UnitObservation) {
    const pod = primaryPod(unit.pods.filter((p) => p.container !== undefined));
    if (!pod?.container) return undefined;
    return { namespace: unit.namespace, pod: pod.name, container: pod.container };
  }

  /** Phase one of launch: what exists already, and whether it is this spec. */
  async function existing(unit: KubernetesUnit, hash: string, signal?: AbortSignal) {
    const { namespace: ns, name } = unit.workload.metadata;
    const found = await getWorkload(api, unit.kind, ns, name, signal);
    if (!found) return undefined;
    const theirs = found.metadata.annotations?.[ANNOTATIONS.specHash];
    if (theirs === hash && found.metadata.deletionTimestamp === undefined) return found;
    const run = await observe({ namespace: ns, name }, signal).catch(() => undefined);
    const current = run?.units[0] ? unitStatus(run.units[0]) : undefined;
    const state = current?.state ?? 'unknown';
    const fix =
      found.metadata.deletionTimestamp !== undefined
        ? 'It is being deleted: launch again in a moment.'
        : isFinalState(state)
          ? `Delete it (\`kubectl delete ${unit.kind.toLowerCase()} -n ${ns} ${name}\`) or give this spec another name.`
          : `Cancel it first (\`cncf-llm train cancel ${name} --backend k8s\`) or give this spec another name.`;
    throw new LauncherError(
      'already-submitted',
      `${unit.kind} ${ns}/${name} already exists from a different spec (spec hash ${theirs ?? 'none'}, this spec ${hash}) and is ${state}. ${fix}`,
      { backend: 'k8s' },
    );
  }

  async function upsertConfigMap(
    body: V1ConfigMap,
    dryRun: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    const ns = body.metadata?.namespace ?? namespace;
    const name = body.metadata?.name ?? '';
    const what = `ConfigMap ${ns}/${name}`;
    try {
      await api.call(
        dryRun ? 'validate (server-side dry run)' : 'create',
        what,
        () =>
          api.core.createNamespacedConfigMap({
            namespace: ns,
            body,
            ...(dryRun ? { dryRun: 'All' } : {}),
          }),
        signal,
      );
    } catch (error) {
      if (!isConflict(error) || dryRun) throw error;
      // Left by a launch that failed before its workload was created: replace it.
      await api.call(
        'replace',
        what,
        () => api.core.replaceNamespacedConfigMap({ name, namespace: ns, body }),
        signal,
      );
    }
  }

  async function submitUnit(unit: KubernetesUnit, signal?: AbortSignal): Promise<void> {
    const { namespace: ns, name } = unit.workload.metadata;
    // Launching a cancelled run again starts it afresh: its tombstone goes.
    await api
      .call(
        'delete',
        `ConfigMap ${ns}/${tombstoneName(name)}`,
        () => api.core.deleteNamespacedConfigMap({ name: tombstoneName(name), namespace: ns }),
        signal,
      )
      .catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    await upsertConfigMap(unit.configMap as V1ConfigMap, false, signal);
    let created: Awaited<ReturnType<typeof createWorkload>>;
    try {
      created = await createWorkload(api, unit.kind, unit.workload, { signal });
    } catch (error) {
      await api.core
        .deleteNamespacedConfigMap({ name: unit.configMap.metadata.name, namespace: ns })
        .catch(() => undefined);
      throw error;
    }
    // The payload goes when the workload goes (TTL, cancel): the workload owns its ConfigMap.
    await api.call(
      'set the owner of',
      `ConfigMap ${ns}/${unit.configMap.metadata.name}`,
      () =>
        api.core.patchNamespacedConfigMap({
          name: unit.configMap.metadata.name,
          namespace: ns,
          body: [
            {
              op: 'add',
              path: '/metadata/ownerReferences',
              value: [
                {
                  apiVersion: unit.workload.apiVersion,
                  kind: unit.kind,
                  name: created.metadata.name,
                  uid: created.metadata.uid,
                },
              ],
            },
          ],
        }),
      signal,
    );
  }

  async function launch(
    spec: TrainSpec,
    opts: KubernetesLaunchOptions = {},
  ): Promise<LaunchResult> {
    const { signal } = opts;
    const rendered = render(spec);
    const job = toRenderedJob(rendered);
    const ns = rendered.namespace;
    let reachable = true;
    if (opts.checkLimits !== false) {
      try {
        const p = await pool(spec, { signal });
        if (p.nodes.length === 0) {
          throw new LauncherError(
            'exceeds-cluster',
            `${spec.name}: no Ready, schedulable node matches ${p.selector}${p.limits.gpuTypes.length > 0 ? ` (GPU types offered: ${p.limits.gpuTypes.join(', ')})` : ''}. Fix kubernetes.nodeSelector, kubernetes.tolerations or resources.gpuType.`,
            { backend: 'k8s' },
          );
        }
        assertSpecFits(spec, p.limits, 'k8s');
      } catch (error) {
        if (!(opts.dryRun && isUnreachable(error))) throw error;
        reachable = false;
      }
    }
    if (opts.dryRun) {
      if (reachable) {
        try {
          for (const unit of rendered.units) {
            await upsertConfigMap(unit.configMap as V1ConfigMap, true, signal);
            await createWorkload(api, unit.kind, unit.workload, { dryRun: true, signal });
          }
        } catch (error) {
          if (!isUnreachable(error)) throw error;
          reachable = false;
        }
      }
      return {
        submitted: false,
        rendered: job,
        status: {
          name: spec.name,
          id: `${ns}/${spec.name}`,
          backend: 'k8s',
          state: 'unknown',
          raw: 'DryRun',
          reason: reachable
            ? 'dry run: the API server validated every object; nothing was created'
            : 'dry run: the cluster was not reachable, so the objects were only rendered',
        },
      };
    }
    const missing: KubernetesUnit[] = [];
    for (const unit of rendered.units) {
      if (!(await existing(unit, rendered.specHash, signal))) missing.push(unit);
    }
    for (const unit of missing) await submitUnit(unit, signal);
    return {
      submitted: missing.length > 0,
      rendered: job,
      status: await status(`${ns}/${spec.name}`, { signal }),
    };
  }

  async function cancel(run: string, opts: { signal?: AbortSignal } = {}): Promise<RunStatus> {
    const r = ref(run);
    const observed = await observe(r, opts.signal);
    for (const unit of observed.units) {
      const current = unitStatus(unit);
      if (isFinalState(current.state) || !unit.workload) continue;
      const labels: Record<string, string> = {
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.run]: unit.unit,
        [LABELS.unit]: unit.unit,
        [LABELS.component]: 'tombstone',
      };
      const workloadLabels = unit.workload.metadata.labels ?? {};
      for (const key of [LABELS.run, LABELS.sweep, LABELS.trial]) {
        const value = workloadLabels[key];
        if (value !== undefined) labels[key] = value;
      }
      const tombstone: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: tombstoneName(unit.unit),
          namespace: unit.namespace,
          labels,
          annotations: {
            [ANNOTATIONS.workloadKind]: unit.kind,
            [ANNOTATIONS.cancelledAt]: new Date().toISOString(),
            [ANNOTATIONS.cancelledUid]: unit.workload.metadata.uid ?? '',
            [ANNOTATIONS.specHash]:
              unit.workload.metadata.annotations?.[ANNOTATIONS.specHash] ?? '',
          },
        },
        data: { state: current.state, raw: current.raw },
      };
      await upsertConfigMap(tombstone, false, opts.signal);
      await deleteWorkload(api, unit.kind, unit.namespace, unit.unit, opts.signal);
    }
    return status(`${r.namespace}/${r.name}`, opts);
  }

  async function list(opts: { signal?: AbortSignal } = {}): Promise<RunStatus[]> {
    const runs = await observeRuns(
      api,
      namespace,
      `${LABELS.managedBy}=${MANAGED_BY}`,
      opts.signal,
    );
    return [...runs.values()].map(runStatus).sort((a, b) => a.name.localeCompare(b.name));
  }

  async function* logs(run: string, opts: LogOptions = {}): AsyncGenerator<string> {
    const observed = await observe(ref(run), opts.signal);
    const units = pickUnits(observed, opts.trial);
    if (units.length > 1 && opts.follow) {
      throw new LauncherError(
        'invalid-options',
        `${observed.run} is a sweep of ${units.length} trials: follow one at a time (pass a trial index).`,
        { backend: 'k8s' },
      );
    }
    for (const unit of units) {
      const target = logTarget(unit);
      if (!target) {
        const s = unitStatus(unit);
        throw new LauncherError(
          'job-not-found',
          `${unit.unit} has no pod to read logs from yet (it is ${s.state}${s.reason ? `: ${s.reason}` : ''}).`,
          { backend: 'k8s' },
        );
      }
      const prefix = units.length > 1 ? `[${unit.unit}] ` : '';
      if (opts.follow) {
        yield* followPodLog(api, target, {
          ...(opts.tail === undefined ? {} : { tail: opts.tail }),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } else {
        const text = await readPodLog(api, target, {
          ...(opts.tail === undefined ? {} : { tail: opts.tail }),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        for (const line of text) yield prefix + line;
      }
    }
  }

  async function progress(
    run: string,
    opts: { trial?: number; signal?: AbortSignal } = {},
  ): Promise<ProgressEvent[]> {
    const observed = await observe(ref(run), opts.signal);
    const events: ProgressEvent[] = [];
    for (const unit of pickUnits(observed, opts.trial)) {
      const target = logTarget(unit);
      if (!target) continue;
      const pod = unit.pods.find((p) => p.name === target.pod);
      if (pod?.phase === 'Pending') continue;
      let text: string[];
      try {
        text = await readPodLog(api, target, opts.signal ? { signal: opts.signal } : {});
      } catch (error) {
        // A container that has not started has no log yet.
        if (error instanceof LauncherError && error.status === 400) continue;
        throw error;
      }
      for (const event of parseProgress(text.join('\n')).events) {
        events.push(unit.trial === undefined ? event : { ...event, trial: unit.trial });
      }
    }
    return events;
  }

  async function* watch(
    run: string,
    opts: { signal?: AbortSignal } = {},
  ): AsyncGenerator<RunStatus> {
    const r = ref(run);
    const observed = await observe(r, opts.signal);
    const selector = observed.selector;
    const kinds = new Set(observed.units.map((u) => u.kind));
    const paths = [
      { path: `/api/v1/namespaces/${r.namespace}/pods`, labelSelector: selector },
      { path: `/api/v1/namespaces/${r.namespace}/configmaps`, labelSelector: selector },
      ...[...kinds].map((k) => ({
        path: workloadCollectionPath(k, r.namespace),
        labelSelector: selector,
      })),
    ];
    if (kinds.has('TrainJob')) {
      paths.push({
        path: `/api/v1/namespaces/${r.namespace}/pods`,
        labelSelector: `jobset.sigs.k8s.io/jobset-name in (${observed.units.map((u) => u.unit).join(',')})`,
      });
    }
    yield* watchRunStatus(
      { api, paths, status: () => status(`${r.namespace}/${r.name}`, opts) },
      {
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(options.resyncMs ? { resyncMs: options.resyncMs } : {}),
      },
    );
  }

  async function wait(run: string, opts: { signal?: AbortSignal } = {}): Promise<RunStatus> {
    let last: RunStatus | undefined;
    for await (const s of watch(run, opts)) last = s;
    throwIfAborted(opts.signal, `wait for ${run}`);
    if (!last)
      throw new LauncherError('backend-error', `wait for ${run}: no status was read`, {
        backend: 'k8s',
      });
    return last;
  }

  return {
    kind: 'k8s',
    namespace,
    limits: async (
      spec: TrainSpec,
      opts: { signal?: AbortSignal } = {},
    ): Promise<PartitionLimits> => (await pool(spec, opts)).limits,
    nodePool: pool,
    render: (spec) => toRenderedJob(render(spec)),
    renderObjects: render,
    launch,
    status,
    list,
    logs,
    cancel,
    progress,
    watch,
    wait,
  };
}
