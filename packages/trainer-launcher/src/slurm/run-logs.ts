import type { LogOptions } from '../backend.js';
import { LauncherError } from '../errors.js';
import { redactSecrets } from '../secrets.js';
import { isFinalState, type RunStatus } from '../state.js';
import type { SlurmHost } from './host.js';
import { logPathOf } from './render-sbatch.js';
import type { LaunchRecord } from './run-record.js';
import { sleep } from './submissions.js';

/** What {@link readRunLogs} reads from. */
export interface RunLogsInput {
  host: SlurmHost;
  record: LaunchRecord;
  options: LogOptions;
  /** How often a followed log is read again. */
  pollMs: number;
  /** The run's status now; a followed log ends once it (or its trial) is final. */
  status: () => Promise<RunStatus>;
}

/**
 * The lines of a run's log file (`<payloadDir>/logs/<job>.log`, stdout and stderr together),
 * secrets redacted. A sweep without `trial` gives every trial's log, each line prefixed with the
 * trial's name. `follow` reads on until the job (or trial) is final; `tail` starts from the last
 * N lines.
 */
export async function* readRunLogs(input: RunLogsInput): AsyncGenerator<string> {
  const { host, record, options: logOptions, pollMs } = input;
  const { signal } = logOptions;
  const run = record.name;
  const trialCount = record.array ? record.trials.length : 0;
  if (
    logOptions.trial !== undefined &&
    (logOptions.trial < 0 || logOptions.trial >= Math.max(trialCount, 1) || !record.array)
  ) {
    throw new LauncherError(
      'invalid-options',
      `${run} has ${record.array ? `trials 0–${trialCount - 1}` : 'no trials (it is not a sweep)'}; trial ${logOptions.trial} does not exist`,
      {
        backend: 'slurm',
      },
    );
  }
  if (record.array && logOptions.trial === undefined) {
    if (logOptions.follow) {
      throw new LauncherError(
        'invalid-options',
        `${run} is a sweep of ${trialCount} trials: pass a trial to follow one log`,
        { backend: 'slurm' },
      );
    }
    for (const trial of record.trials) {
      const text = await host.readFile(
        logPathOf(record.payloadDir, { arrayJobId: record.jobId, task: trial.index }),
        { signal },
      );
      const lines = (text ?? '').split('\n');
      if (lines.at(-1) === '') lines.pop();
      const shown = logOptions.tail !== undefined ? lines.slice(-logOptions.tail) : lines;
      for (const line of shown) yield `[${trial.name}] ${redactSecrets(line)}`;
    }
    return;
  }
  const path = record.array
    ? logPathOf(record.payloadDir, { arrayJobId: record.jobId, task: logOptions.trial ?? 0 })
    : logPathOf(record.payloadDir, { jobId: record.jobId });
  if (!logOptions.follow) {
    const lines = ((await host.readFile(path, { signal })) ?? '').split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const line of logOptions.tail !== undefined ? lines.slice(-logOptions.tail) : lines)
      yield redactSecrets(line);
    return;
  }
  let offset = 0;
  let partial = '';
  let started = false;
  for (;;) {
    const chunk = await host.readFile(path, { offset, signal });
    if (chunk !== undefined && chunk !== '') {
      offset += Buffer.byteLength(chunk, 'utf8');
      let lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (!started && logOptions.tail !== undefined) lines = lines.slice(-logOptions.tail);
      started = true;
      for (const line of lines) yield redactSecrets(line);
    }
    const status = await input.status();
    const state = record.array
      ? status.tasks?.find((t) => t.id === `${record.jobId}_${logOptions.trial ?? 0}`)?.state
      : status.state;
    if (state !== undefined && isFinalState(state)) {
      // One more read: the last lines may land after the state turned final.
      const rest = (await host.readFile(path, { offset, signal })) ?? '';
      partial += rest;
      break;
    }
    await sleep(pollMs, signal);
  }
  for (const line of partial.split('\n')) if (line !== '') yield redactSecrets(line);
}
