"""The TrainerCallback that turns transformers Trainer events into cncf-llm progress lines.

Shared by the TRL entry (train_with_progress.py) and the axolotl plugin (axolotl_progress.py).
Tokens per second come from TRL's/axolotl's logged `num_tokens` (cumulative non-padding tokens)
divided by the time spent inside optimiser steps, so evaluation and checkpoint pauses do not
lower it; the ETA uses wall time per step since this process started training.
"""

import os
import time


def make_progress_callback(writer, run_name, resumed_from, write_end=False):
    """Builds the callback. `write_end` makes it write the `end` line itself at train end
    (the axolotl path, which has no wrapper around the trainer to do it)."""
    from transformers import TrainerCallback

    class ProgressCallback(TrainerCallback):
        def __init__(self):
            self.train_seconds = 0.0
            self.step_started = None
            self.begin_wall = None
            self.begin_step = 0
            self.last_tokens = None
            self.last_train_seconds = 0.0
            self.train_loss = None
            self.eval_loss = None
            self.step = 0

        def on_train_begin(self, args, state, control, **kwargs):
            self.begin_wall = time.monotonic()
            self.begin_step = state.global_step
            if state.is_world_process_zero:
                writer.write(
                    "start",
                    run=run_name,
                    maxSteps=int(state.max_steps),
                    epochs=float(state.num_train_epochs or args.num_train_epochs),
                    worldSize=int(args.world_size),
                    resumedFrom=resumed_from,
                )

        def on_step_begin(self, args, state, control, **kwargs):
            self.step_started = time.monotonic()

        def on_step_end(self, args, state, control, **kwargs):
            self.step = state.global_step
            if self.step_started is not None:
                self.train_seconds += time.monotonic() - self.step_started
                self.step_started = None

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if "loss" not in logs or not state.is_world_process_zero:
                return
            tokens = logs.get("num_tokens", logs.get("tokens/total"))
            tokens_per_second = None
            if isinstance(tokens, (int, float)):
                seconds = self.train_seconds - self.last_train_seconds
                delta = tokens - (self.last_tokens or 0)
                if self.last_tokens is None or delta < 0:
                    delta, seconds = tokens, self.train_seconds
                if seconds > 0:
                    tokens_per_second = round(delta / seconds, 2)
                self.last_tokens = tokens
                self.last_train_seconds = self.train_seconds
            done = state.global_step - self.begin_step
            eta = None
            if done > 0 and self.begin_wall is not None:
                per_step = (time.monotonic() - self.begin_wall) / done
                eta = round(max(state.max_steps - state.global_step, 0) * per_step, 1)
            writer.write(
                "step",
                step=int(state.global_step),
                maxSteps=int(state.max_steps),
                epoch=float(state.epoch or 0),
                loss=logs.get("loss"),
                learningRate=logs.get("learning_rate"),
                gradNorm=logs.get("grad_norm"),
                tokensPerSecond=tokens_per_second,
                etaSeconds=eta,
            )

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            metrics = metrics or {}
            if "eval_loss" in metrics:
                self.eval_loss = metrics["eval_loss"]
                if state.is_world_process_zero:
                    writer.write("eval", step=int(state.global_step), evalLoss=metrics["eval_loss"])

        def on_save(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
                writer.write("checkpoint", step=int(state.global_step), path=path)

        def on_train_end(self, args, state, control, **kwargs):
            self.step = state.global_step
            # The whole run's mean logged loss, checkpointed history included: after a resume,
            # transformers' own `train_loss` divides this session's loss by every step.
            losses = [entry["loss"] for entry in state.log_history if "loss" in entry]
            if losses:
                self.train_loss = sum(losses) / len(losses)
            if write_end and state.is_world_process_zero:
                writer.write(
                    "end", status="succeeded", step=int(state.global_step),
                    trainLoss=self.train_loss, evalLoss=self.eval_loss,
                )

    return ProgressCallback()
