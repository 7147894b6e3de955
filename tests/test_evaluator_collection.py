"""EvaluatorCollection: fed one reward result, it gives what its members fed by hand give."""

from __future__ import annotations

import subprocess
import sys
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
    EvaluatorCollection,
    ProxyEvaluator,
    ScoredBatch,
    TruthfulnessEvaluator,
)
from rewardlab.types import RewardResult

GROUPS, GROUP_SIZE = 6, 4
N = GROUPS * GROUP_SIZE


def standard() -> dict[str, Evaluator]:
    return {"proxy": ProxyEvaluator(), "behaviour": BehaviourEvaluator(), "drift": DriftEvaluator(),
            "calibration": CalibrationEvaluator(n_bins=5), "accuracy": AccuracyEvaluator(ks=(1, 2, 4)),
            "truthfulness": TruthfulnessEvaluator()}


def scored(seed: int) -> dict[str, Any]:
    """A batch of whole groups: completions, a proxy result with every diagnostic, a gold result."""
    rng = np.random.default_rng(seed)
    correct = [bool(c) for c in rng.random(N) < 0.5]
    proxy_scores = [None if rng.random() < 0.1 else float(c) if rng.random() < 0.7 else float(rng.random())
                    for c in correct]
    confidence = [None if rng.random() < 0.2 else float(rng.random()) for _ in range(N)]
    abstained = [bool(a) for a in rng.random(N) < 0.2]
    label_correct = [bool(a) for a in rng.random(N) < 0.6]
    answers = [str(rng.integers(0, 3)) for _ in range(N)]
    correct[3] = None  # a label gold cannot read
    pieces = ["Let me use Python: ", "We compute ", "\\boxed{7}", "\\boxed{", "x = 2. "]
    completions = ["".join(rng.choice(pieces, size=int(rng.integers(1, 4)))) for _ in range(N)]
    return {
        "completions": completions,
        "proxy": RewardResult(scores=tuple(proxy_scores), diagnostics={
            "confidence": confidence, "abstained": abstained, "pseudo_label_correct": label_correct}),
        "gold": RewardResult(scores=tuple(None if c is None else float(c) for c in correct),
                             diagnostics={"correct": correct, "parsed_answer": answers}),
        "group_ids": [f"g{i // GROUP_SIZE}" for i in range(N)],
    }


def fed_by_hand(data: dict[str, Any]) -> dict[str, float]:
    """Each evaluator updated by hand from the same data, figures merged in the collection's order."""
    proxy, gold = data["proxy"], data["gold"]
    correct = gold.diagnostics["correct"]
    members = standard()
    members["proxy"].update(proxy.scores)
    members["behaviour"].update(data["completions"], proxy.diagnostics["abstained"])
    members["drift"].update(proxy.scores, correct, proxy.diagnostics["pseudo_label_correct"])
    members["calibration"].update(proxy.diagnostics["confidence"], correct)
    members["accuracy"].update(correct, data["group_ids"], gold.diagnostics["parsed_answer"])
    members["truthfulness"].update(correct, proxy.diagnostics["abstained"])
    return {key: value for member in members.values() for key, value in member.compute().items()}


def assert_same(got: dict[str, float], expected: dict[str, float]) -> None:
    assert list(got) == list(expected)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, nan_ok=True, abs=1e-12), key


def test_the_collection_equals_its_members_fed_by_hand() -> None:
    data = scored(1)
    evaluators = EvaluatorCollection(standard())
    evaluators.update(**data)
    figures = evaluators.compute()
    assert_same(figures, fed_by_hand(data))
    assert {"proxy_reward", "agreement", "ece", "pass@4", "maj@2", "truthfulness", "abstention_rate"} <= set(figures)


def test_updates_in_whole_groups_equal_one_update() -> None:
    data = scored(2)
    whole = EvaluatorCollection(standard())
    whole.update(**data)
    chunked = EvaluatorCollection(standard())
    edges = [0, GROUP_SIZE, 3 * GROUP_SIZE, N]
    for a, b in pairwise(edges):
        positions = range(a, b)
        chunked.update(
            [data["completions"][i] for i in positions],
            RewardResult(scores=data["proxy"].scores[a:b],
                         diagnostics={k: v[a:b] for k, v in data["proxy"].diagnostics.items()}),
            RewardResult(scores=data["gold"].scores[a:b],
                         diagnostics={k: v[a:b] for k, v in data["gold"].diagnostics.items()}),
            group_ids=data["group_ids"][a:b])
    assert_same(chunked.compute(), whole.compute())


def test_reset_forgets_every_member_and_which_were_fed() -> None:
    evaluators = EvaluatorCollection(standard())
    evaluators.update(**scored(3))
    evaluators.reset()
    assert evaluators.compute() == {}
    evaluators.update(**scored(4))
    fresh = EvaluatorCollection(standard())
    fresh.update(**scored(4))
    assert_same(evaluators.compute(), fresh.compute())


