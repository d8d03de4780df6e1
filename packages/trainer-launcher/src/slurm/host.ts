import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RenderedFile } from '../backend.js';
import { LauncherError } from '../errors.js';
import { redactSecrets } from '../secrets.js';

/** What a command printed and how it ended. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one command on a {@link SlurmHost}. */
export interface RunCommandOptions {
  /** Extra environment variables for this command (`SLURM_TIME_FORMAT=standard`). */
  env?: Record<string, string>;
  /** Text for the command's stdin. */
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/**
 * Where Slurm commands run and where the run's files live: this machine, or a login node over
 * ssh. Files are written through the same channel as the commands, so the payload lands on the
 * filesystem the cluster sees.
 */
export interface SlurmHost {
  /** `local` or `ssh user@host:port`, for messages. */
  readonly description: string;
  run(
    command: string,
    args: readonly string[],
    options?: RunCommandOptions,
  ): Promise<CommandResult>;
  /** Writes files under `dir` (created with `subdirs`), each atomically (temp file + rename). */
  writeFiles(
    dir: string,
    files: readonly RenderedFile[],
    options?: { subdirs?: string[]; signal?: AbortSignal | undefined },
  ): Promise<void>;
  /** The file's text from byte `offset` on, or `undefined` when it does not exist. */
  readFile(
    path: string,
    options?: { offset?: number; signal?: AbortSignal | undefined },
  ): Promise<string | undefined>;
  /** Creates `path` only if it does not exist (O_EXCL); false when it does. */
  createExclusive(
    path: string,
    content: string,
    options?: { signal?: AbortSignal | undefined },
  ): Promise<boolean>;
  /** Age of a file in ms, or `undefined` when it does not exist. */
  ageMs(path: string, options?: { signal?: AbortSignal | undefined }): Promise<number | undefined>;
  remove(path: string, options?: { signal?: AbortSignal | undefined }): Promise<void>;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions extends RunCommandOptions {
  /** The whole environment of the child (defaults to this process's). */
  baseEnv?: NodeJS.ProcessEnv;
  /** How the command is named in errors (never its secret arguments). */
  label: string;
}

/**
 * Runs a program without a shell, with a timeout and an AbortSignal; resolves with its exit code
 * and output (a non-zero exit is not an error here). Throws `timeout`, `aborted`, or
 * `command-failed` when it cannot be started.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunProcessOptions,
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(
        new LauncherError('aborted', `${options.label} was aborted before it started`, {
          backend: 'slurm',
        }),
      );
      return;
    }
    const child = spawn(command, [...args], {
      env: { ...(options.baseEnv ?? process.env), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let failure: LauncherError | undefined;
    const kill = (why: LauncherError) => {
      failure ??= why;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    };
    const timer = setTimeout(
      () =>
        kill(
          new LauncherError(
            'timeout',
            `${options.label} did not finish within ${timeoutMs} ms; is slurmctld (or the ssh host) reachable? Raise timeoutMs if it is just slow.`,
            {
              backend: 'slurm',
            },
          ),
        ),
      timeoutMs,
    );
    const onAbort = () =>
      kill(new LauncherError('aborted', `${options.label} was aborted`, { backend: 'slurm' }));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    child.on('error', (cause: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(
        new LauncherError(
          'command-failed',
          cause.code === 'ENOENT'
            ? `${command} is not installed on this machine (PATH: ${process.env.PATH ?? ''}); install the Slurm client tools, or use transport 'rest' or the ssh option`
            : `could not start ${options.label}: ${cause.message}`,
          { cause, backend: 'slurm' },
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (failure) return reject(failure);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Options of {@link createLocalHost}. */
export interface LocalHostOptions {
  /** Added to this process's environment for every Slurm command (`SLURM_CONF`). */
  env?: Record<string, string>;
  /** @default 30000 */
  timeoutMs?: number;
}

/** Slurm commands and files on this machine. */
export function createLocalHost(options: LocalHostOptions = {}): SlurmHost {
  return {
    description: 'local',
    run(command, args, runOptions = {}) {
      return runProcess(command, args, {
        ...runOptions,
        env: { ...options.env, ...runOptions.env },
        timeoutMs: runOptions.timeoutMs ?? options.timeoutMs,
        label: command,
      });
    },
    async writeFiles(dir, files, writeOptions = {}) {
      try {
        await mkdir(dir, { recursive: true });
        for (const sub of writeOptions.subdirs ?? [])
          await mkdir(join(dir, sub), { recursive: true });
        for (const file of files) {
          const target = join(dir, file.path);
          await mkdir(dirname(target), { recursive: true });
          const temp = `${target}.tmp-${process.pid}`;
          await writeFile(temp, file.content, { mode: file.mode ?? 0o644 });
          await rename(temp, target);
        }
      } catch (cause) {
        throw new LauncherError(
          'io-error',
          `could not write the run's files under ${dir}: ${(cause as Error).message}. Check that the directory is writable.`,
          {
            cause,
            backend: 'slurm',
          },
        );
      }
    },
    async readFile(path, readOptions = {}) {
      try {
        if (!readOptions.offset) return await readFile(path, 'utf8');
        const handle = await open(path, 'r');
        try {
          const { size } = await handle.stat();
          if (size <= readOptions.offset) return '';
          const buffer = Buffer.alloc(size - readOptions.offset);
          await handle.read(buffer, 0, buffer.length, readOptions.offset);
          return buffer.toString('utf8');
        } finally {
          await handle.close();
        }
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new LauncherError('io-error', `could not read ${path}: ${(cause as Error).message}`, {
          cause,
          backend: 'slurm',
        });
      }
    },
    async createExclusive(path, content) {
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, content, { flag: 'wx', mode: 0o644 });
        return true;
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw new LauncherError(
          'io-error',
          `could not create ${path}: ${(cause as Error).message}`,
          { cause, backend: 'slurm' },
        );
      }
    },
    async ageMs(path) {
      try {
        return Date.now() - (await stat(path)).mtimeMs;
      } catch {
        return undefined;
      }
    },
    async remove(path) {
      await rm(path, { force: true });
    },
  };
}

/** A command's failure as a LauncherError naming what ran and what it said (secrets redacted). */
export function commandError(
  code: 'command-failed' | 'submit-failed' | 'backend-error' | 'job-not-found',
  what: string,
  result: CommandResult,
  fix: string,
): LauncherError {
  const said = redactSecrets((result.stderr.trim() || result.stdout.trim()).slice(0, 2000));
  return new LauncherError(
    code,
    `${what} failed (exit ${result.code})${said ? `: ${said}` : ''}. ${fix}`,
    {
      backend: 'slurm',
      status: result.code,
    },
  );
}
