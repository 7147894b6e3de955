"""Score one batch under several rewards and compare each with gold correctness.

The comparison behind ``rewardlab score``: for each reward, its mean, how often it agrees with
math-verify correctness, their correlation, its precision and recall as a detector of correct
answers, and calibration where a confidence exists (a ``confidence`` diagnostic or column).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rewardlab.evaluation.evaluators import CalibrationEvaluator, DriftEvaluator
from rewardlab.rewards.base import Reward
from rewardlab.types import RewardResult, RolloutBatch


def _confidence(batch: RolloutBatch, result: RewardResult) -> tuple[Any, ...] | None:
    found = result.find("confidence")
    return found if found is not None else batch.columns.get("confidence")


def compare_row(name: str, result: RewardResult, gold: Sequence[bool | None],
                confidence: Sequence[float | None] | None = None) -> dict[str, Any]:
    """One comparison row: a reward's result against gold correctness."""
    signal = [s for s in result.scores if s is not None]
    drift = DriftEvaluator()
    drift.update(result.scores, gold, result.find("pseudo_label_correct"))
    row: dict[str, Any] = {
        "reward": name,
        "n": len(result),
        "n_signal": len(signal),
        "mean": sum(signal) / len(signal) if signal else math.nan,
        **{k: v for k, v in drift.compute().items() if k not in ("proxy_mean",)},
    }
    if confidence is not None and any(c is not None for c in confidence):
        calibration = CalibrationEvaluator()
        calibration.update(confidence, gold)
        row.update({k: v for k, v in calibration.compute().items() if k != "n"})
    return row


def compare_rewards(batch: RolloutBatch, rewards: Sequence[tuple[str, Reward]],
                    gold: Reward) -> list[dict[str, Any]]:
    """One row per reward; gold correctness is the ``correct`` diagnostic of ``gold`` (e.g. ``binary``)."""
    gold_result = gold.score(batch)
    correct = gold_result.diagnostics.get("correct") or tuple(
        None if s is None else s > 0.5 for s in gold_result.scores)
    rows = []
    for name, reward in rewards:
        result = gold_result if reward == gold else reward.score(batch)
        rows.append(compare_row(name, result, correct, _confidence(batch, result)))
    return rows
