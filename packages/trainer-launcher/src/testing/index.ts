/**
 * `@cncf-llm/trainer-launcher/testing`: real clusters on 127.0.0.1 for tests of code that
 * launches fine-tunes. Each needs root and the programs `clusters/provision.sh` installs
 * (Debian's Slurm 22.05; a Kubernetes 1.20 control plane built from Debian's source).
 */

export { type FakeKubelet, type FakeKubeletOptions, startFakeKubelet } from './fake-kubelet.js';
export {
  type KubeCluster,
  kubeBinDir,
  kubeClusterAvailable,
  startKubeCluster,
} from './kube-cluster.js';
export {
  type SlurmCluster,
  type StartSlurmClusterOptions,
  startSlurmCluster,
} from './slurm-cluster.js';
export { buildTinyModel, provisionPython } from './tiny-model.js';
