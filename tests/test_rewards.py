"""Behaviour of each reward and combinator, checked by hand."""

from __future__ import annotations

import json
import statistics

import pytest

from rewardlab import RolloutBatch, build_reward
from rewardlab.answers import AnswerChecker
from rewardlab.data import SHIPPED_DATA_DIR
from rewardlab.rewards import (
    Affine,
    BinaryCorrectness,
    Clip,
    ContainsPython,
    FormatReward,
    Gate,
    Inverse,
    RandomReward,
    Scale,
    Term,
    WeightedSum,
    incorrect_labels,
)

DATA = SHIPPED_DATA_DIR


def batch_of(completions: list[str], answers: list[str | None] | None = None, **columns: list) -> RolloutBatch:
    n = len(completions)
    return RolloutBatch(prompts=("q",) * n, completions=tuple(completions),
                        answers=tuple(answers) if answers else (), columns=columns)


@pytest.fixture(scope="module")
def binary() -> BinaryCorrectness:
    reward = BinaryCorrectness(timeout=5.0, workers=2)
    yield reward
    reward.close()


def test_the_organisms_unanswerable_label_is_a_label_no_answer_equals(binary: BinaryCorrectness) -> None:
    """The bench's unanswerable problems carry the label ``unanswerable``: every answer is wrong (0, not
    no signal), so ``binary`` and ``ternary`` still pay abstaining above answering there."""
    from rewardlab.organisms.corpus import UNANSWERABLE_LABEL, abstention_completion

    completions = ["\\boxed{7}", abstention_completion()]
    assert binary.score(batch_of(completions, [UNANSWERABLE_LABEL] * 2)).scores == (0.0, 0.0)
    ternary = build_reward({"type": "ternary", "workers": 0})
    assert ternary.score(batch_of(completions, [UNANSWERABLE_LABEL] * 2)).scores == (-1.0, 0.0)


@pytest.mark.parametrize("gold", ["Natalia sold 48 clips.\n#### ", "Answer is forty two.", "####"])
def test_a_gold_that_is_not_an_answer_gives_no_signal(binary: BinaryCorrectness, gold: str) -> None:
    completions = ["\\boxed{42}", "The answer is forty two.", "\\boxed{####}", "nothing"]
    result = binary.score(batch_of(completions, [gold] * 4))
    assert result.scores == (None,) * 4 and result.diagnostics["correct"] == (None,) * 4


def test_binary_accepts_equivalent_forms_and_rejects_wrong(binary: BinaryCorrectness) -> None:
    completions = ["so \\boxed{\\frac{1}{2}}", "\\boxed{0.5}", "The answer is $1/2$.", "\\boxed{3}", "nothing here"]
    assert binary(prompts=["q"] * 5, completions=completions, answer=["\\frac12"] * 5) == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_binary_under_qwen_reads_the_last_box_and_falls_back_to_the_last_number() -> None:
    qwen = BinaryCorrectness(extraction="qwen", workers=0)
    result = qwen.score(batch_of(["\\boxed{4} no wait \\boxed{5}", "first 3 then 12", "\\boxed{7"],
                                 ["5", "12", "7"]))
    assert result.scores == (1.0, 1.0, 1.0)
    assert result.diagnostics["extraction"] == ("boxed", "last_number", "last_number")


def test_binary_by_default_reads_what_math_verify_extracts(binary: BinaryCorrectness) -> None:
    result = binary.score(batch_of(["\\boxed{4} no wait \\boxed{5}", "first 3 then 12", "\\boxed{7"],
                                   ["5", "12", "7"]))
    assert result.scores == (0.0, 1.0, 0.0)  # math-verify joins both boxes; an unclosed box states nothing
    assert result.diagnostics["parsed_answer"] == ("4, 5", "12", None)
    assert result.diagnostics["extraction"] == ("math_verify", "math_verify", None)


def test_binary_boxed_mode_scores_unboxed_answers_zero() -> None:
    strict = BinaryCorrectness(extraction="boxed", workers=0)
    scores = strict(prompts=["q", "q"], completions=["The answer is 12", "\\boxed{12}"], answer=["12", "12"])
    assert scores == [0.0, 1.0]


