"""The paired bootstrap over problems, and two reports compared side by side."""

from __future__ import annotations

import numpy as np
import pytest

from rewardlab.evaluation.bootstrap import ProblemSums, paired_bootstrap, shared_problems
from rewardlab.evaluation.comparison import compare_reports
from rewardlab.evaluation.report import Samples, evaluate_samples


def one_sample_each(correct: list[bool], keys: list[str] | None = None) -> Samples:
    keys = keys or [f"p{i}" for i in range(len(correct))]
    return Samples(problems=tuple(keys), completions=("\\boxed{1}",) * len(correct), correct=tuple(correct),
                   answers=("1",) * len(correct))


def test_problem_sums_gather_values_by_problem_and_leave_missing_out() -> None:
    sums = ProblemSums.of_values([1.0, None, 0.0, 1.0, float("nan")], [0, 0, 1, 1, 2], 3)
    assert sums.num.tolist() == [1.0, 1.0, 0.0] and sums.den.tolist() == [1.0, 2.0, 0.0]
    assert sums.value == pytest.approx(2 / 3)


def test_identical_inputs_differ_by_zero_with_an_interval_holding_zero() -> None:
    report = evaluate_samples(one_sample_each([i % 3 == 0 for i in range(30)]))
    comparison = compare_reports(report, report, resamples=500)
    for figure in comparison.figures:
        assert figure.difference == pytest.approx(0.0, nan_ok=True), figure.name
        if figure.interval is not None and not np.isnan(figure.interval.low):
            assert figure.interval.low <= 0.0 <= figure.interval.high, figure.name


def test_b_right_where_a_is_wrong_gives_a_positive_difference_excluding_zero() -> None:
    a_correct = [i % 2 == 0 for i in range(40)]
    a = evaluate_samples(one_sample_each(a_correct))
    b = evaluate_samples(one_sample_each([True] * 40))
    accuracy = next(f for f in compare_reports(a, b, resamples=2000).figures if f.name == "accuracy")
    assert accuracy.difference == pytest.approx(0.5)
    assert accuracy.interval is not None and accuracy.interval.excludes_zero() and accuracy.interval.low > 0


def test_problems_are_paired_by_key_whatever_their_order() -> None:
    keys = [f"p{i}" for i in range(20)]
    a = evaluate_samples(one_sample_each([i < 10 for i in range(20)], keys))
    b = evaluate_samples(one_sample_each([i < 10 for i in reversed(range(20))], list(reversed(keys))))
    accuracy = next(f for f in compare_reports(a, b, resamples=200).figures if f.name == "accuracy")
    # The same verdict on every problem, listed in the opposite order: no difference in any resample.
    assert accuracy.interval is not None and accuracy.interval.low == accuracy.interval.high == 0.0


def test_only_shared_problems_are_compared() -> None:
    assert shared_problems(["a", "b", "c"], ["c", "x", "a"]) == ([0, 2], [2, 0])
    a = evaluate_samples(one_sample_each([True, False, True], ["a", "b", "c"]))
    b = evaluate_samples(one_sample_each([True, True], ["a", "b"]))
    comparison = compare_reports(a, b, resamples=100)
    accuracy = next(f for f in comparison.figures if f.name == "accuracy")
    assert comparison.n_shared == 2 and accuracy.difference == pytest.approx(0.5)  # (1 + 1)/2 - (1 + 0)/2


def test_the_bootstrap_is_seeded() -> None:
    rng = np.random.default_rng(3)
    a = {"x": ProblemSums(rng.random(50), np.ones(50))}
    b = {"x": ProblemSums(rng.random(50), np.ones(50))}
    assert paired_bootstrap(a, b, resamples=300, seed=7) == paired_bootstrap(a, b, resamples=300, seed=7)
    assert paired_bootstrap(a, b, resamples=300, seed=7) != paired_bootstrap(a, b, resamples=300, seed=8)


def test_mismatched_figures_are_refused() -> None:
    a = {"x": ProblemSums(np.ones(3), np.ones(3))}
    with pytest.raises(ValueError, match="same figures"):
        paired_bootstrap(a, {"y": ProblemSums(np.ones(3), np.ones(3))})
    with pytest.raises(ValueError, match="pair A and B first"):
        paired_bootstrap(a, {"x": ProblemSums(np.ones(4), np.ones(4))})


@pytest.mark.slow
def test_the_interval_covers_the_true_difference_at_about_the_nominal_rate() -> None:
    """Problems of varied difficulty; B is 0.1 more likely right on each. 300 evaluations of 150 problems
    × 4 samples: the 95% interval should cover 0.1 in about 95% of them (binomial sd 1.3 points)."""
    rng = np.random.default_rng(2024)
    n_problems, samples, delta, trials = 150, 4, 0.1, 300
    covered = 0
    for trial in range(trials):
        p_a = rng.uniform(0.1, 0.8, n_problems)
        right_a = rng.random((n_problems, samples)) < p_a[:, None]
        right_b = rng.random((n_problems, samples)) < (p_a + delta)[:, None]
        a = {"accuracy": ProblemSums(right_a.sum(1).astype(float), np.full(n_problems, float(samples)))}
        b = {"accuracy": ProblemSums(right_b.sum(1).astype(float), np.full(n_problems, float(samples)))}
        interval = paired_bootstrap(a, b, resamples=1000, seed=trial)["accuracy"]
        covered += interval.low <= delta <= interval.high
    assert 0.90 <= covered / trials <= 0.99
