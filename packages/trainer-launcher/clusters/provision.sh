#!/usr/bin/env bash
# Everything the trainer-launcher tests run against, installed or built once and cached:
# Debian's Slurm 22.05 (+ slurmrestd, sshd), a Kubernetes 1.20 control plane built from Debian's
# source, and a Python venv with torch (CPU), transformers, trl, peft, datasets and accelerate.
# Fast (about a second) when everything is already there. Called by `pnpm test` and `.ci/run`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
start=$(date +%s)
"$here/provision-slurm.sh" >/dev/null
"$here/provision-python.sh" >/dev/null
"$here/provision-kube.sh" >/dev/null
echo "provision: Slurm, Python venv and Kubernetes control plane ready ($(( $(date +%s) - start )) s)" >&2
