import { z } from 'zod';
import { LauncherError } from '../errors.js';
import { redactSecrets, registerSecret, SECRET_ENV_NAMES } from '../secrets.js';
import type { CallOptions, SlurmClient, SlurmNodeInfo, SlurmPartitionInfo } from './client.js';
import { jobFromJson, SlurmJobJsonSchema } from './job-info.js';
import type { SbatchDirectives } from './render-sbatch.js';

/** How to reach slurmrestd. */
export interface SlurmRestOptions {
  /** slurmrestd's address, e.g. `http://slurm-login:6820`. */
  baseUrl: string;
  /** `X-SLURM-USER-NAME`. @default process.env.SLURM_USER_NAME ?? process.env.USER */
  userName?: string;
  /**
   * `X-SLURM-USER-TOKEN`: a JWT from `scontrol token username=<user>` (root's are refused).
   * Registered as a secret, so it is redacted from every error and log.
   * @default process.env.SLURM_JWT
   */
  token?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Per request. @default 30000 */
  timeoutMs?: number;
  /** Retries of network errors and 429/502/503/504. @default 2 */
  maxRetries?: number;
  /**
   * The job's environment. slurmrestd has no `--export=ALL`: the job gets exactly this. The
   * default passes PATH, HOME, LANG, TZ and the secret variables set here (HF_TOKEN,
   * WANDB_API_KEY…; never SLURM_JWT) — in the request body only, never in a script or record.
   */
  environment?: Record<string, string>;
}

/** The REST API version of Slurm 22.05. */
export const SLURM_REST_VERSION = 'v0.0.38';

const ErrorSchema = z.object({
  error: z.string().optional(),
  description: z.string().optional(),
  error_number: z.number().optional(),
  error_code: z.number().optional(),
});
const ErrorsSchema = z.object({ errors: z.array(ErrorSchema).optional() });
const SubmitResponseSchema = ErrorsSchema.extend({ job_id: z.number().int().optional() });
const JobsResponseSchema = ErrorsSchema.extend({ jobs: z.array(SlurmJobJsonSchema).default([]) });
const PingResponseSchema = ErrorsSchema.extend({
  pings: z
    .array(z.object({ hostname: z.string().optional(), ping: z.string().optional() }))
    .default([]),
});
/** 22.05 writes "unlimited" as a huge number or null, and -1 for "no limit of its own". */
const limitNumber = z.number().nullable().optional();
const PartitionsResponseSchema = ErrorsSchema.extend({
  partitions: z
    .array(
      z.object({
        name: z.string(),
        flags: z.array(z.string()).default([]),
        max_time_limit: limitNumber,
        maximum_nodes_per_job: limitNumber,
        state: z.string().default('UNKNOWN'),
      }),
    )
    .default([]),
});
const NodesResponseSchema = ErrorsSchema.extend({
  nodes: z
    .array(
      z.object({
        name: z.string(),
        partitions: z.array(z.string()).default([]),
        cpus: z.number().default(0),
        real_memory: z.number().default(0),
        gres: z.string().nullable().optional(),
        state: z.string().default('unknown'),
      }),
    )
    .default([]),
});

type SlurmError = z.infer<typeof ErrorSchema>;

const INVALID_JOB_ID = 2017;

function describeErrors(errors: readonly SlurmError[]): string {
  return errors.map((e) => [e.error, e.description].filter(Boolean).join(': ')).join('; ');
}

function realLimit(value: number | null | undefined): number | undefined {
  if (value === null || value === undefined || value < 0 || value >= 0xfffffffe) return undefined;
  return value;
}

/** The job environment slurmrestd gets when none is given. */
function defaultEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TZ', 'USER']) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  for (const name of SECRET_ENV_NAMES) {
    const value = process.env[name];
    if (name !== 'SLURM_JWT' && value) env[name] = value;
  }
  return env;
}

/**
 * Translates `#SBATCH` options into v0.0.38 job properties: slurmrestd 22.05 ignores `#SBATCH`
 * lines in the script, so everything the job needs must travel as properties.
 */
export function restJobProperties(
  d: SbatchDirectives,
  environment: Record<string, string>,
): Record<string, unknown> {
  const job: Record<string, unknown> = {
    name: d.jobName,
    nodes: [d.nodes, d.nodes],
    tasks: d.nodes,
    tasks_per_node: 1,
    cpus_per_task: d.cpusPerTask,
    memory_per_node: d.memoryMiB,
    time_limit: d.timeMinutes,
    current_working_directory: d.chdir,
    standard_output: d.output,
    standard_error: d.output,
    open_mode: 'append',
    requeue: d.requeue,
    comment: d.comment,
    environment,
  };
  if (d.gpusPerNode > 0) {
    const typed = d.gpuType ? `${d.gpuType}:${d.gpusPerNode}` : String(d.gpusPerNode);
    if (d.gpuRequest === 'gres') job.gres = `gpu:${typed}`;
    else job.gpus_per_node = typed;
  }
  if (d.partition) job.partition = d.partition;
  if (d.account) job.account = d.account;
  if (d.qos) job.qos = d.qos;
  if (d.array) job.array = d.array;
  // No `signal`: 22.05's REST parser refuses "B:" (signal the batch shell), so the requeue before
  // the time limit is a CLI feature; preemption and node-failure requeue work on both.
  for (const arg of d.extraArgs) {
    const m = /^--(constraint|reservation|nice|exclusive)(?:=(.*))?$/.exec(arg);
    if (!m) {
      throw new LauncherError(
        'invalid-options',
        `${d.jobName}: slurm.extraArgs "${arg}" cannot be sent through slurmrestd (it ignores #SBATCH lines; only --constraint, --reservation, --nice and --exclusive are translated). Use transport 'cli', or remove it.`,
        { backend: 'slurm' },
      );
    }
    const [, key, value] = m;
    if (key === 'constraint') job.constraints = value ?? '';
    else if (key === 'reservation') job.reservation = value ?? '';
    else if (key === 'nice') job.nice = Number(value ?? 0);
    else job.exclusive = value ?? 'exclusive';
  }
  return job;
}

