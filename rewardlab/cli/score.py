"""``rewardlab score``: one comparison row per reward over a file of rollouts."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from rich.table import Table

from rewardlab.catalogue import RewardSpec, build_reward
from rewardlab.cli.console import wide_console
from rewardlab.data.rollouts import load_rollouts, rollouts_to_batch
from rewardlab.evaluation.compare import compare_rewards
from rewardlab.registry import ConfigError

_COLUMNS = ("reward", "n_signal", "mean", "agreement", "correlation", "precision", "recall",
            "pseudo_label_accuracy", "ece", "brier", "auroc")


def parse_spec(text: str, kind: str = "reward", example: str = "binary or '{type: random, p: 0.5}'") -> RewardSpec:
    """A reward spec (or another ``kind``'s) from the command line: a name, an inline YAML/JSON mapping, or a
    YAML file; ``example`` ends the error message."""
    path = Path(text)
    if text.endswith((".yaml", ".yml", ".json")) and path.is_file():
        return yaml.safe_load(path.read_text())
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"cannot read {kind} spec {text!r}: {exc}") from exc
    if not isinstance(spec, (str, dict)):
        raise ConfigError(f"{kind} spec {text!r} is neither a name nor a mapping; write e.g. {example}")
    return spec


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def run_score(rollouts: str, specs: Sequence[str], *, gold: str = "binary", as_json: bool = False,
              dedupe: bool = False) -> int:
    """Score the rollouts file (read as ``rewardlab eval`` reads it, :func:`load_rollouts`) under each reward."""
    read = load_rollouts(rollouts, dedupe=dedupe)
    batch = rollouts_to_batch(read.rows)
    rewards = [(text, build_reward(parse_spec(text))) for text in specs]
    gold_reward = build_reward(parse_spec(gold))
    try:
        rows = compare_rewards(batch, rewards, gold_reward)
    finally:
        for _, reward in rewards:
            reward.close()
        gold_reward.close()
    if as_json:
        clean = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                 for row in rows]
        print(json.dumps({"rollouts": str(rollouts), "n": len(batch), "duplicates_dropped": read.duplicates_dropped,
                          "gold": gold, "rows": clean}, indent=2))
        return 0
    dropped = read.duplicates_dropped and f"; --dedupe left out {read.duplicates_dropped} repeated sample line(s)"
    table = Table(title=f"{rollouts}: {len(batch)} rollouts, gold = {gold}{dropped or ''}")
    columns = [c for c in _COLUMNS if any(c in row for row in rows)]
    for column in columns:
        table.add_column(column, justify="left" if column == "reward" else "right", overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c, math.nan)) for c in columns))
    wide_console().print(table)
    return 0
