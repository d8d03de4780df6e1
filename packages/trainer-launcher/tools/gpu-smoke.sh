#!/usr/bin/env bash
# GPU smoke test (not part of CI): runs the real payload on a CUDA GPU with bf16 and prints the
# tokens/s the progress lines report. The model has Gemma-2 2B's architecture (hidden 2304,
# 26 layers, 8 heads / 4 KV heads of 256, MLP 9216, vocabulary 256000) with random weights, so
# no Hub download is needed: the figure is the trainer's throughput for that shape, not quality.
#
#   tools/gpu-smoke.sh [python] [steps]      # python needs torch (CUDA), transformers 5, trl 1.13, peft, accelerate
#
# Needs node (to render the payload with the built CLI) and the repository built (pnpm build).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-python3}"
steps="${2:-30}"
cli="$here/../../apps/pipeline/dist/cli.js"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -c 'import torch, sys; assert torch.cuda.is_available(), "no CUDA GPU"; print(torch.cuda.get_device_name(0), file=sys.stderr)'
data="$here/test/fixtures/chat/messages"
"$python" "$here/clusters/tiny-model.py" "$work/model" "$data/train.jsonl" >/dev/null
"$python" - "$work/model" <<'PY'
import sys, torch
from transformers import Gemma2Config, Gemma2ForCausalLM
cfg = Gemma2Config(hidden_size=2304, intermediate_size=9216, num_hidden_layers=26, num_attention_heads=8,
                   num_key_value_heads=4, head_dim=256, vocab_size=256000, max_position_embeddings=8192,
                   bos_token_id=1, eos_token_id=4, pad_token_id=5)
Gemma2ForCausalLM(cfg).to(torch.bfloat16).save_pretrained(sys.argv[1])
PY
cat > "$work/spec.yaml" <<YAML
name: gpu-smoke
baseModel: { id: $work/model }
dataset: { path: $data, format: messages }
method: { type: lora, rank: 16, alpha: 32 }
hyperparameters: { learningRate: 1.0e-4, maxSteps: $steps, batchSize: 4, maxSeqLength: 1024, precision: bf16, loggingSteps: 1, saveSteps: 100000 }
resources: { nodes: 1, gpusPerNode: 1, cpusPerTask: 8, memory: 64G, timeLimit: "00:30:00" }
output: { dir: $work/out }
tracking: { tensorboard: false }
environment: { python: $python }
YAML
node "$cli" train render --backend slurm --spec "$work/spec.yaml" --out "$work/rendered" >/dev/null
HF_HUB_OFFLINE=1 bash "$work/rendered/run.sh" >"$work/log" 2>&1 || { tail -50 "$work/log"; exit 1; }
"$python" - "$work/out/progress.jsonl" <<'PY'
import json, statistics, sys
steps = [e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "step" and e.get("tokensPerSecond")]
tps = [s["tokensPerSecond"] for s in steps[len(steps) // 3:]]  # skip warm-up steps
print(f"gemma-2-2b shape, LoRA r16, bf16, batch 4: median {statistics.median(tps):,.0f} tokens/s over {len(tps)} steps")
PY