/** slurmrestd's REST API v0.0.38 (Slurm 22.05) with a JWT. */
export function createRestClient(
  options: SlurmRestOptions,
): SlurmClient & { ping(options?: CallOptions): Promise<string[]> } {
  const base = `${options.baseUrl.replace(/\/+$/, '')}/slurm/${SLURM_REST_VERSION}`;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 2;
  const userName = options.userName ?? process.env.SLURM_USER_NAME ?? process.env.USER;

  function credentials(): { user: string; token: string } {
    const token = options.token ?? process.env.SLURM_JWT;
    if (!token) {
      throw new LauncherError(
        'invalid-options',
        `slurmrestd at ${options.baseUrl} needs a JWT: set SLURM_JWT (from \`scontrol token username=<you>\`) or pass rest.token`,
        {
          backend: 'slurm',
        },
      );
    }
    if (!userName) {
      throw new LauncherError(
        'invalid-options',
        'slurmrestd needs a user name: pass rest.userName or set SLURM_USER_NAME',
        { backend: 'slurm' },
      );
    }
    registerSecret(token);
    return { user: userName, token };
  }

  async function request<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    schema: z.ZodType<T>,
    call: CallOptions & { body?: unknown; what: string },
  ): Promise<{ status: number; data: T }> {
    const { user, token } = credentials();
    const url = `${base}${path}`;
    for (let attempt = 0; ; attempt++) {
      const signals = [AbortSignal.timeout(timeoutMs), ...(call.signal ? [call.signal] : [])];
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method,
          headers: {
            'X-SLURM-USER-NAME': user,
            'X-SLURM-USER-TOKEN': token,
            Accept: 'application/json',
            ...(call.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
          signal: AbortSignal.any(signals),
        });
      } catch (cause) {
        if (call.signal?.aborted)
          throw new LauncherError('aborted', `${call.what} was aborted`, {
            cause,
            backend: 'slurm',
          });
        const timedOut = (cause as Error).name === 'TimeoutError';
        if (attempt < maxRetries) continue;
        throw new LauncherError(
          timedOut ? 'timeout' : 'backend-error',
          `${call.what}: slurmrestd at ${options.baseUrl} ${timedOut ? `did not answer within ${timeoutMs} ms` : `is unreachable (${(cause as Error).message})`}. Check rest.baseUrl and that slurmrestd runs.`,
          { cause, backend: 'slurm' },
        );
      }
      if ([429, 502, 503, 504].includes(response.status) && attempt < maxRetries) {
        const wait = Math.min(Number(response.headers.get('retry-after') ?? 1) * 1000, 10_000);
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      const text = await response.text();
      if (response.status === 401 || response.status === 403) {
        throw new LauncherError(
          'backend-error',
          `${call.what}: slurmrestd refused the token of user "${user}" (HTTP ${response.status}). Mint a fresh one with \`scontrol token username=${user}\` (tokens for root are refused) and set SLURM_JWT.`,
          { backend: 'slurm', status: response.status },
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new LauncherError(
          'invalid-response',
          `${call.what}: slurmrestd answered HTTP ${response.status} with non-JSON: ${redactSecrets(text.slice(0, 300))}`,
          {
            cause,
            backend: 'slurm',
            status: response.status,
          },
        );
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new LauncherError(
          'invalid-response',
          `${call.what}: slurmrestd's answer (HTTP ${response.status}) is not the ${SLURM_REST_VERSION} shape this launcher reads: ${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ')}`,
          { backend: 'slurm', status: response.status },
        );
      }
      return { status: response.status, data: parsed.data };
    }
  }

  function failIfErrors(
    errors: readonly SlurmError[] | undefined,
    status: number,
    what: string,
    code: 'backend-error' | 'submit-failed',
    fix: string,
  ): void {
    if ((errors && errors.length > 0) || status >= 400) {
      // 22.05 passes the JWT on to slurmctld; a rejected or expired one comes back as error -1.
      const unspecified = (errors ?? []).some(
        (e) => e.error_number === -1 && /unspecified/i.test(e.error ?? ''),
      );
      const hint = unspecified
        ? ` slurmrestd 22.05 reports a rejected or expired token this way too: mint a fresh one with \`scontrol token username=${userName}\` and set SLURM_JWT.`
        : '';
      throw new LauncherError(
        code,
        `${what} failed (HTTP ${status}): ${describeErrors(errors ?? []) || 'no detail'}. ${fix}${hint}`,
        {
          backend: 'slurm',
          status,
        },
      );
    }
  }

  const jobPath = (id: string) => {
    if (!/^\d+(?:_\d+)?$/.test(id)) {
      throw new LauncherError('invalid-options', `"${id}" is not a Slurm job id (123 or 123_4)`, {
        backend: 'slurm',
      });
    }
    return `/job/${id}`;
  };

  return {
    transport: 'rest',
    async ping(call = {}) {
      const { status, data } = await request('GET', '/ping', PingResponseSchema, {
        ...call,
        what: 'ping',
      });
      failIfErrors(
        data.errors,
        status,
        'slurmrestd ping',
        'backend-error',
        'Check that slurmctld runs.',
      );
      return data.pings.map((p) => `${p.hostname ?? '?'}: ${p.ping ?? '?'}`);
    },
    async submit(submit, call = {}) {
      const job = restJobProperties(submit.directives, options.environment ?? defaultEnvironment());
      const { status, data } = await request('POST', '/job/submit', SubmitResponseSchema, {
        ...call,
        body: { script: submit.script, job },
        what: `submitting ${submit.directives.jobName}`,
      });
      failIfErrors(
        data.errors,
        status,
        `slurmrestd job submit of ${submit.directives.jobName}`,
        'submit-failed',
        'Slurm refused the job: change the resources, partition, account or QoS the message names, then launch again.',
      );
      if (data.job_id === undefined) {
        throw new LauncherError(
          'invalid-response',
          `slurmrestd accepted ${submit.directives.jobName} but returned no job_id`,
          { backend: 'slurm' },
        );
      }
      return String(data.job_id);
    },
    async job(id, call = {}) {
      const { status, data } = await request('GET', jobPath(id), JobsResponseSchema, {
        ...call,
        what: `job ${id}`,
      });
      if (data.errors?.some((e) => e.error_number === INVALID_JOB_ID)) return undefined;
      failIfErrors(
        data.errors,
        status,
        `slurmrestd GET job/${id}`,
        'backend-error',
        'Check that slurmctld is reachable.',
      );
      const jobs = data.jobs.map(jobFromJson);
      return jobs.length > 0 ? jobs : undefined;
    },
    async jobs(call = {}) {
      const { status, data } = await request('GET', '/jobs', JobsResponseSchema, {
        ...call,
        what: 'listing jobs',
      });
      failIfErrors(
        data.errors,
        status,
        'slurmrestd GET jobs',
        'backend-error',
        'Check that slurmctld is reachable.',
      );
      return data.jobs.map(jobFromJson);
    },
    async cancel(id, call = {}) {
      const { status, data } = await request('DELETE', jobPath(id), ErrorsSchema, {
        ...call,
        what: `cancelling ${id}`,
      });
      const errors = data.errors ?? [];
      if (errors.some((e) => e.error_number === INVALID_JOB_ID)) {
        throw new LauncherError(
          'job-not-found',
          `slurmrestd: job ${id} does not exist (${describeErrors(errors)}). Check the id with \`cncf-llm train list\`.`,
          {
            backend: 'slurm',
            status,
          },
        );
      }
      if (
        errors.some((e) => /already completing or completed/i.test(`${e.error} ${e.description}`))
      )
        return;
      failIfErrors(
        errors,
        status,
        `slurmrestd DELETE job/${id}`,
        'backend-error',
        'Check that you own the job.',
      );
    },
    async partitions(call = {}): Promise<SlurmPartitionInfo[]> {
      const { status, data } = await request('GET', '/partitions', PartitionsResponseSchema, {
        ...call,
        what: 'listing partitions',
      });
      failIfErrors(
        data.errors,
        status,
        'slurmrestd GET partitions',
        'backend-error',
        'Check that slurmctld is reachable.',
      );
      return data.partitions.map((p) => ({
        name: p.name,
        isDefault: p.flags.includes('default'),
        maxTimeMinutes: realLimit(p.max_time_limit),
        maxNodesPerJob: realLimit(p.maximum_nodes_per_job),
        state: p.state,
      }));
    },
    async nodes(call = {}): Promise<SlurmNodeInfo[]> {
      const { status, data } = await request('GET', '/nodes', NodesResponseSchema, {
        ...call,
        what: 'listing nodes',
      });
      failIfErrors(
        data.errors,
        status,
        'slurmrestd GET nodes',
        'backend-error',
        'Check that slurmctld is reachable.',
      );
      return data.nodes.map((n) => ({
        name: n.name,
        partitions: n.partitions,
        cpus: n.cpus,
        memoryMiB: n.real_memory,
        gres: n.gres && n.gres !== '(null)' ? n.gres : '',
        state: n.state,
      }));
    },
    async accounting() {
      // slurmdbd's REST plugin (dbv0.0.38) is a separate service; the launcher does not use it.
      return undefined;
    },
  };
}
