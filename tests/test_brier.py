"""The RLCR Brier reward: values against a hand table, malformed confidences, tags and fallbacks."""

from __future__ import annotations

import pytest

from rewardlab import ConfigError, RolloutBatch, build_reward
from rewardlab.rewards import BrierReward
from rewardlab.rewards.calibration import brier_reward, last_tag, parse_confidence

REFERENCE = "\\frac{1}{2}"


def tagged(answer: str, confidence: str) -> str:
    return f"<think>hmm</think> <answer>{answer}</answer> <analysis>ok</analysis> <confidence>{confidence}</confidence>"


def batch_of(completions: list[str], answer: str | None = REFERENCE) -> RolloutBatch:
    n = len(completions)
    return RolloutBatch(prompts=("q",) * n, completions=tuple(completions), answers=(answer,) * n)


@pytest.fixture(scope="module")
def paper() -> BrierReward:
    reward = BrierReward(workers=0)
    yield reward
    reward.close()


# (stated answer, q, correct, paper: c - (q - c)^2, code: 0.5 + 0.5 c + 0.5 (1 - (c - q)^2))
HAND_TABLE = [
    ("0.5", "1", True, 1.0, 1.5),
    ("1/2", "0.8", True, 0.96, 1.48),
    ("\\frac{1}{2}", "0.5", True, 0.75, 1.375),
    ("0.5", "0", True, 0.0, 1.0),
    ("3", "0", False, 0.0, 1.0),
    ("3", "0.3", False, -0.09, 0.955),
    ("3", ".5", False, -0.25, 0.875),
    ("3", "1.0", False, -1.0, 0.5),
]


@pytest.mark.parametrize("weighting", ["paper", "code"])
def test_scores_match_the_hand_table(weighting: str) -> None:
    reward = BrierReward(workers=0, weighting=weighting)  # type: ignore[arg-type]
    result = reward.score(batch_of([tagged(a, q) for a, q, *_ in HAND_TABLE]))
    expected = [row[3] if weighting == "paper" else row[4] for row in HAND_TABLE]
    assert result.scores == pytest.approx(expected)
    assert result.diagnostics["correct"] == tuple(row[2] for row in HAND_TABLE)
    assert result.diagnostics["confidence"] == pytest.approx([float(q) for _, q, *_ in HAND_TABLE])
    assert all(result.diagnostics["format_ok"])


def test_brier_reward_function_matches_the_formulas() -> None:
    assert brier_reward(True, 0.8) == pytest.approx(1 - 0.2**2)
    assert brier_reward(False, 0.8) == pytest.approx(-(0.8**2))
    assert brier_reward(False, 0.8, "code") == pytest.approx(0.5 + 0.5 * (1 - 0.8**2))


MALFORMED = ["0.8.1", "80%", "high", "-0.2", "1.5", "", "nan", "inf", "1_0", "0,8", "0.8 or 0.9", "$0.8$",
             "1e5", "8 0", "٠.٨"]


@pytest.mark.parametrize("confidence", MALFORMED)
def test_a_malformed_confidence_is_a_format_failure(paper: BrierReward, confidence: str) -> None:
    result = paper.score(batch_of([tagged("0.5", confidence)]))
    assert result.scores == (-1.0,)
    assert result.diagnostics["confidence"] == (None,)
    assert result.diagnostics["format_ok"] == (False,)
    assert result.diagnostics["correct"] == (True,)  # the answer itself is still checked and reported


@pytest.mark.parametrize("completion", ["<answer>0.5</answer> I am fairly sure.",
                                        "<answer>0.5</answer><confidence>0.9",
                                        "<confidence>0.9</confidence>",
                                        "<answer></answer><confidence>0.9</confidence>",
                                        "the answer is 0.5 <confidence>0.9</confidence>"])
def test_a_missing_confidence_or_answer_is_a_format_failure(paper: BrierReward, completion: str) -> None:
    result = paper.score(batch_of([completion]))
    assert result.scores == (-1.0,) and result.diagnostics["format_ok"] == (False,)


