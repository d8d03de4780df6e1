"""axolotl plugin that adds the cncf-llm progress callback to axolotl's trainer.

Listed in the rendered axolotl.yaml as `plugins: [axolotl_progress.ProgressPlugin]`; run.sh puts
this directory on PYTHONPATH. axolotl calls `add_callbacks_post_trainer(cfg, trainer)` on each
plugin once the trainer exists. With `auto_resume_from_checkpoints: true` axolotl resumes from
the last checkpoint in output_dir, which is what `resumedFrom` reports.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from axolotl.integrations.base import BasePlugin  # noqa: E402
from progress_callback import make_progress_callback  # noqa: E402
from progress_events import ProgressWriter, trial_from_env  # noqa: E402


class ProgressPlugin(BasePlugin):
    """Writes start/step/eval/checkpoint/end progress lines for an axolotl run."""

    def add_callbacks_post_trainer(self, cfg, trainer):
        from transformers.trainer_utils import get_last_checkpoint

        output_dir = str(cfg.output_dir)
        path = os.environ.get("CNCF_LLM_PROGRESS_FILE") or os.path.join(output_dir, "progress.jsonl")
        run_name = os.environ.get("CNCF_LLM_RUN_NAME") or os.path.basename(os.path.abspath(output_dir))
        resumed = get_last_checkpoint(output_dir) if os.path.isdir(output_dir) else None
        writer = ProgressWriter(path, trial_from_env())
        return [make_progress_callback(writer, run_name, resumed, write_end=True)]
