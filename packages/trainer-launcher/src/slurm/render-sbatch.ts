import { posix } from 'node:path';
import { LauncherError } from '../errors.js';
import { redactSecrets } from '../secrets.js';
import { durationToMinutes, memoryToMiB } from '../spec/cluster-limits.js';
import type { TrainSpec } from '../spec/schema.js';
import type { Trial } from '../sweep/expand.js';
import { quoteShellWord } from './shell.js';

/** Name of the directory, inside `output.dir`, that holds a run's payload, script, record and logs. */
export const PAYLOAD_DIR_NAME = '.cncf-llm';

/** Prefix of the `--comment` every launcher job carries; `list` finds jobs by it. */
export const COMMENT_PREFIX = 'cncf-llm:';

/**
 * The run's payload directory: `<output.dir>/.cncf-llm`. It must be on a filesystem that the
 * submitting host and every compute node see at the same path (home, project or scratch space),
 * since the job reads its scripts and writes its logs there.
 */
export function payloadDirOf(spec: TrainSpec): string {
  return posix.join(spec.output.dir, PAYLOAD_DIR_NAME);
}

/** Log file of a job (`%j`) or array task (`%A_%a`) under the payload directory. */
export function logPathOf(
  payloadDir: string,
  job: { jobId: string } | { arrayJobId: string; task: number },
): string {
  const file = 'jobId' in job ? `${job.jobId}.log` : `${job.arrayJobId}_${job.task}.log`;
  return posix.join(payloadDir, 'logs', file);
}

/** Options of {@link renderSbatch}. */
export interface SbatchOptions {
  /** Where the payload lives, as the job sees it (see {@link payloadDirOf}). */
  payloadDir: string;
  /** Stamped as `--comment=cncf-llm:<specHash>`. */
  specHash: string;
  /** The payload's per-node entry point, relative to its directory. @default 'run.sh' */
  entrypoint?: string;
  /** A sweep: one array task per trial, each running `trials/<index>/<entrypoint>`. */
  trials?: readonly Trial[];
  /** GPU request style: `--gres=gpu[:type]:N` or `--gpus-per-node=[type:]N`. @default 'gres' */
  gpuRequest?: 'gres' | 'gpus-per-node';
  /** Base of the rendezvous port; each job adds its id modulo 10000. @default 29500 */
  masterPortBase?: number;
  /**
   * Seconds before the time limit at which Slurm signals the batch shell, which then requeues the
   * job so it resumes from its last checkpoint (only when `slurm.requeue` is on). Slurm may send
   * it up to a minute early. @default a tenth of the time limit, between 60 and 300
   */
  requeueSignalSeconds?: number;
  /** Time-limit requeues per job before it is left to end at its limit. @default 20 */
  maxTimeLimitRequeues?: number;
  /**
   * A job warned this soon after it started would make no progress by requeueing (Slurm may warn
   * up to a minute early, so a short limit can be warned at once): it runs on to its limit
   * instead. @default requeueSignalSeconds
   */
  minRunSecondsBeforeRequeue?: number;
}

/** The job's resources and options, for `#SBATCH` lines (CLI) and slurmrestd job properties. */
export interface SbatchDirectives {
  jobName: string;
  /** stdout and stderr go to the same file, appended to across requeues. */
  output: string;
  chdir: string;
  nodes: number;
  gpusPerNode: number;
  gpuType: string | undefined;
  gpuRequest: 'gres' | 'gpus-per-node';
  cpusPerTask: number;
  /** As written in the spec (`64G`), and in MiB. */
  memory: string;
  memoryMiB: number;
  /** As written in the spec (`08:00:00`), and in whole minutes. */
  time: string;
  timeMinutes: number;
  partition: string | undefined;
  account: string | undefined;
  qos: string | undefined;
  requeue: boolean;
  /** Seconds before the end at which the batch shell gets SIGUSR1; undefined when not requeueing. */
  requeueSignalSeconds: number | undefined;
  maxTimeLimitRequeues: number;
  minRunSecondsBeforeRequeue: number;
  /** `0-(N-1)[%max]` for a sweep. */
  array: string | undefined;
  comment: string;
  extraArgs: string[];
}

/** What sbatch reads unharmed in `#SBATCH --output=…`: no whitespace, quotes, `$` or `%` (its patterns). */
const SAFE_PATH = /^[A-Za-z0-9_./+@,:=~-]+$/;

