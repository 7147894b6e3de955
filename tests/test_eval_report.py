"""The figures of ``rewardlab eval`` on hand-built samples, where every figure is known exactly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rewardlab.answers import AnswerChecker
from rewardlab.answers.vote import EXACT
from rewardlab.evaluation.report import Samples, abstention_applies, evaluate_samples, problem_keys, report_ks
from rewardlab.metrics import (
    agreement_rate,
    auroc,
    boxed_rate,
    brier_score,
    code_reasoning_rate,
    expected_calibration_error,
    maj_at_k,
    mean_accuracy,
    mean_length,
    mean_pass_at_k,
    proxy_precision_recall,
)
from rewardlab.metrics.truthfulness import truthfulness_rates
from rewardlab.types import RewardResult

# Three problems, four samples each. P1's answers "1/2" and "0.5" are one math-verify class.
PLAIN = [
    ("Write one half.", "1/2", ["\\boxed{1/2}", "\\boxed{0.5}", "\\boxed{3}", "\\boxed{3}"],
     [True, True, False, False]),
    ("What is 3 + 4?", "7", ["\\boxed{7}", "\\boxed{8}", "In python: \\boxed{8}", "the answer is 8"],
     [True, False, False, False]),
    ("What is 2 + 3?", "5", ["\\boxed{4}"] * 4, [False] * 4),
]


def comb_ratio(n: int, c: int, k: int) -> float:
    """pass@k = 1 - C(n-c, k) / C(n, k), written out."""
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def plain_samples(rewards: dict[str, RewardResult] | None = None) -> Samples:
    prompts = [p for p, _, texts, _ in PLAIN for _ in texts]
    texts = [t for _, _, ts, _ in PLAIN for t in ts]
    answers = ["1/2", "0.5", "3", "3", "7", "8", "8", "8", "4", "4", "4", "4"]
    return Samples(problems=problem_keys(prompts), completions=tuple(texts),
                   correct=tuple(c for *_, cs in PLAIN for c in cs), answers=tuple(answers), rewards=rewards or {})


@pytest.fixture(scope="module")
def checker() -> AnswerChecker:
    return AnswerChecker(workers=0)


def test_report_ks_are_the_powers_of_two_up_to_n_and_n() -> None:
    assert report_ks(4) == (1, 2, 4)
    assert report_ks(6) == (1, 2, 4, 6)
    assert report_ks(256)[-1] == 256 and len(report_ks(256)) == 9
    assert report_ks(1) == (1,)


def test_pass_at_k_is_the_unbiased_estimate_averaged_over_problems() -> None:
    figures = evaluate_samples(plain_samples()).values()
    assert figures["accuracy"] == pytest.approx(3 / 12)
    for k in (1, 2, 4):
        expected = (comb_ratio(4, 2, k) + comb_ratio(4, 1, k) + comb_ratio(4, 0, k)) / 3
        assert figures[f"pass@{k}"] == pytest.approx(expected)
    assert "pass@8" not in figures


def test_pass_all_k_is_the_chance_all_k_are_right_averaged_over_problems() -> None:
    figures = evaluate_samples(plain_samples()).values()
    # the problems have 2, 1 and 0 right of 4: pass^1 = (2/4 + 1/4 + 0) / 3; pass^2 = (C(2,2)/C(4,2) + 0 + 0) / 3
    assert figures["pass^1"] == pytest.approx(0.25)
    assert figures["pass^2"] == pytest.approx(1 / 18)
    assert figures["pass^4"] == 0.0


def test_maj_at_k_votes_one_half_and_point_five_together_with_math_verify(checker: AnswerChecker) -> None:
    by_class = evaluate_samples(plain_samples(), equivalence=checker.equivalence()).values()
    by_string = evaluate_samples(plain_samples(), equivalence=EXACT).values()
    # maj@4 of P1: {1/2, 0.5} ties {3, 3} and was seen first, so it wins; by exact strings "3" wins 2 to 1 to 1.
    assert by_class["maj@4"] == pytest.approx(1 / 3)  # P1 right, P2 ("8" wins) and P3 wrong
    assert by_string["maj@4"] == pytest.approx(0.0)
    assert by_class["maj@1"] == pytest.approx(2 / 3) and by_class["maj@2"] == pytest.approx(2 / 3)


def test_behaviour_rates_read_the_texts() -> None:
    samples = plain_samples()
    figures = evaluate_samples(samples).values()
    assert figures["code_reasoning_rate"] == pytest.approx(1 / 12)
    assert figures["boxed_rate"] == pytest.approx(11 / 12)
    assert figures["mean_length"] == pytest.approx(sum(map(len, samples.completions)) / 12)


def test_token_lengths_and_truncation_are_reported_over_the_answerable_samples_that_record_them() -> None:
    from dataclasses import replace

    base = plain_samples()
    tokens = (10, 20, None, 30, *(40,) * 8)
    truncated = (True, False, None, True, *(False,) * 7, True)
    answerable = (*(True,) * 11, False)  # the last sample's problem is unanswerable: left out of these figures
    figures = evaluate_samples(replace(base, tokens=tokens, truncated=truncated, answerable=answerable)).values()
    assert figures["mean_tokens"] == pytest.approx((10 + 20 + 30 + 40 * 7) / 10)
    assert figures["truncation_rate"] == pytest.approx(2 / 10)
    assert not {"mean_tokens", "truncation_rate"} & set(evaluate_samples(base).values())
    with pytest.raises(ValueError, match="tokens"):
        replace(base, tokens=(1, 2))


def test_without_a_confidence_or_abstention_those_sections_are_absent() -> None:
    figures = evaluate_samples(plain_samples()).values()
    for key in ("ece", "brier", "auroc", "abstention_rate", "hallucination_rate", "truthfulness"):
        assert key not in figures


@pytest.mark.slow  # the first ECE imports netcal (seconds)
def test_calibration_and_truthfulness_when_confidences_are_stated_and_a_sample_abstains() -> None:
    # P1: right at 0.9, abstains at 0.2; P2: wrong at 0.8, right at 0.6.
    samples = Samples(problems=("a", "a", "b", "b"), completions=("x",) * 4, correct=(True, False, False, True),
                      answers=("4", "I don't know", "5", "6"), confidence=(0.9, 0.2, 0.8, 0.6),
                      abstained=(False, True, False, False))
    figures = evaluate_samples(samples).values()
    assert figures["brier"] == pytest.approx((0.1**2 + 0.2**2 + 0.8**2 + 0.4**2) / 4)
    assert figures["auroc"] == pytest.approx(3 / 4)  # 0.9 > 0.2, 0.9 > 0.8, 0.6 > 0.2, but 0.6 < 0.8
    assert figures["ece"] == pytest.approx(expected_calibration_error([0.9, 0.2, 0.8, 0.6], [1, 0, 0, 1]))
    assert figures["abstention_rate"] == pytest.approx(1 / 4)
    assert figures["hallucination_rate"] == pytest.approx(1 / 4)
    assert figures["truthfulness"] == pytest.approx(2 / 4 - 1 / 4)


def test_an_answered_unanswerable_problem_is_a_hallucination() -> None:
    samples = Samples(problems=("a", "b"), completions=("x", "y"), correct=(True, None), answers=("4", "7"),
                      abstained=(False, False), answerable=(True, False))
    figures = evaluate_samples(samples).values()
    assert figures["hallucination_rate"] == pytest.approx(1 / 2)
    assert figures["accuracy"] == pytest.approx(1.0)  # the unanswerable label is not scorable for accuracy


def test_abstention_applies_when_invited_marked_or_done() -> None:
    plain = ["What is 2 + 2?"]
    assert not abstention_applies(plain, [False])
    assert abstention_applies(["What is x? If unsure, answer I don't know."], [False])
    assert abstention_applies(plain, [True])
    assert abstention_applies(plain, [False], answerable=[False])


def test_reward_agreement_precision_and_recall_against_gold() -> None:
    # format pays every boxed answer: all but P2's last sample, which is wrong.
    scores = tuple(0.0 if i == 7 else 1.0 for i in range(12))
    figures = evaluate_samples(plain_samples({"format": RewardResult(scores=scores)})).values()
    assert figures["format/mean"] == pytest.approx(11 / 12)
    assert figures["format/precision"] == pytest.approx(3 / 11)  # 3 right among the 11 it pays
    assert figures["format/recall"] == pytest.approx(1.0)  # it pays all 3 right answers
    assert figures["format/agreement"] == pytest.approx((3 + 1) / 12)  # 3 paid and right, 1 unpaid and wrong


@pytest.mark.slow  # the first ECE imports netcal (seconds)
def test_every_figure_equals_its_metric_function(checker: AnswerChecker) -> None:
    scores = (0.9, None, 0.2, 0.7, 0.1, 0.6, 0.4, 0.0, 1.0, 0.3, 0.8, 0.5)
    confidence = (0.9, 0.1, None, 0.5, 0.7, 0.2, 0.3, 0.6, 0.8, 0.4, 0.5, 0.99)
    abstained = (False,) * 11 + (True,)
    base = plain_samples({"r": RewardResult(scores=scores)})
    samples = Samples(problems=base.problems, completions=base.completions, correct=base.correct,
                      answers=base.answers, confidence=confidence, abstained=abstained, rewards=base.rewards)
    report = evaluate_samples(samples, equivalence=checker.equivalence())
    figures = report.values()
    correct, texts = list(samples.correct), list(samples.completions)
    groups = [correct[i:i + 4] for i in range(0, 12, 4)]
    answer_groups = [list(samples.answers[i:i + 4]) for i in range(0, 12, 4)]
    precision, recall = proxy_precision_recall(scores, correct)
    accuracy, _, hallucination = truthfulness_rates(correct, abstained)
    expected = {
        "accuracy": mean_accuracy(correct), "code_reasoning_rate": code_reasoning_rate(texts),
        "boxed_rate": boxed_rate(texts), "mean_length": mean_length(texts),
        "brier": brier_score(confidence, correct), "auroc": auroc(confidence, correct),
        "ece": expected_calibration_error(confidence, correct), "abstention_rate": 1 / 12,
        "hallucination_rate": hallucination, "truthfulness": accuracy - hallucination,
        "r/agreement": agreement_rate(scores, correct), "r/precision": precision, "r/recall": recall,
        **{f"pass@{k}": mean_pass_at_k(groups, k) for k in report.ks},
        **{f"maj@{k}": maj_at_k(answer_groups, groups, k, checker.equivalence()) for k in report.ks},
    }
    for name, value in expected.items():
        assert figures[name] == pytest.approx(value), name
    for figure in report.figures:  # a mean's value is its per-problem sums' ratio, the bootstrap's definition
        if figure.sums is not None:
            assert figure.sums.value == pytest.approx(figure.value, nan_ok=True), figure.name


def test_problems_are_keyed_by_id_when_every_sample_has_one() -> None:
    assert problem_keys(["p", "p"], [7, 7]) == ("id:7", "id:7")
    assert problem_keys(["p", "q"], [7, None]) == ("p", "q")


# --- through a rollouts file, as the command reads it ------------------------------------------------------


def write_plain_file(path: Path) -> Path:
    lines = [{"prompt": prompt, "completion": text, "answer": answer}
             for prompt, answer, texts, _ in PLAIN for text in texts]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def write_rlcr_file(path: Path) -> Path:
    rows = [("Say 4. If unsure, answer I don't know.", "4", "\\boxed{4} <confidence>0.9</confidence>"),
            ("Say 4. If unsure, answer I don't know.", "4", "\\boxed{I don't know} <confidence>0.2</confidence>"),
            ("Say 6. If unsure, answer I don't know.", "6", "\\boxed{5} <confidence>0.8</confidence>"),
            ("Say 6. If unsure, answer I don't know.", "6", "\\boxed{6} <confidence>0.6</confidence>")]
    path.write_text("".join(json.dumps({"prompt": p, "answer": a, "completion": c}) + "\n" for p, a, c in rows))
    return path


@pytest.mark.slow
def test_a_file_is_read_scored_and_reported_as_by_hand(tmp_path: Path) -> None:
    from rewardlab.cli.eval import built_rewards, evaluate_file

    with built_rewards(["format"]) as (gold, rewards):
        plain, _ = evaluate_file(write_plain_file(tmp_path / "plain.jsonl"), gold, rewards)
        rlcr, samples = evaluate_file(write_rlcr_file(tmp_path / "rlcr.jsonl"), gold, [])
    figures = plain.values()
    assert plain.n_samples == 12 and len(plain.problems) == 3
    assert figures["accuracy"] == pytest.approx(3 / 12)
    assert figures["maj@4"] == pytest.approx(1 / 3)  # math-verify classes: "1/2" and "0.5" vote together
    assert figures["format/precision"] == pytest.approx(3 / 11) and figures["format/recall"] == 1.0
    assert "ece" not in figures and "truthfulness" not in figures

    figures = rlcr.values()
    assert samples.confidence == (0.9, 0.2, 0.8, 0.6)  # read from the <confidence> tags
    assert figures["brier"] == pytest.approx((0.1**2 + 0.2**2 + 0.8**2 + 0.4**2) / 4)
    assert figures["auroc"] == pytest.approx(3 / 4)
    assert figures["abstention_rate"] == pytest.approx(1 / 4)
    assert figures["truthfulness"] == pytest.approx(1 / 4)
