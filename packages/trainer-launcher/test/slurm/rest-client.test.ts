import { describe, expect, it } from 'vitest';
import { isLauncherError } from '../../src/errors.js';
import { createRestClient } from '../../src/slurm/rest-client.js';

/** A slurmrestd stand-in: answers from a table and records each request. */
function fakeFetch(answers: Record<string, { status: number; body: string } | 'network-error'>) {
  const seen: { method: string; url: string; headers: Record<string, string>; body: unknown }[] =
    [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    seen.push({
      method,
      url,
      headers: init?.headers as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    const answer = answers[`${method} ${new URL(url).pathname}`];
    if (!answer || answer === 'network-error') throw new TypeError('fetch failed');
    return new Response(answer.body, {
      status: answer.status,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

const TOKEN = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdW4iOiJhbGljZSJ9', 'c2lnbmF0dXJlLWZha2U'].join('.');
const base = 'http://slurm.test:6820';

describe('createRestClient', () => {
  it('sends the user and token headers and reads a job', async () => {
    const body = JSON.stringify({
      meta: {},
      errors: [],
      jobs: [
        {
          job_id: 7,
          name: 'r',
          job_state: 'FAILED',
          state_reason: 'NonZeroExitCode',
          exit_code: 512,
          comment: 'cncf-llm:x',
          array_job_id: 0,
          submit_time: 1795631725,
        },
      ],
    });
    const { fetch, seen } = fakeFetch({ 'GET /slurm/v0.0.38/job/7': { status: 200, body } });
    const client = createRestClient({
      baseUrl: `${base}/`,
      userName: 'alice',
      token: TOKEN,
      fetch,
    });
    const jobs = await client.job('7');
    expect(jobs?.[0]).toMatchObject({
      jobId: '7',
      state: 'FAILED',
      exitCode: 2,
      comment: 'cncf-llm:x',
    });
    expect(seen[0]?.headers).toMatchObject({
      'X-SLURM-USER-NAME': 'alice',
      'X-SLURM-USER-TOKEN': TOKEN,
    });
    expect(seen[0]?.url).toBe(`${base}/slurm/v0.0.38/job/7`);
  });

  it('returns undefined for a job slurmctld does not know (error 2017)', async () => {
    const body = JSON.stringify({
      errors: [
        {
          error: 'Invalid job id specified',
          error_number: 2017,
          description: 'Unable to find JobId=9',
        },
      ],
      jobs: [],
    });
    const { fetch } = fakeFetch({ 'GET /slurm/v0.0.38/job/9': { status: 500, body } });
    expect(
      await createRestClient({ baseUrl: base, userName: 'alice', token: TOKEN, fetch }).job('9'),
    ).toBeUndefined();
  });

  it('parses every answer with a schema: non-JSON and wrong shapes are invalid-response', async () => {
    const { fetch } = fakeFetch({
      'GET /slurm/v0.0.38/jobs': { status: 200, body: '<html>proxy error</html>' },
      'GET /slurm/v0.0.38/partitions': {
        status: 200,
        body: JSON.stringify({ partitions: [{ name: 3 }] }),
      },
    });
    const client = createRestClient({ baseUrl: base, userName: 'alice', token: TOKEN, fetch });
    for (const call of [() => client.jobs(), () => client.partitions()]) {
      const error = await call().catch((e: unknown) => e);
      expect(isLauncherError(error, 'invalid-response')).toBe(true);
      expect((error as Error).message).not.toContain(TOKEN);
    }
  });

  it('turns a refused token into a fix, without repeating the token', async () => {
    const { fetch } = fakeFetch({
      'GET /slurm/v0.0.38/ping': { status: 401, body: 'Authentication failure' },
    });
    const error = await createRestClient({ baseUrl: base, userName: 'alice', token: TOKEN, fetch })
      .ping()
      .catch((e: unknown) => e);
    expect(isLauncherError(error, 'backend-error')).toBe(true);
    expect((error as Error).message).toBe(
      'ping: slurmrestd refused the token of user "alice" (HTTP 401). Mint a fresh one with `scontrol token username=alice` (tokens for root are refused) and set SLURM_JWT.',
    );
  });

  it('needs a token, from the option or SLURM_JWT', async () => {
    const saved = process.env.SLURM_JWT;
    delete process.env.SLURM_JWT;
    try {
      const error = await createRestClient({
        baseUrl: base,
        userName: 'alice',
        fetch: fakeFetch({}).fetch,
      })
        .jobs()
        .catch((e: unknown) => e);
      expect(isLauncherError(error, 'invalid-options')).toBe(true);
      expect((error as Error).message).toMatch(/needs a JWT: set SLURM_JWT/);
    } finally {
      if (saved !== undefined) process.env.SLURM_JWT = saved;
    }
  });

  it('retries network errors, then says where it tried', async () => {
    const { fetch, seen } = fakeFetch({ 'GET /slurm/v0.0.38/jobs': 'network-error' });
    const error = await createRestClient({
      baseUrl: base,
      userName: 'alice',
      token: TOKEN,
      fetch,
      maxRetries: 2,
    })
      .jobs()
      .catch((e: unknown) => e);
    expect(seen).toHaveLength(3);
    expect(isLauncherError(error, 'backend-error')).toBe(true);
    expect((error as Error).message).toContain(
      `slurmrestd at ${base} is unreachable (fetch failed). Check rest.baseUrl`,
    );
  });

  it("reports Slurm's refusal of a submission as submit-failed", async () => {
    const body = JSON.stringify({
      errors: [{ error_code: 2014, error: 'Requested node configuration is not available' }],
    });
    const { fetch, seen } = fakeFetch({ 'POST /slurm/v0.0.38/job/submit': { status: 500, body } });
    const client = createRestClient({
      baseUrl: base,
      userName: 'alice',
      token: TOKEN,
      fetch,
      environment: { PATH: '/usr/bin' },
    });
    const directives = {
      jobName: 'r',
      output: '/s/.cncf-llm/logs/%j.log',
      chdir: '/s',
      nodes: 1,
      gpusPerNode: 3,
      gpuType: undefined,
      gpuRequest: 'gres' as const,
      cpusPerTask: 1,
      memory: '1G',
      memoryMiB: 1024,
      time: '10',
      timeMinutes: 10,
      partition: undefined,
      account: undefined,
      qos: undefined,
      requeue: true,
      requeueSignalSeconds: 60,
      maxTimeLimitRequeues: 20,
      minRunSecondsBeforeRequeue: 60,
      array: undefined,
      comment: 'cncf-llm:h',
      extraArgs: [],
    };
    const error = await client
      .submit({ scriptPath: '/s/.cncf-llm/job.sbatch', script: '#!/bin/bash\n', directives })
      .catch((e: unknown) => e);
    expect(isLauncherError(error, 'submit-failed')).toBe(true);
    expect((error as Error).message).toContain('Requested node configuration is not available');
    expect(seen[0]?.body).toMatchObject({
      script: '#!/bin/bash\n',
      job: { gres: 'gpu:3', environment: { PATH: '/usr/bin' } },
    });
  });
});