function assertOneLine(spec: TrainSpec, what: string, value: string | undefined): void {
  if (value !== undefined && /[\r\n]/.test(value)) {
    throw new LauncherError(
      'render-failed',
      `${spec.name}: ${what} contains a line break, which would end the #SBATCH line early. Remove it.`,
    );
  }
}

/** Works out the job's directives from a spec; pure. */
export function sbatchDirectives(spec: TrainSpec, options: SbatchOptions): SbatchDirectives {
  if (!posix.isAbsolute(spec.output.dir)) {
    throw new LauncherError(
      'invalid-spec',
      `${spec.name}: output.dir "${spec.output.dir}" is relative; Slurm jobs need an absolute path on a filesystem the submitting host and the compute nodes share (home, project or scratch). Use an absolute path.`,
    );
  }
  if (!SAFE_PATH.test(spec.output.dir)) {
    throw new LauncherError(
      'invalid-spec',
      `${spec.name}: output.dir "${spec.output.dir}" holds characters that sbatch cannot take in an #SBATCH line (spaces, quotes, $, %, …). Use letters, digits and / . _ - + @ , : = ~ only.`,
    );
  }
  const r = spec.resources;
  const slurm = spec.slurm ?? { requeue: true, extraArgs: [] };
  const trials =
    options.trials && options.trials.length > 0 && spec.sweep ? options.trials : undefined;
  const output = trials
    ? posix.join(options.payloadDir, 'logs', '%A_%a.log')
    : posix.join(options.payloadDir, 'logs', '%j.log');
  const timeMinutes = Math.ceil(durationToMinutes(r.timeLimit));
  const grace =
    options.requeueSignalSeconds ??
    Math.min(300, Math.max(60, Math.floor((timeMinutes * 60) / 10)));
  const directives: SbatchDirectives = {
    jobName: spec.name,
    output,
    chdir: spec.output.dir,
    nodes: r.nodes,
    gpusPerNode: r.gpusPerNode,
    gpuType: r.gpuType,
    gpuRequest: options.gpuRequest ?? 'gres',
    cpusPerTask: r.cpusPerTask,
    memory: r.memory,
    memoryMiB: Math.ceil(memoryToMiB(r.memory)),
    time: r.timeLimit,
    timeMinutes,
    partition: slurm.partition,
    account: slurm.account,
    qos: slurm.qos,
    requeue: slurm.requeue,
    requeueSignalSeconds: slurm.requeue ? grace : undefined,
    maxTimeLimitRequeues: options.maxTimeLimitRequeues ?? 20,
    minRunSecondsBeforeRequeue: options.minRunSecondsBeforeRequeue ?? grace,
    array: trials
      ? `0-${trials.length - 1}${spec.sweep?.maxParallel ? `%${spec.sweep.maxParallel}` : ''}`
      : undefined,
    comment: `${COMMENT_PREFIX}${options.specHash}`,
    extraArgs: [...slurm.extraArgs],
  };
  for (const [what, value] of [
    ['slurm.partition', directives.partition],
    ['slurm.account', directives.account],
    ['slurm.qos', directives.qos],
    ['resources.gpuType', directives.gpuType],
    ['output.dir', directives.chdir],
    ...directives.extraArgs.map((a) => ['slurm.extraArgs', a] as const),
  ] as const) {
    assertOneLine(spec, what, value);
  }
  return directives;
}

/** The `#SBATCH` option words of a job, in a fixed order. */
export function sbatchArgs(d: SbatchDirectives): string[] {
  const args = [
    `--job-name=${d.jobName}`,
    `--output=${d.output}`,
    `--error=${d.output}`,
    '--open-mode=append',
    `--chdir=${d.chdir}`,
    `--nodes=${d.nodes}`,
    '--ntasks-per-node=1',
  ];
  if (d.gpusPerNode > 0) {
    const typed = d.gpuType ? `${d.gpuType}:${d.gpusPerNode}` : String(d.gpusPerNode);
    args.push(d.gpuRequest === 'gres' ? `--gres=gpu:${typed}` : `--gpus-per-node=${typed}`);
  }
  args.push(`--cpus-per-task=${d.cpusPerTask}`, `--mem=${d.memory}`, `--time=${d.time}`);
  if (d.partition) args.push(`--partition=${d.partition}`);
  if (d.account) args.push(`--account=${d.account}`);
  if (d.qos) args.push(`--qos=${d.qos}`);
  args.push(d.requeue ? '--requeue' : '--no-requeue');
  if (d.requeueSignalSeconds !== undefined) args.push(`--signal=B:USR1@${d.requeueSignalSeconds}`);
  if (d.array) args.push(`--array=${d.array}`);
  args.push(`--comment=${d.comment}`, '--export=ALL', ...d.extraArgs);
  return args;
}

