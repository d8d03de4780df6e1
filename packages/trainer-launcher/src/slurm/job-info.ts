import { z } from 'zod';
import { LauncherError } from '../errors.js';
import { decodeExitCode } from './states.js';

/** One Slurm job (or one array task) as every source (squeue, scontrol, slurmrestd, sacct) gives it. */
export interface SlurmJobInfo {
  /** The job's own id (an array task has its own id too). */
  jobId: string;
  /** Array jobs: the id shared by all tasks. */
  arrayJobId: string | undefined;
  /** Array jobs: this task's index. */
  arrayTaskId: number | undefined;
  /**
   * Array jobs: the tasks this record stands for when Slurm keeps several pending tasks in one
   * record (`2-5%2`, `1,3`).
   */
  arrayTasks: number[] | undefined;
  name: string;
  /** Slurm's state word (`PENDING`, `COMPLETED`…). */
  state: string;
  /** Slurm's reason code (`Resources`, `NonZeroExitCode`), `None` when none. */
  reason: string | undefined;
  /** Exit code of the batch script, decoded (a signal n is 128+n). */
  exitCode: number | undefined;
  comment: string | undefined;
  /** ISO times; `undefined` when not (yet) known. */
  submitTime: string | undefined;
  startTime: string | undefined;
  endTime: string | undefined;
  /** How often the job was requeued. */
  restarts: number;
  /** Standard output path with Slurm's `%` patterns as submitted (squeue) or resolved (scontrol). */
  stdout: string | undefined;
  user: string | undefined;
  partition: string | undefined;
}

const epoch = z.number().nullable().optional();

/**
 * A job as `squeue --json` and slurmrestd's `GET /slurm/v0.0.38/job(s)` return it (Slurm 22.05,
 * OpenAPI plugin v0.0.38). Only the fields the launcher reads; the rest pass unchecked.
 */
export const SlurmJobJsonSchema = z.object({
  job_id: z.number().int(),
  name: z.string().nullable().optional(),
  job_state: z.string(),
  state_reason: z.string().nullable().optional(),
  array_job_id: z.number().int().nullable().optional(),
  array_task_id: z.number().int().nullable().optional(),
  array_task_string: z.string().nullable().optional(),
  comment: z.string().nullable().optional(),
  exit_code: z.number().int().nullable().optional(),
  submit_time: epoch,
  start_time: epoch,
  end_time: epoch,
  restart_cnt: z.number().int().nullable().optional(),
  standard_output: z.string().nullable().optional(),
  user_name: z.string().nullable().optional(),
  partition: z.string().nullable().optional(),
});

/** The body of `squeue --json` and of slurmrestd's job listings. */
export const SlurmJobsResponseSchema = z.object({
  jobs: z.array(SlurmJobJsonSchema),
  errors: z
    .array(
      z.object({
        error: z.string().optional(),
        description: z.string().optional(),
        error_number: z.number().optional(),
        error_code: z.number().optional(),
      }),
    )
    .optional(),
});

export type SlurmJobJson = z.infer<typeof SlurmJobJsonSchema>;

const FINAL_WORDS =
  /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED|REVOKED)/;

function isoFromEpoch(value: number | null | undefined): string | undefined {
  return value ? new Date(value * 1000).toISOString() : undefined;
}

/** Parses Slurm's array task expressions: `3`, `0-9`, `0-9:2`, `1,4-5`, `0-2%2`. */
export function parseArrayTasks(text: string): number[] {
  const out: number[] = [];
  const body = text.replace(/%\d+$/, '').replace(/^\[|\]$/g, '');
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const stride = m[3] === undefined ? 1 : Math.max(1, Number(m[3]));
    for (let i = from; i <= to && out.length <= 100_000; i += stride) out.push(i);
  }
  return out;
}

