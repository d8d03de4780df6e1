// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are bash, whose ${…} is not a template placeholder
import type { TrainSpec } from '../spec/schema.js';
import { datasetSource, deviceOf, modelDtype, resolvePrecision } from './training-choices.js';

/** Quotes a value for POSIX shells: `'…'`, with embedded quotes closed and escaped. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function words(values: readonly string[]): string {
  return values.map(shellQuote).join(' ');
}

/** The post-training command line (merge, GGUF, push), or none when the spec asks for none. */
function postTrainArgs(spec: TrainSpec): string[] | undefined {
  const { output, method } = spec;
  const args: string[] = [];
  if (output.merge && method.type !== 'full') args.push('--merge');
  if (output.gguf) {
    args.push('--gguf-converter', output.gguf.converter, '--gguf-outtype', output.gguf.outtype);
  }
  if (output.hub?.adapterRepo) args.push('--adapter-repo', output.hub.adapterRepo);
  if (output.hub?.mergedRepo) args.push('--merged-repo', output.hub.mergedRepo);
  if (args.length === 0) return undefined;
  if (output.hub && !output.hub.private) args.push('--no-private');
  const precision = resolvePrecision(spec, deviceOf(spec));
  return [
    '--output-dir',
    output.dir,
    '--method',
    method.type,
    '--base-model',
    spec.baseModel.id,
    '--revision',
    spec.baseModel.revision,
    ...(spec.baseModel.trustRemoteCode ? ['--trust-remote-code'] : []),
    '--dtype',
    modelDtype(precision),
    ...args,
  ];
}

/**
 * Renders `run.sh`, the backend-neutral entry point run once per node (bash, `set -euo pipefail`).
 *
 * It reads `CNCF_LLM_NNODES`, `CNCF_LLM_NODE_RANK`, `CNCF_LLM_MASTER_ADDR`,
 * `CNCF_LLM_MASTER_PORT` and `CNCF_LLM_GPUS_PER_NODE` (defaults: the spec's resources on one
 * node) and `CNCF_LLM_PROGRESS_FILE` (default `<output.dir>/progress.jsonl`); runs the spec's
 * setup lines; exports its variables and `HF_HOME`; starts one process, or `accelerate launch`
 * with one process per GPU; and on node rank 0 runs the post-steps. Training resumes from the
 * last checkpoint in the output directory, so a requeued job continues. Secrets are never
 * written here: `HF_TOKEN` and `WANDB_API_KEY` reach the job through its environment.
 */
