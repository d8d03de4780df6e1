import type { V1ConfigMap } from '@kubernetes/client-node';
import type { RunStatus } from '../state.js';
import type { KubeApi } from './kube-api.js';
import { ANNOTATIONS, LABELS } from './labels.js';
import { toPodView } from './pod-view.js';
import type { WorkloadObject } from './schemas.js';
import { combineStatuses, type UnitObservation, unitStatus } from './status-mapping.js';
import { listWorkloads } from './workload-api.js';
import { isWorkloadKind, type WorkloadKind } from './workload-kinds.js';

/** Everything seen of one run: its units (one, or one per sweep trial). */
export interface RunObservation {
  run: string;
  namespace: string;
  /** True when the units are trials of a sweep. */
  sweep: boolean;
  /** Sorted by trial index. */
  units: UnitObservation[];
  /** The label selector that finds the run's objects (for watches). */
  selector: string;
}

const JOBSET_NAME = 'jobset.sigs.k8s.io/jobset-name';

/**
 * Reads the launcher's objects that match a label selector in one namespace — payload and
 * tombstone ConfigMaps, workloads of every kind in use, their pods — in a handful of list calls,
 * and groups them by run. `status`, `list`, `logs` and `progress` all start here.
 */
export async function observeRuns(
  api: KubeApi,
  namespace: string,
  selector: string,
  signal?: AbortSignal,
): Promise<Map<string, RunObservation>> {
  const units = new Map<string, UnitObservation & { run: string }>();
  const unitFor = (name: string, run: string, kind: WorkloadKind, trial: number | undefined) => {
    let unit = units.get(name);
    if (!unit) {
      unit = {
        unit: name,
        run,
        namespace,
        kind,
        trial,
        workload: undefined,
        pods: [],
        tombstone: undefined,
      };
      units.set(name, unit);
    }
    return unit;
  };
  const trialOf = (labels: Record<string, string>): number | undefined =>
    labels[LABELS.trial] === undefined ? undefined : Number(labels[LABELS.trial]);
  const kinds = new Set<WorkloadKind>(['Job']);

  function addConfigMap(cm: V1ConfigMap): void {
    const labels = cm.metadata?.labels ?? {};
    const annotations = cm.metadata?.annotations ?? {};
    const name = labels[LABELS.unit];
    const run = labels[LABELS.run];
    const kind = annotations[ANNOTATIONS.workloadKind];
    if (!name || !run || !isWorkloadKind(kind)) return;
    kinds.add(kind);
    const unit = unitFor(name, run, kind, trialOf(labels));
    if (labels[LABELS.component] === 'tombstone') {
      unit.tombstone = {
        cancelledAt: annotations[ANNOTATIONS.cancelledAt],
        uid: annotations[ANNOTATIONS.cancelledUid],
      };
    }
  }

  const configMaps = await api.call(
    'list',
    `ConfigMaps in ${namespace}`,
    () =>
      api.core.listNamespacedConfigMap({
        namespace,
        labelSelector: `${selector},${LABELS.component} in (payload,tombstone)`,
      }),
    signal,
  );
  for (const cm of configMaps.items) addConfigMap(cm);

  const workloads: [WorkloadKind, WorkloadObject][] = [];
  for (const kind of kinds) {
    for (const w of await listWorkloads(api, kind, namespace, selector, signal)) {
      workloads.push([kind, w]);
    }
  }
  for (const [kind, w] of workloads) {
    const labels = w.metadata.labels ?? {};
    const run = labels[LABELS.run] ?? w.metadata.name;
    const unit = unitFor(labels[LABELS.unit] ?? w.metadata.name, run, kind, trialOf(labels));
    unit.kind = kind;
    unit.workload = w;
  }

  if (units.size > 0) {
    const pods = await api.call(
      'list',
      `pods in ${namespace}`,
      () => api.core.listNamespacedPod({ namespace, labelSelector: selector }),
      signal,
    );
    for (const pod of pods.items) {
      const name = pod.metadata?.labels?.[LABELS.unit];
      if (name) units.get(name)?.pods.push(toPodView(pod));
    }
    // TrainJob pods come from the runtime's template, which does not carry our labels.
    const trainJobs = [...units.values()].filter((u) => u.kind === 'TrainJob').map((u) => u.unit);
    if (trainJobs.length > 0) {
      const more = await api.call(
        'list',
        `pods in ${namespace}`,
        () =>
          api.core.listNamespacedPod({
            namespace,
            labelSelector: `${JOBSET_NAME} in (${trainJobs.join(',')})`,
          }),
        signal,
      );
      for (const pod of more.items) {
        const name = pod.metadata?.labels?.[JOBSET_NAME];
        if (name) units.get(name)?.pods.push(toPodView(pod));
      }
    }
  }

  const runs = new Map<string, RunObservation>();
  for (const unit of units.values()) {
    let run = runs.get(unit.run);
    if (!run) {
      run = {
        run: unit.run,
        namespace,
        sweep: false,
        units: [],
        selector: `${LABELS.run}=${unit.run}`,
      };
      runs.set(unit.run, run);
    }
    run.units.push(unit);
    if (unit.trial !== undefined) run.sweep = true;
  }
  for (const run of runs.values()) run.units.sort((a, b) => (a.trial ?? 0) - (b.trial ?? 0));
  return runs;
}

/** The status of an observed run: its unit's, or a sweep's combined one with one task per trial. */
export function runStatus(run: RunObservation): RunStatus {
  if (!run.sweep && run.units.length === 1 && run.units[0]) return unitStatus(run.units[0]);
  return combineStatuses(run.run, run.namespace, run.units.map(unitStatus));
}
