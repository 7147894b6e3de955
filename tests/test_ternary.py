"""The TruthRL ternary reward: abstention phrasings and near-misses, the abstain_value ablation, metrics."""

from __future__ import annotations

import math

import pytest

from rewardlab import ConfigError, RolloutBatch, build_reward
from rewardlab.metrics.truthfulness import hallucination_rate, truthfulness, truthfulness_rates
from rewardlab.rewards import AbstentionMatcher, TernaryReward
from rewardlab.rewards.abstention import normalise_text

REFERENCE = "42"


def batch_of(completions: list[str], answer: str | None = REFERENCE) -> RolloutBatch:
    n = len(completions)
    return RolloutBatch(prompts=("q",) * n, completions=tuple(completions), answers=(answer,) * n)


@pytest.fixture(scope="module")
def reward() -> TernaryReward:
    built = TernaryReward(workers=0)
    yield built
    built.close()


ABSTENTIONS = [
    "I don't know", "I don’t know.", "i dont know", "I DO NOT KNOW!", "Sorry, I don't know the answer.",
    "\\text{I don't know}", "IDK", "idk.", "Unknown", "\\text{unknown}", "It cannot be determined.",
    "The answer can't be determined from the passage", "There is not enough information.",
    "I am not sure", "I’m not sure, sorry", "No idea", "Not sure", "I have no idea", "Uncertain",
    "Insufficient information to answer", "I’m unsure", "don't know",
]
NEAR_MISSES = [
    "I know", "known", "the answer is unknown variable x", "unknowns", "I don't knowingly lie", "I do know: 7",
    "It can be determined: 7", "the idk function", "enough information", "not a clue", "knot", "certain",
    "sure", "Unknown soldier", "7 (I am sure)",
]


@pytest.mark.parametrize("answer", ABSTENTIONS)
def test_abstention_phrasings_score_the_abstain_value(reward: TernaryReward, answer: str) -> None:
    result = reward.score(batch_of([f"Hmm. \\boxed{{{answer}}}"]))
    assert result.scores == (0.0,)
    assert result.diagnostics["abstained"] == (True,)
    assert result.diagnostics["correct"] == (False,)


@pytest.mark.parametrize("answer", NEAR_MISSES)
def test_near_misses_are_answers_not_abstentions(reward: TernaryReward, answer: str) -> None:
    result = reward.score(batch_of([f"\\boxed{{{answer}}}"]))
    assert result.diagnostics["abstained"] == (False,)
    assert result.scores == (-1.0,)


def test_correct_wrong_and_missing_answers(reward: TernaryReward) -> None:
    completions = ["\\boxed{42}", "The answer is 42.", "\\boxed{41}", "I refuse.", "", "\\boxed{42"]
    result = reward.score(batch_of(completions))
    assert result.scores == (1.0, 1.0, -1.0, -1.0, -1.0, -1.0)  # math-verify reads no answer in an unclosed box
    assert result.diagnostics["parsed_answer"] == ("42", "42", "41", None, None, None)
    assert result.diagnostics["abstained"] == (False,) * 6
    qwen = TernaryReward(workers=0, extraction="qwen").score(batch_of(completions))
    assert qwen.scores == (1.0, 1.0, -1.0, -1.0, -1.0, 1.0)  # the qwen chain falls back to the last number


def test_an_unboxed_abstention_is_read_through_the_answer_phrase(reward: TernaryReward) -> None:
    result = reward.score(batch_of(["The answer is: I don't know.", "I don't know."]))
    assert result.scores == (0.0, -1.0)  # the second states no final answer at all


@pytest.mark.parametrize("value", [-0.5, 0.0, 0.5])
def test_the_abstain_value_ablation(value: float) -> None:
    reward = build_reward({"type": "ternary", "workers": 0, "abstain_value": value})
    result = reward.score(batch_of(["\\boxed{42}", "\\boxed{I don't know}", "\\boxed{7}"]))
    assert result.scores == (1.0, value, -1.0)


def test_abstention_lists_are_configurable() -> None:
    reward = TernaryReward(workers=0, abstain_phrases=("pas de réponse",), abstain_answers=("pass",))
    result = reward.score(batch_of(["\\boxed{Pas de réponse, désolé}", "\\boxed{Pass}", "\\boxed{I don't know}"]))
    assert result.diagnostics["abstained"] == (True, True, False)


def test_a_missing_or_unparseable_label_gives_no_signal(reward: TernaryReward) -> None:
    completions = ["\\boxed{42}", "\\boxed{I don't know}", "nothing"]
    assert reward.score(batch_of(completions, answer=None)).scores == (None,) * 3
    assert reward.score(batch_of(completions, answer="\\frac{")).scores == (None,) * 3


def test_normalisation_lowercases_and_drops_punctuation_articles_and_latex() -> None:
    assert normalise_text("  The \\textbf{ANSWER}:  I don’t—know!! ") == "answer i dont know"
    assert normalise_text("a_b an-apple") == "b apple"


def test_the_matcher_pickles_and_compares_by_its_lists() -> None:
    import pickle

    matcher = AbstentionMatcher(("no clue",), ())
    assert pickle.loads(pickle.dumps(matcher)) == matcher and matcher("Honestly, no clue.")


@pytest.mark.parametrize("fields", [{"abstain_value": math.nan}, {"abstain_phrases": ["!!!"]},
                                    {"abstain_answers": "idk"}])
def test_invalid_settings_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        build_reward({"type": "ternary", **fields})


def test_truthfulness_is_accuracy_minus_hallucination() -> None:
    correct = [True, True, False, False, False, None]
    abstained = [False, False, True, False, False, False]
    assert truthfulness_rates(correct, abstained) == pytest.approx((0.4, 0.2, 0.4))
    assert hallucination_rate(correct, abstained) == pytest.approx(0.4)
    assert truthfulness(correct, abstained) == pytest.approx(0.0)
    assert truthfulness(correct, abstained, w_uncertainty=0.5) == pytest.approx(0.1)


def test_abstention_is_decided_before_correctness_and_unknown_samples_are_left_out() -> None:
    assert truthfulness_rates([True], [True]) == (0.0, 1.0, 0.0)
    assert all(math.isnan(x) for x in truthfulness_rates([None], [True]))
    assert math.isnan(truthfulness([], []))
    with pytest.raises(ValueError, match="same length"):
        truthfulness([True], [])


def test_reward_diagnostics_feed_the_truthfulness_metric(reward: TernaryReward) -> None:
    result = reward.score(batch_of(["\\boxed{42}", "\\boxed{idk}", "\\boxed{7}", "\\boxed{42}"]))
    d = result.diagnostics
    assert truthfulness(d["correct"], d["abstained"]) == pytest.approx(0.5 - 0.25)
