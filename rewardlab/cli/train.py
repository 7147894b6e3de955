"""``rewardlab train`` and ``rewardlab validate``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from rewardlab.registry import ConfigError


def apply_overrides(values: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """``a.b=value`` overrides (values read as YAML) applied to a nested mapping."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not KEY=VALUE, e.g. trl.max_steps=5")
        node = values
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
        node[leaf] = yaml.safe_load(raw)
    return values


def run_train(path: str, overrides: Sequence[str] = (), *, resume: bool = True) -> int:
    from rewardlab.training.config import load_config
    from rewardlab.training.run import train

    values = yaml.safe_load(Path(path).read_text()) if Path(path).is_file() else None
    if values is None:
        raise FileNotFoundError(f"no config file at {path}")
    config = load_config(apply_overrides(values, overrides))
    summary = train(config, resume=resume)
    print(json.dumps(summary, indent=2))
    return 0


def run_validate(paths: Sequence[str]) -> int:
    from rewardlab.training.config import load_config

    files = [p for given in paths for p in (sorted(Path(given).rglob("*.yaml")) if Path(given).is_dir()
                                             else [Path(given)])]
    if not files:
        raise FileNotFoundError(f"no YAML files under {', '.join(paths)}")
    failed = 0
    for file in files:
        try:
            load_config(file)
            print(f"ok      {file}")
        except (ConfigError, ValueError, FileNotFoundError) as exc:
            failed += 1
            print(f"FAILED  {file}: {exc}")
    print(f"{len(files) - failed} of {len(files)} configs valid")
    return 1 if failed else 0