def test_format_failure_scores_zero_under_code_weighting_and_the_penalty_can_be_set() -> None:
    bad = batch_of([tagged("0.5", "high"), "no tags at all"])
    assert BrierReward(workers=0, weighting="code").score(bad).scores == (0.0, 0.0)
    assert BrierReward(workers=0, format_penalty=-2.0).score(bad).scores == (-2.0, -2.0)
    assert BrierReward(workers=0, weighting="code", format_penalty=-0.5).score(bad).scores == (-0.5, -0.5)


def test_percent_is_refused_unless_accept_percent() -> None:
    completions = [tagged("0.5", "80%"), tagged("0.5", "80 %"), tagged("3", "150%"), tagged("3", "-5%")]
    strict = BrierReward(workers=0).score(batch_of(completions))
    lenient = BrierReward(workers=0, accept_percent=True).score(batch_of(completions))
    assert strict.diagnostics["confidence"] == (None,) * 4
    assert lenient.diagnostics["confidence"] == (pytest.approx(0.8), pytest.approx(0.8), None, None)
    assert lenient.scores == pytest.approx((0.96, 0.96, -1.0, -1.0))


@pytest.mark.parametrize(("text", "expected"), [("0.8", 0.8), (" 1 ", 1.0), ("0", 0.0), (".25", 0.25),
                                                ("1.", 1.0), ("8e-1", 0.8), ("+0.5", 0.5), ("-0", 0.0),
                                                ("1.0000001", None), ("x" * 1000, None), (None, None)])
def test_parse_confidence(text: str | None, expected: float | None) -> None:
    assert parse_confidence(text) == (expected if expected is None else pytest.approx(expected))


def test_the_last_confidence_and_the_last_answer_count(paper: BrierReward) -> None:
    completion = ("<answer>3</answer><confidence>0.1</confidence> wait, <answer>0.5</answer> "
                  "<confidence>0.9</confidence> <confidence>0.7")
    result = paper.score(batch_of([completion]))
    assert result.diagnostics["parsed_answer"] == ("0.5",)
    assert result.diagnostics["confidence"] == (pytest.approx(0.9),)
    assert result.scores == pytest.approx((1 - 0.1**2,))


def test_a_boxed_answer_inside_the_tag_is_unboxed(paper: BrierReward) -> None:
    result = paper.score(batch_of([tagged("so \\boxed{\\dfrac12}", "1")]))
    assert result.diagnostics["parsed_answer"] == ("\\dfrac12",) and result.scores == (1.0,)


def test_fallback_reads_an_untagged_answer_by_the_usual_extraction() -> None:
    completion = "It is \\boxed{0.5}. <confidence>0.6</confidence>"
    assert BrierReward(workers=0).score(batch_of([completion])).scores == (-1.0,)
    result = BrierReward(workers=0, fallback=True).score(batch_of([completion]))
    assert result.diagnostics["parsed_answer"] == ("0.5",) and result.scores == pytest.approx((1 - 0.4**2,))


def test_tag_names_are_configurable() -> None:
    reward = build_reward({"type": "brier", "workers": 0, "answer_tag": "final", "confidence_tag": "p"})
    result = reward.score(batch_of(["<final>1/2</final><p>0.5</p>", tagged("0.5", "0.5")]))
    assert result.scores == (0.75, -1.0)


def test_a_missing_or_unparseable_label_gives_no_signal(paper: BrierReward) -> None:
    completions = [tagged("0.5", "0.9"), "garbage"]
    assert paper.score(batch_of(completions, answer=None)).scores == (None, None)
    assert paper.score(batch_of(completions, answer="\\frac{")).scores == (None, None)


def test_last_tag_is_linear_and_safe_on_hostile_text() -> None:
    assert last_tag("<a>" * 100_000 + "x</a>", "a") == "x"
    assert last_tag("</a>" * 100_000, "a") is None
    assert last_tag("<a>1</a><a>2", "a") == "1"


@pytest.mark.parametrize("fields", [{"answer_tag": "<answer>"}, {"confidence_tag": ""},
                                    {"answer_tag": "x", "confidence_tag": "x"}, {"weighting": "papr"},
                                    {"timeout": -1.0}])
def test_invalid_settings_are_refused(fields: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        build_reward({"type": "brier", **fields})
