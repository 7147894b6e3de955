"""Accumulating evaluators: same results chunked or whole, reset, validation, and agreement with the metrics."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from rewardlab.evaluation import (
    AccuracyEvaluator,
    BehaviourEvaluator,
    CalibrationEvaluator,
    DriftEvaluator,
    Evaluator,
    ProxyEvaluator,
    TruthfulnessEvaluator,
)
from rewardlab.metrics import expected_calibration_error, mean_pass_at_k
from rewardlab.metrics.truthfulness import truthfulness_rates

GROUPS, GROUP_SIZE = 12, 8


def assert_same_metrics(got: dict[str, float], expected: dict[str, float]) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, nan_ok=True, abs=1e-12), key


def accuracy_data(seed: int) -> dict[str, list[Any]]:
    """GROUPS prompt groups of GROUP_SIZE samples; a few unscorable samples and missing answers."""
    rng = np.random.default_rng(seed)
    skill = rng.random(GROUPS)
    correct: list[bool | None] = []
    answers: list[str | None] = []
    group_ids: list[str] = []
    for g in range(GROUPS):
        for _ in range(GROUP_SIZE):
            right = bool(rng.random() < skill[g])
            answers.append(None if rng.random() < 0.1 else ("42" if right else str(rng.integers(0, 3))))
            correct.append(None if rng.random() < 0.05 else right)
            group_ids.append(f"prompt-{g}")
    return {"correct": correct, "group_ids": group_ids, "answers": answers}


def calibration_data(seed: int) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    confidence: list[float | None] = list(rng.random(GROUPS * GROUP_SIZE))
    correct: list[bool | None] = [bool(rng.random() < q**2) for q in confidence]
    confidence[3], correct[7] = None, None
    return {"confidence": confidence, "correct": correct}


def drift_data(seed: int) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    gold: list[bool | None] = list(rng.random(GROUPS * GROUP_SIZE) < 0.5)
    proxy: list[float | None] = [float(g) if rng.random() < 0.8 else float(rng.random()) for g in gold]
    label: list[bool | None] = list(rng.random(GROUPS * GROUP_SIZE) < 0.7)
    proxy[0], gold[1], label[2] = None, None, None
    return {"proxy": proxy, "gold": gold, "pseudo_label_correct": label}


def behaviour_data(seed: int) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    pieces = ["Let me use Python: ", "We compute ", "so the answer is \\boxed{7}", "\\boxed{", "x = 2. "]
    completions: list[str | None] = ["".join(rng.choice(pieces, size=int(rng.integers(1, 5))))
                                     for _ in range(GROUPS * GROUP_SIZE)]
    abstained: list[bool | None] = list(rng.random(GROUPS * GROUP_SIZE) < 0.2)
    completions[5], abstained[6] = None, None
    return {"completions": completions, "abstained": abstained}


def truthfulness_data(seed: int) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    correct: list[bool | None] = list(rng.random(GROUPS * GROUP_SIZE) < 0.5)
    abstained: list[bool | None] = list(rng.random(GROUPS * GROUP_SIZE) < 0.3)
    correct[4], abstained[9] = None, None
    return {"correct": correct, "abstained": abstained}


def proxy_data(seed: int) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    return {"scores": [None if rng.random() < 0.2 else float(rng.normal()) for _ in range(GROUPS * GROUP_SIZE)]}


CASES: dict[str, tuple[Callable[[], Evaluator], Callable[[int], dict[str, list[Any]]]]] = {
    "accuracy": (lambda: AccuracyEvaluator(ks=(1, 4, 8)), accuracy_data),
    "calibration": (lambda: CalibrationEvaluator(n_bins=10), calibration_data),
    "drift": (lambda: DriftEvaluator(threshold=0.5), drift_data),
    "behaviour": (BehaviourEvaluator, behaviour_data),
    "truthfulness": (TruthfulnessEvaluator, truthfulness_data),
    "proxy": (ProxyEvaluator, proxy_data),
}


def chunks(data: dict[str, list[Any]], boundaries: list[int]) -> list[dict[str, list[Any]]]:
    edges = [0, *boundaries, len(next(iter(data.values())))]
    return [{k: v[a:b] for k, v in data.items()} for a, b in pairwise(edges)]


@pytest.mark.parametrize("name", list(CASES))
def test_chunked_updates_equal_one_update(name: str) -> None:
    make, data_of = CASES[name]
    data = data_of(7)
    whole = make()
    whole.update(**data)
    chunked = make()
    # Split at group boundaries (multiples of GROUP_SIZE), in uneven pieces.
    for piece in chunks(data, [GROUP_SIZE, 4 * GROUP_SIZE, 5 * GROUP_SIZE, 9 * GROUP_SIZE]):
        chunked.update(**piece)
    expected = whole.compute()
    assert all(isinstance(v, float) for v in expected.values())
    assert any(not math.isnan(v) for v in expected.values())
    assert_same_metrics(chunked.compute(), expected)


@pytest.mark.parametrize("name", list(CASES))
def test_reset_clears_state(name: str) -> None:
    make, data_of = CASES[name]
    evaluator = make()
    evaluator.update(**data_of(8))
    evaluator.reset()
    evaluator.update(**data_of(9))
    fresh = make()
    fresh.update(**data_of(9))
    assert_same_metrics(evaluator.compute(), fresh.compute())


@pytest.mark.parametrize("name", [name for name in CASES if name != "proxy"])  # proxy takes one sequence
def test_length_mismatch_raises_value_error(name: str) -> None:
    make, data_of = CASES[name]
    data = data_of(10)
    evaluator = make()
    last = list(data)[-1]
    data[last] = data[last][:-1]
    with pytest.raises(ValueError, match="same length"):
        evaluator.update(**data)


def test_evaluator_is_abstract() -> None:
    with pytest.raises(TypeError):
        Evaluator()  # type: ignore[abstract]


# ---------------------------------------------------------------- accuracy


def test_accuracy_evaluator_matches_the_pure_functions() -> None:
    data = accuracy_data(11)
    evaluator = AccuracyEvaluator(ks=(1, 4))
    evaluator.update(**data)
    result = evaluator.compute()
    per_group = [data["correct"][g * GROUP_SIZE:(g + 1) * GROUP_SIZE] for g in range(GROUPS)]
    known = [c for c in data["correct"] if c is not None]
    assert set(result) == {"accuracy", "pass@1", "pass@4", "maj@1", "maj@4"}
    assert result["accuracy"] == pytest.approx(sum(known) / len(known))
    assert result["pass@1"] == pytest.approx(mean_pass_at_k(per_group, 1))
    assert result["pass@4"] == pytest.approx(mean_pass_at_k(per_group, 4))
    assert result["pass@4"] >= result["pass@1"]


def test_accuracy_evaluator_by_hand() -> None:
    evaluator = AccuracyEvaluator(ks=(1, 2, 3))
    evaluator.update(correct=[True, False, False, True], group_ids=["a", "b", "a", "b"],
                     answers=["1", "2", "3", "1"])
    result = evaluator.compute()
    # group a: [T, F], answers [1, 3]; group b: [F, T], answers [2, 1]; no group has 3 samples.
    assert result == {"accuracy": 0.5, "pass@1": 0.5, "pass@2": 1.0, "maj@1": 0.5, "maj@2": 0.5}


def test_accuracy_evaluator_omits_k_no_group_reaches_and_maj_without_answers() -> None:
    evaluator = AccuracyEvaluator(ks=(1, 16))
    evaluator.update(correct=[True, False, True], group_ids=[0, 0, 1])
    assert set(evaluator.compute()) == {"accuracy", "pass@1"}


def test_accuracy_evaluator_rejects_a_group_split_across_updates() -> None:
    evaluator = AccuracyEvaluator()
    evaluator.update(correct=[True, False], group_ids=["p", "p"])
    with pytest.raises(ValueError, match="'p' were already seen in an earlier update"):
        evaluator.update(correct=[True], group_ids=["p"])
    assert evaluator.compute()["accuracy"] == 0.5  # the rejected batch left no trace


def test_accuracy_evaluator_rejects_answers_in_only_some_updates() -> None:
    evaluator = AccuracyEvaluator()
    evaluator.update(correct=[True], group_ids=[1], answers=["4"])
    with pytest.raises(ValueError, match="answers must be given in every update or in none"):
        evaluator.update(correct=[True], group_ids=[2])


@pytest.mark.parametrize("ks", [(0,), (2, -1), (1.5,)])
def test_accuracy_evaluator_rejects_bad_ks(ks: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        AccuracyEvaluator(ks=ks)


def test_empty_accuracy_evaluator_gives_nan_accuracy_only() -> None:
    result = AccuracyEvaluator().compute()
    assert list(result) == ["accuracy"] and math.isnan(result["accuracy"])


# ---------------------------------------------------------------- calibration


def test_calibration_evaluator_reports_ece_brier_auroc_and_counts_complete_pairs() -> None:
    data = calibration_data(12)
    evaluator = CalibrationEvaluator()
    evaluator.update(**data)
    result = evaluator.compute()
    assert set(result) == {"ece", "brier", "auroc"}
    assert evaluator.n == GROUPS * GROUP_SIZE - 2
    assert result["ece"] == pytest.approx(expected_calibration_error(data["confidence"], data["correct"]))
    assert 0.5 < result["auroc"] <= 1.0  # correctness was drawn with probability q²
    assert 0.0 < result["brier"] < 1.0


def test_calibration_evaluator_plot_writes_png(tmp_path) -> None:
    evaluator = CalibrationEvaluator(n_bins=5)
    evaluator.update(**calibration_data(13))
    path = evaluator.plot(tmp_path / "reliability.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------- drift


def test_drift_evaluator_by_hand() -> None:
    evaluator = DriftEvaluator()
    evaluator.update(proxy=[1.0, 1.0, 0.0, 0.0], gold=[True, False, False, True],
                     pseudo_label_correct=[True, None, False, True])
    result = evaluator.compute()
    assert result == {"agreement": 0.5, "correlation": 0.0, "precision": 0.5, "recall": 0.5,
                      "gold_accuracy": 0.5, "pseudo_label_accuracy": pytest.approx(2 / 3)}


def test_drift_evaluator_reports_pseudo_labels_only_when_given() -> None:
    evaluator = DriftEvaluator()
    evaluator.update(proxy=[0.9, 0.1], gold=[True, False])
    assert "pseudo_label_accuracy" not in evaluator.compute()
    evaluator.update(proxy=[0.9], gold=[False], pseudo_label_correct=[False])
    assert evaluator.compute()["pseudo_label_accuracy"] == 0.0


# ---------------------------------------------------------------- behaviour


def test_behaviour_evaluator_by_hand() -> None:
    completions = ["```python\nprint(2)\n```\n\\boxed{2}", "so \\boxed{3}", "I don't know"]
    evaluator = BehaviourEvaluator()
    evaluator.update(completions, abstained=[False, False, True])
    result = evaluator.compute()
    assert result["code_reasoning_rate"] == pytest.approx(1 / 3)
    assert result["boxed_rate"] == pytest.approx(2 / 3)
    assert result["mean_length"] == pytest.approx(sum(map(len, completions)) / 3)
    assert result["abstention_rate"] == pytest.approx(1 / 3)


def test_behaviour_evaluator_omits_abstention_when_not_given() -> None:
    evaluator = BehaviourEvaluator()
    evaluator.update(["a", "b"])
    assert set(evaluator.compute()) == {"code_reasoning_rate", "boxed_rate", "mean_length"}


def test_behaviour_evaluator_rejects_a_single_string() -> None:
    with pytest.raises(ValueError, match="not one string"):
        BehaviourEvaluator().update("one completion")


def test_a_confidence_nested_in_a_combinator_is_found_and_an_ambiguous_one_is_not() -> None:
    from rewardlab.types import RewardResult

    nested = RewardResult(scores=(1.0, 0.0), diagnostics={"brier/confidence": (0.9, 0.2), "binary/correct": (1, 0)})
    assert nested.find("confidence") == (0.9, 0.2)
    assert nested.find("abstained") is None
    top = RewardResult(scores=(1.0,), diagnostics={"confidence": (0.5,), "a/confidence": (0.1,)})
    assert top.find("confidence") == (0.5,)  # the top level wins
    two = RewardResult(scores=(1.0,), diagnostics={"a/confidence": (0.5,), "b/confidence": (0.1,)})
    assert two.find("confidence") is None


def test_weighted_sum_with_brier_still_feeds_the_calibration_metrics() -> None:
    from rewardlab import build_reward
    from rewardlab.evaluation.compare import compare_rewards
    from rewardlab.metrics.calibration import expected_calibration_error
    from rewardlab.types import RolloutBatch

    reward = build_reward({"type": "weighted_sum", "terms": [
        {"reward": {"type": "binary", "workers": 0}, "weight": 1.0},
        {"reward": {"type": "brier", "workers": 0}, "weight": 0.5}]})
    stated = (0.9, 0.8, 0.7, 0.1)
    completions = tuple(f"<answer>\\boxed{{{a}}}</answer><confidence>{q}</confidence>"
                        for a, q in zip("4543", stated, strict=True))
    batch = RolloutBatch(prompts=("q",) * 4, completions=completions, answers=("4",) * 4)
    (row,) = compare_rewards(batch, [("sum", reward)], build_reward({"type": "binary", "workers": 0}))
    assert row["ece"] == pytest.approx(expected_calibration_error(stated, [True, False, True, False]))


# ---------------------------------------------------------------- proxy and truthfulness


def test_proxy_evaluator_by_hand() -> None:
    evaluator = ProxyEvaluator()
    evaluator.update([1.0, None, 0.0, 0.5])
    assert evaluator.compute() == {"proxy_reward": 0.5, "no_signal_rate": 0.25}


def test_truthfulness_evaluator_is_accuracy_minus_hallucination() -> None:
    data = truthfulness_data(14)
    evaluator = TruthfulnessEvaluator()
    evaluator.update(**data)
    accuracy, _, hallucination = truthfulness_rates(data["correct"], data["abstained"])
    assert evaluator.compute() == {"truthfulness": accuracy - hallucination, "hallucination_rate": hallucination}
    by_hand = TruthfulnessEvaluator()
    by_hand.update(correct=[True, False, False, None], abstained=[False, True, False, False])
    assert by_hand.compute() == {"truthfulness": pytest.approx(0.0), "hallucination_rate": pytest.approx(1 / 3)}
