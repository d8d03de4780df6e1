import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { packageRoot } from '../payload/payload-files.js';

const clusters = join(packageRoot(), 'clusters');

/** A private Kubernetes 1.20 control plane on 127.0.0.1 (no kubelet: see fake-kubelet.ts). */
export interface KubeCluster {
  /** Points at the API server with its CA and an admin token. */
  kubeConfig: KubeConfig;
  /** The same, as a file (for a CLI under test, or kubectl). */
  kubeconfigPath: string;
  /** A kubeconfig for an authenticated user with no role at all (every request is 403). */
  unprivilegedKubeconfigPath: string;
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** Everything lives here: pki/, etcd/, log/ (one file per daemon), run/ (pid files). */
  stateDir: string;
  /** A serving certificate and key (PEM) signed by the cluster CA, for the fake kubelet. */
  kubeletTls: { cert: string; key: string };
  /** How long start-up took until pods can be created, ms (for reports, not assertions). */
  startMs: number;
  /** Stops every daemon and removes the state directory (unless `keepStateDir`). */
  stop(): Promise<void>;
}

/** Where provision-kube.sh caches the binaries. */
export function kubeBinDir(): string {
  return (
    process.env.KUBE_BIN ??
    join(
      process.env.CNCF_LLM_CACHE ?? join(homedir(), '.cache', 'cncf-llm'),
      'kubernetes-1.20',
      'bin',
    )
  );
}

/** Whether a control plane can be started here (binaries built, etcd and openssl installed). */
export function kubeClusterAvailable(): boolean {
  const bin = kubeBinDir();
  const have = (cmd: string) => {
    try {
      execFileSync('bash', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  return (
    ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].every((b) =>
      existsSync(join(bin, b)),
    ) &&
    have('etcd') &&
    have('openssl')
  );
}

function killRecorded(stateDir: string): void {
  const run = join(stateDir, 'run');
  if (!existsSync(run)) return;
  for (const file of readdirSync(run)) {
    if (!file.endsWith('.pid')) continue;
    const pid = Number(readFileSync(join(run, file), 'utf8').trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager (job, garbage collector, namespace,
 * service-account, TTL and pod GC controllers; no node lifecycle controller, which would evict
 * the pods of a node without heartbeats) and kube-scheduler with `clusters/start-kube.sh`,
 * on free ports in a fresh temp directory, and waits until the API server is ready. The daemons
 * are killed by `stop()`, when this process exits, and by a watchdog if it dies.
 */
export async function startKubeCluster(
  options: { keepStateDir?: boolean } = {},
): Promise<KubeCluster> {
  const stateDir = mkdtempSync(join(tmpdir(), 'cncf-llm-kube-'));
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      'bash',
      [join(clusters, 'start-kube.sh'), stateDir],
      { env: { ...process.env, KUBE_PARENT_PID: String(process.pid) }, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`start-kube.sh failed: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end();
  });
  const values = Object.fromEntries(
    output
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const onExit = () => killRecorded(stateDir);
  process.once('exit', onExit);
  const kubeconfigPath = values.KUBECONFIG ?? join(stateDir, 'kubeconfig');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  // Pods are refused until the service-account controller has made the namespace's account.
  const core = kubeConfig.makeApiClient(CoreV1Api);
  for (let i = 0; ; i++) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      break;
    } catch (error) {
      if (i > 300)
        throw new Error(`the default ServiceAccount never appeared: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const startMs = performance.now() - started;
  let stopped = false;
  return {
    kubeConfig,
    kubeconfigPath,
    unprivilegedKubeconfigPath: values.KUBECONFIG_NOBODY ?? join(stateDir, 'kubeconfig-nobody'),
    server: values.KUBE_SERVER ?? '',
    stateDir,
    kubeletTls: {
      cert: readFileSync(values.KUBELET_CERT ?? join(stateDir, 'pki', 'kubelet.crt'), 'utf8'),
      key: readFileSync(values.KUBELET_KEY ?? join(stateDir, 'pki', 'kubelet.key'), 'utf8'),
    },
    startMs,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await new Promise<void>((resolve) => {
        execFile('bash', [join(clusters, 'stop-kube.sh'), stateDir], () => resolve()).stdin?.end();
      });
      if (!options.keepStateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
