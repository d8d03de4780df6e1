// A small bash payload for Slurm tests, injected through createSlurmBackend({ payload }). It
// writes real progress lines (src/progress.ts schema) to CNCF_LLM_PROGRESS_FILE and, after
// PROGRESS_PREFIX, to stdout; says whether HF_TOKEN is set (never its value) and which GPUs it
// sees; "checkpoints" every second step and resumes from the last one when run again.
//
// Behaviour comes from the spec's environment.variables (so it is part of the spec hash):
//   FAKE_STEPS (3), FAKE_STEP_SECONDS (0.3), FAKE_EXIT (0): exit status at the end,
//   FAKE_FAIL_ONCE=1: exit FAKE_EXIT only when not resuming from a checkpoint.
// The eval loss depends on the learning rate: 1 + |log10(lr) + 4|, lowest at 1e-4.

import type { PayloadOptions, RenderedPayload } from '../../src/payload/render-payload.js';
import { PROGRESS_PREFIX } from '../../src/progress.js';
import { parseSpec } from '../../src/spec/load.js';
import type { TrainSpec, TrainSpecInput } from '../../src/spec/schema.js';

/** The eval loss the fake payload reports for a learning rate. */
export function fakeEvalLoss(learningRate: number): number {
  return Number((1 + Math.abs(Math.log10(learningRate) + 4)).toFixed(4));
}

export function fakePayload(spec: TrainSpec, _options: PayloadOptions): RenderedPayload {
  const v = spec.environment.variables;
  const steps = Number(v.FAKE_STEPS ?? 3);
  const seconds = v.FAKE_STEP_SECONDS ?? '0.3';
  const exit = Number(v.FAKE_EXIT ?? 0);
  const failOnce = v.FAKE_FAIL_ONCE === '1';
  const evalLoss = fakeEvalLoss(spec.hyperparameters.learningRate);
  const script = `#!/usr/bin/env bash
# Test payload for ${spec.name}: progress lines like the trainer's callback writes.
set -euo pipefail
OUT="\${CNCF_LLM_OUTPUT_DIR:-${spec.output.dir}}"
PROGRESS="\${CNCF_LLM_PROGRESS_FILE:-$OUT/progress.jsonl}"
TRIAL="\${CNCF_LLM_TRIAL:-}"
mkdir -p "$OUT"
emit() {
  local line="$1"
  if [ -n "$TRIAL" ]; then line="\${line%\\}},\\"trial\\":$TRIAL}"; fi
  printf '%s\\n' "$line" >> "$PROGRESS"
  printf '${PROGRESS_PREFIX}%s\\n' "$line"
}
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
if [ -n "\${HF_TOKEN:-}" ]; then echo "HF_TOKEN is set"; else echo "HF_TOKEN is unset"; fi
echo "CUDA_VISIBLE_DEVICES=\${CUDA_VISIBLE_DEVICES:-none}"
echo "rank=\${CNCF_LLM_NODE_RANK:-?} nnodes=\${CNCF_LLM_NNODES:-?} master=\${CNCF_LLM_MASTER_ADDR:-?}:\${CNCF_LLM_MASTER_PORT:-?} gpus=\${CNCF_LLM_GPUS_PER_NODE:-?}"
echo "a line on stderr" >&2
resumed=null
from=0
if [ -f "$OUT/last-checkpoint" ]; then
  ck="$(cat "$OUT/last-checkpoint")"
  resumed="\\"$ck\\""
  from="\${ck##*-}"
fi
emit "{\\"event\\":\\"start\\",\\"time\\":\\"$(now)\\",\\"run\\":\\"${spec.name}\\",\\"maxSteps\\":${steps},\\"epochs\\":1,\\"worldSize\\":1,\\"resumedFrom\\":$resumed}"
for ((step = from + 1; step <= ${steps}; step++)); do
  sleep ${seconds}
  loss="$(awk -v s="$step" 'BEGIN { printf "%.4f", 2 / s }')"
  emit "{\\"event\\":\\"step\\",\\"time\\":\\"$(now)\\",\\"step\\":$step,\\"maxSteps\\":${steps},\\"epoch\\":0,\\"loss\\":$loss,\\"learningRate\\":${spec.hyperparameters.learningRate},\\"tokensPerSecond\\":100,\\"etaSeconds\\":$(( ${steps} - step ))}"
  if (( step % 2 == 0 )); then
    mkdir -p "$OUT/checkpoint-$step"
    echo "$OUT/checkpoint-$step" > "$OUT/last-checkpoint"
    emit "{\\"event\\":\\"checkpoint\\",\\"time\\":\\"$(now)\\",\\"step\\":$step,\\"path\\":\\"$OUT/checkpoint-$step\\"}"
  fi
done
emit "{\\"event\\":\\"eval\\",\\"time\\":\\"$(now)\\",\\"step\\":${steps},\\"evalLoss\\":${evalLoss}}"
code=${exit}
if [ "${failOnce ? 1 : 0}" = 1 ] && [ "$resumed" != null ]; then code=0; fi
if [ "$code" = 0 ]; then
  emit "{\\"event\\":\\"end\\",\\"time\\":\\"$(now)\\",\\"status\\":\\"succeeded\\",\\"step\\":${steps},\\"evalLoss\\":${evalLoss}}"
else
  emit "{\\"event\\":\\"end\\",\\"time\\":\\"$(now)\\",\\"status\\":\\"failed\\",\\"step\\":${steps},\\"error\\":\\"fake failure $code\\"}"
fi
exit "$code"
`;
  return { files: [{ path: 'run.sh', content: script, mode: 0o755 }], entrypoint: 'run.sh' };
}

/** A small CPU-only spec for the test cluster, with overrides. */
export function testSpec(
  name: string,
  outputDir: string,
  overrides: Partial<TrainSpecInput> = {},
): TrainSpec {
  const base: TrainSpecInput = {
    name,
    baseModel: { id: 'test-org/tiny-llama' },
    dataset: { path: '/data/chat.jsonl' },
    method: { type: 'lora' },
    hyperparameters: { learningRate: 1e-4 },
    resources: { nodes: 1, gpusPerNode: 0, cpusPerTask: 1, memory: '200M', timeLimit: '00:10:00' },
    output: { dir: outputDir },
  };
  return parseSpec({ ...base, ...overrides });
}
