// A real OpenSSH server on 127.0.0.1 for the ssh transport test: its own host key, one
// authorized client key, SLURM_CONF set for every session (SetEnv) and the secret variables
// accepted from the client (AcceptEnv). Needs root and openssh-server (provision-slurm.sh).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running sshd and the client settings that reach it. */
export interface TestSshd {
  port: number;
  user: string;
  identityFile: string;
  /** `-o` options: this server's known_hosts, strict host key checking, no user config. */
  options: string[];
  stop(): Promise<void>;
}

export function sshdAvailable(): boolean {
  return (
    process.getuid?.() === 0 &&
    existsSync('/usr/sbin/sshd') &&
    existsSync('/usr/bin/ssh') &&
    existsSync('/usr/bin/ssh-keygen')
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts sshd with `setEnv` applied to every session. */
export async function startSshd(setEnv: Record<string, string>): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'cncf-llm-sshd-'));
  const port = await freePort();
  const keygen = (file: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'ignore' });
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), {
    mode: 0o600,
  });
  writeFileSync(
    join(dir, 'known_hosts'),
    `[127.0.0.1]:${port} ${readFileSync(join(dir, 'host_key.pub'), 'utf8')}`,
  );
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    'AcceptEnv HF_TOKEN HUGGING_FACE_HUB_TOKEN WANDB_API_KEY',
    // SHLVL=1 keeps bash from sourcing ~/.bashrc for ssh commands (root's runs `pyenv init` here,
    // 0.7 s per command); a login node's own start-up cost is not what these tests measure.
    `SetEnv SHLVL=1 ${Object.entries(setEnv)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  ];
  writeFileSync(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  // sshd's privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const log = openSync(join(dir, 'sshd.log'), 'a');
  const child: ChildProcess = spawn(
    '/usr/sbin/sshd',
    ['-D', '-e', '-f', join(dir, 'sshd_config')],
    { stdio: ['ignore', log, log] },
  );
  const exitHook = () => child.kill('SIGKILL');
  process.once('exit', exitHook);
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sshd did not start: ${readFileSync(join(dir, 'sshd.log'), 'utf8')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    user: 'root',
    identityFile: join(dir, 'client_key'),
    options: [
      '-F',
      '/dev/null',
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'LogLevel=ERROR',
    ],
    async stop() {
      process.removeListener('exit', exitHook);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
