"""Behaviour detectors and behaviour-conditional accuracy: shares, accuracies with and without, the ceiling,
mixed problems, and bootstrap intervals that cover the true value at about their nominal rate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from rewardlab.behaviours import (
    DEFAULT_BEHAVIOURS,
    Detector,
    RewardDetector,
    build_detector,
    built_detectors,
    detect_all,
    detector_registry,
)
from rewardlab.evaluation.conditional import behaviour_report
from rewardlab.metrics.elicitation import projected_accuracy
from rewardlab.registry import ConfigError
from rewardlab.types import RolloutBatch


@dataclass(frozen=True)
class MentionsTable(Detector):
    """A researcher's own detector, used by the import-path test."""

    type_name: ClassVar[str] = "table"

    def detect(self, batch: RolloutBatch) -> tuple[bool, ...]:
        return tuple("table" in c for c in batch.completions)


def batch_of(*completions: str, answer: str = "4") -> RolloutBatch:
    return RolloutBatch(prompts=("q",) * len(completions), completions=completions,
                        answers=(answer,) * len(completions), columns={"answer": (answer,) * len(completions)})


# --- detectors --------------------------------------------------------------------------------------------------


def test_each_builtin_detector_says_what_its_rule_says() -> None:
    batch = batch_of("Let me write Python: x = 2 + 2. \\boxed{4}", "\\boxed{I don't know}", "The answer is 5.",
                     "\\boxed{}", 7)  # type: ignore[arg-type]  (a malformed completion is no crash)
    seen = {name: build_detector(name).detect(batch) for name in DEFAULT_BEHAVIOURS}
    assert seen["code"] == (True, False, False, False, False)
    assert seen["boxed"] == (True, True, False, False, False)
    assert seen["abstain"] == (False, True, False, False, False)
    # lengths 41, 21, 16, 8, 0: the median is 16, and only strictly longer completions are long
    assert seen["long"] == (True, True, False, False, False)


def test_long_is_nobody_when_every_completion_has_the_median_length() -> None:
    assert build_detector("long").detect(batch_of("abc", "def", "ghi")) == (False, False, False)


def test_a_reward_detector_says_yes_strictly_above_its_threshold() -> None:
    batch = batch_of("\\boxed{4}", "\\boxed{5}", "four")
    assert build_detector({"type": "reward", "reward": "format"}).detect(batch) == (True, True, False)
    assert build_detector({"type": "reward", "reward": "format", "threshold": 1.0}).detect(batch) == (False,) * 3
    combinator = {"type": "weighted_sum", "terms": [{"reward": "format", "weight": 0.5},
                                                    {"reward": {"type": "binary", "workers": 0}, "weight": 0.5}]}
    detector = build_detector({"type": "reward", "reward": combinator, "threshold": 0.75, "name": "boxed_right"})
    try:
        assert detector.report_name() == "boxed_right"
        assert detector.detect(batch) == (True, False, False)
    finally:
        detector.close()


def test_a_reward_detector_is_named_after_its_reward_and_round_trips_its_config() -> None:
    detector = build_detector({"type": "reward", "reward": {"type": "contains_python", "backticks": True}})
    assert detector.report_name() == "contains_python"
    assert build_detector(detector.to_config()) == detector


def test_a_detector_of_your_own_is_built_by_import_path() -> None:
    detector = build_detector("tests.test_behaviours:MentionsTable")
    assert detector.report_name() == "table" and detector.detect(batch_of("a table", "none")) == (True, False)
    assert detector_registry().with_rewards(MentionsTable).build("table") == MentionsTable()


def test_misspelled_detectors_and_rewards_are_named_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="unknown behaviour detector 'cod'; did you mean 'code'"):
        build_detector("cod")
    with pytest.raises(ConfigError, match="reward detector: unknown reward 'formt'; did you mean 'format'"):
        build_detector({"type": "reward", "reward": "formt"})
    with pytest.raises(ConfigError, match="missing required field"):
        build_detector({"type": "reward"})
    with pytest.raises(ConfigError, match="not a rewardlab Detector subclass"):
        build_detector("tests.test_behaviours:batch_of")


def test_two_detectors_reported_under_one_name_are_refused() -> None:
    specs = [{"type": "reward", "reward": "format"}, {"type": "reward", "reward": "format", "threshold": 0.9}]
    with pytest.raises(ConfigError, match="two behaviours are reported as 'format'; give one a name"), \
            built_detectors(specs):
        pass


def test_detect_all_refuses_a_detector_that_miscounts() -> None:
    @dataclass(frozen=True)
    class OneVerdict(Detector):
        def detect(self, batch: RolloutBatch) -> tuple[bool, ...]:
            return (True,)

    with pytest.raises(ValueError, match="gave 1 verdicts for 2 completions"):
        detect_all([OneVerdict()], batch_of("a", "b"))


def test_reward_detector_positional_spec() -> None:
    assert RewardDetector("format").report_name() == "format"


# --- behaviour-conditional accuracy on hand-built rollouts ------------------------------------------------------

# Problem 0: code right, code right, prose wrong, prose right; problem 1: code wrong, prose wrong;
# problem 2: code right, prose unscorable (left out of every figure).
CODE = [True, True, False, False, True, False, True, False]
CORRECT = [True, True, False, True, False, False, True, None]
PROBLEM = [0, 0, 0, 0, 1, 1, 2, 2]


