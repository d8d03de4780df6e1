#!/usr/bin/env python3
"""Post-training steps of a cncf-llm run: merge the adapter, export GGUF, push to the Hub.

Each step writes `post-step` progress lines (started, then succeeded / failed / skipped). A failed
step does not stop the others that do not depend on it; the exit status is 1 if any failed.

- merge: loads the base model unquantised (QLoRA adapters are merged into 16/32-bit weights),
  applies the adapter with peft and `merge_and_unload()`, saves the merged model and the tokenizer
  the run trained with (its chat template included, so serving applies the same template).
- gguf: runs llama.cpp's `convert_hf_to_gguf.py` on the merged (or fully fine-tuned) model.
- push-adapter / push-merged: `huggingface_hub` upload with the token in HF_TOKEN, which comes
  from the job's environment and is never written anywhere.
"""

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from progress_events import ProgressWriter, error_text, redact, trial_from_env  # noqa: E402

# Files of a training run that are not part of the adapter or model a user downloads.
UPLOAD_IGNORE = [
    "checkpoint-*",
    "checkpoint-*/**",
    "runs/**",
    "merged/**",
    "gguf/**",
    ".cncf-llm/**",
    "progress.jsonl",
    "training_args.bin",
    "*.pt",
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", required=True, help="the run's output_dir (adapter or full model)")
    parser.add_argument("--method", choices=["lora", "qlora", "full"], required=True)
    parser.add_argument("--base-model", required=True)
    parser.add_argument("--revision", default="main")
    parser.add_argument("--trust-remote-code", action="store_true")
    parser.add_argument("--dtype", default="auto", help="dtype to merge in: bfloat16, float16, float32 or auto")
    parser.add_argument("--merge", action="store_true")
    parser.add_argument("--merged-dir", default=None)
    parser.add_argument("--gguf-converter", default=None)
    parser.add_argument("--gguf-outtype", default="q8_0")
    parser.add_argument("--adapter-repo", default=None)
    parser.add_argument("--merged-repo", default=None)
    parser.add_argument("--private", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--progress-file", default=os.environ.get("CNCF_LLM_PROGRESS_FILE"))
    return parser.parse_args(argv)


class Steps:
    def __init__(self, writer):
        self.writer = writer
        self.failed = []

    def run(self, name, action):
        self.writer.write("post-step", name=name, status="started")
        try:
            detail = action()
        except Exception as error:  # noqa: BLE001 - reported as a failed step
            self.failed.append(name)
            self.writer.write("post-step", name=name, status="failed", detail=error_text(error))
            sys.stderr.write(redact(f"post-step {name} failed: {error}\n"))
            return False
        self.writer.write("post-step", name=name, status="succeeded", detail=detail)
        return True

    def skip(self, name, why):
        self.writer.write("post-step", name=name, status="skipped", detail=why)


def merge(args, merged_dir):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = args.dtype
    if dtype == "auto":
        dtype = "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float32"
    base = AutoModelForCausalLM.from_pretrained(
        args.base_model,
        revision=args.revision,
        trust_remote_code=args.trust_remote_code,
        dtype=getattr(torch, dtype),
        device_map="auto" if torch.cuda.is_available() else None,
        low_cpu_mem_usage=True,
    )
    model = PeftModel.from_pretrained(base, args.output_dir).merge_and_unload()
    os.makedirs(merged_dir, exist_ok=True)
    model.save_pretrained(merged_dir)
    has_tokenizer = any(
        os.path.exists(os.path.join(args.output_dir, f)) for f in ("tokenizer.json", "tokenizer_config.json")
    )
    tokenizer_source = args.output_dir if has_tokenizer else args.base_model
    tokenizer = AutoTokenizer.from_pretrained(
        tokenizer_source, revision=None if has_tokenizer else args.revision, trust_remote_code=args.trust_remote_code
    )
    tokenizer.save_pretrained(merged_dir)
    return f"merged model in {merged_dir} ({dtype})"


def gguf(args, model_dir):
    converter = args.gguf_converter
    if os.path.isfile(converter):
        command = [sys.executable, converter] if converter.endswith(".py") else [converter]
    elif shutil.which(converter):
        command = [shutil.which(converter)]
    else:
        raise FileNotFoundError(
            f"llama.cpp's converter {converter!r} was not found: install llama.cpp where the job runs and set "
            "output.gguf.converter to the path of its convert_hf_to_gguf.py"
        )
    out_dir = os.path.join(args.output_dir, "gguf")
    os.makedirs(out_dir, exist_ok=True)
    outfile = os.path.join(out_dir, f"model-{args.gguf_outtype}.gguf")
    command += [model_dir, "--outfile", outfile, "--outtype", args.gguf_outtype]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    sys.stdout.write(result.stdout)
    if result.returncode != 0 or not os.path.exists(outfile):
        tail = result.stdout.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"convert_hf_to_gguf exited with status {result.returncode}: {tail[0]}")
    return outfile


def push(repo_id, folder, private, extra_files=()):
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if not token:
        raise RuntimeError(
            f"HF_TOKEN is not set in the job's environment, so {repo_id} cannot be pushed: export HF_TOKEN where "
            "you launch (Slurm passes it on) or reference a Secret (Kubernetes)"
        )
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    api.upload_folder(
        repo_id=repo_id, folder_path=folder, ignore_patterns=UPLOAD_IGNORE, commit_message="Upload from cncf-llm"
    )
    for path in extra_files:
        api.upload_file(repo_id=repo_id, path_or_fileobj=path, path_in_repo=os.path.basename(path))
    return f"pushed to {repo_id} ({'private' if private else 'public'})"


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    writer = ProgressWriter(args.progress_file or os.path.join(args.output_dir, "progress.jsonl"), trial_from_env())
    steps = Steps(writer)
    adapter = args.method in ("lora", "qlora")
    merged_dir = args.merged_dir or os.path.join(args.output_dir, "merged")
    model_dir = merged_dir if adapter else args.output_dir
    merged_ok = not adapter
    if adapter and args.merge:
        merged_ok = steps.run("merge", lambda: merge(args, merged_dir))
    gguf_file = None
    if args.gguf_converter:
        if merged_ok:
            result = {}
            if steps.run("gguf", lambda: result.setdefault("file", gguf(args, model_dir))):
                gguf_file = result["file"]
        else:
            steps.skip("gguf", "the merge did not succeed")
    if args.adapter_repo:
        if adapter:
            steps.run("push-adapter", lambda: push(args.adapter_repo, args.output_dir, args.private))
        else:
            steps.skip("push-adapter", "a full fine-tune has no adapter")
    if args.merged_repo:
        if merged_ok:
            extra = [gguf_file] if gguf_file else []
            steps.run("push-merged", lambda: push(args.merged_repo, model_dir, args.private, extra))
        else:
            steps.skip("push-merged", "the merge did not succeed")
    return 1 if steps.failed else 0


if __name__ == "__main__":
    sys.exit(main())