function containerMounts(spec: TrainSpec): string[] {
  const mounts = [spec.output.dir];
  if (spec.environment.cacheDir) mounts.push(spec.environment.cacheDir);
  mounts.push(...(spec.environment.container?.mounts ?? []));
  return [...new Set(mounts)];
}

/** The command each node runs, as bash array words (already quoted where needed). */
function nodeCommand(spec: TrainSpec): { srunFlags: string[]; command: string[] } {
  const container = spec.environment.container;
  if (!container) return { srunFlags: [], command: ['bash', '"$ENTRYPOINT"'] };
  const mounts = containerMounts(spec);
  if (container.runtime === 'pyxis') {
    const pyxisMounts = mounts.map((m) => (m.includes(':') ? m : `${m}:${m}`)).join(',');
    return {
      srunFlags: [
        `--container-image=${quoteShellWord(container.image)}`,
        `--container-mounts=${quoteShellWord(pyxisMounts)}`,
        `--container-workdir=${quoteShellWord(spec.output.dir)}`,
      ],
      command: ['bash', '"$ENTRYPOINT"'],
    };
  }
  const command = ['apptainer', 'exec'];
  if (spec.resources.gpusPerNode > 0) command.push('--nv');
  command.push(
    '--bind',
    quoteShellWord(mounts.join(',')),
    '--pwd',
    quoteShellWord(spec.output.dir),
  );
  command.push(quoteShellWord(container.image), 'bash', '"$ENTRYPOINT"');
  return { srunFlags: [], command };
}

/**
 * Renders `job.sbatch` for a run or a sweep (a job array, one task per trial): the `#SBATCH`
 * resources, output file in the payload directory (appended to, so a requeued job continues its
 * log), `--comment=cncf-llm:<specHash>`, and a body that sets `CNCF_LLM_NNODES`,
 * `CNCF_LLM_NODE_RANK`, `CNCF_LLM_MASTER_ADDR`, `CNCF_LLM_MASTER_PORT`,
 * `CNCF_LLM_GPUS_PER_NODE` and `CNCF_LLM_PROGRESS_FILE` and runs the payload's entry point with
 * `srun` on every node (in a pyxis or apptainer container when the spec names one). Secrets are
 * never written: `--export=ALL` hands the job the environment `sbatch` was called from. Pure.
 */
