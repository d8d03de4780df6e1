// A private single-node Slurm 22.05 cluster on 127.0.0.1 for one test file: slurmctld, slurmd
// with two fake GPUs, and slurmrestd (JWT), all under a temp state dir, started and stopped by
// clusters/start-slurm.sh and stop-slurm.sh. Needs root and clusters/provision-slurm.sh.

import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../payload/payload-files.js';
import { registerSecret } from '../secrets.js';

const run = promisify(execFile);
const CLUSTERS = join(packageRoot(), 'clusters');
const START = join(CLUSTERS, 'start-slurm.sh');
const STOP = join(CLUSTERS, 'stop-slurm.sh');

/** A running cluster and what a test needs to drive it. */
export interface SlurmCluster {
  /** Where slurm.conf, spool, logs and the fake GPU devices live. */
  stateDir: string;
  /** For Slurm client commands (and the backend's `env` option). */
  env: { SLURM_CONF: string };
  /** slurmrestd, e.g. `http://127.0.0.1:40231`. */
  restUrl: string;
  /** The one node's name. */
  node: string;
  /** The unprivileged user slurmrestd runs as; jobs submitted over REST with its token run as it. */
  restUser: string;
  /** A JWT for `user` from `scontrol token` (registered as a secret). Never for root: slurmrestd refuses those. */
  mintToken(user: string, lifespanSeconds?: number): Promise<string>;
  /** Runs a Slurm command (`scontrol`, `squeue`…) against this cluster. */
  exec(command: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Stops every daemon it started and the jobs' step daemons; removes the state dir. */
  stop(): Promise<void>;
}

/** Options of {@link startSlurmCluster}. */
export interface StartSlurmClusterOptions {
  /** @default a fresh temp dir */
  stateDir?: string;
  /** @default 'slurmrest' (created by provision-slurm.sh) */
  restUser?: string;
  /** Keep the state dir after stop (to read the daemons' logs). @default false */
  keep?: boolean;
}

const live = new Set<string>();
let hooked = false;

function stopSync(stateDir: string): void {
  spawnSync(STOP, [stateDir], { stdio: 'ignore', timeout: 20_000 });
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const dir of live) stopSync(dir);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const dir of live) stopSync(dir);
      live.clear();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Starts a single-node Slurm cluster (about a second). Every daemon it starts is stopped by
 * `stop()`, and also when the process exits.
 */
export async function startSlurmCluster(
  options: StartSlurmClusterOptions = {},
): Promise<SlurmCluster> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'cncf-llm-slurm-')));
  const restUser = options.restUser ?? 'slurmrest';
  hookExit();
  live.add(stateDir);
  let stdout: string;
  try {
    ({ stdout } = await run(START, [stateDir], {
      env: { ...process.env, SLURM_REST_USER: restUser },
      timeout: 90_000,
    }));
  } catch (error) {
    live.delete(stateDir);
    const e = error as { stderr?: string; message: string };
    throw new Error(`start-slurm.sh failed: ${e.stderr?.trim() || e.message}`);
  }
  const out = new Map(
    stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  const conf = out.get('SLURM_CONF');
  const restUrl = out.get('SLURM_REST_URL');
  const node = out.get('SLURM_NODE');
  if (!conf || !restUrl || !node)
    throw new Error(`start-slurm.sh printed no SLURM_CONF/SLURM_REST_URL/SLURM_NODE:\n${stdout}`);
  const env = { SLURM_CONF: conf };
  const exec = (command: string, args: readonly string[]) =>
    run(command, [...args], { env: { ...process.env, ...env }, timeout: 30_000 });
  return {
    stateDir,
    env,
    restUrl,
    node,
    restUser,
    exec,
    async mintToken(user, lifespanSeconds = 3600) {
      if (user === 'root')
        throw new Error('slurmrestd refuses tokens for root: mint one for an unprivileged user');
      const { stdout: text } = await exec('scontrol', [
        'token',
        `username=${user}`,
        `lifespan=${lifespanSeconds}`,
      ]);
      const token = /SLURM_JWT=(\S+)/.exec(text)?.[1];
      if (!token) throw new Error('scontrol token printed no SLURM_JWT');
      registerSecret(token);
      return token;
    },
    async stop() {
      live.delete(stateDir);
      await run(STOP, options.keep ? [stateDir] : [stateDir, '--remove'], { timeout: 30_000 });
    },
  };
}
