#!/usr/bin/env bash
# Creates (once) the Python environment that runs the real training payload on CPU:
# torch (CPU build), transformers, trl, peft, datasets, accelerate. Prints the venv path.
# Pinned so the option-name lists in src/payload/options/ match what runs.
set -euo pipefail
CACHE="${CNCF_LLM_CACHE:-$HOME/.cache/cncf-llm}"
VENV="$CACHE/trainer-venv-trl-1.13"
if [ -x "$VENV/bin/trl" ] && "$VENV/bin/python" -c 'import trl, peft, datasets, accelerate' 2>/dev/null; then
  echo "$VENV"; exit 0
fi
PY="$(command -v python3 || true)"
[ -n "$PY" ] || { echo "provision-python: python3 is missing; install it (apt-get install python3 python3-venv)." >&2; exit 1; }
rm -rf "$VENV.tmp"
"$PY" -m venv "$VENV.tmp" >&2 || { echo "provision-python: python3 -m venv failed; install python3-venv." >&2; exit 1; }
"$VENV.tmp/bin/pip" install -q --retries 0 --timeout 5 \
  "torch==2.13.0+cpu" "transformers==5.18.*" "trl==1.13.*" "peft==0.21.*" datasets accelerate tokenizers >&2
# A venv records its own absolute path; build under .tmp then rebuild the scripts' shebangs.
rm -rf "$VENV"; mv "$VENV.tmp" "$VENV"
sed -i "1s|^#!.*python.*|#!$VENV/bin/python3|" "$VENV"/bin/* 2>/dev/null || true
sed -i "s|$VENV.tmp|$VENV|g" "$VENV/bin/activate" "$VENV/pyvenv.cfg" 2>/dev/null || true
echo "$VENV"