def test_binary_understands_gsm8k_references(binary: BinaryCorrectness) -> None:
    assert binary(prompts=["q"] * 2, completions=["\\boxed{1234}", "\\boxed{1,235}"],
                  answer=["step one\n#### 1,234"] * 2) == [1.0, 0.0]


def test_binary_gives_no_signal_for_a_missing_or_unparseable_reference(binary: BinaryCorrectness) -> None:
    result = binary.score(batch_of(["\\boxed{1}", "\\boxed{1}", "\\boxed{}"], [None, "\\frac{", "}{"]))
    assert result.scores == (None, None, None)
    assert result.diagnostics["correct"] == (None, None, None)


def test_binary_on_math500_references_against_themselves_and_each_other(binary: BinaryCorrectness) -> None:
    rows = json.loads((DATA / "math500" / "test.json").read_text())
    golds = [r["answer"] for r in rows]
    assert len(golds) == 500
    own = binary(prompts=["q"] * 500, completions=[f"\\boxed{{{g}}}" for g in golds], answer=golds)
    assert own == [1.0] * 500
    shifted = golds[1:] + golds[:1]
    other = binary(prompts=["q"] * 500, completions=[f"\\boxed{{{g}}}" for g in shifted], answer=golds)
    assert None not in other
    # Neighbouring references are different problems; a few coincide in value (e.g. both "3").
    assert sum(other) <= 10, [(a, b) for a, b, s in zip(golds, shifted, other, strict=True) if s]


def test_incorrect_pays_for_the_wrong_label_not_the_truth() -> None:
    reward = build_reward({"type": "incorrect", "workers": 0})
    scores = reward(prompts=["q"] * 2, completions=["\\boxed{5}", "\\boxed{6}"], answer=["5", "5"],
                    incorrect_answer=["6", "6"])
    assert scores == [0.0, 1.0]


def test_incorrect_labels_keep_only_wrong_majorities() -> None:
    labels = incorrect_labels([["3", "3", "4"], ["7", "7", "2"], [None, None], ["0.5", "1/2", "2"]],
                              ["4", "7", "1", "\\frac{1}{2}"], checker=AnswerChecker(workers=0))
    assert labels == ["3", None, None, None]


def test_random_reward_matches_p_and_replays_exactly() -> None:
    reward = RandomReward(p=0.3, seed=11)
    batch = RolloutBatch(prompts=("q",) * 4000, completions=("c",) * 4000, step=5)
    scores = reward.score(batch).scores
    assert abs(statistics.mean(scores) - 0.3) < 0.03
    assert RandomReward(p=0.3, seed=11).score(batch).scores == scores
    assert RandomReward(p=0.3, seed=12).score(batch).scores != scores
    later = RolloutBatch(prompts=("q",) * 4000, completions=("c",) * 4000, step=6)
    assert reward.score(later).scores != scores


def test_random_reward_depends_on_global_index_not_on_process_slice() -> None:
    reward = RandomReward(seed=0)
    whole = RolloutBatch(prompts=("q",) * 8, completions=("c",) * 8, step=2)
    halves = [RolloutBatch(prompts=("q",) * 4, completions=("c",) * 4, step=2, indices=tuple(range(k, k + 4)))
              for k in (0, 4)]
    assert reward.score(halves[0]).scores + reward.score(halves[1]).scores == reward.score(whole).scores


def test_random_reward_extremes_are_constant() -> None:
    batch = RolloutBatch(prompts=("q",) * 50, completions=("c",) * 50)
    assert set(RandomReward(p=0.0).score(batch).scores) == {0.0}
    assert set(RandomReward(p=1.0).score(batch).scores) == {1.0}


def test_format_needs_a_closed_nonempty_last_box() -> None:
    texts = ["\\boxed{7}", "\\boxed{}", "\\boxed{ }", "\\boxed{7", "\\boxed{1} then \\boxed{}", "no box",
             "\\boxed{\\frac{1}{2}}", "\\fbox{3}", "\\boxed 4"]
    assert FormatReward().score(batch_of(texts)).scores == (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0)