export function renderRunScript(spec: TrainSpec): string {
  const { environment, output, resources } = spec;
  const trainer = spec.trainer;
  const precision = resolvePrecision(spec, deviceOf(spec));
  const mixed = precision === 'fp32' ? 'no' : precision;
  const configFile = trainer === 'trl' ? 'trl.yaml' : 'axolotl.yaml';

  const entry: string[] = [];
  if (trainer === 'trl') {
    entry.push('"$PAYLOAD_DIR/train_with_progress.py"', '--config', '"$PAYLOAD_DIR/trl.yaml"');
    if (spec.dataset.format === 'prompt-completion') entry.push('--prompt-completion-as-chat');
    const source = datasetSource(spec);
    if (source.kind === 'hub' && source.revision) {
      entry.push('--dataset-revision', shellQuote(source.revision));
    }
  } else {
    entry.push('-m', 'axolotl.cli.train', `"$PAYLOAD_DIR/${configFile}"`);
  }

  const lines: string[] = [
    '#!/usr/bin/env bash',
    `# Entry point of run ${shellQuote(spec.name)}, rendered by @cncf-llm/trainer-launcher (trainer: ${trainer}).`,
    '# Backend-neutral: Slurm and Kubernetes run it once per node with the CNCF_LLM_* variables set;',
    '# run alone, it trains on this machine. Secrets (HF_TOKEN, WANDB_API_KEY) come from the',
    '# environment the job was started with and are never written into this file.',
    'set -euo pipefail',
    '',
    'PAYLOAD_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
    `OUTPUT_DIR=${shellQuote(output.dir)}`,
    `NNODES="\${CNCF_LLM_NNODES:-${resources.nodes}}"`,
    'NODE_RANK="${CNCF_LLM_NODE_RANK:-0}"',
    'MASTER_ADDR="${CNCF_LLM_MASTER_ADDR:-127.0.0.1}"',
    'MASTER_PORT="${CNCF_LLM_MASTER_PORT:-29500}"',
    `GPUS_PER_NODE="\${CNCF_LLM_GPUS_PER_NODE:-${resources.gpusPerNode}}"`,
    'export CNCF_LLM_PROGRESS_FILE="${CNCF_LLM_PROGRESS_FILE:-$OUTPUT_DIR/progress.jsonl}"',
    `export CNCF_LLM_RUN_NAME=${shellQuote(spec.name)}`,
    '',
  ];
  if (environment.setup.length > 0) {
    lines.push(
      '# Setup from the spec. nounset is off meanwhile: module and venv scripts read unset variables.',
      'set +u',
      ...environment.setup,
      'set -u',
      '',
    );
  }
  for (const [name, value] of Object.entries(environment.variables)) {
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  if (environment.cacheDir) lines.push(`export HF_HOME=${shellQuote(environment.cacheDir)}`);
  lines.push(
    'export PYTHONPATH="$PAYLOAD_DIR${PYTHONPATH:+:$PYTHONPATH}"',
    'export PYTHONUNBUFFERED=1',
    `PYTHON=${shellQuote(environment.python)}`,
    '',
    'mkdir -p "$OUTPUT_DIR" "$(dirname "$CNCF_LLM_PROGRESS_FILE")"',
    'PROCS=$(( NNODES * (GPUS_PER_NODE > 0 ? GPUS_PER_NODE : 1) ))',
    'if [ "$PROCS" -gt 1 ]; then',
    '  # One process per GPU on every node (DDP); rank, address and port come from the backend.',
    '  LAUNCH=("$PYTHON" -m accelerate.commands.launch)',
    '  if [ -f "$PAYLOAD_DIR/accelerate.yaml" ]; then',
    '    LAUNCH+=(--config_file "$PAYLOAD_DIR/accelerate.yaml")',
    '  else',
    `    LAUNCH+=(--multi_gpu --mixed_precision ${mixed})`,
    '  fi',
    '  LAUNCH+=(--num_machines "$NNODES" --num_processes "$PROCS" --machine_rank "$NODE_RANK"',
    '    --main_process_ip "$MASTER_ADDR" --main_process_port "$MASTER_PORT")',
    `  TRAIN=("\${LAUNCH[@]}" ${entry.join(' ')})`,
    'else',
    `  TRAIN=("$PYTHON" ${entry.join(' ')})`,
    'fi',
    '',
    `echo "cncf-llm: run ${spec.name.replaceAll('"', '')}: node $NODE_RANK of $NNODES, $PROCS process(es), ${trainer}" >&2`,
    'status=0',
    '"${TRAIN[@]}" || status=$?',
    'if [ "$status" -ne 0 ]; then',
    '  if [ "$NODE_RANK" = 0 ]; then',
    '    # The trainer writes its own failed end line; this covers a process that was killed first.',
    '    "$PYTHON" "$PAYLOAD_DIR/progress_events.py" end-if-missing \\',
    '      --error "the trainer exited with status $status; see the job log" || true',
    '  fi',
    '  exit "$status"',
    'fi',
  );
  const post = postTrainArgs(spec);
  if (post) {
    lines.push(
      '',
      '# Post-steps once, on the first node: merge, GGUF export, push (token from HF_TOKEN).',
      'if [ "$NODE_RANK" = 0 ]; then',
      `  "$PYTHON" "$PAYLOAD_DIR/post_train.py" ${words(post)}`,
      'fi',
    );
  }
  lines.push('');
  return lines.join('\n');
}
