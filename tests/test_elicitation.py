"""The elicitation arithmetic the bench rows and the eval report share."""

import math

import pytest

from rewardlab.metrics.elicitation import best_style_accuracy, projected_accuracy


def test_the_projection_mixes_the_two_styles_accuracies_at_the_new_share() -> None:
    # Spurious Rewards' Table 1: 60.9% with code, 35.0% without; all code gives the with-accuracy.
    assert projected_accuracy(0.65, 0.609, 0.350) == pytest.approx(0.65 * 0.609 + 0.35 * 0.350)
    assert projected_accuracy(1.0, 0.609, 0.350) == pytest.approx(0.609)


def test_a_style_never_seen_counts_only_when_the_projection_gives_it_weight() -> None:
    assert projected_accuracy(0.0, math.nan, 0.442) == pytest.approx(0.442)  # llama_like: no traces, none asked
    assert math.isnan(projected_accuracy(0.3, math.nan, 0.442))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        projected_accuracy(1.2, 0.5, 0.5)


def test_the_ceiling_is_the_better_style_whichever_it_is() -> None:
    assert best_style_accuracy(0.646, 0.421) == pytest.approx(0.646)
    assert best_style_accuracy(0.260, 0.272) == pytest.approx(0.272)  # bad_code: direct answers are better
    assert best_style_accuracy(math.nan, 0.442) == pytest.approx(0.442)
    assert math.isnan(best_style_accuracy(math.nan, math.nan))
