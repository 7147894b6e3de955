"""``rewardlab judge-eval``: how well a judge agrees with math-verify correctness on a rollouts file."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from typing import Any

from rich.table import Table

from rewardlab.answers.grader import describe, grader_record
from rewardlab.catalogue import RewardSpec, build_reward
from rewardlab.cli.console import wide_console
from rewardlab.cli.score import build_graded, parse_spec
from rewardlab.data.rollouts import read_rollouts, rollouts_to_batch
from rewardlab.judge.backends import JudgeError, backend_registry
from rewardlab.judge.evaluation import evaluate_judge

_COLUMNS = ("n", "n_scored", "coverage", "accuracy", "auroc", "mean_score", "seconds_per_item", "tokens_per_item")


def judge_spec(text: str) -> RewardSpec:
    """A judge from the command line: a reward spec, or a bare backend spec (``{type: openai, ...}``)
    that becomes ``{type: judge, backend: ...}``."""
    spec = parse_spec(text)
    backend_type = spec.get("type") if isinstance(spec, Mapping) else spec
    if backend_type in backend_registry().names():
        return {"type": "judge", "backend": spec}
    return spec


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def run_judge_eval(rollouts: str, judge: str, *, gold: str = "binary", threshold: float = 0.5,
                   as_json: bool = False, extraction: str | None = None) -> int:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"--threshold must lie in [0, 1], got {threshold}")
    batch = rollouts_to_batch(read_rollouts(rollouts))
    judge_reward = build_reward(judge_spec(judge))
    gold_reward = build_graded(gold, extraction)
    grader = grader_record(gold_reward)
    try:
        row = evaluate_judge(judge_reward, batch, gold_reward, threshold)
    except JudgeError as exc:
        print(f"rewardlab judge-eval: error: {exc}", file=sys.stderr)
        return 1
    finally:
        judge_reward.close()
        gold_reward.close()
    if as_json:
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        print(json.dumps({"rollouts": str(rollouts), "judge": judge, "gold": gold, "grader": grader, **clean},
                         indent=2))
        return 0
    table = Table(title=f"{rollouts}: judge vs {gold} (threshold {threshold:g})\n{describe(grader)}")
    table.add_column("judge", overflow="fold")
    for column in _COLUMNS:
        table.add_column(column, justify="right")
    table.add_row(judge, *(_cell(row.get(c)) for c in _COLUMNS))
    wide_console().print(table)
    return 0
