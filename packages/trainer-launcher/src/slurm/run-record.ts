import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join, posix } from 'node:path';
import { z } from 'zod';
import { LauncherError } from '../errors.js';
import { sleep } from '../sleep.js';
import type { SlurmHost } from './host.js';

/** File name of the run record in the payload directory. */
export const LAUNCH_RECORD_FILE = 'launch.json';
/** File name of the launch lock in the payload directory. */
export const LAUNCH_LOCK_FILE = 'launch.lock';

const SubmissionSchema = z.object({
  jobId: z.string(),
  specHash: z.string(),
  submittedAt: z.string(),
});

/**
 * What the launcher keeps in `<output.dir>/.cncf-llm/launch.json`: the job it submitted for the
 * run, the spec hash, and where each trial writes. No secret is ever stored here.
 */
export const LaunchRecordSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  backend: z.literal('slurm'),
  transport: z.enum(['cli', 'rest']),
  jobId: z.string(),
  specHash: z.string(),
  submittedAt: z.string(),
  payloadDir: z.string(),
  outputDir: z.string(),
  /** True for a sweep (a job array); `trials` lists its tasks. */
  array: z.boolean(),
  trials: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      name: z.string(),
      outputDir: z.string(),
      values: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
    }),
  ),
  /** Earlier submissions of this run (failed or cancelled, then launched again). */
  previous: z.array(SubmissionSchema).default([]),
});

export type LaunchRecord = z.infer<typeof LaunchRecordSchema>;

/** Reads `launch.json` from a payload directory; `undefined` when there is none. */
export async function readLaunchRecord(
  host: SlurmHost,
  payloadDir: string,
  signal?: AbortSignal,
): Promise<LaunchRecord | undefined> {
  const path = posix.join(payloadDir, LAUNCH_RECORD_FILE);
  const text = await host.readFile(path, { signal });
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LauncherError(
      'io-error',
      `${path} is not valid JSON (${(cause as Error).message}); remove it if no job of this run is active, then launch again`,
      {
        cause,
        backend: 'slurm',
      },
    );
  }
  const parsed = LaunchRecordSchema.safeParse(json);
  if (!parsed.success) {
    throw new LauncherError(
      'io-error',
      `${path} is not a launch record this version reads (${parsed.error.issues[0]?.message ?? ''}); remove it if no job of this run is active`,
      {
        backend: 'slurm',
      },
    );
  }
  return parsed.data;
}

/** Writes `launch.json` atomically. */
export async function writeLaunchRecord(
  host: SlurmHost,
  record: LaunchRecord,
  signal?: AbortSignal,
): Promise<void> {
  await host.writeFiles(
    record.payloadDir,
    [{ path: LAUNCH_RECORD_FILE, content: `${JSON.stringify(record, null, 2)}\n`, mode: 0o644 }],
    { signal },
  );
}

/** The default directory of the run-name → payload-directory index. */
export function defaultRecordsDir(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'cncf-llm', 'slurm');
}

const IndexEntrySchema = z.object({ name: z.string(), payloadDir: z.string() });

/**
 * The launcher's local index: which payload directory a run name uses, so `status`, `logs` and
 * `cancel` find a run by name alone. Kept on the launching machine (`recordsDir`).
 */
export function createRunIndex(recordsDir: string) {
  const file = (name: string) => join(recordsDir, `${name}.json`);
  return {
    async get(name: string): Promise<string | undefined> {
      try {
        const parsed = IndexEntrySchema.safeParse(JSON.parse(await readFile(file(name), 'utf8')));
        return parsed.success ? parsed.data.payloadDir : undefined;
      } catch {
        return undefined;
      }
    },
    async set(name: string, payloadDir: string): Promise<void> {
      try {
        await mkdir(recordsDir, { recursive: true });
        const temp = `${file(name)}.tmp-${process.pid}`;
        await writeFile(temp, `${JSON.stringify({ name, payloadDir })}\n`);
        await rename(temp, file(name));
      } catch (cause) {
        throw new LauncherError(
          'io-error',
          `could not write the run index ${file(name)}: ${(cause as Error).message}. Set recordsDir to a writable directory.`,
          {
            cause,
            backend: 'slurm',
          },
        );
      }
    },
  };
}

/**
 * Holds `<payloadDir>/launch.lock` (created with O_EXCL, on the same filesystem the cluster
 * sees) while `fn` runs, so two launches of one run cannot both submit. A lock older than
 * `staleMs` is left from a crashed launch and is broken.
 */
export async function withLaunchLock<T>(
  host: SlurmHost,
  payloadDir: string,
  options: { name: string; timeoutMs: number; staleMs: number; signal?: AbortSignal | undefined },
  fn: () => Promise<T>,
): Promise<T> {
  const path = posix.join(payloadDir, LAUNCH_LOCK_FILE);
  const content = JSON.stringify({
    pid: process.pid,
    host: hostname(),
    at: new Date().toISOString(),
  });
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await host.createExclusive(path, content, { signal: options.signal })) break;
    const age = await host.ageMs(path, { signal: options.signal });
    if (age !== undefined && age > options.staleMs) {
      await host.remove(path, { signal: options.signal });
      continue;
    }
    if (Date.now() > deadline) {
      throw new LauncherError(
        'timeout',
        `another launch of ${options.name} has held ${path} for over ${options.timeoutMs} ms. Wait for it to finish; if no launch is running, remove the file and launch again.`,
        { backend: 'slurm' },
      );
    }
    await sleep(100 + Math.floor(Math.random() * 150), options.signal, 'launch', 'slurm');
  }
  try {
    return await fn();
  } finally {
    await host.remove(path).catch(() => {});
  }
}
