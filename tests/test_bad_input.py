"""Hostile completions never crash or hang a reward: each is scored 0 or None within its time limit."""

from __future__ import annotations

import time

import pytest

from rewardlab.rewards import BinaryCorrectness, FormatReward
from tests.hostile import hostile_completions

TIMEOUT = 1.0
# No hostile completion contains this number, so no score may be 1.
REFERENCE = "-271828"


@pytest.mark.slow
def test_binary_scores_a_thousand_hostile_completions_zero_or_none_in_time() -> None:
    completions = hostile_completions(1000)
    reward = BinaryCorrectness(timeout=TIMEOUT, workers=2)
    started = time.monotonic()
    kwargs = {"prompts": ["q"] * len(completions), "completions": completions, "answer": [REFERENCE] * len(completions)}
    try:
        result = reward(**kwargs)
        elapsed = time.monotonic() - started
        again = reward(**kwargs)  # verdicts are cached, timed-out ones included: same scores
    finally:
        reward.close()
    assert len(result) == len(completions) >= 1000
    assert set(result) <= {0.0, None}
    assert again == result
    # Every sample is bounded by its own limit, so the batch is bounded by their sum (no hang).
    assert elapsed < len(completions) * TIMEOUT


def test_the_nastiest_completions_each_finish_within_the_limit() -> None:
    reward = BinaryCorrectness(timeout=TIMEOUT, workers=1)
    try:
        nasty = ["\\boxed{9^{9^{9^{9}}}}", "\\boxed{(10^{100})!}", "\\boxed{" + "{" * 100_000, "x" * 1_000_000]
        for completion in nasty:
            started = time.monotonic()
            scores = reward(prompts=["q"], completions=[completion], answer=[REFERENCE])
            assert scores in ([0.0], [None])
            assert time.monotonic() - started < TIMEOUT + 5.0  # the limit plus one worker restart
    finally:
        reward.close()


def test_format_scores_every_hostile_completion_zero_or_one() -> None:
    completions = hostile_completions(1000)
    scores = FormatReward()(prompts=["q"] * len(completions), completions=completions)
    assert len(scores) == len(completions) and set(scores) <= {0.0, 1.0}


def test_binary_with_an_unparseable_reference_gives_none_for_hostile_input() -> None:
    completions = hostile_completions(200, seed=1)
    reward = BinaryCorrectness(timeout=TIMEOUT, workers=2)
    try:
        assert set(reward(prompts=["q"] * 200, completions=completions, answer=["\\frac{"] * 200)) == {None}
    finally:
        reward.close()
