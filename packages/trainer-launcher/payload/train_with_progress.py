#!/usr/bin/env python3
"""Runs TRL's own `trl sft` script with one added callback that writes progress JSON lines.

This is not a trainer. It parses the same YAML config with the same parser as `trl sft`
(`trl.scripts.sft.make_parser`) and calls the same `main`; the only additions are:

- a `TrainerCallback` that writes `start`, `step`, `eval`, `checkpoint` and `end` events
  (see progress_events.py) to the progress file and to stdout;
- resume from the last `checkpoint-N` in `output_dir` (a requeued job picks up where the
  preempted one stopped; `--resume never` turns this off);
- `--prompt-completion-as-chat`: string `prompt`/`completion` rows become a user turn and an
  assistant turn, so they go through the base model's chat template exactly as chat rows do
  (the template the model is served with), and `completion_only_loss` masks the prompt;
- `--dataset-revision REV`: pins a Hub dataset revision (`trl sft` has no option for it).

Usage:
  python train_with_progress.py --config trl.yaml [--progress-file F] [--run-name N]
      [--resume auto|never] [--prompt-completion-as-chat] [--dataset-revision REV] [trl args…]

Unknown keys in the config are an error here (`trl sft` would hand them to `accelerate launch`).
On any exception an `end` line with status `failed` is written and the exit status is 1.
"""

import argparse
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from progress_callback import make_progress_callback  # noqa: E402
from progress_events import ProgressWriter, error_text, redact, trial_from_env  # noqa: E402


def parse_wrapper_args(argv):
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--progress-file", default=os.environ.get("CNCF_LLM_PROGRESS_FILE"))
    parser.add_argument("--run-name", default=os.environ.get("CNCF_LLM_RUN_NAME"))
    parser.add_argument("--resume", choices=["auto", "never"], default="auto")
    parser.add_argument("--prompt-completion-as-chat", action="store_true")
    parser.add_argument("--dataset-revision", default=None)
    return parser.parse_known_args(argv)


def output_dir_from_config(trl_args):
    """The output_dir before TRL parses anything, so a config that fails to parse still reports."""
    if "--output_dir" in trl_args:
        return trl_args[trl_args.index("--output_dir") + 1]
    if "--config" in trl_args:
        try:
            import yaml

            with open(trl_args[trl_args.index("--config") + 1], encoding="utf-8") as handle:
                config = yaml.safe_load(handle) or {}
            if isinstance(config, dict) and config.get("output_dir"):
                return str(config["output_dir"])
        except Exception:  # noqa: BLE001 - the real parse below reports it properly
            pass
    return "."


def to_chat(dataset):
    """String prompt/completion rows → conversational prompt/completion (a user and an assistant turn)."""
    if dataset is None:
        return dataset
    from datasets import Value

    features = getattr(dataset, "features", None) or {}
    if not (isinstance(features.get("prompt"), Value) and isinstance(features.get("completion"), Value)):
        return dataset
    return dataset.map(
        lambda row: {
            "prompt": [{"role": "user", "content": row["prompt"]}],
            "completion": [{"role": "assistant", "content": row["completion"]}],
        }
    )


def main(argv=None) -> int:
    wrapper, trl_args = parse_wrapper_args(sys.argv[1:] if argv is None else argv)
    output_dir = output_dir_from_config(trl_args)
    writer = ProgressWriter(wrapper.progress_file or os.path.join(output_dir, "progress.jsonl"), trial_from_env())
    run_name = wrapper.run_name or os.path.basename(os.path.abspath(output_dir))
    state = {"trainer": None, "callback": None}
    try:
        import trl
        from transformers.trainer_utils import get_last_checkpoint
        from trl.scripts import sft

        parser = sft.make_parser()
        script_args, training_args, model_args, dataset_args = parser.parse_args_and_config(
            trl_args, fail_with_unknown_args=True
        )
        resume = training_args.resume_from_checkpoint
        if resume is None and wrapper.resume == "auto" and os.path.isdir(training_args.output_dir):
            resume = get_last_checkpoint(training_args.output_dir)
        callback = make_progress_callback(writer, run_name, resume)
        state["callback"] = callback

        base = trl.SFTTrainer

        class ProgressSFTTrainer(base):
            def __init__(self, *args, **kwargs):
                if wrapper.prompt_completion_as_chat:
                    kwargs["train_dataset"] = to_chat(kwargs.get("train_dataset"))
                    kwargs["eval_dataset"] = to_chat(kwargs.get("eval_dataset"))
                super().__init__(*args, **kwargs)
                self.add_callback(callback)
                state["trainer"] = self

            def train(self, resume_from_checkpoint=None, **kwargs):
                return super().train(resume_from_checkpoint=resume_from_checkpoint or resume, **kwargs)

        # sft.main imports SFTTrainer from trl when it runs; hand it the subclass.
        trl.SFTTrainer = ProgressSFTTrainer
        if wrapper.dataset_revision:
            import functools

            import datasets

            datasets.load_dataset = functools.partial(datasets.load_dataset, revision=wrapper.dataset_revision)

        sft.main(script_args, training_args, model_args, dataset_args)
    except BaseException as error:  # noqa: BLE001 - every failure must leave an end line
        if isinstance(error, SystemExit) and error.code in (0, None):
            raise
        trainer = state["trainer"]
        step = int(trainer.state.global_step) if trainer is not None else 0
        writer.write("end", status="failed", step=step, error=error_text(error))
        sys.stderr.write(redact(traceback.format_exc()))
        sys.stderr.flush()
        return 1

    trainer, callback = state["trainer"], state["callback"]
    writer.write(
        "end",
        status="succeeded",
        step=int(trainer.state.global_step),
        trainLoss=callback.train_loss,
        evalLoss=callback.eval_loss,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
