import type { ProgressEvent } from './progress.js';
import type { PartitionLimits } from './spec/cluster-limits.js';
import type { TrainSpec } from './spec/schema.js';
import type { RunStatus } from './state.js';
import type { Trial } from './sweep/expand.js';

/** A file the launcher writes for a run: payload config, script, manifest. */
export interface RenderedFile {
  /** Relative to the run's payload directory (Slurm) or the ConfigMap mount (Kubernetes). */
  path: string;
  content: string;
  /** Unix mode; scripts are 0o755. */
  mode?: number;
}

/** Everything a backend would submit for a spec, without submitting it (`--dry-run`). */
export interface RenderedJob {
  backend: 'slurm' | 'k8s';
  name: string;
  specHash: string;
  trials: Trial[];
  /** Payload files (TRL/axolotl config, accelerate config, run.sh, Python helpers) and the backend's own (job.sbatch, manifests.yaml). */
  files: RenderedFile[];
  /** Human summary: the sbatch command or the objects to create. */
  summary: string;
}

/** What `launch` did. */
export interface LaunchResult {
  /** False when a run of this name and spec hash already existed and nothing was submitted. */
  submitted: boolean;
  status: RunStatus;
  rendered: RenderedJob;
}

export interface LaunchOptions {
  /** Render and validate only (against the live cluster's limits when reachable). */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface LogOptions {
  /** Keep reading as the job writes (until it ends or `signal` aborts). */
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Which stream (Slurm) — stdout and stderr are merged by default. */
  signal?: AbortSignal;
  /** Sweep trial index. */
  trial?: number;
}

/**
 * What every backend does. Runs are addressed by the launcher's run name (the spec's `name`),
 * which is also the Slurm job name and the Kubernetes object name; ids work too.
 */
export interface LaunchBackend {
  readonly kind: 'slurm' | 'k8s';
  /** What the target partition / node pool can give one job. */
  limits(spec: TrainSpec): Promise<PartitionLimits>;
  /** Pure: the files and objects for a spec. No cluster is contacted. */
  render(spec: TrainSpec): RenderedJob;
  /** Validate against the cluster, then submit, unless the same named run exists. */
  launch(spec: TrainSpec, options?: LaunchOptions): Promise<LaunchResult>;
  status(run: string, options?: { signal?: AbortSignal }): Promise<RunStatus>;
  list(options?: { signal?: AbortSignal }): Promise<RunStatus[]>;
  logs(run: string, options?: LogOptions): AsyncGenerator<string>;
  cancel(run: string, options?: { signal?: AbortSignal }): Promise<RunStatus>;
  /** Progress events written so far by the payload (per trial for a sweep). */
  progress(
    run: string,
    options?: { trial?: number; signal?: AbortSignal },
  ): Promise<ProgressEvent[]>;
}
