import { posix } from 'node:path';
import type {
  LaunchBackend,
  LaunchOptions,
  LaunchResult,
  LogOptions,
  RenderedFile,
  RenderedJob,
} from '../backend.js';
import { LauncherError } from '../errors.js';
import {
  type PayloadOptions,
  type RenderedPayload,
  renderPayload,
} from '../payload/render-payload.js';
import { type ProgressEvent, parseProgress } from '../progress.js';
import { specHash } from '../run-identity.js';
import { redactSecrets } from '../secrets.js';
import { assertSpecFits, type PartitionLimits } from '../spec/cluster-limits.js';
import type { TrainSpec } from '../spec/schema.js';
import { isFinalState, type RunState, type RunStatus } from '../state.js';
import { expandSweep } from '../sweep/expand.js';
import { createCliClient } from './cli-client.js';
import type { SlurmClient } from './client.js';
import { createLocalHost, type SlurmHost } from './host.js';
import type { SlurmJobInfo } from './job-info.js';
import { partitionLimits } from './limits.js';
import {
  COMMENT_PREFIX,
  payloadDirOf,
  renderSbatch,
  type SbatchOptions,
  sbatchDirectives,
} from './render-sbatch.js';
import { createRestClient, type SlurmRestOptions } from './rest-client.js';
import { readRunLogs } from './run-logs.js';
import {
  createRunIndex,
  defaultRecordsDir,
  type LaunchRecord,
  readLaunchRecord,
  withLaunchLock,
  writeLaunchRecord,
} from './run-record.js';
import { statusFromProgress, submissionStatus } from './run-status.js';
import { createSshHost, type SlurmSshOptions } from './ssh-host.js';
import {
  groupSubmissions,
  isLauncherJob,
  newest,
  payloadDirFromStdout,
  sleep,
} from './submissions.js';

/** Renders one run's (one trial's) payload files. */
export type SlurmPayloadRenderer = (spec: TrainSpec, options: PayloadOptions) => RenderedPayload;

/** Options of {@link createSlurmBackend}. */
export interface SlurmBackendOptions {
  /**
   * `cli`: `sbatch`, `squeue`, `scontrol`, `scancel` (and `sacct`) on this machine, or on `ssh`'s
   * host. `rest`: slurmrestd's REST API v0.0.38 with a JWT; the payload files are still written
   * here, to the shared filesystem. @default 'cli'
   */
  transport?: 'cli' | 'rest';
  /** Run the commands, and write the files, on a login node over ssh (transport `cli`). */
  ssh?: SlurmSshOptions;
  /** slurmrestd address and credentials (transport `rest`). */
  rest?: SlurmRestOptions;
  /** Added to the environment of local Slurm commands, e.g. `{ SLURM_CONF }`. */
  env?: Record<string, string>;
  /** Renders each run's payload (tests inject a small script). @default renderPayload */
  payload?: SlurmPayloadRenderer;
  /**
   * Where this machine remembers each run's payload directory, so `status`, `logs` and `cancel`
   * find a run by name. @default $XDG_STATE_HOME/cncf-llm/slurm (~/.local/state/cncf-llm/slurm)
   */
  recordsDir?: string;
  /** Per Slurm command / request. @default 30000 */
  timeoutMs?: number;
  /** How often `logs({follow})` and `cancel` look again. @default 1000 */
  pollMs?: number;
  /** How long `cancel` waits for the job to reach a final state. @default 30000 */
  cancelWaitMs?: number;
  /** How long a launch waits for another launch of the same run to finish. @default 60000 */
  lockTimeoutMs?: number;
  /** A launch lock older than this was left by a crashed launch and is broken. @default 600000 */
  lockStaleMs?: number;
  /** Rendering choices for job.sbatch. */
  sbatch?: Pick<
    SbatchOptions,
    | 'gpuRequest'
    | 'masterPortBase'
    | 'requeueSignalSeconds'
    | 'maxTimeLimitRequeues'
    | 'minRunSecondsBeforeRequeue'
  >;
  /** Use this client instead of building one from `transport` (tests, custom transports). */
  client?: SlurmClient;
}

