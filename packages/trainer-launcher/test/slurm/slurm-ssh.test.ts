import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLauncherError } from '../../src/errors.js';
import { createSlurmBackend, type SlurmBackend } from '../../src/slurm/slurm-backend.js';
import { createSshHost } from '../../src/slurm/ssh-host.js';
import { type SlurmCluster, startSlurmCluster } from '../../src/testing/slurm-cluster.js';
import { fakePayload, testSpec } from './fake-payload.js';
import { collect, eventually, fakeHubToken, follow, slurmAvailable } from './helpers.js';
import { sshdAvailable, startSshd, type TestSshd } from './sshd.js';

describe.skipIf(!slurmAvailable() || !sshdAvailable())(
  'Slurm backend over ssh (a real sshd on 127.0.0.1)',
  () => {
    let cluster: SlurmCluster;
    let sshd: TestSshd;
    let backend: SlurmBackend;
    let work: string;
    let token: string;
    let savedToken: string | undefined;

    beforeAll(async () => {
      cluster = await startSlurmCluster();
      // The login node's environment points the Slurm commands at this cluster.
      sshd = await startSshd({ SLURM_CONF: cluster.env.SLURM_CONF });
      work = await mkdtemp(join(tmpdir(), 'cncf-llm-slurm-ssh-'));
      token = fakeHubToken();
      savedToken = process.env.HF_TOKEN;
      process.env.HF_TOKEN = token;
      backend = createSlurmBackend({
        ssh: {
          host: '127.0.0.1',
          port: sshd.port,
          user: sshd.user,
          identityFile: sshd.identityFile,
          options: sshd.options,
        },
        payload: fakePayload,
        recordsDir: join(work, 'records'),
        pollMs: 250,
      });
    });

    afterAll(async () => {
      await backend?.close();
      if (savedToken === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = savedToken;
      await sshd?.stop();
      await cluster?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    const out = (name: string) => join(work, name);

    it('passes every byte of every argument through the remote shell unharmed', async () => {
      const host = createSshHost({
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        identityFile: sshd.identityFile,
        options: sshd.options,
        multiplex: false,
      });
      const nasty = [`it's`, '$HOME', '`id`', '"q"', 'a b', '*', ';rm -rf /nope', '\\n', 'ü', ''];
      const result = await host.run('printf', ['%s\\n', ...nasty]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(nasty.map((w) => `${w}\n`).join(''));
    });

    it('writes the payload over ssh, submits with sbatch there, and follows the run to succeeded', async () => {
      const spec = testSpec('ssh-ok', out('ssh-ok'), {
        environment: { variables: { FAKE_STEPS: '3' } },
      });
      const launched = await backend.launch(spec);
      expect(launched.submitted).toBe(true);
      expect(launched.rendered.summary).toContain(`over ssh root@127.0.0.1:${sshd.port}`);
      const runSh = join(out('ssh-ok'), '.cncf-llm', 'run.sh');
      expect(statSync(runSh).mode & 0o777).toBe(0o755);
      expect(readFileSync(runSh, 'utf8')).toBe(
        fakePayload(spec, { payloadDir: '' }).files[0]?.content,
      );
      const { last } = await follow(backend, 'ssh-ok');
      expect(last).toMatchObject({ state: 'succeeded', exitCode: 0 });
      const lines = await collect(backend.logs('ssh-ok'));
      // SendEnv/AcceptEnv carried the token to sbatch, which exported it to the job.
      expect(lines).toContain('HF_TOKEN is set');
      expect(lines.join('\n')).not.toContain(token);
      expect((await backend.progress('ssh-ok')).at(-1)).toMatchObject({
        event: 'end',
        status: 'succeeded',
      });
      expect(await backend.limits(spec)).toMatchObject({
        name: 'debug',
        maxGpusPerNode: 2,
        maxTimeMinutes: 60,
      });
    });

    it('keeps secrets at home when forwarding is off: the job sees no token', async () => {
      const quiet = createSlurmBackend({
        ssh: {
          host: '127.0.0.1',
          port: sshd.port,
          user: sshd.user,
          identityFile: sshd.identityFile,
          options: sshd.options,
          forwardSecrets: false,
        },
        payload: fakePayload,
        recordsDir: join(work, 'records'),
      });
      await quiet.launch(
        testSpec('ssh-quiet', out('ssh-quiet'), {
          environment: { variables: { FAKE_STEPS: '1' } },
        }),
      );
      expect((await follow(quiet, 'ssh-quiet')).last.state).toBe('succeeded');
      expect(await collect(quiet.logs('ssh-quiet'))).toContain('HF_TOKEN is unset');
      await quiet.close();
    });

    it('locks over ssh (two concurrent launches submit once), lists and cancels', async () => {
      const spec = testSpec('ssh-long', out('ssh-long'), {
        environment: { variables: { FAKE_STEPS: '300', FAKE_STEP_SECONDS: '1' } },
      });
      const [a, b] = await Promise.all([backend.launch(spec), backend.launch(spec)]);
      expect([a.submitted, b.submitted].sort()).toEqual([false, true]);
      expect(existsSync(join(out('ssh-long'), '.cncf-llm', 'launch.lock'))).toBe(false);
      await eventually(
        () => backend.status('ssh-long'),
        (s) => s.state === 'running',
        'ssh-long to run',
      );
      expect((await backend.list()).map((r) => r.name)).toEqual(
        expect.arrayContaining(['ssh-ok', 'ssh-quiet', 'ssh-long']),
      );
      expect((await backend.cancel('ssh-long')).state).toBe('cancelled');
    });

    it('names the host and the fix when ssh cannot connect', async () => {
      const wrong = createSlurmBackend({
        ssh: {
          host: '127.0.0.1',
          port: 1,
          user: 'root',
          identityFile: sshd.identityFile,
          options: sshd.options,
        },
        payload: fakePayload,
        recordsDir: join(work, 'records'),
      });
      const error = await wrong.list().catch((e: unknown) => e);
      expect(isLauncherError(error, 'backend-error')).toBe(true);
      expect((error as Error).message).toMatch(
        /ssh root@127.0.0.1:1: ssh could not run squeue: .*Connection refused.* Check the host, user, port and key/,
      );
    });
  },
);
