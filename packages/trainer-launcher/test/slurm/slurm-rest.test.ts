import { chmodSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLauncherError } from '../../src/errors.js';
import { createRestClient } from '../../src/slurm/rest-client.js';
import { createSlurmBackend, type SlurmBackend } from '../../src/slurm/slurm-backend.js';
import { collectSweepResults } from '../../src/sweep/results.js';
import { type SlurmCluster, startSlurmCluster } from '../../src/testing/slurm-cluster.js';
import { fakePayload, testSpec } from './fake-payload.js';
import { collect, eventually, fakeHubToken, follow, slurmAvailable } from './helpers.js';

describe.skipIf(!slurmAvailable())(
  'Slurm backend over slurmrestd (REST v0.0.38, JWT) on a real cluster',
  () => {
    let cluster: SlurmCluster;
    let backend: SlurmBackend;
    let work: string;
    let jwt: string;
    let hfToken: string;
    let savedToken: string | undefined;
    let savedUmask: number;

    beforeAll(async () => {
      cluster = await startSlurmCluster();
      jwt = await cluster.mintToken(cluster.restUser);
      work = await mkdtemp(join(tmpdir(), 'cncf-llm-slurm-rest-'));
      // Jobs submitted with slurmrest's token run as slurmrest: they must write their logs and
      // progress into directories this (root) test process creates.
      chmodSync(work, 0o755);
      savedUmask = process.umask(0o000);
      hfToken = fakeHubToken();
      savedToken = process.env.HF_TOKEN;
      process.env.HF_TOKEN = hfToken;
      backend = createSlurmBackend({
        transport: 'rest',
        rest: { baseUrl: cluster.restUrl, userName: cluster.restUser, token: jwt },
        payload: fakePayload,
        recordsDir: join(work, 'records'),
        pollMs: 250,
      });
    });

    afterAll(async () => {
      if (savedUmask !== undefined) process.umask(savedUmask);
      if (savedToken === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = savedToken;
      await cluster?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    const out = (name: string) => join(work, name);

    it('pings slurmctld through slurmrestd with a token from scontrol token', async () => {
      const client = createRestClient({
        baseUrl: cluster.restUrl,
        userName: cluster.restUser,
        token: jwt,
      });
      expect(await client.ping()).toEqual([`${cluster.node}: UP`]);
    });

    it('submits through REST: the job runs as the token user with its GPU and the token, and ends succeeded', async () => {
      const spec = testSpec('rest-ok', out('rest-ok'), {
        resources: {
          nodes: 1,
          gpusPerNode: 1,
          gpuType: 'fake',
          cpusPerTask: 1,
          memory: '100M',
          timeLimit: '00:05:00',
        },
        slurm: { partition: 'gpu', requeue: true, extraArgs: [] },
        environment: { variables: { FAKE_STEPS: '3' } },
      });
      const launched = await backend.launch(spec);
      expect(launched.submitted).toBe(true);
      const { last } = await follow(backend, 'rest-ok');
      expect(last).toMatchObject({ state: 'succeeded', raw: 'COMPLETED', exitCode: 0 });

      const jobs = await backend.client.job(launched.status.id);
      expect(jobs?.[0]).toMatchObject({
        name: 'rest-ok',
        user: cluster.restUser,
        partition: 'gpu',
        comment: `cncf-llm:${launched.rendered.specHash}`,
      });

      const lines = await collect(backend.logs('rest-ok'));
      expect(lines).toContain('HF_TOKEN is set');
      expect(lines).toContain('CUDA_VISIBLE_DEVICES=0');
      expect((await backend.progress('rest-ok')).at(-1)).toMatchObject({
        event: 'end',
        status: 'succeeded',
      });

      const payloadDir = join(out('rest-ok'), '.cncf-llm');
      for (const file of ['job.sbatch', 'launch.json']) {
        const text = readFileSync(join(payloadDir, file), 'utf8');
        expect(text).not.toContain(hfToken);
        expect(text).not.toContain(jwt);
      }
      expect(JSON.parse(readFileSync(join(payloadDir, 'launch.json'), 'utf8'))).toMatchObject({
        transport: 'rest',
        jobId: launched.status.id,
      });
      expect(lines.join('\n')).not.toContain(hfToken);
    });

    it('reads limits from GET partitions and nodes, and refuses impossible requests before submitting', async () => {
      const limits = await backend.limits(
        testSpec('rest-limits', out('rest-limits'), {
          slurm: { partition: 'gpu', requeue: true, extraArgs: [] },
        }),
      );
      expect(limits).toMatchObject({
        name: 'gpu',
        maxGpusPerNode: 2,
        maxNodes: 1,
        maxTimeMinutes: 60,
        gpuTypes: ['fake'],
      });
      const spec = testSpec('rest-too-big', out('rest-too-big'), {
        resources: {
          nodes: 1,
          gpusPerNode: 3,
          cpusPerTask: 1,
          memory: '100M',
          timeLimit: '03:00:00',
        },
      });
      const error = await backend.launch(spec).catch((e: unknown) => e);
      expect(isLauncherError(error, 'exceeds-cluster')).toBe(true);
      expect((error as { issues: string[] }).issues).toHaveLength(2);
    });

    it("reports slurmrestd's refusal of gpu:3 as submit-failed with Slurm's words", async () => {
      const spec = testSpec('rest-refused', out('rest-refused'), {
        resources: {
          nodes: 1,
          gpusPerNode: 3,
          cpusPerTask: 1,
          memory: '100M',
          timeLimit: '00:05:00',
        },
      });
      const error = await backend.launch(spec, { checkLimits: false }).catch((e: unknown) => e);
      expect(isLauncherError(error, 'submit-failed')).toBe(true);
      expect((error as Error).message).toContain('Requested node configuration is not available');
    });

    it('cancels with DELETE, lists by comment, and runs a sweep as an array', async () => {
      const long = testSpec('rest-cancel', out('rest-cancel'), {
        environment: { variables: { FAKE_STEPS: '300', FAKE_STEP_SECONDS: '1' } },
      });
      await backend.launch(long);
      await eventually(
        () => backend.status('rest-cancel'),
        (s) => s.state === 'running',
        'rest-cancel to run',
      );
      expect((await backend.cancel('rest-cancel')).state).toBe('cancelled');

      const sweep = testSpec('rest-sweep', out('rest-sweep'), {
        eval: { split: 'validation' },
        sweep: { strategy: 'grid', parameters: { learningRate: [1e-3, 1e-4, 1e-5] } },
        environment: { variables: { FAKE_STEPS: '1' } },
      });
      const launched = await backend.launch(sweep);
      const { last } = await follow(backend, 'rest-sweep');
      expect(last.state).toBe('succeeded');
      expect(last.tasks?.map((t) => t.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      const observed = new Map(
        await Promise.all(
          launched.rendered.trials.map(
            async (t) =>
              [
                t.index,
                {
                  state: 'succeeded' as const,
                  events: await backend.progress('rest-sweep', { trial: t.index }),
                },
              ] as const,
          ),
        ),
      );
      expect(collectSweepResults(launched.rendered.trials, observed).best?.name).toBe(
        'rest-sweep-t001',
      );

      const listed = await backend.list();
      expect(listed.map((r) => [r.name, r.state])).toEqual(
        expect.arrayContaining([
          ['rest-ok', 'succeeded'],
          ['rest-cancel', 'cancelled'],
          ['rest-sweep', 'succeeded'],
        ]),
      );
      // Idempotent over REST too.
      expect((await backend.launch(sweep)).submitted).toBe(false);
    });

    it('names the fix when slurmrestd refuses the token, without printing it', async () => {
      const forged = `${jwt.slice(0, -6)}AAAAAA`;
      const bad = createRestClient({
        baseUrl: cluster.restUrl,
        userName: cluster.restUser,
        token: forged,
      });
      const error = await bad.jobs().catch((e: unknown) => e);
      expect(isLauncherError(error, 'backend-error')).toBe(true);
      expect((error as Error).message).toContain(`scontrol token username=${cluster.restUser}`);
      expect((error as Error).message).not.toContain(forged);
      expect((error as Error).message).not.toContain(jwt);
    });
  },
);