/** Normalises one job object of `squeue --json` / slurmrestd. */
export function jobFromJson(job: SlurmJobJson): SlurmJobInfo {
  const arrayJobId = job.array_job_id ? String(job.array_job_id) : undefined;
  const taskString = job.array_task_string ?? '';
  const arrayTasks =
    arrayJobId && job.array_task_id == null && taskString ? parseArrayTasks(taskString) : undefined;
  const final = FINAL_WORDS.test(job.job_state);
  return {
    jobId: String(job.job_id),
    arrayJobId,
    arrayTaskId: arrayJobId && job.array_task_id != null ? job.array_task_id : undefined,
    arrayTasks,
    name: job.name ?? '',
    state: job.job_state,
    reason: job.state_reason ?? undefined,
    exitCode: final ? decodeExitCode(job.exit_code) : undefined,
    comment: job.comment || undefined,
    submitTime: isoFromEpoch(job.submit_time),
    startTime: job.job_state === 'PENDING' ? undefined : isoFromEpoch(job.start_time),
    // For a running job end_time is the projected end (start + time limit), not an end.
    endTime: final ? isoFromEpoch(job.end_time) : undefined,
    restarts: job.restart_cnt ?? 0,
    stdout: job.standard_output || undefined,
    user: job.user_name || undefined,
    partition: job.partition || undefined,
  };
}

/** Parses and normalises a `squeue --json` / slurmrestd job listing. */
export function parseJobsJson(text: string, source: string): SlurmJobInfo[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LauncherError(
      'invalid-response',
      `${source} did not return JSON (${(cause as Error).message}); is this Slurm 22.05 or newer?`,
      {
        cause,
        backend: 'slurm',
      },
    );
  }
  const parsed = SlurmJobsResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new LauncherError(
      'invalid-response',
      `${source} returned jobs in an unexpected shape (${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}); this launcher reads the v0.0.38 format of Slurm 22.05`,
      { backend: 'slurm' },
    );
  }
  return parsed.data.jobs.map(jobFromJson);
}

/**
 * Splits one `--oneliner` record of `scontrol show job|partition|node` into its fields. Keys
 * may hold `:` and `/` (`AllocNode:Sid`, `CPUs/Task`); values may hold spaces (`Reason`), so a
 * field ends only where the next `Key=` begins.
 */
export function parseScontrolRecord(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  const re = /(?:^|\s)([A-Za-z][A-Za-z0-9_:/.]*)=/g;
  const marks: { key: string; start: number; valueStart: number }[] = [];
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    marks.push({ key: m[1] as string, start: m.index, valueStart: m.index + m[0].length });
  }
  for (let i = 0; i < marks.length; i++) {
    const mark = marks[i] as (typeof marks)[number];
    const end = i + 1 < marks.length ? (marks[i + 1] as (typeof marks)[number]).start : line.length;
    fields.set(mark.key, line.slice(mark.valueStart, end).trim());
  }
  return fields;
}

const ScontrolJobSchema = z.object({
  JobId: z.string().regex(/^\d+$/),
  JobName: z.string().default(''),
  JobState: z.string().min(1),
  Reason: z.string().optional(),
  ArrayJobId: z.string().regex(/^\d+$/).optional(),
  ArrayTaskId: z.string().optional(),
  ExitCode: z.string().optional(),
  Restarts: z.string().regex(/^\d+$/).optional(),
  Comment: z.string().optional(),
  SubmitTime: z.string().optional(),
  StartTime: z.string().optional(),
  EndTime: z.string().optional(),
  StdOut: z.string().optional(),
  UserId: z.string().optional(),
  Partition: z.string().optional(),
});

