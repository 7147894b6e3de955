"""The one majority vote: maj@k, self-consistency and incorrect labels vote the same way."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rewardlab import RolloutBatch
from rewardlab.answers import AnswerChecker
from rewardlab.answers.vote import EXACT, Equivalence, vote_groups
from rewardlab.metrics import maj_at_k, majority_answer
from rewardlab.rewards import SelfConsistency, incorrect_labels


@pytest.fixture(scope="module")
def checker() -> AnswerChecker:
    return AnswerChecker(workers=0)


@pytest.fixture(scope="module")
def consistency() -> SelfConsistency:
    reward = SelfConsistency(workers=0)
    yield reward
    reward.close()


def _pseudo_label(reward: SelfConsistency, answers: list[str]) -> str:
    batch = RolloutBatch(prompts=("q",) * len(answers), completions=tuple(f"\\boxed{{{a}}}" for a in answers),
                         group_ids=(0,) * len(answers))
    return reward.score(batch).diagnostics["pseudo_label"][0]


@pytest.mark.parametrize(("answers", "correct"), [
    (["1/2", "0.5", "0.5", "3"], [True, True, True, False]),  # the class of 1/2 and 0.5 wins 3 to 1
    (["3", "1/2", "0.5"], [False, True, True]),  # exact strings would elect "3" (a three-way tie)
])
def test_maj_at_k_with_the_checkers_equivalence_votes_as_self_consistency(
        answers: list[str], correct: list[bool], checker: AnswerChecker, consistency: SelfConsistency) -> None:
    label = _pseudo_label(consistency, answers)
    assert majority_answer(answers, checker.equivalence()) == label
    assert label in ("1/2", "0.5")
    assert maj_at_k([answers], [correct], len(answers), checker.equivalence()) == 1.0


def test_maj_at_k_by_exact_strings_splits_equivalent_forms() -> None:
    assert maj_at_k([["3", "1/2", "0.5"]], [[False, True, True]], 3) == 0.0
    assert majority_answer(["3", "1/2", "0.5"]) == "3"


def test_incorrect_labels_vote_by_the_same_classes(checker: AnswerChecker) -> None:
    # "1/2" and "0.5" outvote "3" together; their class is right against 1/2, wrong against 7.
    assert incorrect_labels([["3", "1/2", "0.5"], ["3", "1/2", "0.5", ""]], ["1/2", "7"], checker) == [None, "1/2"]


def test_a_custom_equivalence_decides_pairs_of_forms_in_one_call() -> None:
    calls: list[int] = []

    def same(pairs, groups):
        calls.append(len(pairs))
        return [a.lower() == b.lower() for a, b in pairs]

    votes = vote_groups([["A", "a", "b"], ["x", "Y", "y"]], Equivalence(same=same))
    assert [v.label for v in votes] == ["A", "Y"] and votes[1].classes == (0, 1, 1)
    assert calls == [6]  # one call for both groups, three pairs of forms in each
    assert vote_groups([["A", "a"]], EXACT)[0].classes == (0, 1)


def test_the_metrics_import_without_math_verify() -> None:
    code = ("import sys; sys.modules['math_verify'] = None\n"
            "from rewardlab.metrics import maj_at_k\n"
            "assert maj_at_k([['1/2', '0.5', '3', '3']], [[True, True, False, False]], 4) == 0.0")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_held_out_maj_at_k_votes_by_the_gold_checkers_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The trainer's held-out maj@k votes as self_consistency and rewardlab eval do, not by exact strings."""
    from rewardlab import build_reward
    from rewardlab.sampling.backends import hf
    from rewardlab.training import heldout

    completions = {"greedy": ["\\boxed{3}"], "sampled": ["\\boxed{3}", "\\boxed{1/2}", "\\boxed{0.5}"]}
    monkeypatch.setattr(hf, "generate", lambda policy, prompts, settings: [
        hf.Generation(text=t, token_ids=(), ended=True, prompt_tokens=0)
        for t in completions["greedy" if settings.samples == 1 else "sampled"]])

    class Model:
        training = False

        def eval(self) -> None: ...

        def train(self, mode: bool) -> None: ...

    gold = build_reward({"type": "binary", "workers": 0})
    figures = heldout.evaluate_heldout(Model(), None, ["q"], ["\\frac12"], gold, k=3)
    assert figures["maj@3"] == 1.0  # exact strings would elect "3" (a three-way tie): 0.0