@pytest.mark.parametrize(("drop", "left_out"), [
    ("gold", {"drift", "calibration", "accuracy", "truthfulness"}),
    ("group_ids", {"accuracy"}),
    ("completions", {"behaviour"}),
    ("confidence", {"calibration"}),
    ("confidence_all_missing", {"calibration"}),
    ("abstained", {"truthfulness"}),
])
def test_members_with_nothing_to_compute_are_left_out(drop: str, left_out: set[str]) -> None:
    data = scored(5)
    proxy = data["proxy"]
    if drop in ("gold", "group_ids", "completions"):
        data[drop] = None
    elif drop == "confidence":
        data["proxy"] = RewardResult(proxy.scores, {k: v for k, v in proxy.diagnostics.items() if k != "confidence"})
    elif drop == "confidence_all_missing":
        data["proxy"] = RewardResult(proxy.scores, {**proxy.diagnostics, "confidence": (None,) * N})
    else:
        data["proxy"] = RewardResult(proxy.scores, {k: v for k, v in proxy.diagnostics.items() if k != "abstained"})
    evaluators = EvaluatorCollection(standard())
    evaluators.update(**data)
    figures = evaluators.compute()
    marks = {"proxy": "proxy_reward", "behaviour": "boxed_rate", "drift": "agreement", "calibration": "ece",
             "accuracy": "pass@1", "truthfulness": "truthfulness"}
    assert {name for name, key in marks.items() if key not in figures} == left_out


def test_a_stated_confidence_replaces_the_proxys_and_a_nested_one_is_found() -> None:
    gold = RewardResult(scores=(1.0, 0.0, 1.0, 0.0), diagnostics={"correct": (True, False, True, False)})
    nested = RewardResult(scores=(1.0, 0.5, 1.0, 0.0), diagnostics={"brier/confidence": (0.9, 0.8, 0.4, 0.1)})
    stated = (0.6, 0.2, 0.7, 0.3)

    def calibrated(**kwargs: Any) -> dict[str, float]:
        evaluators = EvaluatorCollection({"calibration": CalibrationEvaluator()})
        evaluators.update(None, nested, gold, **kwargs)
        return evaluators.compute()

    alone = CalibrationEvaluator()
    alone.update((0.9, 0.8, 0.4, 0.1), gold.diagnostics["correct"])
    assert calibrated() == alone.compute()
    alone.reset()
    alone.update(stated, gold.diagnostics["correct"])
    assert calibrated(confidence=stated) == alone.compute()


def test_gold_without_a_correct_diagnostic_counts_scores_above_one_half() -> None:
    evaluators = EvaluatorCollection({"drift": DriftEvaluator()})
    evaluators.update(None, RewardResult(scores=(1.0, 1.0, 0.0)), RewardResult(scores=(0.9, 0.2, None)))
    assert evaluators.compute()["gold_accuracy"] == 0.5


def test_prefix_goes_before_every_key() -> None:
    evaluators = EvaluatorCollection({"proxy": ProxyEvaluator()}, prefix="sampled_")
    evaluators.update(None, RewardResult(scores=(1.0, None, 0.0, 0.0)))
    assert evaluators.compute() == {"sampled_proxy_reward": pytest.approx(1 / 3), "sampled_no_signal_rate": 0.25}


def test_two_members_reporting_one_key_raise_and_name_both() -> None:
    evaluators = EvaluatorCollection({"a": ProxyEvaluator(), "b": ProxyEvaluator()})
    evaluators.update(None, RewardResult(scores=(1.0,)))
    with pytest.raises(ValueError, match="members 'a' and 'b' both report 'proxy_reward'"):
        evaluators.compute()


def test_bad_members_and_mismatched_lengths_are_refused_with_what_to_write() -> None:
    class Plain(Evaluator):
        def update(self, *args: Any, **kwargs: Any) -> None: ...
        def compute(self) -> dict[str, float]: return {}
        def reset(self) -> None: ...

    with pytest.raises(ValueError, match="at least one evaluator"):
        EvaluatorCollection({})
    with pytest.raises(TypeError, match="Evaluator instances"):
        EvaluatorCollection({"x": object()})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"define feed\(self, batch: ScoredBatch\)"):
        EvaluatorCollection({"plain": Plain()}).update(None, RewardResult(scores=(1.0,)))
    with pytest.raises(ValueError, match="one value per sample"):
        EvaluatorCollection(standard()).update(["a", "b"], RewardResult(scores=(1.0,)))
    with pytest.raises(ValueError, match=r"holds 1 samples but \{'gold': 2\}"):
        ScoredBatch(RewardResult(scores=(1.0,)), gold=RewardResult(scores=(1.0, 0.0)))
    with pytest.raises(ValueError, match="not one string"):
        EvaluatorCollection(standard()).update("a", RewardResult(scores=(1.0,)))


def test_the_collection_is_a_mapping_of_its_members() -> None:
    members = standard()
    evaluators = EvaluatorCollection(members)
    assert list(evaluators) == list(members) and len(evaluators) == len(members)
    assert evaluators["calibration"] is members["calibration"]


def test_importing_the_evaluators_loads_no_heavy_dependency() -> None:
    code = ("import sys, rewardlab.evaluation; "
            "print(sorted(m for m in ('torch', 'trl', 'netcal', 'matplotlib', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
