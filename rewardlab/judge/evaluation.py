"""How far a judge agrees with verified correctness: the numbers behind ``rewardlab judge-eval``.

For judge scores ``q_i ∈ [0, 1]`` (``None`` where the judge gave no verdict) and gold correctness
``y_i ∈ {0, 1}`` (math-verify, via the ``binary`` reward), over the ``n'`` items where both exist:

.. math:: \\text{accuracy} = \\frac{1}{n'} \\sum_i \\mathbb{1}[\\,\\mathbb{1}[q_i \\ge \\tau] = y_i\\,],
          \\qquad \\text{coverage} = n' / n

and the AUROC of ``q`` as a detector of correct answers (:func:`rewardlab.metrics.calibration.auroc`;
threshold-free). Cost: wall-clock seconds of the judge's ``score`` call per item, and tokens per item
when the backend reports usage (the ``judge_tokens`` diagnostic).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from rewardlab.metrics.calibration import auroc
from rewardlab.rewards.base import Reward
from rewardlab.types import RolloutBatch, gold_correct


def judge_agreement(scores: Sequence[float | None], gold: Sequence[bool | None],
                    threshold: float = 0.5) -> dict[str, Any]:
    """Accuracy of ``1[score ≥ threshold]`` against ``gold``, AUROC of the scores, coverage, mean score.

    Raises:
        ValueError: the sequences differ in length, or a score lies outside [0, 1].
    """
    if len(scores) != len(gold):
        raise ValueError(f"{len(scores)} judge scores for {len(gold)} gold labels; give one of each per item")
    pairs = [(s, bool(g)) for s, g in zip(scores, gold, strict=True) if s is not None and g is not None]
    if any(not 0.0 <= s <= 1.0 for s, _ in pairs):
        raise ValueError("judge scores must lie in [0, 1] to be thresholded and ranked")
    scored = [s for s in scores if s is not None]
    return {
        "n": len(scores),
        "n_scored": len(scored),
        "coverage": len(scored) / len(scores) if scores else math.nan,
        "n_gold_correct": sum(1 for g in gold if g),
        "mean_score": sum(scored) / len(scored) if scored else math.nan,
        "accuracy": sum((s >= threshold) == g for s, g in pairs) / len(pairs) if pairs else math.nan,
        "auroc": auroc([s for s, _ in pairs], [g for _, g in pairs]) if pairs else math.nan,
        "threshold": threshold,
    }


def evaluate_judge(judge: Reward, batch: RolloutBatch, gold: Reward, threshold: float = 0.5) -> dict[str, Any]:
    """Score ``batch`` with ``judge`` and ``gold``; :func:`judge_agreement` plus seconds and tokens per item.

    Gold correctness is :func:`~rewardlab.types.gold_correct`: the ``correct`` diagnostic of ``gold``
    (``binary`` gives it), else ``score > 0.5``.
    """
    correct = gold_correct(gold.score(batch))
    started = time.perf_counter()
    result = judge.score(batch)
    seconds = time.perf_counter() - started
    row = judge_agreement(result.scores, correct, threshold)
    tokens = [t for t in result.diagnostics.get("judge_tokens", ()) if t is not None]
    row["seconds_per_item"] = seconds / len(batch) if len(batch) else math.nan
    row["tokens_per_item"] = sum(tokens) / len(batch) if tokens else None
    return row
