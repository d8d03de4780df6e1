import { posix } from 'node:path';
import { sleep as abortableSleep } from '../sleep.js';
import type { SlurmJobInfo } from './job-info.js';
import { COMMENT_PREFIX, PAYLOAD_DIR_NAME } from './render-sbatch.js';

/** Waits `ms`, or throws `aborted` when `signal` fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortableSleep(ms, signal, 'the Slurm operation', 'slurm');
}

/** The payload directory a job writes its log to (`<payloadDir>/logs/%j.log`). */
export function payloadDirFromStdout(stdout: string | undefined): string | undefined {
  if (!stdout) return undefined;
  const logs = posix.dirname(stdout);
  const dir = posix.dirname(logs);
  return posix.basename(logs) === 'logs' && posix.basename(dir) === PAYLOAD_DIR_NAME
    ? dir
    : undefined;
}

/** Whether the job carries the launcher's `--comment=cncf-llm:<specHash>`. */
export function isLauncherJob(job: SlurmJobInfo): boolean {
  return job.comment?.startsWith(COMMENT_PREFIX) === true;
}

/** Groups jobs into submissions: one per plain job, one per array. */
export function groupSubmissions(jobs: readonly SlurmJobInfo[]): SlurmJobInfo[][] {
  const groups = new Map<string, SlurmJobInfo[]>();
  for (const job of jobs) {
    const key = job.arrayJobId ?? job.jobId;
    const list = groups.get(key) ?? [];
    list.push(job);
    groups.set(key, list);
  }
  return [...groups.values()];
}

/** The most recent submission (highest job id). */
export function newest(groups: readonly SlurmJobInfo[][]): SlurmJobInfo[] | undefined {
  const id = (g: readonly SlurmJobInfo[]) => Number(g[0]?.arrayJobId ?? g[0]?.jobId ?? 0);
  return [...groups].sort((a, b) => id(b) - id(a))[0];
}
