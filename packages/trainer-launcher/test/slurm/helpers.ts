import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { LaunchBackend } from '../../src/backend.js';
import type { RunStatus } from '../../src/state.js';

/** Root, the Slurm daemons and client tools, and slurmrestd's user: what the real-cluster tests need. */
export function slurmAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  for (const bin of [
    '/usr/sbin/slurmctld',
    '/usr/sbin/slurmd',
    '/usr/sbin/slurmrestd',
    '/usr/bin/sbatch',
  ]) {
    if (!existsSync(bin)) return false;
  }
  try {
    execFileSync('id', ['slurmrest'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Polls `read` until `done` holds; throws with the last value seen after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}; last: ${JSON.stringify(last)} ${lastError ? String(lastError) : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Every state a run was seen in, polling until it is final. */
export async function follow(
  backend: LaunchBackend,
  run: string,
  timeoutMs = 90_000,
): Promise<{ seen: string[]; last: RunStatus }> {
  const seen: string[] = [];
  const final = new Set(['succeeded', 'failed', 'cancelled', 'timed-out']);
  const last = await eventually(
    async () => {
      const status = await backend.status(run);
      if (seen.at(-1) !== status.state) seen.push(status.state);
      return status;
    },
    (s) => final.has(s.state),
    `${run} to end`,
    timeoutMs,
  );
  return { seen, last };
}

/** A fake Hub token assembled at runtime: obviously fake, never a literal. */
export function fakeHubToken(): string {
  return ['hf', 'FAKE'.repeat(8)].join('_');
}

/** Drains an async generator. */
export async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}
