import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { LauncherError } from '../errors.js';
import { redactSecrets, SECRET_ENV_NAMES } from '../secrets.js';
import { type CommandResult, type RunCommandOptions, runProcess, type SlurmHost } from './host.js';
import { quoteShellWord, shellCommandLine } from './shell.js';

/** Where to reach the cluster's login node. */
export interface SlurmSshOptions {
  host: string;
  user?: string;
  /** @default 22 */
  port?: number;
  /** Private key file (`ssh -i`). */
  identityFile?: string;
  /** More ssh arguments, e.g. `['-o', 'UserKnownHostsFile=/path']`. */
  options?: string[];
  /**
   * Send the secret variables that are set here (HF_TOKEN, WANDB_API_KEY…) with `SendEnv`, so
   * `sbatch --export=ALL` passes them to the job without them appearing on any command line.
   * The server must list them in `AcceptEnv`; without it the job sees the login environment only.
   * @default true
   */
  forwardSecrets?: boolean;
  /** The ssh program. @default 'ssh' */
  command?: string;
  /**
   * Reuse one connection for every command (OpenSSH ControlMaster): a launch or a followed log
   * runs many commands, and each new connection costs a key exchange. The master exits after
   * `multiplexSeconds` idle, or at `close()`. @default true
   */
  multiplex?: boolean;
  /** Idle seconds before the shared connection closes. @default 60 */
  multiplexSeconds?: number;
}

/** A {@link SlurmHost} over ssh, with its shared connection. */
export interface SshSlurmHost extends SlurmHost {
  /** Closes the shared connection, if one was opened. */
  close(): Promise<void>;
}

/** Secrets a job may need; never SLURM_JWT (that is the launcher's own credential). */
const FORWARDED = SECRET_ENV_NAMES.filter((name) => name !== 'SLURM_JWT');

/** Exit code of the remote scripts below when the file is missing / exists already. */
const MISSING = 44;
const EXISTS = 45;

