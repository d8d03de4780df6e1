import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLauncherError } from '../../src/errors.js';
import { createCliClient } from '../../src/slurm/cli-client.js';
import type { SlurmClient } from '../../src/slurm/client.js';
import { createLocalHost } from '../../src/slurm/host.js';
import { createSlurmBackend, type SlurmBackend } from '../../src/slurm/slurm-backend.js';
import { collectSweepResults } from '../../src/sweep/results.js';
import { type SlurmCluster, startSlurmCluster } from '../../src/testing/slurm-cluster.js';
import { fakeEvalLoss, fakePayload, testSpec } from './fake-payload.js';
import { collect, eventually, fakeHubToken, follow, slurmAvailable } from './helpers.js';

describe.skipIf(!slurmAvailable())(
  'Slurm backend over the CLI on a real Slurm 22.05 cluster',
  () => {
    let cluster: SlurmCluster;
    let backend: SlurmBackend;
    let work: string;
    let token: string;
    let savedToken: string | undefined;
    const calls = { jobs: 0, job: 0 };

    beforeAll(async () => {
      cluster = await startSlurmCluster();
      work = await mkdtemp(join(tmpdir(), 'cncf-llm-slurm-runs-'));
      token = fakeHubToken();
      savedToken = process.env.HF_TOKEN;
      process.env.HF_TOKEN = token;
      const cli = createCliClient(createLocalHost({ env: cluster.env }));
      // Counts listings, to show that list/statuses take one squeue call whatever the number of runs.
      const counting: SlurmClient = {
        ...cli,
        jobs: (o) => {
          calls.jobs++;
          return cli.jobs(o);
        },
        job: (id, o) => {
          calls.job++;
          return cli.job(id, o);
        },
      };
      backend = createSlurmBackend({
        env: cluster.env,
        client: counting,
        payload: fakePayload,
        recordsDir: join(work, 'records'),
        pollMs: 250,
      });
    });

    afterAll(async () => {
      if (savedToken === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = savedToken;
      await cluster?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    const out = (name: string) => join(work, name);

    it('follows a run from pending (Resources) to running to succeeded, and reads its progress back', async () => {
      // A job holding both CPUs keeps the run pending for a reason Slurm names.
      const blocker = testSpec('blocker', out('blocker'), {
        resources: {
          nodes: 1,
          gpusPerNode: 0,
          cpusPerTask: 2,
          memory: '100M',
          timeLimit: '00:05:00',
        },
        environment: { variables: { FAKE_STEPS: '200', FAKE_STEP_SECONDS: '1' } },
      });
      await backend.launch(blocker);
      await eventually(
        () => backend.status('blocker'),
        (s) => s.state === 'running',
        'the blocker to run',
      );

      const spec = testSpec('life-ok', out('life-ok'), {
        environment: { variables: { FAKE_STEPS: '4', FAKE_STEP_SECONDS: '0.4' } },
      });
      const launched = await backend.launch(spec);
      expect(launched.submitted).toBe(true);
      expect(launched.status.id).toMatch(/^\d+$/);
      const pending = await eventually(
        () => backend.status('life-ok'),
        (s) => s.raw === 'PENDING (Resources)',
        'life-ok to wait for resources',
      );
      expect(pending).toMatchObject({ state: 'pending', backend: 'slurm', name: 'life-ok' });
      expect(pending.reason).toMatch(/waiting for resources/);

      await backend.cancel('blocker');
      const { seen, last } = await follow(backend, 'life-ok');
      expect(seen).toContain('running');
      expect(last).toMatchObject({ state: 'succeeded', raw: 'COMPLETED', exitCode: 0 });
      expect(last.startedAt).toBeDefined();
      expect(last.endedAt).toBeDefined();

      const events = await backend.progress('life-ok');
      expect(events.map((e) => e.event)).toEqual([
        'start',
        'step',
        'step',
        'checkpoint',
        'step',
        'step',
        'checkpoint',
        'eval',
        'end',
      ]);
      expect(events.at(-1)).toMatchObject({ event: 'end', status: 'succeeded', step: 4 });

      const lines = await collect(backend.logs('life-ok'));
      expect(lines).toContain('HF_TOKEN is set');
      expect(lines).toContain('a line on stderr');
      expect(lines).toContain(
        'rank=0 nnodes=1 master=' +
          `${cluster.node}:${29500 + (Number(launched.status.id) % 10000)} gpus=0`,
      );
      expect(lines.filter((l) => l.startsWith('cncf-llm-progress '))).toHaveLength(9);
      expect(await collect(backend.logs('life-ok', { tail: 2 }))).toEqual(lines.slice(-2));

      // The token reached the job through the environment, and nothing the launcher wrote holds it.
      const payloadDir = join(out('life-ok'), '.cncf-llm');
      for (const file of ['job.sbatch', 'launch.json', 'run.sh']) {
        expect(readFileSync(join(payloadDir, file), 'utf8')).not.toContain(token);
      }
      expect(lines.join('\n')).not.toContain(token);
      const record = JSON.parse(readFileSync(join(payloadDir, 'launch.json'), 'utf8'));
      expect(record).toMatchObject({
        name: 'life-ok',
        jobId: launched.status.id,
        specHash: launched.rendered.specHash,
        transport: 'cli',
      });
    });

    it('gives a job the GPUs it asks for: 2 fake GPUs → CUDA_VISIBLE_DEVICES=0,1', async () => {
      const spec = testSpec('gres-two', out('gres-two'), {
        resources: {
          nodes: 1,
          gpusPerNode: 2,
          gpuType: 'fake',
          cpusPerTask: 1,
          memory: '100M',
          timeLimit: '00:05:00',
        },
        slurm: { partition: 'gpu' },
        environment: { variables: { FAKE_STEPS: '1' } },
      });
      expect(spec.slurm?.partition).toBe('gpu');
      await backend.launch(spec);
      const { last } = await follow(backend, 'gres-two');
      expect(last.state).toBe('succeeded');
      const lines = await collect(backend.logs('gres-two'));
      expect(lines).toContain('CUDA_VISIBLE_DEVICES=0,1');
      expect(lines.some((l) => l.endsWith('gpus=2'))).toBe(true);
    });

    it('reads the partition limits from scontrol', async () => {
      const limits = await backend.limits(
        testSpec('limits', out('limits'), { slurm: { partition: 'gpu' } }),
      );
      expect(limits).toMatchObject({
        name: 'gpu',
        maxGpusPerNode: 2,
        maxNodes: 1,
        maxTimeMinutes: 60,
        gpuTypes: ['fake'],
      });
      expect(limits.maxCpusPerNode).toBeGreaterThan(0);
      expect((await backend.limits(testSpec('limits', out('limits')))).name).toBe('debug');
    });

    it('refuses impossible requests before submitting anything', async () => {
      const tooManyGpus = testSpec('too-many-gpus', out('too-many-gpus'), {
        resources: {
          nodes: 1,
          gpusPerNode: 3,
          cpusPerTask: 1,
          memory: '100M',
          timeLimit: '00:05:00',
        },
        slurm: { partition: 'gpu' },
      });
      const gpuError = await backend.launch(tooManyGpus).catch((e: unknown) => e);
      expect(isLauncherError(gpuError, 'exceeds-cluster')).toBe(true);
      expect((gpuError as Error).message).toContain(
        'resources.gpusPerNode: 3 GPUs per node requested, but the nodes of partition "gpu" have at most 2',
      );

      const tooLong = testSpec('too-long', out('too-long'), {
        resources: {
          nodes: 1,
          gpusPerNode: 0,
          cpusPerTask: 1,
          memory: '100M',
          timeLimit: '02:00:00',
        },
      });
      const timeError = await backend.launch(tooLong).catch((e: unknown) => e);
      expect(isLauncherError(timeError, 'exceeds-cluster')).toBe(true);
      expect((timeError as Error).message).toContain(
        'resources.timeLimit: 02:00:00 requested, but partition "debug" allows at most 01:00:00',
      );

      const missing = testSpec('no-partition', out('no-partition'), {
        slurm: { partition: 'nope' },
      });
      await expect(backend.launch(missing)).rejects.toThrow(
        /slurm.partition "nope" does not exist on this cluster \(partitions: debug, gpu\)/,
      );

      expect(existsSync(out('too-many-gpus'))).toBe(false);
      expect((await backend.list()).map((r) => r.name)).not.toContain('too-many-gpus');
    });

    it("reports sbatch's own refusal when validation is skipped (gpu:3 on a 2-GPU node)", async () => {
      const spec = testSpec('sbatch-refuses', out('sbatch-refuses'), {
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
      expect((error as Error).message).toMatch(
        /sbatch .*job\.sbatch .*failed \(exit 1\): sbatch: error: Batch job submission failed: Requested node configuration is not available/,
      );
    });

    it('validates a dry run with sbatch --test-only and submits nothing', async () => {
      const spec = testSpec('dry', out('dry'));
      const result = await backend.launch(spec, { dryRun: true });
      expect(result).toMatchObject({
        submitted: false,
        status: { state: 'unknown', raw: 'DryRun' },
      });
      expect(result.status.reason).toMatch(
        /sbatch --test-only: Job \d+ to start at .* in partition debug/,
      );
      expect(existsSync(out('dry'))).toBe(false);
    });

    it('reports a failing payload as failed with its exit code', async () => {
      const spec = testSpec('fails', out('fails'), {
        environment: { variables: { FAKE_EXIT: '3', FAKE_STEPS: '1' } },
      });
      await backend.launch(spec);
      const { last } = await follow(backend, 'fails');
      expect(last).toMatchObject({ state: 'failed', raw: 'FAILED (NonZeroExitCode)', exitCode: 3 });
      expect(last.reason).toMatch(/exited with a non-zero status/);
      expect((await backend.progress('fails')).at(-1)).toMatchObject({
        event: 'end',
        status: 'failed',
      });
    });

    it('launches a failed run again, and the new job resumes from its checkpoint', async () => {
      const spec = testSpec('resume', out('resume'), {
        environment: { variables: { FAKE_FAIL_ONCE: '1', FAKE_EXIT: '4', FAKE_STEPS: '3' } },
      });
      const first = await backend.launch(spec);
      expect((await follow(backend, 'resume')).last).toMatchObject({
        state: 'failed',
        exitCode: 4,
      });
      const second = await backend.launch(spec);
      expect(second.submitted).toBe(true);
      expect(second.status.id).not.toBe(first.status.id);
      expect((await follow(backend, 'resume')).last.state).toBe('succeeded');
      const starts = (await backend.progress('resume')).filter((e) => e.event === 'start');
      expect(starts).toHaveLength(2);
      expect(starts[0]).toMatchObject({ resumedFrom: null });
      expect(starts[1]).toMatchObject({ resumedFrom: join(out('resume'), 'checkpoint-2') });
      const record = JSON.parse(
        readFileSync(join(out('resume'), '.cncf-llm', 'launch.json'), 'utf8'),
      );
      expect(record.previous).toEqual([expect.objectContaining({ jobId: first.status.id })]);
    });

    it('cancels a running job', async () => {
      const spec = testSpec('cancel-me', out('cancel-me'), {
        environment: { variables: { FAKE_STEPS: '300', FAKE_STEP_SECONDS: '1' } },
      });
      await backend.launch(spec);
      await eventually(
        () => backend.status('cancel-me'),
        (s) => s.state === 'running',
        'cancel-me to run',
      );
      const status = await backend.cancel('cancel-me');
      expect(status).toMatchObject({ state: 'cancelled', name: 'cancel-me' });
      expect(status.raw).toMatch(/^CANCELLED/);
      // Cancelling again is harmless: the run is final.
      expect((await backend.cancel('cancel-me')).state).toBe('cancelled');
    });

    it('runs a sweep of 3 trials as a job array and names the best trial', async () => {
      const spec = testSpec('sweep', out('sweep'), {
        eval: { split: 'validation' },
        sweep: {
          strategy: 'grid',
          parameters: { learningRate: [1e-3, 1e-4, 1e-5] },
          maxParallel: 2,
        },
        environment: { variables: { FAKE_STEPS: '2', FAKE_STEP_SECONDS: '0.3' } },
      });
      const launched = await backend.launch(spec);
      expect(launched.rendered.files.map((f) => f.path).sort()).toEqual([
        'job.sbatch',
        'trials/0/run.sh',
        'trials/1/run.sh',
        'trials/2/run.sh',
      ]);
      const { last } = await follow(backend, 'sweep');
      expect(last.state).toBe('succeeded');
      expect(last.raw).toBe('ARRAY (3 COMPLETED)');
      expect(last.tasks?.map((t) => [t.name, t.id, t.state])).toEqual([
        ['sweep-t000', `${launched.status.id}_0`, 'succeeded'],
        ['sweep-t001', `${launched.status.id}_1`, 'succeeded'],
        ['sweep-t002', `${launched.status.id}_2`, 'succeeded'],
      ]);
      const observed = new Map(
        await Promise.all(
          launched.rendered.trials.map(
            async (t) =>
              [
                t.index,
                {
                  state: last.tasks?.[t.index]?.state ?? ('unknown' as const),
                  events: await backend.progress('sweep', { trial: t.index }),
                },
              ] as const,
          ),
        ),
      );
      const results = collectSweepResults(launched.rendered.trials, observed);
      expect(results.best?.name).toBe('sweep-t001');
      expect(results.rows.map((r) => r.evalLoss)).toEqual([
        fakeEvalLoss(1e-3),
        fakeEvalLoss(1e-4),
        fakeEvalLoss(1e-5),
      ]);
      expect((await backend.progress('sweep', { trial: 2 })).every((e) => e.trial === 2)).toBe(
        true,
      );
      expect(await backend.status(`${launched.status.id}_1`)).toMatchObject({
        name: 'sweep-t001',
        state: 'succeeded',
      });
      const pair = await backend.statuses([`${launched.status.id}_2`, launched.status.id]);
      expect(pair.map((x) => x.name)).toEqual(['sweep-t002', 'sweep']);
      const trialLog = await collect(backend.logs('sweep', { trial: 1 }));
      expect(trialLog).toContain('HF_TOKEN is set');
      const all = await collect(backend.logs('sweep'));
      expect(all.filter((l) => l.endsWith('HF_TOKEN is set')).map((l) => l.split(' ')[0])).toEqual([
        '[sweep-t000]',
        '[sweep-t001]',
        '[sweep-t002]',
      ]);
    });

    it('cancels a whole sweep: running and pending trials alike', async () => {
      const spec = testSpec('sweep-cancel', out('sweep-cancel'), {
        eval: { split: 'validation' },
        sweep: {
          strategy: 'grid',
          parameters: { learningRate: [1e-3, 1e-4, 1e-5] },
          maxParallel: 1,
        },
        environment: { variables: { FAKE_STEPS: '300', FAKE_STEP_SECONDS: '1' } },
      });
      await backend.launch(spec);
      const running = await eventually(
        () => backend.status('sweep-cancel'),
        (s) => s.state === 'running',
        'the first trial to run',
      );
      expect(running.tasks?.map((t) => t.state)).toEqual(['running', 'pending', 'pending']);
      expect(running.tasks?.[1]?.raw).toBe('PENDING (JobArrayTaskLimit)');
      const cancelled = await backend.cancel('sweep-cancel');
      expect(cancelled.state).toBe('cancelled');
      expect(cancelled.tasks?.map((t) => t.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    });

    it('requeues a running job: it waits as requeued, runs again, and resumes from its checkpoint', async () => {
      const spec = testSpec('requeue', out('requeue'), {
        environment: { variables: { FAKE_STEPS: '8', FAKE_STEP_SECONDS: '0.5' } },
      });
      const launched = await backend.launch(spec);
      await eventually(
        () => backend.progress('requeue'),
        (events) => events.some((e) => e.event === 'checkpoint'),
        'a checkpoint',
      );
      await cluster.exec('scontrol', ['requeue', launched.status.id]);
      const { seen, last } = await follow(backend, 'requeue');
      expect(seen).toContain('requeued');
      expect(seen.indexOf('requeued')).toBeLessThan(seen.lastIndexOf('running'));
      expect(last.state).toBe('succeeded');
      const starts = (await backend.progress('requeue')).filter((e) => e.event === 'start');
      expect(starts).toHaveLength(2);
      expect(starts[1]).toMatchObject({ resumedFrom: expect.stringMatching(/checkpoint-\d+$/) });
      // --open-mode=append: one log holds both runs.
      const lines = await collect(backend.logs('requeue'));
      expect(lines.filter((l) => l === 'HF_TOKEN is set')).toHaveLength(2);
      expect(lines.some((l) => l.includes('DUE TO JOB REQUEUE'))).toBe(true);
    });

    it('requeues itself when its time limit nears (SIGUSR1 to the batch shell), so the run continues in a new allocation', async () => {
      // Slurm checks signal times about every 30 s and may signal up to a minute early: with a
      // one-minute limit and a 55 s grace the signal comes within ~30 s of the start.
      const timed = createSlurmBackend({
        env: cluster.env,
        payload: fakePayload,
        recordsDir: join(work, 'records'),
        sbatch: {
          requeueSignalSeconds: 55,
          maxTimeLimitRequeues: 1,
          minRunSecondsBeforeRequeue: 0,
        },
      });
      const spec = testSpec('time-limit', out('time-limit'), {
        resources: {
          nodes: 1,
          gpusPerNode: 0,
          cpusPerTask: 1,
          memory: '100M',
          timeLimit: '00:01:00',
        },
        environment: { variables: { FAKE_STEPS: '200', FAKE_STEP_SECONDS: '0.5' } },
      });
      const launched = await timed.launch(spec);
      expect(launched.rendered.files.find((f) => f.path === 'job.sbatch')?.content).toContain(
        '#SBATCH --signal=B:USR1@55',
      );
      // The signal may come before the payload has started (Slurm signals up to a minute early), so
      // what is certain is the batch shell's own requeue and the job's second start.
      const id = launched.status.id;
      const lines = await eventually(
        () => collect(timed.logs('time-limit')),
        (l) =>
          l.includes(
            `cncf-llm: job ${id} (restart 1) on ${cluster.node}: 1 node(s), rendezvous ${cluster.node}:${29500 + (Number(id) % 10000)}`,
          ),
        'the job to start again after its time-limit requeue',
        90_000,
      );
      expect(lines).toContain(
        `cncf-llm: time limit near: requeueing job ${id} to resume from the last checkpoint`,
      );
      expect(
        lines.some(
          (l) =>
            l.includes(`JOB ${id} ON ${cluster.node} CANCELLED AT`) &&
            l.endsWith('DUE TO JOB REQUEUE ***'),
        ),
      ).toBe(true);
      expect((await timed.status('time-limit')).state).toBe('running');
      expect((await timed.cancel('time-limit')).state).toBe('cancelled');
    });

    it('follows a log until the job ends', async () => {
      const spec = testSpec('follow-log', out('follow-log'), {
        environment: { variables: { FAKE_STEPS: '4', FAKE_STEP_SECONDS: '0.5' } },
      });
      await backend.launch(spec);
      const lines = await collect(backend.logs('follow-log', { follow: true }));
      expect(lines.filter((l) => l.startsWith('cncf-llm-progress '))).toHaveLength(9);
      expect(lines.some((l) => l.includes('"event":"end"'))).toBe(true);
      expect((await backend.status('follow-log')).state).toBe('succeeded');
    });

    it('does not submit the same run twice, refuses a different spec under an active name, and serialises concurrent launches', async () => {
      const spec = testSpec('idem', out('idem'), {
        environment: { variables: { FAKE_STEPS: '6', FAKE_STEP_SECONDS: '0.5' } },
      });
      const [a, b] = await Promise.all([backend.launch(spec), backend.launch(spec)]);
      expect([a.submitted, b.submitted].sort()).toEqual([false, true]);
      expect(a.status.id).toBe(b.status.id);
      const again = await backend.launch(spec);
      expect(again).toMatchObject({ submitted: false, status: { id: a.status.id } });

      const changed = testSpec('idem', out('idem'), {
        environment: { variables: { FAKE_STEPS: '7', FAKE_STEP_SECONDS: '0.5' } },
      });
      const error = await backend.launch(changed).catch((e: unknown) => e);
      expect(isLauncherError(error, 'already-submitted')).toBe(true);
      expect((error as Error).message).toMatch(
        new RegExp(
          `idem is already (pending|running) as job ${a.status.id} with a different spec .* Cancel it first`,
        ),
      );

      expect((await follow(backend, 'idem')).last.state).toBe('succeeded');
      expect((await backend.launch(spec)).submitted).toBe(false);
      const ids = (await backend.list()).filter((r) => r.name === 'idem').map((r) => r.id);
      expect(ids).toEqual([a.status.id]);
    });

    it('lists runs and gives many statuses with one job listing', async () => {
      calls.jobs = 0;
      calls.job = 0;
      const runs = await backend.list();
      expect(calls.jobs).toBe(1);
      expect(runs.map((r) => r.name)).toEqual(
        expect.arrayContaining([
          'life-ok',
          'gres-two',
          'fails',
          'cancel-me',
          'sweep',
          'requeue',
          'idem',
        ]),
      );
      expect(runs.find((r) => r.name === 'sweep')?.tasks).toHaveLength(3);
      calls.jobs = 0;
      const statuses = await backend.statuses(['life-ok', 'fails', 'sweep', 'cancel-me']);
      expect(statuses.map((s) => s.state)).toEqual([
        'succeeded',
        'failed',
        'succeeded',
        'cancelled',
      ]);
      expect(calls).toEqual({ jobs: 1, job: 0 });
      const byId = await backend.status(runs.find((r) => r.name === 'fails')?.id ?? '');
      expect(byId).toMatchObject({ name: 'fails', state: 'failed' });
    });

    it('refuses to render a token into job.sbatch, and the error does not repeat it', async () => {
      const spec = testSpec('leak', out('leak'), {
        slurm: { requeue: true, extraArgs: [`--comment=${token}`] },
      });
      const error = await backend.launch(spec).catch((e: unknown) => e);
      expect(isLauncherError(error, 'render-failed')).toBe(true);
      expect((error as Error).message).toMatch(/job.sbatch would contain a secret/);
      expect((error as Error).message).not.toContain(token);
      expect(existsSync(out('leak'))).toBe(false);
    });
  },
);