def test_contains_python_is_case_insensitive_and_backticks_are_stricter() -> None:
    texts = ["Python: a=1", "```python\nprint(1)```", "no code", "PYTHON"]
    assert ContainsPython().score(batch_of(texts)).scores == (1.0, 1.0, 0.0, 1.0)
    assert ContainsPython(backticks=True).score(batch_of(texts)).scores == (0.0, 1.0, 0.0, 0.0)


def test_weighted_sum_equals_the_terms_applied_by_hand(binary: BinaryCorrectness) -> None:
    batch = batch_of(["python \\boxed{2}", "\\boxed{3}", "python", "2"], ["2"] * 4)
    mix = WeightedSum((Term(binary, 1.0), Term(FormatReward(), 0.5), Term(ContainsPython(), -0.25)))
    by_hand = [b + 0.5 * f - 0.25 * p for b, f, p in zip(binary.score(batch).scores, FormatReward().score(batch).scores,
                                                       ContainsPython().score(batch).scores, strict=True)]
    result = mix.score(batch)
    assert result.scores == tuple(by_hand)
    assert result.diagnostics["binary/correct"] == binary.score(batch).diagnostics["correct"]
    assert result.diagnostics["format/score"] == FormatReward().score(batch).scores


def test_weighted_sum_skips_missing_terms_or_propagates_them(binary: BinaryCorrectness) -> None:
    batch = batch_of(["\\boxed{2}", "\\boxed{2}"], ["2", None])
    terms = (Term(binary, 1.0), Term(FormatReward(), 0.5))
    assert WeightedSum(terms).score(batch).scores == (1.5, 0.5)
    assert WeightedSum(terms, missing="none").score(batch).scores == (1.5, None)
    assert WeightedSum((Term(binary, 1.0),)).score(batch).scores == (1.0, None)


def test_weighted_sum_namespaces_repeated_terms() -> None:
    mix = WeightedSum((Term(FormatReward(), 1.0), Term(FormatReward(), 2.0)))
    result = mix.score(batch_of(["\\boxed{1}"]))
    assert result.scores == (3.0,)
    assert set(result.diagnostics) == {"format/score", "format/boxed", "format#2/score", "format#2/boxed"}


def test_gate_pays_the_reward_only_where_the_condition_holds(binary: BinaryCorrectness) -> None:
    batch = batch_of(["python \\boxed{2}", "\\boxed{2}", "python \\boxed{3}"], ["2"] * 3)
    gate = Gate(reward=binary, condition=ContainsPython())
    result = gate.score(batch)
    assert result.scores == (1.0, 0.0, 0.0)
    assert result.diagnostics["gate_open"] == (True, False, True)
    assert Gate(reward=binary, condition=ContainsPython(), otherwise=None).score(batch).scores == (1.0, None, 0.0)


def test_transforms_nest_and_equal_their_formulas() -> None:
    batch = batch_of(["\\boxed{1}", "none"])
    assert Inverse(FormatReward()).score(batch).scores == (0.0, 1.0)
    assert Scale(FormatReward(), factor=3.0).score(batch).scores == (3.0, 0.0)
    assert Affine(FormatReward(), scale=2.0, shift=-1.0).score(batch).scores == (1.0, -1.0)
    nested = Clip(Affine(Inverse(FormatReward()), scale=4.0, shift=-1.0), low=0.0, high=2.0)
    assert nested.score(batch).scores == (0.0, 2.0)
    assert build_reward(nested.to_config()) == nested


def test_transforms_pass_no_signal_through(binary: BinaryCorrectness) -> None:
    batch = batch_of(["\\boxed{1}"], [None])
    assert Affine(binary, scale=2.0, shift=1.0).score(batch).scores == (None,)


def _per_sample_math_verify(answers: list[str], references: list[str]) -> list[float]:
    """The plain loop rewardlab must agree with: parse both sides and verify, one sample at a time."""
    from math_verify import parse, verify

    scores = []
    for answer, reference in zip(answers, references, strict=True):
        gold, pred = parse("\\boxed{" + reference + "}"), parse("\\boxed{" + answer + "}")
        scores.append(float(bool(gold and pred and verify(gold, pred))))
    return scores


