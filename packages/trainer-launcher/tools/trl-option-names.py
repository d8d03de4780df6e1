#!/usr/bin/env python3
"""Writes the option names `trl sft --config` accepts, read from the installed trl's dataclasses.

`trl sft` (trl/scripts/sft.py, `make_parser`) parses ScriptArguments, SFTConfig, ModelConfig and
DatasetMixtureConfig with TrlParser; a YAML config may use any of their field names plus `env`
(TrlParser sets those environment variables). Entries of the `datasets:` list are DatasetConfig.

Run it with the Python that has trl (the one clusters/provision-python.sh prints):
  "$(bash clusters/provision-python.sh)/bin/python" tools/trl-option-names.py \
      > src/payload/options/trl.json
"""

import dataclasses
import json
import sys
from importlib.metadata import version


def main() -> None:
    from trl import DatasetMixtureConfig, ModelConfig, ScriptArguments, SFTConfig
    from trl.scripts import sft
    from trl.scripts.utils import DatasetConfig

    parser = sft.make_parser()
    parsed = {type(t).__name__ if not isinstance(t, type) else t.__name__ for t in parser.dataclass_types}
    expected = {"ScriptArguments", "SFTConfig", "ModelConfig", "DatasetMixtureConfig"}
    if parsed != expected:
        sys.exit(f"trl sft parses {sorted(parsed)}, not {sorted(expected)}: update this script")

    options = set()
    for cls in (ScriptArguments, SFTConfig, ModelConfig, DatasetMixtureConfig):
        options.update(f.name for f in dataclasses.fields(cls))
    options.add("env")
    record = {
        "trainer": "trl",
        "package": "trl",
        "version": version("trl"),
        "with": {name: version(name) for name in ("transformers", "peft", "accelerate", "datasets")},
        "source": "dataclass fields of trl.ScriptArguments, trl.SFTConfig (extends transformers.TrainingArguments), "
        "trl.ModelConfig and trl.DatasetMixtureConfig - the types trl/scripts/sft.py make_parser() gives TrlParser - "
        "plus TrlParser's `env` key; `datasets` entries are trl.scripts.utils.DatasetConfig",
        "generatedBy": "tools/trl-option-names.py",
        "options": sorted(options),
        "nested": {"datasets": sorted(f.name for f in dataclasses.fields(DatasetConfig))},
    }
    json.dump(record, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
