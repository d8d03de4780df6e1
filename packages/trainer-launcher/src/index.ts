/**
 * @cncf-llm/trainer-launcher: one typed fine-tune spec, rendered for TRL (`trl sft`) or axolotl,
 * launched, watched and swept on Slurm (commands locally or over ssh, or slurmrestd) and
 * Kubernetes (Job, PyTorchJob, TrainJob, Kueue).
 */

export type {
  LaunchBackend,
  LaunchOptions,
  LaunchResult,
  LogOptions,
  RenderedFile,
  RenderedJob,
} from './backend.js';
// Errors and secrets
export { isLauncherError, LauncherError, type LauncherErrorCode } from './errors.js';
// Kubernetes backend
export {
  createKubernetesBackend,
  type KubernetesBackend,
  type KubernetesBackendOptions,
  type KubernetesLaunchOptions,
} from './k8s/kubernetes-backend.js';
export { ANNOTATIONS, LABELS, PAYLOAD_DIR } from './k8s/labels.js';
export type { KubernetesManifest } from './k8s/pod-template.js';
export {
  type KubernetesRenderOptions,
  type KubernetesUnit,
  manifestsToYaml,
  type PayloadRenderer,
  type RenderedKubernetesObjects,
  renderKubernetesObjects,
} from './k8s/render-objects.js';
export {
  combineStatuses,
  jobState,
  pytorchJobState,
  type StateView,
  trainJobState,
  unitStatus,
} from './k8s/status-mapping.js';
export {
  type RenderedAccelerateConfig,
  renderAccelerateConfig,
  worldSize,
} from './payload/accelerate-config.js';
export { renderAxolotlConfig } from './payload/axolotl-config.js';
export {
  checkOptionNames,
  type OptionNameList,
  OptionNameListSchema,
  optionNameList,
  type TrainerName,
} from './payload/option-names.js';

// Payload: TRL (default) or axolotl config, accelerate config, run.sh, progress helpers
export {
  type PayloadOptions,
  type RenderedPayload,
  renderPayload,
} from './payload/render-payload.js';
export type { PayloadDevice } from './payload/training-choices.js';
export {
  type RenderedTrainerConfig,
  renderTrlConfig,
  type TrainerConfigOptions,
} from './payload/trl-config.js';
export {
  PROGRESS_PREFIX,
  type ProgressEvent,
  ProgressEventSchema,
  type ProgressSummary,
  parseProgress,
  summariseProgress,
} from './progress.js';
export { canonicalJson, specHash } from './run-identity.js';
export { redactSecrets, registerSecret, SECRET_ENV_NAMES } from './secrets.js';
export { createCliClient } from './slurm/cli-client.js';
export type { SlurmClient, SlurmNodeInfo, SlurmPartitionInfo } from './slurm/client.js';
export type { SlurmJobInfo } from './slurm/job-info.js';
export { parseGpuGres, partitionLimits } from './slurm/limits.js';
export {
  COMMENT_PREFIX,
  logPathOf,
  PAYLOAD_DIR_NAME,
  payloadDirOf,
  renderSbatch,
  type SbatchDirectives,
  type SbatchOptions,
  sbatchArgs,
  sbatchDirectives,
} from './slurm/render-sbatch.js';
export {
  createRestClient,
  restJobProperties,
  SLURM_REST_VERSION,
  type SlurmRestOptions,
} from './slurm/rest-client.js';
export { type LaunchRecord, LaunchRecordSchema } from './slurm/run-record.js';
// Slurm backend
export {
  createSlurmBackend,
  type SlurmBackend,
  type SlurmBackendOptions,
  type SlurmLaunchOptions,
  type SlurmPayloadRenderer,
} from './slurm/slurm-backend.js';
export type { SlurmSshOptions } from './slurm/ssh-host.js';
export {
  decodeExitCode,
  type MappedSlurmState,
  mapSlurmState,
  normaliseSlurmState,
  SLURM_JOB_STATES,
  type SlurmJobState,
} from './slurm/states.js';
export {
  assertSpecFits,
  checkSpecFits,
  durationToMinutes,
  memoryToMiB,
  type PartitionLimits,
} from './spec/cluster-limits.js';
export { formatIssues, loadSpec, parseSpec, parseSpecText } from './spec/load.js';
// Spec
export {
  BaseModelSchema,
  ChatTemplateSchema,
  DatasetSpecSchema,
  EnvironmentSchema,
  EvalSchema,
  HyperparametersSchema,
  KubernetesOptionsSchema,
  MethodSchema,
  OutputSchema,
  ResourcesSchema,
  type ResourcesSpec,
  SlurmOptionsSchema,
  SWEEPABLE,
  SweepSchema,
  type SweepSpec,
  TrackingSchema,
  type TrainSpec,
  type TrainSpecInput,
  TrainSpecSchema,
} from './spec/schema.js';
// Lifecycle, progress, watching
export {
  canTransition,
  isFinalState,
  RUN_STATES,
  type RunState,
  type RunStatus,
} from './state.js';
// Sweeps
export { expandSweep, MAX_TRIALS, type Trial, trialName } from './sweep/expand.js';
export {
  collectSweepResults,
  formatSweepTable,
  type SweepResults,
  type TrialResult,
} from './sweep/results.js';
export { type RunWatchEvent, type WatchOptions, waitForRun, watchRun } from './watch.js';