/** `launch` options on Slurm. */
export interface SlurmLaunchOptions extends LaunchOptions {
  /**
   * Check the spec against the partition's limits before submitting. Turn off to let `sbatch`
   * judge (an impossible request is then refused by Slurm itself). @default true
   */
  checkLimits?: boolean;
}

/** The Slurm backend: {@link LaunchBackend} plus batch status and the client underneath. */
export interface SlurmBackend extends LaunchBackend {
  readonly kind: 'slurm';
  readonly transport: 'cli' | 'rest';
  readonly client: SlurmClient;
  launch(spec: TrainSpec, options?: SlurmLaunchOptions): Promise<LaunchResult>;
  /** Statuses of several runs with one job listing (one `squeue --json` / `GET /jobs`). */
  statuses(runs: readonly string[], options?: { signal?: AbortSignal }): Promise<RunStatus[]>;
  /** Closes the shared ssh connection, if any (it also closes itself when idle). */
  close(): Promise<void>;
}

const JOB_ID = /^\d+(?:_\d+)?$/;
const ACTIVE: ReadonlySet<RunState> = new Set(['pending', 'running', 'requeued']);

/**
 * Creates the Slurm backend. Jobs are `sbatch` scripts with one `srun` task per node running the
 * payload; a sweep is a job array. Runs are found by name through `launch.json` in
 * `<output.dir>/.cncf-llm` (which must be on a filesystem the submitting host and the nodes
 * share), or by job id.
 */