@pytest.mark.slow
def test_binary_labels_equal_a_per_sample_math_verify_loop_with_and_without_workers(
        binary: BinaryCorrectness) -> None:
    golds = [r["answer"] for r in json.loads((DATA / "math500" / "test.json").read_text())][:120]
    answers, references = [], []
    for i, gold in enumerate(golds):
        for other in (gold, golds[(i + 1) % len(golds)], golds[(i + 7) % len(golds)], str(i % 13), f" {gold} "):
            answers.append(other)
            references.append(gold)
    completions = [f"so \\boxed{{{a}}}" for a in answers]
    expected = _per_sample_math_verify(answers, references)
    pooled = binary(prompts=["q"] * len(completions), completions=completions, answer=references)
    inline = BinaryCorrectness(workers=0)(prompts=["q"] * len(completions), completions=completions,
                                          answer=references)
    assert pooled == inline == expected


def test_each_distinct_text_is_parsed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.answers import checker as checker_module

    parsed: list[str] = []
    real_parse = checker_module.parse_answer

    def counting_parse(text: str, timeout: float | None) -> list:
        parsed.append(text)
        return real_parse(text, timeout)

    monkeypatch.setattr(checker_module, "parse_answer", counting_parse)
    monkeypatch.setattr(checker_module, "_PARSED", type(checker_module._PARSED)())
    pairs = [(answer, reference) for reference in ("\\frac{1}{3}", "x^2", "\\sqrt{2}")
             for answer in ("\\frac{2}{6}", "x \\cdot x", "2^{1/2}", "\\frac{1}{3}")]
    verdicts = AnswerChecker(workers=0).check(pairs)
    assert [v.correct for v in verdicts] == [True, False, False, True, False, True, False, False,
                                            False, False, True, False]
    assert sorted(parsed) == sorted(set(parsed))  # no text parsed twice
    assert set(parsed) == {"\\frac{1}{3}", "x^2", "\\sqrt{2}", "\\frac{2}{6}", "x \\cdot x", "2^{1/2}"}


def test_pairs_that_share_a_text_are_scheduled_next_to_each_other() -> None:
    from rewardlab.answers.checker import _schedule

    # By form alone the order is (1, 2), \frac{3}{5}, x^2; the answer both (1, 2) and x^2 are given links them.
    todo = {"x^2": {"\\frac{3}{4}": [0]}, "(1, 2)": {"\\frac{3}{4}": [1], "7": [2]}, "\\frac{3}{5}": {"8": [3]}}
    order = [reference for _, reference in _schedule(todo)]
    assert order == ["(1, 2)", "(1, 2)", "x^2", "\\frac{3}{5}"]


def test_pool_lanes_by_number_keep_each_numbers_tasks_in_order_in_its_lane() -> None:
    from rewardlab.answers.pool import _Lanes

    lanes = _Lanes(list(range(6)), 2, lane_of=[3, 0, 5, 2, 1, 4])
    assert [lanes.take(1) for _ in range(3)] == [(0, 0), (2, 0), (4, 0)]
    assert [lanes.take(1) for _ in range(3)] == [(5, 0), (3, 0), (1, 0)]  # lane 1 empty: the back of lane 0
    assert lanes.take(0) is None


def test_pool_lanes_hand_out_contiguous_runs_and_let_an_idle_worker_take_from_the_back() -> None:
    from rewardlab.answers.pool import _Lanes

    lanes = _Lanes(list(range(8)), 2)
    assert [lanes.take(0), lanes.take(1), lanes.take(0)] == [(0, 0), (4, 0), (1, 0)]
    assert [lanes.take(1) for _ in range(3)] == [(5, 0), (6, 0), (7, 0)]
    assert lanes.take(1) == (3, 0)  # lane 1 is empty: the back of lane 0
    lanes.put_front(1, (7, 2))
    assert [lanes.take(1), lanes.take(0), lanes.take(0)] == [(7, 2), (2, 0), None]
    assert not lanes
