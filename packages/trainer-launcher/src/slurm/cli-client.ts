import { LauncherError } from '../errors.js';
import type { CallOptions, SlurmClient } from './client.js';
import { type CommandResult, commandError, type SlurmHost } from './host.js';
import { parseJobsJson, parseSacctJson, parseScontrolJobs } from './job-info.js';
import { parseScontrolNodes, parseScontrolPartitions } from './limits.js';

/** scontrol prints ISO-like times only in the standard format, whatever the user's profile says. */
const ENV = { SLURM_TIME_FORMAT: 'standard' };

const INVALID_JOB = /Invalid job id specified|Unable to find JobId|Invalid job id/i;

/** A job id as the commands accept it: `123` or `123_4`. */
function checkId(id: string): string {
  if (!/^\d+(?:_\d+)?$/.test(id)) {
    throw new LauncherError('invalid-options', `"${id}" is not a Slurm job id (123 or 123_4)`, {
      backend: 'slurm',
    });
  }
  return id;
}

/**
 * The Slurm client commands (`sbatch`, `squeue --json`, `scontrol`, `scancel`, `sacct`) on a
 * {@link SlurmHost}: this machine, or a login node over ssh.
 */
export function createCliClient(host: SlurmHost): SlurmClient {
  const run = (
    command: string,
    args: string[],
    options: CallOptions = {},
  ): Promise<CommandResult> => host.run(command, args, { env: ENV, signal: options.signal });

  return {
    transport: 'cli',
    async submit(request, options) {
      const result = await run('sbatch', ['--parsable', request.scriptPath], options);
      const id = /^(\d+)(?:;\S+)?\s*$/.exec(result.stdout.trim())?.[1];
      if (result.code !== 0 || !id) {
        throw commandError(
          'submit-failed',
          `sbatch ${request.scriptPath} (${host.description})`,
          result,
          `Slurm refused job ${request.directives.jobName}: change the resources, partition, account or QoS the message names, then launch again.`,
        );
      }
      return id;
    },
    async job(id, options) {
      const result = await run('scontrol', ['show', 'job', checkId(id), '--oneliner'], options);
      if (result.code !== 0) {
        if (INVALID_JOB.test(result.stderr)) return undefined;
        throw commandError(
          'backend-error',
          `scontrol show job ${id} (${host.description})`,
          result,
          'Check that slurmctld is reachable (scontrol ping).',
        );
      }
      const jobs = parseScontrolJobs(result.stdout);
      return jobs.length > 0 ? jobs : undefined;
    },
    async jobs(options) {
      // Slurm 22.05's squeue --json ignores filters and prints every job it knows: one call.
      const result = await run('squeue', ['--json', '--states=all'], options);
      if (result.code !== 0) {
        throw commandError(
          'backend-error',
          `squeue --json (${host.description})`,
          result,
          'Check that slurmctld is reachable (scontrol ping) and that squeue is Slurm 22.05 or newer.',
        );
      }
      return parseJobsJson(result.stdout, 'squeue --json');
    },
    async cancel(id, options) {
      const result = await run('scancel', [checkId(id)], options);
      if (result.code === 0 || /already completing or completed/i.test(result.stderr)) return;
      if (INVALID_JOB.test(result.stderr)) {
        throw commandError(
          'job-not-found',
          `scancel ${id} (${host.description})`,
          result,
          'The job is gone; check the id with `cncf-llm train list`.',
        );
      }
      throw commandError(
        'command-failed',
        `scancel ${id} (${host.description})`,
        result,
        'Check that you own the job and that slurmctld is reachable.',
      );
    },
    async partitions(options) {
      const result = await run('scontrol', ['show', 'partition', '--oneliner'], options);
      if (result.code !== 0) {
        throw commandError(
          'backend-error',
          `scontrol show partition (${host.description})`,
          result,
          'Check that slurmctld is reachable (scontrol ping).',
        );
      }
      return parseScontrolPartitions(result.stdout);
    },
    async nodes(options) {
      const result = await run('scontrol', ['show', 'node', '--oneliner'], options);
      if (result.code !== 0) {
        throw commandError(
          'backend-error',
          `scontrol show node (${host.description})`,
          result,
          'Check that slurmctld is reachable (scontrol ping).',
        );
      }
      return parseScontrolNodes(result.stdout);
    },
    async accounting(id, options) {
      let result: CommandResult;
      try {
        result = await run('sacct', ['--json', '-j', checkId(id)], options);
      } catch {
        return undefined;
      }
      // "Slurm accounting storage is disabled": no slurmdbd, nothing to ask.
      if (result.code !== 0 || !result.stdout.trim().startsWith('{')) return undefined;
      const jobs = parseSacctJson(result.stdout);
      return jobs.length > 0 ? jobs : undefined;
    },
  };
}
