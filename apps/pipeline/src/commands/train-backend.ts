import {
  createKubernetesBackend,
  createSlurmBackend,
  type LaunchBackend,
} from '@cncf-llm/trainer-launcher';
import { InvalidArgumentError } from 'commander';

/** Flags that say which cluster to talk to and how. */
export interface BackendFlags {
  backend: 'slurm' | 'k8s';
  ssh?: string;
  sshKey?: string;
  slurmrestd?: string;
  slurmUser?: string;
  kubeconfig?: string;
  namespace?: string;
}

export function backendOption(value: string): 'slurm' | 'k8s' {
  if (value === 'slurm' || value === 'k8s') return value;
  if (value === 'kubernetes') return 'k8s';
  throw new InvalidArgumentError(`--backend takes "slurm" or "k8s"; got "${value}".`);
}

/** `user@host[:port]` → its parts. */
export function parseSshTarget(value: string): { host: string; user?: string; port?: number } {
  const m = /^(?:([^@\s]+)@)?([^@:\s]+)(?::(\d+))?$/.exec(value);
  if (!m)
    throw new InvalidArgumentError(`--ssh takes user@host or user@host:port; got "${value}".`);
  return {
    host: m[2] as string,
    ...(m[1] ? { user: m[1] } : {}),
    ...(m[3] ? { port: Number(m[3]) } : {}),
  };
}

/** Builds the backend the flags name. Tokens come from the environment, never from flags. */
export function createBackend(flags: BackendFlags): LaunchBackend {
  if (flags.backend === 'slurm') {
    if (flags.slurmrestd) {
      return createSlurmBackend({
        transport: 'rest',
        rest: {
          baseUrl: flags.slurmrestd,
          ...(flags.slurmUser ? { userName: flags.slurmUser } : {}),
        },
      });
    }
    return createSlurmBackend({
      transport: 'cli',
      ...(flags.ssh
        ? {
            ssh: {
              ...parseSshTarget(flags.ssh),
              ...(flags.sshKey ? { identityFile: flags.sshKey } : {}),
            },
          }
        : {}),
    });
  }
  return createKubernetesBackend({
    ...(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
  });
}
