"""Resuming a run only with the config it was started with: nothing trained under two configs.

``config.yaml`` in the run folder is written once, when the run starts, and never again. A rerun compares
its resolved config with that one (:func:`config_changes`): the ``trl:`` section as TRL would receive it
(:func:`~rewardlab.training.run.trl_values`, TRL's defaults filling what neither sets), every other field
as the config loader reads it. A change to what is trained (reward, data, model, advantage, clipping, any
other ``GRPOConfig`` field, ...) is refused at load (:func:`check_resume`), naming each field with its old
and new values and the two ways out. Fields that only extend or observe the run may change: ``max_steps``
(a larger one continues training from the last checkpoint), logging, saving and the evaluation cadence
(:func:`may_change`). Each resume appends what it resumed with to ``resumes.jsonl``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from transformers import TrainerCallback

from rewardlab.registry import ConfigError

CONFIG_FILE = "config.yaml"
RESUMES_FILE = "resumes.jsonl"

# Fields that extend or observe a run without changing what it trains.
_MAY_CHANGE = frozenset({
    "run_dir", "checkpoint_minutes", "save_final", "heldout.every",
    "trl.max_steps", "trl.report_to", "trl.disable_tqdm", "trl.run_name", "trl.log_level", "trl.log_level_replica",
    "trl.log_on_each_node", "trl.log_completions", "trl.num_completions_to_print", "trl.output_dir",
})
_MAY_CHANGE_PREFIXES = ("trl.logging_", "trl.save_", "trl.eval_")
_MISSING = "(not set)"


@dataclass(frozen=True)
class Change:
    """One field whose value differs between the run's ``config.yaml`` and the config it is resumed with."""

    field: str
    old: Any
    new: Any

    def line(self) -> str:
        return f"  {self.field}: {_shown(self.old)} -> {_shown(self.new)}"


def _shown(value: Any) -> str:
    return _MISSING if value is _MISSING else json.dumps(value, default=str)


def may_change(field: str) -> bool:
    """Whether ``field`` (dotted, e.g. ``trl.logging_steps``) only extends or observes the run."""
    return field in _MAY_CHANGE or field.startswith(_MAY_CHANGE_PREFIXES)


# Fields compared (and shown) whole: a reward or transform is one choice, whatever its fields.
_WHOLE = frozenset({"reward", "gold", "advantage"})


def _flat(values: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(values, dict) or not values or prefix.rstrip(".") in _WHOLE:
        return {prefix.rstrip("."): values} if prefix else {}
    out: dict[str, Any] = {}
    for key, value in values.items():
        out.update(_flat(value, f"{prefix}{key}."))
    return out


def _plain(values: Any) -> Any:
    """``values`` as YAML reads it back (tuples become lists), so a written config and a loaded one compare equal."""
    return yaml.safe_load(yaml.safe_dump(values, sort_keys=False))


# The GRPOConfig fields of a config, as TRL receives them (rewardlab.training.run.trl_values).
TrlValues = Callable[[Any], dict[str, Any]]


def resolved(config: Any, trl_values: TrlValues) -> dict[str, Any]:
    """A config's fields flattened to dotted names, with ``trl.*`` as TRL receives them (defaults filled)."""
    from rewardlab.training.resolved import grpo_default

    values = _plain(config.to_dict())
    values.pop("trl", None)
    flat = _flat(values)
    trl = _plain(trl_values(config))
    flat.update({f"trl.{name}": value for name, value in trl.items()})
    flat["trl.__defaults__"] = {name: _plain(grpo_default(name)) for name in trl}  # for fields one side lacks
    return flat


def config_changes(old: Any, new: Any, trl_values: TrlValues) -> list[Change]:
    """Every field whose value differs between two configs (``TrainConfig``), in the old config's order."""
    before, after = resolved(old, trl_values), resolved(new, trl_values)
    defaults = {**before.pop("trl.__defaults__"), **after.pop("trl.__defaults__")}

    def value(flat: dict[str, Any], field: str) -> Any:
        if field in flat:
            return flat[field]
        name = field.removeprefix("trl.")
        return defaults[name] if field.startswith("trl.") and name in defaults else _MISSING

    fields = list(dict.fromkeys([*before, *after]))
    return [Change(f, value(before, f), value(after, f)) for f in fields if value(before, f) != value(after, f)]


def check_resume(config: Any, run_dir: Path, trl_values: TrlValues) -> list[Change]:
    """The allowed changes of a rerun against the run's ``config.yaml`` (none for a new run); ``trl_values``
    gives a config's ``GRPOConfig`` fields.

    Raises:
        ConfigError: naming every field that would change what is trained, with old and new values, and the
            ways out (``--no-resume``, another ``run_dir``).
    """
    from rewardlab.training.config import load_config

    path = run_dir / CONFIG_FILE
    if not path.is_file():
        return []
    changes = config_changes(load_config(path), config, trl_values)
    refused = [c for c in changes if not may_change(c.field)]
    if refused:
        raise ConfigError(
            f"{run_dir} was started with another config ({path}); resuming it with this one would train one run "
            "under two configs. Changed:\n" + "\n".join(c.line() for c in refused) + "\n"
            "Rerun with the config it was started with, pass --no-resume to start over (the earlier run is moved "
            "aside), or write another run_dir. (max_steps, logging, saving and the evaluation cadence may change "
            "on resume.)")
    return changes


def record_resume(run_dir: Path, checkpoint: str | None, changes: list[Change], **facts: Any) -> None:
    """Append what a resume resumed with to ``resumes.jsonl``: the time, the checkpoint, the changed fields."""
    record = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "checkpoint": checkpoint,
              "changed": {c.field: {"old": None if c.old is _MISSING else c.old,
                                    "new": None if c.new is _MISSING else c.new} for c in changes}, **facts}
    with (run_dir / RESUMES_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, default=str) + "\n")


class ResumeRecord(TrainerCallback):
    """Once TRL has loaded the checkpoint (``on_train_begin`` comes after it), mark the resume in
    ``metrics.jsonl`` and append its record to ``resumes.jsonl``: a resume that fails leaves neither."""

    def __init__(self, metrics_writer: Any, run_dir: Path, checkpoint: str, changes: list[Change]) -> None:
        self.metrics_writer, self.run_dir, self.checkpoint, self.changes = metrics_writer, run_dir, checkpoint, changes

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        from rewardlab.training.checkpoints import checkpoint_step

        if self.metrics_writer is not None:
            self.metrics_writer.write(checkpoint_step(self.checkpoint), {"resumed_from": self.checkpoint})
        record_resume(self.run_dir, self.checkpoint, self.changes, step=state.global_step, max_steps=state.max_steps)
