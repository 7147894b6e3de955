"""Self-consistency (TTRL / SRT): equivalence classes, ties, thresholds, soft reward, vote-only samples."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest

from rewardlab import ConfigError, RolloutBatch, build_reward
from rewardlab.answers import AnswerChecker, Verdict
from rewardlab.answers.vote import vote_groups
from rewardlab.rewards import SelfConsistency, majority_vote


def groups_of(*groups: list[str], answers: Sequence[str | None] | None = None) -> RolloutBatch:
    """A batch holding ``groups`` one after another, with group ids 0, 1, ..."""
    completions = [c for group in groups for c in group]
    ids = [g for g, group in enumerate(groups) for _ in group]
    return RolloutBatch(prompts=tuple(f"q{g}" for g in ids), completions=tuple(completions), group_ids=tuple(ids),
                        answers=tuple(answers) if answers else ())


def boxed(*answers: str) -> list[str]:
    return [f"so \\boxed{{{a}}}" for a in answers]


class CountingChecker(AnswerChecker):
    """An in-process checker that records every pair it is asked to verify."""

    def __init__(self) -> None:
        super().__init__(workers=0)
        self.pairs: list[tuple[str | None, str | None]] = []

    def check(self, pairs: Sequence[tuple[str | None, str | None]], *args: Any, **kwargs: Any) -> list[Verdict]:
        self.pairs.extend(pairs)
        return super().check(pairs, *args, **kwargs)

    @property
    def compared(self) -> list[tuple[str | None, str | None]]:
        """The pairs of two answers (a pair with no answer only parses its reference)."""
        return [pair for pair in self.pairs if pair[0] is not None]

    @property
    def parsed_alone(self) -> list[str | None]:
        return [reference for answer, reference in self.pairs if answer is None]


@pytest.fixture(scope="module")
def checker() -> AnswerChecker:
    return AnswerChecker(workers=0)


@pytest.fixture(scope="module")
def reward() -> SelfConsistency:
    built = SelfConsistency(workers=0)
    yield built
    built.close()


def test_equivalent_forms_of_one_half_vote_together(reward: SelfConsistency) -> None:
    result = reward.score(groups_of(boxed("1/2", "0.5", "\\frac{1}{2}", "3", "3")))
    assert result.scores == (1.0, 1.0, 1.0, 0.0, 0.0)
    assert set(result.diagnostics["pseudo_label"]) == {"1/2"}
    assert result.diagnostics["vote_share"][0] == pytest.approx(0.6)
    assert result.diagnostics["parsed_answer"] == ("1/2", "0.5", "\\frac{1}{2}", "3", "3")


def test_majority_vote_numbers_classes_by_first_appearance(checker: AnswerChecker) -> None:
    label, share, classes = majority_vote(["7", "\\dfrac12", "0.5", "7.0", "1/2", None, "x"], checker)
    assert (label, classes) == ("\\dfrac12", (0, 1, 1, 0, 1, None, 2))
    assert share == pytest.approx(3 / 7)


def test_a_tie_goes_to_the_class_seen_first(reward: SelfConsistency) -> None:
    first = reward.score(groups_of(boxed("3", "1/2", "0.5", "3")))
    second = reward.score(groups_of(boxed("0.5", "3", "3", "1/2")))
    assert first.diagnostics["pseudo_label"][0] == "3" and first.scores == (1.0, 0.0, 0.0, 1.0)
    assert second.diagnostics["pseudo_label"][0] == "0.5" and second.scores == (1.0, 0.0, 0.0, 1.0)


def test_a_sample_without_an_answer_scores_zero_and_counts_in_the_share(reward: SelfConsistency) -> None:
    result = reward.score(groups_of(["\\boxed{7}", "I give up", "\\boxed{7}", "\\boxed{"]))
    assert result.scores == (1.0, 0.0, 1.0, 0.0)
    assert result.diagnostics["vote_share"][0] == pytest.approx(0.5)


def test_a_group_where_nobody_answers_gives_no_signal(reward: SelfConsistency) -> None:
    result = reward.score(groups_of(["no", "idea"], boxed("4", "4")))
    assert result.scores == (None, None, 1.0, 1.0)
    assert result.diagnostics["pseudo_label"] == (None, None, "4", "4")
    assert result.diagnostics["vote_share"][:2] == (0.0, 0.0)


def test_groups_vote_separately_even_when_interleaved(reward: SelfConsistency) -> None:
    batch = RolloutBatch(prompts=("a", "b") * 3, completions=tuple(boxed("1", "2", "1", "3", "5", "3")),
                         group_ids=(0, 1, 0, 1, 0, 1))
    result = reward.score(batch)
    assert result.diagnostics["pseudo_label"] == ("1", "3", "1", "3", "1", "3")
    assert result.scores == (1.0, 0.0, 1.0, 1.0, 0.0, 1.0)


def test_below_min_vote_share_the_group_gives_no_signal() -> None:
    reward = SelfConsistency(workers=0, min_vote_share=0.5)
    weak = boxed("1", "1", "2", "3", "4")  # share 0.4
    strong = boxed("9", "9.0", "8", "9")  # share 0.75
    result = reward.score(groups_of(weak, strong))
    assert result.scores == (None,) * 5 + (1.0, 1.0, 0.0, 1.0)
    assert result.diagnostics["vote_share"][0] == pytest.approx(0.4)  # still reported


def test_a_share_exactly_at_the_threshold_gives_signal() -> None:
    assert SelfConsistency(workers=0, min_vote_share=0.5).score(groups_of(boxed("1", "2"))).scores == (1.0, 0.0)


def test_soft_reward_is_the_vote_share_of_the_sample_answer() -> None:
    reward = SelfConsistency(workers=0, soft=True)
    result = reward.score(groups_of([*boxed("1/2", "0.5", "2", "0.5"), "nothing"]))
    assert result.scores == pytest.approx((0.6, 0.6, 0.2, 0.6, 0.0))


def test_pseudo_label_correct_and_gold_correct_against_the_reference(reward: SelfConsistency) -> None:
    right = groups_of(boxed("\\frac{1}{2}", "0.5", "2"), boxed("5", "5", "6"), boxed("1", "1"),
                      answers=["1/2"] * 3 + ["6"] * 3 + [None] * 2)
    result = reward.score(right)
    assert result.diagnostics["pseudo_label_correct"] == (True,) * 3 + (False,) * 3 + (None,) * 2
    assert result.diagnostics["correct"] == (True, True, False, False, False, True, None, None)
    assert result.scores == (1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0)  # the reward itself never reads the label


def test_every_sample_votes_but_only_the_first_n_train_are_scored() -> None:
    reward = SelfConsistency(workers=0, n_train=2)
    result = reward.score(groups_of(boxed("5", "4", "4", "4", "5"), boxed("1", "1", "2")))
    assert result.diagnostics["pseudo_label"][:5] == ("4",) * 5  # 4 wins 3-2 only because all five vote
    assert result.scores == (0.0, 1.0, None, None, None, 1.0, 1.0, None)
    assert result.diagnostics["parsed_answer"][4] == "5"  # vote-only samples keep their diagnostics


def test_identical_answers_cost_no_verification_and_forms_are_checked_once_per_pair() -> None:
    counting = CountingChecker()
    forms = ["1/2", "0.5", "\\frac{1}{2}", "\\dfrac12", "3", "3.0"]
    answers = [forms[i % len(forms)] for i in range(64)] + ["1 / 2", " 0.5"]
    label, share, classes = majority_vote(answers, counting)
    assert label == "1/2" and share == pytest.approx((4 * 11 + 2) / 66)
    assert len(counting.compared) <= len(forms) * (len(forms) - 1) // 2
    assert sorted(counting.parsed_alone) == sorted(forms)  # each form parsed once before any pair
    assert classes[:6] == (0, 0, 0, 0, 1, 1) and classes[-2:] == (0, 0)


def test_plain_integers_are_compared_without_the_verifier() -> None:
    counting = CountingChecker()
    label, _, classes = majority_vote([str(i) for i in range(40)] + ["007", "7"], counting)
    assert counting.pairs == [] and label == "7" and classes[-2:] == (7, 7)


def test_one_call_votes_many_groups_with_the_same_result_as_one_by_one(checker: AnswerChecker) -> None:
    groups = [["1/2", "0.5", "2"], [None, "x", "x", "y"], [], ["\\frac{3}{4}", "0.75", "3/4"]]
    together = vote_groups(groups, checker.equivalence())
    assert [(v.label, v.share, v.classes) for v in together] == [majority_vote(g, checker) for g in groups]


@pytest.mark.parametrize("fields", [{"min_vote_share": 1.5}, {"min_vote_share": -0.1}, {"n_train": -1},
                                    {"timeout": 0.0}, {"workers": -1}, {"max_forms": -1}])
def test_invalid_settings_are_refused_with_the_field_named(fields: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match=next(iter(fields))):
        build_reward({"type": "self_consistency", **fields})


def test_max_forms_merges_only_the_most_voted_forms() -> None:
    counting = CountingChecker()
    answers = ["0.5", "0.5", "x", "y", "z", "1/2", "\\frac{1}{2}", "w", "\\frac{1}{2}"]
    label, share, classes = majority_vote(answers, counting, max_forms=3)
    # The three most voted forms are 0.5, \frac{1}{2} (two votes each) and x (first of the singletons).
    assert len(counting.compared) == 3
    assert (label, share) == ("0.5", pytest.approx(4 / 9))
    assert classes == (0, 0, 1, 2, 3, 4, 0, 5, 0)  # 1/2 was not merged: it stays its own class
    assert majority_vote(answers, counting)[2] == (0, 0, 1, 2, 3, 0, 0, 4, 0)


def test_a_form_that_does_not_parse_is_parsed_once_and_compared_with_nothing() -> None:
    counting = CountingChecker()
    label, _, classes = majority_vote(["1/2", "\\frac{", "0.5", "x", "\\frac{"], counting)
    assert (label, classes) == ("1/2", (0, 1, 0, 2, 1))
    assert counting.parsed_alone.count("\\frac{") == 1
    assert ("0.5", "1/2") in counting.compared and not any("\\frac{" in pair for pair in counting.compared)


@pytest.mark.slow
def test_a_hostile_group_ends_within_its_limits_and_pairs_past_them_stay_apart() -> None:
    from tests.hostile import _BIG_TOWERS

    answers = [*_BIG_TOWERS[:6], "1/2", "0.5"]  # 1/2 and 0.5 would merge, given the time
    reward = SelfConsistency(workers=1, timeout=0.5, group_timeout=0.2, extraction="qwen")  # reads boxes at once
    try:
        started = time.monotonic()
        result = reward.score(groups_of(boxed(*answers)))
        elapsed = time.monotonic() - started
    finally:
        reward.close()
    # The group's limit, one pair's limit, and the start-up of a replacement worker (generous on a loaded machine).
    assert elapsed < 0.2 + 0.5 + 30.0
    assert result.diagnostics["vote_share"][0] == pytest.approx(1 / 8)  # nothing merged once the limit is spent
    assert result.scores == (1.0,) + (0.0,) * 7


def test_hostile_completions_under_math_verify_state_no_answer_within_their_time_limit() -> None:
    from tests.hostile import _BIG_TOWERS

    reward = SelfConsistency(workers=1, timeout=0.5, group_timeout=0.2)
    try:
        started = time.monotonic()
        result = reward.score(groups_of(boxed(*_BIG_TOWERS[:4], "1/2", "0.5", "0.5", "7")))
        elapsed = time.monotonic() - started
    finally:
        reward.close()
    # Four readings of at most one time limit each, the vote's limit, and replacement workers' start-up.
    assert elapsed < 4 * 0.5 + 0.2 + 30.0
    assert result.diagnostics["parsed_answer"][6:] == ("0.5", "7")
    assert result.diagnostics["pseudo_label"][0] in {"1/2", "0.5"}
