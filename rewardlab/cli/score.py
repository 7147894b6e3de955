"""``rewardlab score``: one comparison row per reward over a file of rollouts."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from rewardlab.catalogue import RewardSpec, build_reward
from rewardlab.cli.console import fitted, output_width
from rewardlab.data.rollouts import read_rollouts, rollouts_to_batch
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


def run_score(rollouts: str, specs: Sequence[str], *, gold: str = "binary", as_json: bool = False) -> int:
    batch = rollouts_to_batch(read_rollouts(rollouts))
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
        print(json.dumps({"rollouts": str(rollouts), "n": len(batch), "gold": gold, "rows": clean}, indent=2))
        return 0
    # The bench's plain layout, so the table fits COLUMNS (else 100) when piped as bench's and eval's do: headers
    # wrap at words, figures never, and columns that do not fit continue in a second block.
    from rewardlab.bench.table import text_table

    columns = [c for c in _COLUMNS[1:] if any(c in row for row in rows)]
    width = output_width()
    print(fitted(f"{rollouts}: {len(batch)} rollouts, gold = {gold}", width))
    print("\n".join(text_table(("reward", [str(row["reward"]) for row in rows]),
                                [(c.replace("_", " "), [_cell(row.get(c, math.nan)) for row in rows]) for c in columns],
                                width)))
    return 0
