import type { TrainSpec } from '../spec/schema.js';
import { toPyYaml } from './py-yaml.js';
import { deviceOf, resolvePrecision } from './training-choices.js';

/** An `accelerate launch --config_file` YAML, or none when one process is enough. */
export interface RenderedAccelerateConfig {
  config: Record<string, unknown>;
  yaml: string;
}

/** Processes one run starts in total: one per GPU on every node (one on CPU). */
export function worldSize(spec: TrainSpec): number {
  return spec.resources.nodes * Math.max(spec.resources.gpusPerNode, 1);
}

/**
 * Renders the accelerate config for data-parallel training on several GPUs or nodes (DDP, one
 * process per GPU), or `undefined` when the run is a single process. run.sh passes the node
 * rank, master address and port on the command line from the backend's environment
 * (`CNCF_LLM_NODE_RANK`, `CNCF_LLM_MASTER_ADDR`, `CNCF_LLM_MASTER_PORT`), so one file serves
 * every node.
 */
export function renderAccelerateConfig(spec: TrainSpec): RenderedAccelerateConfig | undefined {
  if (worldSize(spec) <= 1) return undefined;
  const precision = resolvePrecision(spec, deviceOf(spec));
  const config: Record<string, unknown> = {
    compute_environment: 'LOCAL_MACHINE',
    distributed_type: 'MULTI_GPU',
    num_machines: spec.resources.nodes,
    num_processes: worldSize(spec),
    machine_rank: 0,
    gpu_ids: 'all',
    mixed_precision: precision === 'fp32' ? 'no' : precision,
    rdzv_backend: 'static',
    same_network: true,
    main_training_function: 'main',
    downcast_bf16: 'no',
    use_cpu: false,
    debug: false,
  };
  const yaml = toPyYaml(config, [
    `accelerate config for run "${spec.name}" (${spec.resources.nodes} node(s) × ${spec.resources.gpusPerNode} GPU(s), DDP).`,
    'run.sh overrides machine_rank, main_process_ip and main_process_port per node.',
  ]);
  return { config, yaml };
}