export function createSlurmBackend(options: SlurmBackendOptions = {}): SlurmBackend {
  const transport = options.client?.transport ?? options.transport ?? 'cli';
  if (transport === 'rest' && !options.rest && !options.client) {
    throw new LauncherError(
      'invalid-options',
      "transport 'rest' needs rest: { baseUrl, userName?, token? } (slurmrestd's address)",
      { backend: 'slurm' },
    );
  }
  if (transport === 'rest' && options.ssh) {
    throw new LauncherError(
      'invalid-options',
      "ssh is for transport 'cli'; with 'rest' the payload is written locally to the shared filesystem",
      { backend: 'slurm' },
    );
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const sshHost = options.ssh ? createSshHost(options.ssh, { timeoutMs }) : undefined;
  const host: SlurmHost = sshHost ?? createLocalHost({ env: options.env, timeoutMs });
  const client: SlurmClient =
    options.client ??
    (transport === 'rest'
      ? createRestClient({ timeoutMs, ...(options.rest as SlurmRestOptions) })
      : createCliClient(host));
  const renderRunPayload = options.payload ?? renderPayload;
  const index = createRunIndex(options.recordsDir ?? defaultRecordsDir());
  const pollMs = options.pollMs ?? 1000;

  /** Lists every job once per operation, only when something needs it. */
  function jobLister(signal?: AbortSignal): () => Promise<SlurmJobInfo[]> {
    let pending: Promise<SlurmJobInfo[]> | undefined;
    return () => {
      pending ??= client.jobs({ signal });
      return pending;
    };
  }

  /** A run's record, found through the local index, or through Slurm by name. */
  async function findRecord(
    run: string,
    signal: AbortSignal | undefined,
    jobs: () => Promise<SlurmJobInfo[]>,
  ): Promise<LaunchRecord | undefined> {
    const dir = await index.get(run);
    if (dir) {
      const record = await readLaunchRecord(host, dir, signal);
      if (record && record.name === run) return record;
    }
    const group = newest(
      groupSubmissions((await jobs()).filter((j) => j.name === run && isLauncherJob(j))),
    );
    const found = payloadDirFromStdout(group?.find((j) => j.stdout)?.stdout);
    if (!found) return undefined;
    const record = await readLaunchRecord(host, found, signal);
    if (record && record.name === run) await index.set(run, found);
    return record;
  }

  async function readProgress(
    path: string,
    signal?: AbortSignal,
  ): Promise<ProgressEvent[] | undefined> {
    const text = await host.readFile(path, { signal });
    // The payload redacts what it writes; redacting again here also covers token shapes it does
    // not know and values set only on this side (a JWT minted for slurmrestd).
    return text === undefined ? undefined : parseProgress(redactSecrets(text)).events;
  }

  /** Status of the record's current job, with the fallbacks for a job slurmctld forgot. */
  async function recordStatus(record: LaunchRecord, signal?: AbortSignal): Promise<RunStatus> {
    const expected = record.array ? record.trials.length : undefined;
    const jobs = await client.job(record.jobId, { signal });
    if (jobs && jobs.length > 0) return submissionStatus(jobs, record.name, expected);
    const accounted = await client.accounting(record.jobId, { signal });
    if (accounted && accounted.length > 0)
      return submissionStatus(accounted, record.name, expected);
    if (!record.array) {
      const events = await readProgress(posix.join(record.outputDir, 'progress.jsonl'), signal);
      return statusFromProgress(record.name, record.jobId, events, record.jobId);
    }
    const tasks: RunStatus[] = [];
    for (const trial of record.trials) {
      const events = await readProgress(posix.join(trial.outputDir, 'progress.jsonl'), signal);
      tasks.push(
        statusFromProgress(trial.name, `${record.jobId}_${trial.index}`, events, record.jobId),
      );
    }
    const states = tasks.map((t) => t.state);
    const state: RunState = states.every(isFinalState)
      ? states.includes('failed')
        ? 'failed'
        : 'succeeded'
      : 'unknown';
    return {
      name: record.name,
      id: record.jobId,
      backend: 'slurm',
      state,
      raw: 'GONE',
      reason: `slurmctld no longer knows job array ${record.jobId}; trial states from the payload's end lines`,
      tasks,
    };
  }

  /** A submission's status, or one array task's when `task` is given (`123_4`). */
  function byJobId(jobs: readonly SlurmJobInfo[], task: string | undefined): RunStatus {
    const status = submissionStatus(jobs, jobs[0]?.name ?? '');
    if (task === undefined || !status.tasks) return status;
    const one = status.tasks.find((t) => t.id === `${status.id}_${task}`);
    if (!one) {
      throw new LauncherError(
        'job-not-found',
        `job array ${status.id} has no task ${task} (tasks: ${status.tasks.map((t) => t.id).join(', ')})`,
        {
          backend: 'slurm',
        },
      );
    }
    return one;
  }

  async function statusOf(run: string, signal?: AbortSignal): Promise<RunStatus> {
    if (JOB_ID.test(run)) {
      const jobs = await client.job(run, { signal });
      if (!jobs) {
        throw new LauncherError(
          'job-not-found',
          `Slurm job ${run} is unknown to slurmctld (it may have finished longer ago than MinJobAge). Use the run name instead, or check \`cncf-llm train list\`.`,
          {
            backend: 'slurm',
          },
        );
      }
      return byJobId(jobs, run.split('_')[1]);
    }
    const jobs = jobLister(signal);
    const record = await findRecord(run, signal, jobs);
    if (record) return recordStatus(record, signal);
    const group = newest(
      groupSubmissions((await jobs()).filter((j) => j.name === run && isLauncherJob(j))),
    );
    if (group) return submissionStatus(group, run);
    throw new LauncherError(
      'job-not-found',
      `no Slurm run named ${run} was found (no launch record here, and no job with that name and a cncf-llm comment). Launch it first, or check the name with \`cncf-llm train list\`.`,
      {
        backend: 'slurm',
      },
    );
  }

  function render(spec: TrainSpec): RenderedJob {
    const hash = specHash(spec);
    const payloadDir = payloadDirOf(spec);
    const trials = expandSweep(spec);
    const files: RenderedFile[] = [];
    let entrypoint: string | undefined;
    if (spec.sweep) {
      for (const trial of trials) {
        const dir = posix.join(payloadDir, 'trials', String(trial.index));
        const payload = renderRunPayload(trial.spec, { payloadDir: dir });
        if (entrypoint !== undefined && payload.entrypoint !== entrypoint) {
          throw new LauncherError(
            'render-failed',
            `${spec.name}: trials of one sweep must share an entry point (${entrypoint} vs ${payload.entrypoint})`,
            { backend: 'slurm' },
          );
        }
        entrypoint = payload.entrypoint;
        files.push(
          ...payload.files.map((f) => ({
            ...f,
            path: posix.join('trials', String(trial.index), f.path),
          })),
        );
      }
    } else {
      const payload = renderRunPayload(spec, { payloadDir });
      entrypoint = payload.entrypoint;
      files.push(...payload.files);
    }
    const script = renderSbatch(spec, {
      ...options.sbatch,
      payloadDir,
      specHash: hash,
      entrypoint,
      trials: spec.sweep ? trials : undefined,
    });
    files.push({ path: 'job.sbatch', content: script, mode: 0o755 });
    const d = sbatchDirectives(spec, {
      ...options.sbatch,
      payloadDir,
      specHash: hash,
      trials: spec.sweep ? trials : undefined,
    });
    const gpus =
      d.gpusPerNode > 0 ? `, ${d.gpusPerNode}×gpu${d.gpuType ? `:${d.gpuType}` : ''} per node` : '';
    const what = d.array ? `job array ${d.array} (${trials.length} trials)` : 'one job';
    return {
      backend: 'slurm',
      name: spec.name,
      specHash: hash,
      trials,
      files,
      summary: `sbatch --parsable ${posix.join(payloadDir, 'job.sbatch')}: ${what}, ${d.nodes} node(s)${gpus}, partition ${d.partition ?? '(default)'}, time ${d.time}; files in ${payloadDir} (${transport}${options.ssh ? ` over ${host.description}` : ''})`,
    };
  }

  async function limits(spec: TrainSpec, signal?: AbortSignal): Promise<PartitionLimits> {
    const [partitions, nodes] = await Promise.all([
      client.partitions({ signal }),
      client.nodes({ signal }),
    ]);
    return partitionLimits(partitions, nodes, spec.slurm?.partition);
  }

  async function launch(
    spec: TrainSpec,
    launchOptions: SlurmLaunchOptions = {},
  ): Promise<LaunchResult> {
    const { signal } = launchOptions;
    const rendered = render(spec);
    const payloadDir = payloadDirOf(spec);
    const script = rendered.files.find((f) => f.path === 'job.sbatch')?.content ?? '';
    const directives = sbatchDirectives(spec, {
      ...options.sbatch,
      payloadDir,
      specHash: rendered.specHash,
      trials: spec.sweep ? rendered.trials : undefined,
    });
    let reachable = true;
    if (launchOptions.checkLimits !== false) {
      try {
        assertSpecFits(spec, await limits(spec, signal), 'slurm');
      } catch (error) {
        const unreachable =
          error instanceof LauncherError &&
          (error.code === 'timeout' ||
            error.code === 'backend-error' ||
            error.code === 'command-failed');
        if (!(launchOptions.dryRun && unreachable)) throw error;
        reachable = false;
      }
    }
    if (launchOptions.dryRun) {
      let checked = 'the spec fits the partition';
      if (reachable && client.transport === 'cli') {
        // sbatch --test-only asks slurmctld whether and when the job could start; nothing is queued.
        const result = await host.run('sbatch', ['--test-only'], { input: script, signal });
        if (result.code !== 0) {
          throw new LauncherError(
            'submit-failed',
            `sbatch --test-only refused ${spec.name}: ${redactSecrets(result.stderr.trim()).slice(0, 1000)}. Change what it names, then launch again.`,
            {
              backend: 'slurm',
              status: result.code,
            },
          );
        }
        checked = `sbatch --test-only: ${result.stderr.trim().replace(/^sbatch:\s*/, '')}`;
      }
      return {
        submitted: false,
        rendered,
        status: {
          name: spec.name,
          id: '',
          backend: 'slurm',
          state: 'unknown',
          raw: 'DryRun',
          reason: reachable
            ? `dry run: ${checked}; nothing was submitted`
            : 'dry run: the cluster was not reachable, so the job was only rendered',
        },
      };
    }
    return withLaunchLock(
      host,
      payloadDir,
      {
        name: spec.name,
        timeoutMs: options.lockTimeoutMs ?? 60_000,
        staleMs: options.lockStaleMs ?? 600_000,
        signal,
      },
      async () => {
        const previous = await readLaunchRecord(host, payloadDir, signal);
        if (previous) {
          const status = await recordStatus(previous, signal);
          if (ACTIVE.has(status.state) || status.state === 'succeeded') {
            if (previous.specHash === rendered.specHash) {
              await index.set(spec.name, payloadDir);
              return { submitted: false, status, rendered };
            }
            throw new LauncherError(
              'already-submitted',
              status.state === 'succeeded'
                ? `${spec.name} already finished (job ${previous.jobId}, succeeded) with a different spec (hash ${previous.specHash}, now ${rendered.specHash}); its outputs are in ${previous.outputDir}. Give the new spec another name (or output.dir) so they are not overwritten.`
                : `${spec.name} is already ${status.state} as job ${previous.jobId} with a different spec (hash ${previous.specHash}, now ${rendered.specHash}). Cancel it first (\`cncf-llm train cancel ${spec.name}\`, or scancel ${previous.jobId}), or give the new spec another name.`,
              { backend: 'slurm' },
            );
          }
        } else {
          // No record: a job of this run submitted elsewhere may still be active.
          const jobs = await client.jobs({ signal });
          const mine = jobs.filter(
            (j) =>
              j.name === spec.name &&
              isLauncherJob(j) &&
              payloadDirFromStdout(j.stdout) === payloadDir,
          );
          for (const group of groupSubmissions(mine)) {
            const status = submissionStatus(group, spec.name);
            if (!ACTIVE.has(status.state)) continue;
            if (group[0]?.comment === `${COMMENT_PREFIX}${rendered.specHash}`)
              return { submitted: false, status, rendered };
            throw new LauncherError(
              'already-submitted',
              `${spec.name} is already ${status.state} as job ${status.id} with a different spec. Cancel it first (scancel ${status.id}), or give the new spec another name.`,
              { backend: 'slurm' },
            );
          }
        }
        await host.writeFiles(payloadDir, rendered.files, { subdirs: ['logs'], signal });
        const jobId = await client.submit(
          { scriptPath: posix.join(payloadDir, 'job.sbatch'), script, directives },
          { signal },
        );
        const submittedAt = new Date().toISOString();
        const record: LaunchRecord = {
          version: 1,
          name: spec.name,
          backend: 'slurm',
          transport: client.transport,
          jobId,
          specHash: rendered.specHash,
          submittedAt,
          payloadDir,
          outputDir: spec.output.dir,
          array: directives.array !== undefined,
          trials: spec.sweep
            ? rendered.trials.map((t) => ({
                index: t.index,
                name: t.name,
                outputDir: t.spec.output.dir,
                values: t.values,
              }))
            : [],
          previous: previous
            ? [
                ...previous.previous,
                {
                  jobId: previous.jobId,
                  specHash: previous.specHash,
                  submittedAt: previous.submittedAt,
                },
              ]
            : [],
        };
        await writeLaunchRecord(host, record, signal);
        await index.set(spec.name, payloadDir);
        const jobs = await client.job(jobId, { signal }).catch(() => undefined);
        const status: RunStatus = jobs
          ? submissionStatus(jobs, spec.name, record.array ? record.trials.length : undefined)
          : {
              name: spec.name,
              id: jobId,
              backend: 'slurm',
              state: 'pending',
              raw: 'SUBMITTED',
              submittedAt,
            };
        return { submitted: true, status, rendered };
      },
    );
  }

  async function requireRecord(run: string, signal?: AbortSignal): Promise<LaunchRecord> {
    const record = await findRecord(run, signal, jobLister(signal));
    if (!record) {
      throw new LauncherError(
        'job-not-found',
        `no launch record for run ${run}: it was not launched from here and no job of that name is known to Slurm. Check the name with \`cncf-llm train list\`.`,
        {
          backend: 'slurm',
        },
      );
    }
    return record;
  }

  async function* logs(run: string, logOptions: LogOptions = {}): AsyncGenerator<string> {
    const record = await requireRecord(run, logOptions.signal);
    yield* readRunLogs({
      host,
      record,
      options: logOptions,
      pollMs,
      status: () => recordStatus(record, logOptions.signal),
    });
  }

  async function progress(
    run: string,
    progressOptions: { trial?: number; signal?: AbortSignal } = {},
  ): Promise<ProgressEvent[]> {
    const { signal, trial } = progressOptions;
    const record = await requireRecord(run, signal);
    if (!record.array) {
      if (trial !== undefined && trial !== 0) {
        throw new LauncherError(
          'invalid-options',
          `${run} is not a sweep; it has no trial ${trial}`,
          { backend: 'slurm' },
        );
      }
      return (await readProgress(posix.join(record.outputDir, 'progress.jsonl'), signal)) ?? [];
    }
    const trials =
      trial === undefined ? record.trials : record.trials.filter((t) => t.index === trial);
    if (trials.length === 0) {
      throw new LauncherError(
        'invalid-options',
        `${run} has trials 0–${record.trials.length - 1}; trial ${trial} does not exist`,
        { backend: 'slurm' },
      );
    }
    const events: ProgressEvent[] = [];
    for (const t of trials) {
      const list = (await readProgress(posix.join(t.outputDir, 'progress.jsonl'), signal)) ?? [];
      events.push(...list.map((e) => (e.trial === undefined ? { ...e, trial: t.index } : e)));
    }
    return events;
  }

  async function cancel(
    run: string,
    cancelOptions: { signal?: AbortSignal } = {},
  ): Promise<RunStatus> {
    const { signal } = cancelOptions;
    let id = run;
    if (!JOB_ID.test(run)) {
      const status = await statusOf(run, signal);
      if (isFinalState(status.state)) return status;
      id = status.id;
    }
    await client.cancel(id, { signal });
    const deadline = Date.now() + (options.cancelWaitMs ?? 30_000);
    for (;;) {
      const status = await statusOf(JOB_ID.test(run) ? id : run, signal);
      if (isFinalState(status.state) || Date.now() > deadline) return status;
      await sleep(Math.min(pollMs, 500), signal);
    }
  }

  async function list(listOptions: { signal?: AbortSignal } = {}): Promise<RunStatus[]> {
    const jobs = (await client.jobs({ signal: listOptions.signal })).filter(isLauncherJob);
    return groupSubmissions(jobs)
      .map((group) => submissionStatus(group, group[0]?.name ?? ''))
      .sort((a, b) => Number(a.id) - Number(b.id));
  }

  async function statuses(
    runs: readonly string[],
    statusOptions: { signal?: AbortSignal } = {},
  ): Promise<RunStatus[]> {
    const { signal } = statusOptions;
    const jobs = await client.jobs({ signal });
    const out: RunStatus[] = [];
    for (const run of runs) {
      if (JOB_ID.test(run)) {
        const [base, task] = run.split('_');
        const matching = jobs.filter((j) => j.jobId === base || j.arrayJobId === base);
        out.push(matching.length > 0 ? byJobId(matching, task) : await statusOf(run, signal));
        continue;
      }
      const record = await findRecord(run, signal, async () => jobs);
      if (record) {
        const known = jobs.filter((j) => j.jobId === record.jobId || j.arrayJobId === record.jobId);
        out.push(
          known.length > 0
            ? submissionStatus(known, record.name, record.array ? record.trials.length : undefined)
            : await recordStatus(record, signal),
        );
        continue;
      }
      const group = newest(
        groupSubmissions(jobs.filter((j) => j.name === run && isLauncherJob(j))),
      );
      if (!group) {
        throw new LauncherError(
          'job-not-found',
          `no Slurm run named ${run} was found. Check the name with \`cncf-llm train list\`.`,
          { backend: 'slurm' },
        );
      }
      out.push(submissionStatus(group, run));
    }
    return out;
  }

  return {
    kind: 'slurm',
    transport: client.transport,
    client,
    limits: (spec) => limits(spec),
    render,
    launch,
    status: (run, statusOptions = {}) => statusOf(run, statusOptions.signal),
    statuses,
    list,
    logs,
    cancel,
    progress,
    close: async () => {
      await sshHost?.close();
    },
  };
}
