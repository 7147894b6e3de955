"""Score one batch under several rewards and compare each with gold correctness.

The comparison behind ``rewardlab score``: for each reward, its mean, how often it agrees with
math-verify correctness, their correlation, its precision and recall as a detector of correct
answers, and calibration where a confidence exists (a ``confidence`` diagnostic or column).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardlab.evaluation.collection import EvaluatorCollection
from rewardlab.evaluation.evaluators import CalibrationEvaluator, DriftEvaluator
from rewardlab.metrics import mean_available
from rewardlab.rewards.base import Reward
from rewardlab.types import RewardResult, RolloutBatch


def compare_row(name: str, result: RewardResult, gold: RewardResult,
                confidence: Sequence[float | None] | None = None) -> dict[str, Any]:
    """One comparison row: a reward's result against the gold reward's (drift, and calibration of
    ``confidence`` or else the result's own ``confidence`` diagnostic, when any sample states one)."""
    evaluators = EvaluatorCollection({"drift": DriftEvaluator(), "calibration": CalibrationEvaluator()})
    evaluators.update(None, result, gold, confidence=confidence)
    return {
        "reward": name,
        "n": len(result),
        "n_signal": sum(s is not None for s in result.scores),
        "mean": mean_available(result.scores),
        **evaluators.compute(),
    }


def compare_rewards(batch: RolloutBatch, rewards: Sequence[tuple[str, Reward]],
                    gold: Reward) -> list[dict[str, Any]]:
    """One row per reward against ``gold`` (e.g. ``binary``; see :func:`rewardlab.types.gold_correct`).

    A reward without a ``confidence`` diagnostic is calibrated on the batch's ``confidence`` column if any.
    """
    gold_result = gold.score(batch)
    column = batch.columns.get("confidence")
    rows = []
    for name, reward in rewards:
        result = gold_result if reward == gold else reward.score(batch)
        stated = result.find("confidence")
        rows.append(compare_row(name, result, gold_result, column if stated is None else None))
    return rows
