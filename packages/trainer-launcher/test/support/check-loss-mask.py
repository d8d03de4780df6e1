#!/usr/bin/env python3
"""Shows which tokens a rendered trl.yaml trains on, for one row, through TRL's own pipeline.

Usage: check-loss-mask.py PAYLOAD_DIR TRL_YAML[::chat] [TRL_YAML[::chat] ...]

For each rendered config: parses it with the parser `trl sft` uses, builds TRL's SFTTrainer on the
config's model and dataset (with `::chat`, the payload's prompt/completion → chat conversion
first), takes the first training row through TRL's data collator. Prints one JSON array: per
config, the full text as the model sees it and the text of the tokens whose label is not -100
(the ones the loss is computed on). One process for all configs: importing torch is the slow part.
"""

import json
import os
import sys


def inspect(config, as_chat):
    from train_with_progress import to_chat
    from trl import SFTTrainer, get_dataset
    from trl.scripts import sft

    script_args, training_args, model_args, dataset_args = sft.make_parser().parse_args_and_config(
        ["--config", config, "--report_to", "none", "--eval_strategy", "no"], fail_with_unknown_args=True
    )
    if dataset_args.datasets:
        dataset = get_dataset(dataset_args)
    else:
        from datasets import load_dataset

        dataset = load_dataset(script_args.dataset_name, name=script_args.dataset_config)
    train = dataset[script_args.dataset_train_split].select(range(1))
    if as_chat:
        train = to_chat(train)
    training_args.output_dir = os.path.join(os.path.dirname(config), "mask-check")
    trainer = SFTTrainer(model=model_args.model_name_or_path, args=training_args, train_dataset=train)
    batch = trainer.data_collator([trainer.train_dataset[0]])
    tokenizer = trainer.processing_class
    ids = batch["input_ids"][0].tolist()
    labels = batch["labels"][0].tolist()
    trained = [token for token, label in zip(ids, labels) if label != -100]
    return {
        "text": tokenizer.decode(ids),
        "trained": tokenizer.decode(trained),
        "tokens": len(ids),
        "trainedTokens": len(trained),
        "assistantOnlyLoss": training_args.assistant_only_loss,
        "completionOnlyLoss": training_args.completion_only_loss,
    }


def main() -> None:
    sys.path.insert(0, sys.argv[1])
    results = []
    for arg in sys.argv[2:]:
        config, _, flag = arg.partition("::")
        results.append(inspect(config, flag == "chat"))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
