"""Scoring one generation batch safely: a reward that fails is named with the sample it failed on.

A reward that raises inside a training run must not surface as an anonymous traceback ten
minutes in. :func:`score_safely` scores the whole batch once; if that raises it re-scores group
by group (group rewards need whole groups) and then sample by sample to find the culprit, and
either stops with a :class:`RewardError` that names the reward, the step, the sample and its
completion, or (``on_error="none"``) gives that group no signal and counts it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from rewardlab.rewards.base import Reward
from rewardlab.types import RewardResult, RolloutBatch

OnError = Literal["raise", "none"]


class RewardError(RuntimeError):
    """A reward raised while scoring a training batch."""


@dataclass(frozen=True)
class ScoredBatch:
    """A reward's result on a batch, with the number of samples whose scoring failed or was not finite."""

    result: RewardResult
    n_errors: int = 0
    n_nonfinite: int = 0


def _finite(result: RewardResult) -> tuple[RewardResult, int]:
    """Non-finite scores (inf; NaN is already None) become no signal, so they never reach the loss."""
    bad = sum(s is not None and not math.isfinite(s) for s in result.scores)
    if not bad:
        return result, 0
    scores = tuple(None if s is None or not math.isfinite(s) else s for s in result.scores)
    return RewardResult(scores, result.diagnostics), bad


def _describe(reward: Reward, batch: RolloutBatch, position: int, exc: BaseException) -> str:
    completion = batch.completions[position]
    return (f"reward {reward.__name__!r} raised {type(exc).__name__}: {exc} on sample {batch.indices[position]} "
            f"(group {batch.group_ids[position]}, step {batch.step}); its completion begins "
            f"{completion[:200]!r}. Fix the reward, or set on_reward_error: none to score such groups as no signal.")


def _locate(reward: Reward, group: RolloutBatch) -> int:
    """Position in ``group`` of the first sample that makes the reward raise alone (0 if none does)."""
    for position in range(len(group)):
        try:
            reward.score(group.select([position]))
        except Exception:
            return position
    return 0


def score_safely(reward: Reward, batch: RolloutBatch, on_error: OnError = "raise") -> ScoredBatch:
    """Score ``batch`` with ``reward``; see the module docstring for what happens when it raises."""
    try:
        result, nonfinite = _finite(reward.score(batch))
        return ScoredBatch(result, 0, nonfinite)
    except Exception as first:
        failure: BaseException = first
    scores: list[float | None] = [None] * len(batch)
    diagnostics: dict[str, list] = {}
    errors = 0
    for positions in batch.groups().values():
        group = batch.select(positions)
        try:
            part = reward.score(group)
        except Exception as exc:
            if on_error == "raise":
                raise RewardError(_describe(reward, group, _locate(reward, group), exc)) from exc
            errors += len(positions)
            continue
        for local, position in enumerate(positions):
            scores[position] = part.scores[local]
            for key, values in part.diagnostics.items():
                diagnostics.setdefault(key, [None] * len(batch))[position] = values[local]
    if on_error == "raise":  # the whole batch raised but no group alone does: report the batch
        raise RewardError(f"reward {reward.__name__!r} raised {type(failure).__name__}: {failure} on the batch of "
                          f"step {batch.step}, though no group alone raises") from failure
    result, nonfinite = _finite(RewardResult(tuple(scores), diagnostics))
    return ScoredBatch(result, errors, nonfinite)
