"""Progress lines of the cncf-llm payload: one JSON object per line, camelCase keys.

The launcher parses them with `ProgressEventSchema` (src/progress.ts). Each event goes to the
progress file (appended and flushed per line, so a reader never waits for a buffer) and to stdout
after `cncf-llm-progress `, so backends that only see logs (Kubernetes) get them too. Only the
process of global rank 0 writes.
"""

import json
import os
import re
import sys
from datetime import datetime, timezone

PROGRESS_PREFIX = "cncf-llm-progress "

SECRET_ENV_NAMES = (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "WANDB_API_KEY",
    "GITHUB_TOKEN",
    "OPENAI_API_KEY",
    "STACKEXCHANGE_KEY",
    "SLURM_JWT",
)
_TOKEN_SHAPES = (
    re.compile(r"\bhf_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}\b"),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE),
)


def redact(text: str) -> str:
    """Hides the values of the secret environment variables and token-shaped strings."""
    for name in SECRET_ENV_NAMES:
        value = os.environ.get(name)
        if value and len(value) >= 8:
            text = text.replace(value, "[REDACTED]")
    for pattern in _TOKEN_SHAPES:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[REDACTED]", text)
    return text


def is_rank_zero() -> bool:
    """Global rank 0 as torchrun/accelerate set it; a single process has no RANK and is rank 0."""
    return os.environ.get("RANK", "0") == "0"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _finite(value):
    """JSON has no NaN/Infinity: a diverged loss is reported as null rather than breaking the line."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


class ProgressWriter:
    """Writes progress events for one run (trial)."""

    def __init__(self, path: str, trial=None):
        self.path = path
        self.trial = trial
        self.enabled = is_rank_zero()
        if self.enabled:
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)

    def write(self, event: str, **fields) -> None:
        if not self.enabled:
            return
        record = {"event": event, "time": now_iso()}
        if self.trial is not None:
            record["trial"] = self.trial
        for key, value in fields.items():
            record[key] = _finite(value)
        line = json.dumps(record, ensure_ascii=False)
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
        sys.stdout.write(PROGRESS_PREFIX + line + "\n")
        sys.stdout.flush()


def trial_from_env():
    value = os.environ.get("CNCF_LLM_TRIAL", "")
    return int(value) if value.isdigit() else None


def error_text(error: BaseException, limit: int = 800) -> str:
    message = f"{type(error).__name__}: {error}".strip()
    return redact(message)[:limit]


def last_events(path: str):
    """The events of the latest attempt in a progress file (after its last `start`)."""
    events = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    events.append(event)
    except FileNotFoundError:
        return []
    starts = [i for i, e in enumerate(events) if e.get("event") == "start"]
    return events[starts[-1] :] if starts else events


def end_if_missing(path: str, error: str) -> bool:
    """Writes a failed `end` unless the latest attempt already ended as failed. run.sh calls this
    when the trainer exited non-zero: it covers a process killed before it could write its own
    line (out of memory, a crash in native code) and an axolotl run whose callback reported
    success at train end but which failed afterwards, saving the model."""
    events = last_events(path)
    if events and events[-1].get("event") == "end" and events[-1].get("status") == "failed":
        return False
    steps = [e.get("step") for e in events if isinstance(e.get("step"), int)]
    ProgressWriter(path, trial_from_env()).write("end", status="failed", step=max(steps or [0]), error=redact(error)[:800])
    return True


if __name__ == "__main__":
    import argparse

    cli = argparse.ArgumentParser(description="Write a progress line from a shell script.")
    cli.add_argument("command", choices=["end-if-missing"])
    cli.add_argument("--file", default=os.environ.get("CNCF_LLM_PROGRESS_FILE"), required=False)
    cli.add_argument("--error", required=True)
    cli_args = cli.parse_args()
    if not cli_args.file:
        sys.exit("progress_events: give --file or set CNCF_LLM_PROGRESS_FILE")
    end_if_missing(cli_args.file, cli_args.error)