/** Slurm commands and files on a login node over OpenSSH (`BatchMode`, no password prompts). */
export function createSshHost(
  ssh: SlurmSshOptions,
  defaults: { timeoutMs?: number } = {},
): SshSlurmHost {
  const target = ssh.user ? `${ssh.user}@${ssh.host}` : ssh.host;
  const description = `ssh ${target}${ssh.port ? `:${ssh.port}` : ''}`;
  const program = ssh.command ?? 'ssh';
  const baseArgs = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10'];
  if (ssh.port) baseArgs.push('-p', String(ssh.port));
  if (ssh.identityFile) baseArgs.push('-i', ssh.identityFile, '-o', 'IdentitiesOnly=yes');
  baseArgs.push(...(ssh.options ?? []));
  // A fresh socket name per shared connection: reusing one whose master still lives would make the
  // new "master" a plain background connection that never exits. Unix socket paths are short.
  let controlPath = '';
  let master: Promise<void> | undefined;
  let lastUse = 0;

  /**
   * Starts the shared connection once. ssh -f backgrounds itself after authenticating; its stdio
   * is /dev/null, so no pipe of ours stays open behind it. A failure here is not fatal: commands
   * then connect on their own and report the real error.
   */
  function ensureMaster(signal?: AbortSignal): Promise<void> {
    if (ssh.multiplex === false) return Promise.resolve();
    // An idle master exits by itself after ControlPersist; start a new one then.
    const persistMs = (ssh.multiplexSeconds ?? 60) * 1000;
    if (Date.now() - lastUse > persistMs - 5000) master = undefined;
    lastUse = Date.now();
    if (master) return master;
    controlPath = join(tmpdir(), `cncf-llm-ssh-${randomBytes(6).toString('hex')}`);
    master = new Promise<void>((resolve) => {
      const child = spawn(
        program,
        [
          ...baseArgs,
          ...sendEnv(),
          '-o',
          'ControlMaster=yes',
          '-o',
          `ControlPath=${controlPath}`,
          '-o',
          `ControlPersist=${ssh.multiplexSeconds ?? 60}`,
          '-N',
          '-f',
          '--',
          target,
        ],
        { stdio: 'ignore', signal },
      );
      child.on('error', () => resolve());
      child.on('exit', () => resolve());
    });
    return master;
  }

  /** SendEnv options for the secrets set here (a shared connection forwards what its master was told to). */
  function sendEnv(): string[] {
    if (ssh.forwardSecrets === false) return [];
    return FORWARDED.filter((name) => process.env[name]).flatMap((name) => [
      '-o',
      `SendEnv=${name}`,
    ]);
  }

  async function remote(
    commandLine: string,
    label: string,
    options: RunCommandOptions = {},
  ): Promise<CommandResult> {
    await ensureMaster(options.signal);
    const args = [...baseArgs, ...sendEnv()];
    if (ssh.multiplex !== false)
      args.push('-o', 'ControlMaster=no', '-o', `ControlPath=${controlPath}`);
    args.push('--', target, commandLine);
    const result = await runProcess(program, args, {
      input: options.input,
      timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
      signal: options.signal,
      label: `${label} (${description})`,
    });
    if (result.code === 255) {
      throw new LauncherError(
        'backend-error',
        `${description}: ssh could not run ${label}: ${redactSecrets(result.stderr.trim()).slice(0, 500)}. Check the host, user, port and key (ssh.identityFile), and that the host key is known.`,
        { backend: 'slurm', status: 255 },
      );
    }
    return result;
  }

  /** Runs a bash script on the remote side; the login shell only sees one quoted word. */
  function bash(script: string, label: string, options: RunCommandOptions = {}) {
    return remote(`bash -c ${quoteShellWord(script)}`, label, options);
  }

  return {
    description,
    async close() {
      if (!master) return;
      master = undefined;
      await runProcess(
        program,
        [...baseArgs, '-o', `ControlPath=${controlPath}`, '-O', 'exit', '--', target],
        { label: 'ssh -O exit', timeoutMs: 10_000 },
      ).catch(() => undefined);
    },
    run(command, args, options = {}) {
      const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
      const argv = env.length > 0 ? ['env', ...env, command, ...args] : [command, ...args];
      return remote(shellCommandLine(argv), command, options);
    },
    async writeFiles(dir, files, options = {}) {
      // One connection for all files: a bash script on stdin with each file base64-encoded, so any
      // byte survives; each file is written to a temp name and renamed into place.
      const q = quoteShellWord;
      const lines = ['set -euo pipefail', 'umask 022'];
      const dirs = new Set([dir, ...(options.subdirs ?? []).map((s) => posix.join(dir, s))]);
      for (const file of files) dirs.add(posix.dirname(posix.join(dir, file.path)));
      lines.push(`mkdir -p -- ${[...dirs].map(q).join(' ')}`);
      for (const [i, file] of files.entries()) {
        const path = posix.join(dir, file.path);
        const temp = `${path}.tmp-upload`;
        const encoded = Buffer.from(file.content, 'utf8')
          .toString('base64')
          .replace(/.{1,76}/g, '$&\n');
        lines.push(
          `base64 -d > ${q(temp)} <<'CNCF_LLM_FILE_${i}'`,
          `${encoded}CNCF_LLM_FILE_${i}`,
          `chmod ${(file.mode ?? 0o644).toString(8)} ${q(temp)}`,
          `mv -f -- ${q(temp)} ${q(path)}`,
        );
      }
      const result = await remote('bash -s', 'writing the run files', {
        input: `${lines.join('\n')}\n`,
        signal: options.signal,
      });
      if (result.code !== 0) {
        throw new LauncherError(
          'io-error',
          `${description}: could not write the run's files under ${dir}: ${result.stderr.trim().slice(0, 500)}. Check that the directory is writable there.`,
          {
            backend: 'slurm',
            status: result.code,
          },
        );
      }
    },
    async readFile(path, options = {}) {
      const from = (options.offset ?? 0) + 1;
      const result = await bash(
        `[ -e ${quoteShellWord(path)} ] || exit ${MISSING}; tail -c +${from} -- ${quoteShellWord(path)}`,
        `reading ${path}`,
        options,
      );
      if (result.code === MISSING) return undefined;
      if (result.code !== 0) {
        throw new LauncherError(
          'io-error',
          `${description}: could not read ${path}: ${result.stderr.trim().slice(0, 500)}`,
          { backend: 'slurm', status: result.code },
        );
      }
      return result.stdout;
    },
    async createExclusive(path, content, options = {}) {
      const q = quoteShellWord;
      // noclobber makes bash open the file with O_EXCL: of two racing launchers, one wins.
      const script = `mkdir -p -- ${q(posix.dirname(path))}; set -C; { printf '%s' ${q(content)} > ${q(path)}; } 2>/dev/null || exit ${EXISTS}`;
      const result = await bash(script, `locking ${path}`, options);
      if (result.code === EXISTS) return false;
      if (result.code !== 0) {
        throw new LauncherError(
          'io-error',
          `${description}: could not create ${path}: ${result.stderr.trim().slice(0, 500)}`,
          { backend: 'slurm', status: result.code },
        );
      }
      return true;
    },
    async ageMs(path, options = {}) {
      const q = quoteShellWord(path);
      const result = await bash(
        `[ -e ${q} ] || exit ${MISSING}; echo $(( $(date +%s) - $(stat -c %Y -- ${q}) ))`,
        `stat ${path}`,
        options,
      );
      if (result.code !== 0) return undefined;
      return Number(result.stdout.trim()) * 1000;
    },
    async remove(path, options = {}) {
      await bash(`rm -f -- ${quoteShellWord(path)}`, `removing ${path}`, options);
    },
  };
}
