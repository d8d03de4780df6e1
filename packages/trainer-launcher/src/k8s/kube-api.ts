import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { LauncherError } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { kubernetesError } from './api-errors.js';

/** How to reach the cluster. */
export interface KubeConnectionOptions {
  /** A loaded kubeconfig. Takes precedence over `kubeconfigPath`. */
  kubeConfig?: KubeConfig;
  /** A kubeconfig file. @default `$KUBECONFIG`, `~/.kube/config`, or the in-cluster service account */
  kubeconfigPath?: string;
}

/** The clients this backend uses, and a wrapper that maps their failures. */
export interface KubeApi {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  /** The API server URL (for messages; it holds no credentials). */
  server: string | undefined;
  /** The current context's namespace, when it names one. */
  contextNamespace: string | undefined;
  /** Runs one API call; failures become {@link LauncherError}s naming `action` and `target`. */
  call<T>(action: string, target: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

function loadKubeConfig(options: KubeConnectionOptions): KubeConfig {
  if (options.kubeConfig) return options.kubeConfig;
  const kc = new KubeConfig();
  try {
    if (options.kubeconfigPath) kc.loadFromFile(options.kubeconfigPath);
    else kc.loadFromDefault();
  } catch (error) {
    // Only the error code: a parser's message may quote the file, tokens included.
    const code = (error as { code?: unknown }).code;
    throw new LauncherError(
      'invalid-options',
      `cannot load the kubeconfig${options.kubeconfigPath ? ` ${options.kubeconfigPath}` : ''} (${typeof code === 'string' ? code : 'not a valid kubeconfig'}). Pass kubeconfigPath, or set KUBECONFIG to a readable kubeconfig file.`,
      { backend: 'k8s' },
    );
  }
  return kc;
}

/** Registers every credential in the kubeconfig so no error or log line can show it. */
function registerCredentials(kc: KubeConfig): void {
  for (const user of kc.getUsers()) {
    registerSecret(user.token);
    registerSecret(user.password);
    const provider = user.authProvider as { config?: Record<string, unknown> } | undefined;
    for (const key of ['access-token', 'id-token', 'refresh-token', 'client-secret']) {
      const value = provider?.config?.[key];
      if (typeof value === 'string') registerSecret(value);
    }
  }
}

/** Throws `aborted` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new LauncherError('aborted', `${what}: aborted`, { backend: 'k8s' });
}

/** Builds the API clients from a kubeconfig object, file, or the default locations. */
export function createKubeApi(options: KubeConnectionOptions): KubeApi {
  const kc = loadKubeConfig(options);
  if (!kc.getCurrentCluster()) {
    throw new LauncherError(
      'invalid-options',
      'the kubeconfig has no current cluster. Set current-context, or pass a kubeconfig that names one.',
      { backend: 'k8s' },
    );
  }
  registerCredentials(kc);
  const server = kc.getCurrentCluster()?.server;
  return {
    kubeConfig: kc,
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    server,
    contextNamespace: kc.getContextObject(kc.getCurrentContext())?.namespace,
    async call(action, target, fn, signal) {
      throwIfAborted(signal, `${action} ${target}`);
      try {
        return await fn();
      } catch (error) {
        throw kubernetesError(error, { action, target, server });
      }
    },
  };
}
