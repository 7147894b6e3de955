"""``rewardlab train`` and ``rewardlab validate``."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardlab.registry import ConfigError
from rewardlab.yamlfile import parse_yaml, read_yaml


def apply_overrides(values: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """``a.b=value`` overrides (values read as YAML) applied to a nested mapping; a later one wins."""
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
        node[leaf] = _number_or(parse_yaml(raw, f"override {item!r}"), raw)
    return values


_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _number_or(value: Any, raw: str) -> Any:
    """YAML 1.1 reads ``1e-3`` (no dot) as a string; on the command line it is the number a user meant."""
    return float(raw) if isinstance(value, str) and _FLOAT.fullmatch(raw.strip()) else value


def run_train(path: str, overrides: Sequence[str] = (), *, resume: bool = True) -> int:
    """Read ``path`` strictly, apply the overrides, load and check the config, then train it on what its
    ``model:``, ``data:`` and ``heldout:`` sections name (:class:`~rewardlab.training.sources.FromConfig`).
    ``train`` checks the launch's process count against the config's ``world_size`` first, before it builds
    TRL's ``GRPOConfig``, the model or the data; its errors name ``path``."""
    values = read_yaml(path)
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: a config is a mapping of sections, got {type(values).__name__}")
    values = apply_overrides(values, overrides)
    from rewardlab.training.config import load_config
    from rewardlab.training.run import train
    from rewardlab.training.sources import FromConfig

    config = load_config(values, where=path)
    summary = train(config, source=FromConfig(config, file=path), resume=resume)
    print(json.dumps(summary, indent=2))
    return 0


BENCH_FOLDER = "bench"


def is_bench_config(path: Path) -> bool:
    """Whether ``validate`` reads ``path`` as a bench grid: the folder holding it is named ``bench``.

    The rule looks at the path only, never at the content, so a misspelled key cannot switch loaders
    (``configs/bench/*.yaml`` are grids). Every other YAML file is a training config.
    """
    return path.resolve().parent.name == BENCH_FOLDER


def yaml_files(paths: Sequence[str]) -> list[Path]:
    """The given files, and every ``*.yaml`` / ``*.yml`` under the given folders (sorted)."""
    files: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            files.extend(sorted(p for p in given.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif given.is_file():
            files.append(given)
        else:
            raise FileNotFoundError(f"no such file or folder: {given}")
    if not files:
        raise FileNotFoundError(f"no YAML files under {', '.join(paths)}")
    return files


def validate_file(path: Path) -> str:
    """Load ``path`` with the loader its location calls for; a short description, or an exception.

    A training config is checked as ``rewardlab train`` checks it, except for ``world_size`` (validation
    runs on one process): strictly read, loaded, and its ``trl:`` section built into TRL's ``GRPOConfig``
    as on its own machine, with only the device-bound fields adjusted (see
    :func:`rewardlab.training.trl_section.check_with_trl`).
    """
    values = read_yaml(path)
    if values is None:
        raise ConfigError("the file is empty")
    if not isinstance(values, dict):
        raise ConfigError(f"a config is a mapping of fields, got {type(values).__name__}")
    from rewardlab.training.launch import check_launch_config, is_launch_config

    if is_launch_config(path):
        return check_launch_config(path)
    if is_bench_config(path):
        from rewardlab.bench.config import load_bench_config

        return f"bench grid, {len(load_bench_config(path).cells())} cells"
    from rewardlab.training.config import load_config
    from rewardlab.training.run import trl_values

    try:
        config = load_config(path)
    except ConfigError as exc:
        if {"organisms", "rewards"} & set(values):
            raise ConfigError(f"{exc} (read as a training config: bench grids must lie in a folder named "
                              f"'{BENCH_FOLDER}/')") from exc
        raise
    from rewardlab.training.trl_section import check_with_trl

    try:
        check_with_trl(trl_values(config, path.parent))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    from rewardlab.training.sources import FromConfig

    try:
        FromConfig(config, file=str(path)).check()  # as train checks it; data: null fails here
    except FileNotFoundError:  # data built on the training machine may not exist where CI validates
        return f"training config; not trainable here yet: {config.data.missing_path()}"
    return "training config"


def run_validate(paths: Sequence[str]) -> int:
    """Check every YAML file in ``paths`` (folders searched recursively) without running anything.

    Files directly in a folder named ``bench`` are bench grids (:func:`rewardlab.bench.config.load_bench_config`);
    all others are training configs (:func:`rewardlab.training.config.load_config`), whose model and data
    are named but never loaded, so validation needs neither the network nor a GPU. One line per file;
    the exit status is 1 when any file fails.
    """
    files = yaml_files(paths)
    failed = 0
    for file in files:
        try:
            kind = validate_file(file)
        except Exception as exc:  # every failure is reported against its file, and the next file runs
            failed += 1
            print(f"FAILED  {file}{_located(str(exc), str(file), exc)}")
        else:
            print(f"ok      {file}  ({kind})")
    print(f"{len(files) - failed} of {len(files)} configs valid")
    return 1 if failed else 0


def _located(message: str, file: str, exc: Exception) -> str:
    """``message`` as the rest of a line that starts with ``file``: ``": text"``, ``":LINE: text"`` or, for a
    message about a section (``FILE.data: ...``), ``": data: ..."``."""
    rest = message[len(file):] if message.startswith(file) else f": {message}"
    if rest.startswith("."):
        rest = f": {rest[1:]}"
    if not isinstance(exc, (ValueError, OSError)):
        rest = f": {type(exc).__name__}{rest}"
    return " ".join(rest.split())
