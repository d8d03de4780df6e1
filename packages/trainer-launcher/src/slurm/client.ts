import type { SlurmJobInfo } from './job-info.js';
import type { SbatchDirectives } from './render-sbatch.js';

/** A partition as the launcher needs it. */
export interface SlurmPartitionInfo {
  name: string;
  isDefault: boolean;
  /** `undefined`: unlimited. */
  maxTimeMinutes: number | undefined;
  /** Most nodes one job may use; `undefined`: no limit of its own. */
  maxNodesPerJob: number | undefined;
  /** `UP`, `DOWN`, `DRAIN`, `INACTIVE`. */
  state: string;
}

/** A node as the launcher needs it. */
export interface SlurmNodeInfo {
  name: string;
  partitions: string[];
  cpus: number;
  memoryMiB: number;
  /** Slurm's Gres string, e.g. `gpu:a100:4(S:0-1),gpu:v100:2`; empty when none. */
  gres: string;
  state: string;
}

/** What to submit: the script (already on the shared filesystem at `scriptPath`) and its directives. */
export interface SubmitRequest {
  scriptPath: string;
  script: string;
  directives: SbatchDirectives;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * The Slurm operations the backend needs, over the commands (`sbatch`, `squeue`, `scontrol`,
 * `scancel`, `sacct`, locally or over ssh) or over slurmrestd's REST API.
 */
export interface SlurmClient {
  readonly transport: 'cli' | 'rest';
  /** Submits a job; returns its id. Throws `submit-failed` with Slurm's own words. */
  submit(request: SubmitRequest, options?: CallOptions): Promise<string>;
  /** One job (every task, for an array id), or `undefined` when slurmctld no longer knows it. */
  job(id: string, options?: CallOptions): Promise<SlurmJobInfo[] | undefined>;
  /** Every job slurmctld knows (finished ones until MinJobAge passes), in one call. */
  jobs(options?: CallOptions): Promise<SlurmJobInfo[]>;
  /** Cancels a job (every task, for an array id). Throws `job-not-found`. */
  cancel(id: string, options?: CallOptions): Promise<void>;
  partitions(options?: CallOptions): Promise<SlurmPartitionInfo[]>;
  nodes(options?: CallOptions): Promise<SlurmNodeInfo[]>;
  /** The job from accounting (`sacct`), or `undefined` when the cluster keeps none. */
  accounting(id: string, options?: CallOptions): Promise<SlurmJobInfo[] | undefined>;
}