export function renderSbatch(spec: TrainSpec, options: SbatchOptions): string {
  const d = sbatchDirectives(spec, options);
  const entrypoint = options.entrypoint ?? 'run.sh';
  const trials = d.array ? (options.trials ?? []) : [];
  const q = quoteShellWord;
  const lines = ['#!/bin/bash', ...sbatchArgs(d).map((a) => `#SBATCH ${a}`)];
  lines.push(
    '',
    `# Run ${spec.name}, rendered by @cncf-llm/trainer-launcher (spec ${options.specHash}).`,
    '# No secret is written here: --export=ALL gives the job the environment sbatch ran in',
    '# (HF_TOKEN, WANDB_API_KEY). The payload directory must be on a filesystem that the',
    '# submitting host and every node see at the same path.',
    'set -uo pipefail',
    '',
    `PAYLOAD_DIR=${q(options.payloadDir)}`,
    `export CNCF_LLM_RUN=${q(spec.name)}`,
    `export CNCF_LLM_NNODES="\${SLURM_JOB_NUM_NODES:-${d.nodes}}"`,
    `export CNCF_LLM_GPUS_PER_NODE=${d.gpusPerNode}`,
    '# Rendezvous on the first node of the allocation, on a port of its own per job.',
    `CNCF_LLM_MASTER_ADDR="$(scontrol show hostnames "\${SLURM_JOB_NODELIST:-}" 2>/dev/null | head -n 1)"`,
    `export CNCF_LLM_MASTER_ADDR="\${CNCF_LLM_MASTER_ADDR:-$(hostname)}"`,
    `export CNCF_LLM_MASTER_PORT=$(( ${options.masterPortBase ?? 29500} + \${SLURM_JOB_ID:-0} % 10000 ))`,
  );
  if (trials.length > 0) {
    lines.push(
      '',
      '# Sweep: array task N runs trial N with its own output directory.',
      `export CNCF_LLM_TRIAL="\${SLURM_ARRAY_TASK_ID:?job.sbatch of a sweep runs as a job array}"`,
      'case "$CNCF_LLM_TRIAL" in',
      ...trials.map((t) => `  ${t.index}) OUTPUT_DIR=${q(t.spec.output.dir)} ;;`),
      '  *) echo "cncf-llm: this sweep has no trial $CNCF_LLM_TRIAL" >&2; exit 2 ;;',
      'esac',
      `ENTRYPOINT="$PAYLOAD_DIR/trials/$CNCF_LLM_TRIAL/${entrypoint}"`,
    );
  } else {
    lines.push(`OUTPUT_DIR=${q(spec.output.dir)}`, `ENTRYPOINT="$PAYLOAD_DIR/${entrypoint}"`);
  }
  lines.push(
    'export CNCF_LLM_OUTPUT_DIR="$OUTPUT_DIR"',
    'export CNCF_LLM_PROGRESS_FILE="$OUTPUT_DIR/progress.jsonl"',
    'mkdir -p "$OUTPUT_DIR"',
    '',
    `echo "cncf-llm: job \${SLURM_JOB_ID:-?} (restart \${SLURM_RESTART_COUNT:-0}) on \${SLURM_JOB_NODELIST:-?}: \${CNCF_LLM_NNODES} node(s), rendezvous \${CNCF_LLM_MASTER_ADDR}:\${CNCF_LLM_MASTER_PORT}" >&2`,
  );
  if (d.requeueSignalSeconds !== undefined) {
    lines.push(
      '',
      `# ${d.requeueSignalSeconds} s before the time limit Slurm sends this shell SIGUSR1 (--signal=B:USR1@${d.requeueSignalSeconds}):`,
      '# put the job back in the queue; the payload resumes from its last checkpoint.',
      'requeue_before_time_limit() {',
      `  if [ "\${SLURM_RESTART_COUNT:-0}" -ge ${d.maxTimeLimitRequeues} ]; then`,
      `    echo "cncf-llm: time limit near, but job $SLURM_JOB_ID was requeued ${d.maxTimeLimitRequeues} times already: letting it end" >&2`,
      '    return',
      '  fi',
      `  if [ "$SECONDS" -lt ${d.minRunSecondsBeforeRequeue} ]; then`,
      '    echo "cncf-llm: time limit near only $SECONDS s after the start: a requeue would make no progress; running on" >&2',
      '    return',
      '  fi',
      '  echo "cncf-llm: time limit near: requeueing job $SLURM_JOB_ID to resume from the last checkpoint" >&2',
      '  scontrol requeue "$SLURM_JOB_ID"',
      '}',
      'trap requeue_before_time_limit USR1',
    );
  }
  const node = nodeCommand(spec);
  const srun = [
    'srun',
    '--nodes="$CNCF_LLM_NNODES"',
    '--ntasks-per-node=1',
    '--kill-on-bad-exit=1',
    ...node.srunFlags,
  ];
  lines.push(
    '',
    '# One task per node; each learns its rank from SLURM_NODEID.',
    `${srun.join(' ')} \\`,
    `  bash -c 'export CNCF_LLM_NODE_RANK="$SLURM_NODEID"; exec "$@"' cncf-llm-node ${node.command.join(' ')} &`,
    'step=$!',
    'status=0',
    'while :; do',
    '  wait "$step"; status=$?',
    '  # wait returns early when a trapped signal arrives while the step still runs.',
    '  kill -0 "$step" 2>/dev/null || break',
    'done',
    'exit "$status"',
    '',
  );
  const text = lines.join('\n');
  if (redactSecrets(text) !== text) {
    throw new LauncherError(
      'render-failed',
      `${spec.name}: job.sbatch would contain a secret (a token value from the environment or the spec). Secrets reach the job from the submitting environment only: remove it from the spec.`,
      { backend: 'slurm' },
    );
  }
  return text;
}