function isoFromScontrol(value: string | undefined): string | undefined {
  if (!value || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(value)) return undefined;
  // scontrol prints the controller's local time without a zone (SLURM_TIME_FORMAT=standard).
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const nullish = (v: string | undefined) =>
  v === undefined || v === '(null)' || v === '' ? undefined : v;

/**
 * Parses `scontrol show job [id] --oneliner`: one line per job (an array's pending tasks share
 * a line, `ArrayTaskId=2-5`).
 */
export function parseScontrolJobs(text: string): SlurmJobInfo[] {
  const jobs: SlurmJobInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('JobId=')) continue;
    const parsed = ScontrolJobSchema.safeParse(Object.fromEntries(parseScontrolRecord(line)));
    if (!parsed.success) {
      throw new LauncherError(
        'invalid-response',
        `scontrol show job printed a record the launcher cannot read (${parsed.error.issues
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}): ${line.slice(0, 200)}`,
        { backend: 'slurm' },
      );
    }
    const f = parsed.data;
    const state = f.JobState.split(/\s/)[0] ?? f.JobState;
    const final = FINAL_WORDS.test(state);
    const taskText = nullish(f.ArrayTaskId);
    const single = taskText !== undefined && /^\d+$/.test(taskText);
    jobs.push({
      jobId: f.JobId,
      arrayJobId: nullish(f.ArrayJobId),
      arrayTaskId: single ? Number(taskText) : undefined,
      arrayTasks: taskText !== undefined && !single ? parseArrayTasks(taskText) : undefined,
      name: nullish(f.JobName) ?? '',
      state,
      reason: nullish(f.Reason),
      exitCode: final ? decodeExitCode(f.ExitCode) : undefined,
      comment: nullish(f.Comment),
      submitTime: isoFromScontrol(f.SubmitTime),
      startTime: state === 'PENDING' ? undefined : isoFromScontrol(f.StartTime),
      endTime: final ? isoFromScontrol(f.EndTime) : undefined,
      restarts: Number(f.Restarts ?? 0),
      stdout: nullish(f.StdOut),
      user: nullish(f.UserId)?.replace(/\(\d+\)$/, ''),
      partition: nullish(f.Partition),
    });
  }
  return jobs;
}

const SacctJobSchema = z.object({
  job_id: z.number().int(),
  name: z.string().optional(),
  partition: z.string().optional(),
  user: z.string().optional(),
  comment: z.object({ job: z.string().nullable().optional() }).partial().optional(),
  array: z
    .object({
      job_id: z.number().int().optional(),
      task_id: z.number().int().nullable().optional(),
      task: z.string().nullable().optional(),
    })
    .partial()
    .optional(),
  state: z.object({ current: z.string(), reason: z.string().optional() }),
  exit_code: z
    .object({
      return_code: z.number().int().nullable().optional(),
      signal: z.object({ signal_id: z.number().int().nullable().optional() }).partial().optional(),
    })
    .partial()
    .optional(),
  required: z.unknown().optional(),
  requeue: z.unknown().optional(),
  time: z.object({ submission: epoch, start: epoch, end: epoch }).partial().optional(),
  restart_cnt: z.number().int().optional(),
});

/** The body of `sacct --json` (Slurm 22.05, data parser v0.0.38); only what the launcher reads. */
export const SacctResponseSchema = z.object({ jobs: z.array(SacctJobSchema) });

/** Parses `sacct --json` output (accounting through slurmdbd; absent on clusters without it). */
export function parseSacctJson(text: string): SlurmJobInfo[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LauncherError(
      'invalid-response',
      `sacct --json did not return JSON: ${(cause as Error).message}`,
      {
        cause,
        backend: 'slurm',
      },
    );
  }
  const parsed = SacctResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new LauncherError(
      'invalid-response',
      `sacct --json returned an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`,
      {
        backend: 'slurm',
      },
    );
  }
  return parsed.data.jobs.map((job): SlurmJobInfo => {
    const signal = job.exit_code?.signal?.signal_id ?? 0;
    const code = job.exit_code?.return_code;
    const arrayJobId = job.array?.job_id ? String(job.array.job_id) : undefined;
    return {
      jobId: String(job.job_id),
      arrayJobId,
      arrayTaskId: arrayJobId && job.array?.task_id != null ? job.array.task_id : undefined,
      arrayTasks: undefined,
      name: job.name ?? '',
      state: job.state.current,
      reason: job.state.reason,
      exitCode: signal > 0 ? 128 + signal : (code ?? undefined),
      comment: job.comment?.job ?? undefined,
      submitTime: isoFromEpoch(job.time?.submission),
      startTime: isoFromEpoch(job.time?.start),
      endTime: isoFromEpoch(job.time?.end),
      restarts: job.restart_cnt ?? 0,
      stdout: undefined,
      user: job.user,
      partition: job.partition,
    };
  });
}