def test_share_and_conditional_accuracies_are_exact_on_hand_built_rollouts() -> None:
    report = behaviour_report({"code": CODE}, CORRECT, PROBLEM, 3, resamples=200)
    code = report.behaviours[0]
    assert code.share.value == pytest.approx(4 / 7)  # over the 7 scorable samples
    assert code.accuracy_with.value == pytest.approx(3 / 4)
    assert code.accuracy_without.value == pytest.approx(1 / 3)
    assert code.difference.value == pytest.approx(3 / 4 - 1 / 3)
    assert code.ceiling.value == pytest.approx(3 / 4) and code.n_with == 4
    assert report.accuracy == pytest.approx(4 / 7) and report.gain(code) == pytest.approx(3 / 4 - 4 / 7)
    assert report.mixed_problems.value == pytest.approx(1 / 3)  # problem 0 only; problem 2 has one scorable sample
    assert code.mixed_problems == pytest.approx(2 / 3)  # problems 0 and 1 hold code and prose samples


def test_the_ceiling_is_the_projection_at_the_chosen_share_and_today_s_share_gives_today_s_accuracy() -> None:
    half = behaviour_report({"code": CODE}, CORRECT, PROBLEM, 3, elicit_to=0.5, resamples=200).behaviours[0]
    assert half.ceiling.value == pytest.approx(projected_accuracy(0.5, 3 / 4, 1 / 3))
    today = behaviour_report({"code": CODE}, CORRECT, PROBLEM, 3, elicit_to=4 / 7, resamples=200)
    assert today.behaviours[0].ceiling.value == pytest.approx(today.accuracy)


def test_a_behaviour_no_sample_shows_has_no_accuracy_with_it_and_no_ceiling() -> None:
    report = behaviour_report({"never": [False] * 8}, CORRECT, PROBLEM, 3, resamples=200)
    never = report.behaviours[0]
    assert never.share.value == 0.0 and never.n_with == 0
    assert math.isnan(never.accuracy_with.value) and math.isnan(never.ceiling.value)
    assert math.isnan(never.accuracy_with.low) and never.accuracy_without.value == pytest.approx(4 / 7)
    assert behaviour_report({"never": [False] * 8}, CORRECT, PROBLEM, 3, elicit_to=0.0,
                            resamples=200).behaviours[0].ceiling.value == pytest.approx(4 / 7)


def test_intervals_hold_the_value_are_seeded_and_collapse_when_every_problem_is_alike() -> None:
    report = behaviour_report({"code": CODE}, CORRECT, PROBLEM, 3, resamples=500, seed=3)
    for key in ("share", "accuracy_with", "accuracy_without", "difference", "ceiling"):
        estimate = getattr(report.behaviours[0], key)
        assert estimate.low <= estimate.value <= estimate.high, key
    assert report == behaviour_report({"code": CODE}, CORRECT, PROBLEM, 3, resamples=500, seed=3)
    assert report != behaviour_report({"code": CODE}, CORRECT, PROBLEM, 3, resamples=500, seed=4)
    alike = behaviour_report({"code": [True, False] * 5}, [True, False] * 5, [i // 2 for i in range(10)], 5,
                             resamples=200).behaviours[0]
    assert (alike.share.low, alike.share.high) == (0.5, 0.5)
    assert (alike.difference.low, alike.difference.high) == (1.0, 1.0)


def test_mismatched_lengths_and_shares_outside_0_1_are_refused() -> None:
    with pytest.raises(ValueError, match=r"8 samples but .*'code': 3"):
        behaviour_report({"code": [True] * 3}, CORRECT, PROBLEM, 3)
    with pytest.raises(ValueError, match="elicit_to is a behaviour share in"):
        behaviour_report({"code": CODE}, CORRECT, PROBLEM, 3, elicit_to=1.5)


def test_no_problems_gives_nan_figures_not_a_crash() -> None:
    report = behaviour_report({"code": []}, [], [], 0, resamples=50)
    assert math.isnan(report.accuracy) and math.isnan(report.behaviours[0].share.value)


# --- coverage on simulated data ---------------------------------------------------------------------------------


def simulated(rng: np.random.Generator, problems: int = 100, samples: int = 8) -> tuple[list[bool], list[bool],
                                                                                        list[int]]:
    """Each problem draws its behaviour rate q ~ U(0.2, 0.8) and accuracies with ~ U(0.4, 0.9) and without
    ~ U(0.1, 0.5), independently; so the population share is 0.5, accuracy with 0.65 and without 0.3."""
    q = rng.uniform(0.2, 0.8, problems)
    with_, without = rng.uniform(0.4, 0.9, problems), rng.uniform(0.1, 0.5, problems)
    problem = np.repeat(np.arange(problems), samples)
    shows = rng.random(problem.size) < q[problem]
    correct = rng.random(problem.size) < np.where(shows, with_[problem], without[problem])
    return shows.tolist(), correct.tolist(), problem.tolist()


@pytest.mark.slow  # 200 simulated evaluations, about 6 s
def test_95_percent_intervals_cover_the_population_value_at_about_their_rate() -> None:
    truth = {"share": 0.5, "accuracy_with": 0.65, "accuracy_without": 0.3, "difference": 0.35}
    rng = np.random.default_rng(20251126)
    runs = 200
    covered = dict.fromkeys(truth, 0)
    for run in range(runs):
        shows, correct, problem = simulated(rng)
        stats = behaviour_report({"b": shows}, correct, problem, 100, resamples=1000, seed=run).behaviours[0]
        for key, value in truth.items():
            estimate = getattr(stats, key)
            covered[key] += estimate.low <= value <= estimate.high
    rates = {key: count / runs for key, count in covered.items()}
    assert all(0.90 <= rate <= 0.99 for rate in rates.values()), rates
