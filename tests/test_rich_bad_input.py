"""Hostile completions never crash or hang the self-consistency, Brier and ternary rewards.

Each reward scores at least 1,000 hostile completions (``tests/hostile.py``) with a short time limit;
every score must lie in the reward's allowed set or be ``None``, and the whole batch must finish
within the sum of its per-verification limits.
"""

from __future__ import annotations

import time

import pytest

from rewardlab import RewardResult, RolloutBatch
from rewardlab.rewards import BrierReward, SelfConsistency, TernaryReward
from rewardlab.rewards.base import Reward
from tests.hostile import hostile_completions

TIMEOUT = 1.0
# No hostile completion contains this number, so no answer is ever correct.
REFERENCE = "-271828"
_CONFIDENCES = ["0.3", "80%", "1e999", "-0.2", "\x00", "0.8.1", "{" * 5000, "nan", "0" * 100_000, "1"]


def batch_of(completions: list[str], group_size: int = 1, reference: str = REFERENCE) -> RolloutBatch:
    n = len(completions)
    return RolloutBatch(prompts=("q",) * n, completions=tuple(completions), answers=(reference,) * n,
                        group_ids=tuple(i // group_size for i in range(n)))


def score_in_time(reward: Reward, batch: RolloutBatch, verifications: int) -> RewardResult:
    """The result, checking it came within ``verifications`` time limits (plus worker restarts)."""
    started = time.monotonic()
    try:
        result = reward.score(batch)
    finally:
        reward.close()
    assert time.monotonic() - started < verifications * (TIMEOUT + 0.5)
    assert len(result.scores) == len(batch)
    return result


@pytest.mark.slow
def test_self_consistency_scores_a_thousand_hostile_completions_zero_one_or_none() -> None:
    completions = hostile_completions(1000)
    # Pairs of hostile forms vote against each other; the label (never read by the score) does not parse,
    # so the time goes to the vote.
    batch = batch_of(completions, group_size=2, reference="\\frac{")
    result = score_in_time(SelfConsistency(timeout=TIMEOUT, workers=2), batch, verifications=len(completions))
    assert set(result.scores) <= {0.0, 1.0, None}
    assert set(result.diagnostics["correct"]) == {None}


@pytest.mark.slow
def test_soft_self_consistency_in_groups_of_eight_stays_in_the_unit_interval() -> None:
    completions = hostile_completions(96, seed=2)
    reward = SelfConsistency(timeout=TIMEOUT, workers=2, soft=True, min_vote_share=0.2, n_train=6)
    result = score_in_time(reward, batch_of(completions, group_size=8), verifications=len(completions) * 5)
    assert all(s is None or 0.0 <= s <= 1.0 for s in result.scores)
    assert set(result.diagnostics["correct"]) <= {False}


@pytest.mark.slow
def test_brier_scores_a_thousand_hostile_completions_in_its_range() -> None:
    hostile = hostile_completions(1000)
    tagged = [f"<answer>{c[:5000]}</answer><confidence>{_CONFIDENCES[i % len(_CONFIDENCES)]}</confidence>"
              for i, c in enumerate(hostile)]
    completions = hostile + tagged + [c + "<confidence>0.5</confidence>" for c in hostile[:100]]
    scores = score_in_time(BrierReward(timeout=TIMEOUT, workers=2), batch_of(completions),
                           verifications=len(completions)).scores
    # Never correct: c = 0, so R = -q^2 in [-1, 0], and a format failure scores -1.
    assert all(s is None or -1.0 <= s <= 0.0 for s in scores)
    assert any(s is not None and s > -1.0 for s in scores)  # some hostile answers are well formed


@pytest.mark.slow
def test_ternary_scores_a_thousand_hostile_completions_minus_one_abstain_or_none() -> None:
    completions = hostile_completions(1000) + [c + " \\boxed{I don't know}" for c in hostile_completions(50, seed=3)]
    reward = TernaryReward(timeout=TIMEOUT, workers=2, abstain_value=0.5)
    result = score_in_time(reward, batch_of(completions), verifications=len(completions))
    assert set(result.scores) <= {-1.0, 0.5, None}
    assert sum(result.diagnostics["abstained"]) == 50
