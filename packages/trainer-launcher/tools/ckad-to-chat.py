#!/usr/bin/env python3
"""Turns the CKAD exercises (MIT, dgkanatsios/CKAD-exercises) into the chat fixtures of the tests.

Each `### heading` (plus any text before its `<details>` block) becomes a user turn; the text
inside `<details>…</details>` becomes the assistant turn. Answers are cut at a paragraph boundary
near 700 characters so the tiny CPU model sees whole rows within `max_length`.

Writes, under test/fixtures/chat/:
  messages/train.jsonl, messages/validation.jsonl       {"messages": [{role, content}, …]}
  prompt-completion/train.jsonl, …/validation.jsonl     {"prompt": str, "completion": str}

Rerun (no dependencies beyond Python 3.9+):
  python3 tools/ckad-to-chat.py /work/shared/fixtures/qa/ckad-exercises test/fixtures/chat
"""

import json
import re
import sys
from pathlib import Path

FILES = [
    "a.core_concepts.md",
    "b.multi_container_pods.md",
    "c.pod_design.md",
    "d.configuration.md",
    "e.observability.md",
    "f.services.md",
    "g.state.md",
]
TRAIN_ROWS = 40
VALIDATION_ROWS = 10
MAX_ANSWER_CHARS = 700


def clean(text: str) -> str:
    text = re.sub(r"</?p>", "", text)
    text = re.sub(r"<details><summary>show</summary>", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    # Cut at the last blank line that is not inside a code fence.
    best = -1
    fence = False
    for m in re.finditer(r"```|\n\n", head):
        if m.group(0) == "```":
            fence = not fence
        elif not fence:
            best = m.start()
    return head[:best].strip() if best > 0 else text


def pairs(markdown: str):
    for block in re.split(r"\n(?=### )", markdown)[1:]:
        heading, _, rest = block.partition("\n")
        question_extra, sep, after = rest.partition("<details>")
        if not sep:
            continue
        answer = after.split("</details>", 1)[0]
        question = clean(heading.removeprefix("### ") + "\n\n" + question_extra)
        answer = cut(clean("<details>" + answer), MAX_ANSWER_CHARS)
        if question and answer:
            yield question, answer


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    rows = []
    for name in FILES:
        rows.extend(pairs((source / name).read_text(encoding="utf-8")))
    # Every fifth pair is held out, so both splits cover every chapter.
    validation = [r for i, r in enumerate(rows) if i % 5 == 4][:VALIDATION_ROWS]
    train = [r for i, r in enumerate(rows) if i % 5 != 4][:TRAIN_ROWS]
    for kind in ("messages", "prompt-completion"):
        (target / kind).mkdir(parents=True, exist_ok=True)
        for split, items in (("train", train), ("validation", validation)):
            with open(target / kind / f"{split}.jsonl", "w", encoding="utf-8") as out:
                for q, a in items:
                    if kind == "messages":
                        row = {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
                    else:
                        row = {"prompt": q, "completion": a}
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(train)} train and {len(validation)} validation rows from {len(rows)} pairs")


if __name__ == "__main__":
    main()
