import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ScraperError } from '../errors.js';

const LockSchema = z.object({ pid: z.number().int(), host: z.string(), startedAt: z.string() });

/** A held lock; {@link DirLock.release} gives it back. */
export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes `dir/name` as a lock file, so that two processes never append to (or repair, or
 * compact) the same files at once: two runs of the same command from a cron job that
 * overlapped would otherwise write pages twice and tear each other's lines.
 *
 * A lock left by a process that died (SIGKILL, a crash) on this host is taken over; one whose
 * process still runs, or that another host wrote, is an error saying what holds it.
 * @throws `ScraperError` with code `io-error` when the lock is held.
 */
export async function acquireDirLock(dir: string, name: string): Promise<DirLock> {
  const path = join(dir, name);
  const mine = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      return {
        path,
        release: async () => {
          await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ScraperError(
          'io-error',
          `Could not create the lock ${path}: ${(error as Error).message}. Check that the directory is writable.`,
          { cause: error },
        );
      }
    }
    const holder = await readHolder(path);
    const stale =
      holder === null ||
      (holder.host === mine.host && holder.pid !== mine.pid && !alive(holder.pid));
    if (!stale || attempt > 0) {
      const who = holder
        ? `process ${holder.pid} on ${holder.host}, since ${holder.startedAt}`
        : 'another process';
      throw new ScraperError(
        'io-error',
        `${dir} is in use by ${who}. Wait for it to finish, or remove ${path} if that process is gone.`,
      );
    }
    // The holder died without releasing the lock: take it over (once; a race with another
    // process taking it over at the same moment ends in the error above).
    await rm(path, { force: true });
  }
}

async function readHolder(path: string): Promise<z.infer<typeof LockSchema> | null> {
  // A lock just created by another process may not have its content yet: look twice.
  for (let look = 0; look < 2; look++) {
    try {
      const parsed = LockSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    }
    if (look === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Still unreadable: half written by a process killed while writing it.
  return null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
