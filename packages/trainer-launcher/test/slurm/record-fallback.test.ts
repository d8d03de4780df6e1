import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlurmClient } from '../../src/slurm/client.js';
import type { SlurmJobInfo } from '../../src/slurm/job-info.js';
import { createSlurmBackend } from '../../src/slurm/slurm-backend.js';
import { fakePayload, testSpec } from './fake-payload.js';

/**
 * A cluster that has forgotten every job (older than MinJobAge) and may or may not keep
 * accounting: what is left is launch.json and the payload's progress file.
 */
function forgetfulClient(
  accounting: SlurmJobInfo[] | undefined,
): SlurmClient & { submitted: number } {
  const client = {
    transport: 'cli' as const,
    submitted: 0,
    async submit() {
      client.submitted++;
      return String(100 + client.submitted);
    },
    job: async () => undefined,
    jobs: async () => [],
    cancel: async () => undefined,
    partitions: async () => [],
    nodes: async () => [],
    accounting: async () => accounting,
  };
  return client;
}

const end = (status: 'succeeded' | 'failed') =>
  `${JSON.stringify({ event: 'start', time: 't', run: 'gone', maxSteps: 1, epochs: 1, worldSize: 1 })}\n${JSON.stringify({ event: 'end', time: '2026-11-25T10:00:00Z', status, step: 1 })}\n`;

describe('status of a job slurmctld has forgotten', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'cncf-llm-gone-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const launch = async (client: SlurmClient) => {
    const backend = createSlurmBackend({
      client,
      payload: fakePayload,
      recordsDir: join(work, 'records'),
    });
    const spec = testSpec('gone', join(work, 'gone'));
    await backend.launch(spec, { checkLimits: false });
    return { backend, spec };
  };

  it("reads the payload's end line when there is no accounting", async () => {
    const { backend } = await launch(forgetfulClient(undefined));
    await writeFile(join(work, 'gone', 'progress.jsonl'), end('succeeded'));
    expect(await backend.status('gone')).toMatchObject({
      id: '101',
      state: 'succeeded',
      raw: 'GONE (payload ended succeeded)',
      endedAt: '2026-11-25T10:00:00Z',
      reason: expect.stringContaining('slurmctld no longer knows job 101'),
    });
  });

  it('is unknown without an end line, and a new launch then submits again', async () => {
    const client = forgetfulClient(undefined);
    const { backend, spec } = await launch(client);
    expect(await backend.status('gone')).toMatchObject({
      state: 'unknown',
      raw: 'GONE',
      reason: expect.stringContaining('wrote no end line'),
    });
    const again = await backend.launch(spec, { checkLimits: false });
    expect(again.submitted).toBe(true);
    expect(client.submitted).toBe(2);
  });

  it('asks accounting (sacct) first when the cluster keeps it', async () => {
    const record: SlurmJobInfo = {
      jobId: '101',
      arrayJobId: undefined,
      arrayTaskId: undefined,
      arrayTasks: undefined,
      name: 'gone',
      state: 'TIMEOUT',
      reason: 'TimeLimit',
      exitCode: 0,
      comment: 'cncf-llm:x',
      submitTime: undefined,
      startTime: undefined,
      endTime: '2026-11-25T11:00:00.000Z',
      restarts: 0,
      stdout: undefined,
      user: 'u',
      partition: 'debug',
    };
    const client = forgetfulClient([record]);
    const { backend, spec } = await launch(client);
    await writeFile(join(work, 'gone', 'progress.jsonl'), end('succeeded'));
    expect(await backend.status('gone')).toMatchObject({
      state: 'timed-out',
      raw: 'TIMEOUT (TimeLimit)',
    });
    // A timed-out run is launched again (it resumes from its checkpoints).
    expect((await backend.launch(spec, { checkLimits: false })).submitted).toBe(true);
  });

  it('does not submit again when the forgotten run had succeeded with the same spec', async () => {
    const client = forgetfulClient(undefined);
    const { backend, spec } = await launch(client);
    await writeFile(join(work, 'gone', 'progress.jsonl'), end('succeeded'));
    expect((await backend.launch(spec, { checkLimits: false })).submitted).toBe(false);
    expect(client.submitted).toBe(1);
  });
});
