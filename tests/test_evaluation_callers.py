"""The places that evaluate a scored batch give the figures the pure metric functions give by hand.

``step_metrics`` (the trainer's per-step metrics), ``compare_rewards`` (``rewardlab score``), and the one
measurement of a policy as ``evaluate_heldout`` (held-out figures of a run) and the organisms' ``measure``
(the bench's rows) call it are each fed a fixed input; the expected figures are computed here straight
from :mod:`rewardlab.metrics`, key by key, so these tests pin the keys and values those callers publish.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import pytest

from rewardlab import build_reward
from rewardlab.metrics import (
    agreement_rate,
    auroc,
    boxed_rate,
    brier_score,
    code_reasoning_rate,
    correlation,
    expected_calibration_error,
    maj_at_k,
    mean_accuracy,
    mean_available,
    mean_length,
    mean_pass_at_k,
    proxy_precision_recall,
    pseudo_label_accuracy,
)
from rewardlab.metrics.truthfulness import truthfulness, truthfulness_rates
from rewardlab.types import RewardResult, RolloutBatch

COMPLETIONS = (
    "```python\nprint(2 + 2)\n```\n\\boxed{4}",
    "so the answer is \\boxed{5}",
    "I don't know",
    "\\boxed{",
    "Python says \\boxed{4}",
    "four",
    "\\boxed{4}",
    "",
)
PROXY = RewardResult(
    scores=(1.0, 0.25, None, 0.0, 0.75, None, 1.0, 0.0),
    diagnostics={"confidence": (0.9, 0.6, None, 0.1, 0.7, 0.3, 0.95, 0.2),
                 "abstained": (False, False, True, False, False, None, False, False),
                 "pseudo_label_correct": (True, False, None, False, True, True, True, False)})
GOLD = RewardResult(scores=(1.0, 0.0, 0.0, None, 1.0, 0.0, 1.0, 0.0),
                    diagnostics={"correct": (True, False, False, None, True, False, True, False)})


def assert_same(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert list(got) == list(expected)
    for key, value in expected.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, nan_ok=True, rel=1e-12, abs=1e-15), key
        else:
            assert got[key] == value, key


def drift_by_hand(proxy: Sequence[float | None], gold: Sequence[bool | None],
                  label_correct: Sequence[bool | None] | None) -> dict[str, float]:
    precision, recall = proxy_precision_recall(proxy, gold)
    figures = {"agreement": agreement_rate(proxy, gold), "correlation": correlation(proxy, gold),
               "precision": precision, "recall": recall, "gold_accuracy": mean_accuracy(gold)}
    if label_correct is not None:
        figures["pseudo_label_accuracy"] = pseudo_label_accuracy(label_correct)
    return figures


def calibration_by_hand(confidence: Sequence[float | None], correct: Sequence[bool | None]) -> dict[str, float]:
    return {"ece": expected_calibration_error(confidence, correct), "brier": brier_score(confidence, correct),
            "auroc": auroc(confidence, correct)}


def behaviour_by_hand(texts: Sequence[str], abstained: Sequence[bool | None] | None) -> dict[str, float]:
    figures = {"code_reasoning_rate": code_reasoning_rate(texts), "boxed_rate": boxed_rate(texts),
               "mean_length": mean_length(texts)}
    if abstained is not None:
        figures["abstention_rate"] = mean_available(abstained)
    return figures


# ---------------------------------------------------------------- step_metrics


def step_metrics_by_hand(proxy: RewardResult, gold: RewardResult | None) -> dict[str, float]:
    signal = [s for s in proxy.scores if s is not None]
    expected = {"proxy_reward": mean_available(proxy.scores), "no_signal_rate": 1 - len(signal) / len(proxy),
                **behaviour_by_hand(COMPLETIONS, proxy.find("abstained"))}
    if gold is not None:
        correct = tuple(None if s is None else s > 0.5 for s in gold.scores)
        correct = gold.diagnostics.get("correct", correct)
        expected.update(drift_by_hand(proxy.scores, correct, proxy.find("pseudo_label_correct")))
        if proxy.find("confidence") is not None:
            expected.update(calibration_by_hand(proxy.find("confidence"), correct))
    return expected


@pytest.mark.parametrize(("proxy", "gold"), [
    (PROXY, GOLD),
    (PROXY, None),
    (RewardResult(scores=PROXY.scores), GOLD),
    (PROXY, RewardResult(scores=GOLD.scores)),  # no correct diagnostic: score > 0.5
], ids=["everything", "no-gold", "bare-proxy", "gold-without-correct"])
def test_step_metrics_are_the_metric_functions_applied_by_hand(proxy: RewardResult,
                                                               gold: RewardResult | None) -> None:
    from rewardlab.training.tracking import step_metrics

    assert_same(step_metrics(COMPLETIONS, proxy, gold), step_metrics_by_hand(proxy, gold))


# ---------------------------------------------------------------- compare_rewards


def row_by_hand(name: str, result: RewardResult, correct: Sequence[bool | None],
                confidence: Sequence[float | None] | None) -> dict[str, Any]:
    signal = [s for s in result.scores if s is not None]
    row = {"reward": name, "n": len(result), "n_signal": len(signal), "mean": mean_available(result.scores),
           **drift_by_hand(result.scores, correct, result.find("pseudo_label_correct"))}
    if confidence is not None and any(q is not None for q in confidence):
        row.update(calibration_by_hand(confidence, correct))
    return row


def test_compare_rewards_rows_are_the_metric_functions_applied_by_hand() -> None:
    from rewardlab.evaluation.compare import compare_rewards

    completions = ("<answer>\\boxed{4}</answer><confidence>0.9</confidence>", "\\boxed{5}", "\\boxed{4}",
                   "<answer>\\boxed{6}</answer><confidence>0.3</confidence>",
                   "<answer>\\boxed{7}</answer><confidence>0.6</confidence>",
                   "<answer>\\boxed{7}</answer><confidence>0.5</confidence>")
    column = (0.5, 0.4, 0.9, None, 0.1, 0.7)
    batch = RolloutBatch(prompts=("a",) * 3 + ("b",) * 3, completions=completions, group_ids=(0, 0, 0, 1, 1, 1),
                         answers=("4",) * 3 + ("7",) * 3, columns={"confidence": column})
    gold = build_reward({"type": "binary", "workers": 0})
    rewards = [("binary", gold), ("self_consistency", build_reward({"type": "self_consistency"})),
               ("brier", build_reward({"type": "brier", "workers": 0}))]
    correct = gold.score(batch).diagnostics["correct"]
    expected = []
    for name, reward in rewards:
        result = reward.score(batch)
        stated = result.find("confidence")
        expected.append(row_by_hand(name, result, correct, column if stated is None else stated))
    rows = compare_rewards(batch, rewards, gold)
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert_same(row, want)
    assert "pseudo_label_accuracy" in rows[1] and rows[2]["ece"] != rows[0]["ece"]


# ---------------------------------------------------------------- evaluate_heldout


class _Model:
    training = True

    def eval(self) -> None:
        self.training = False

    def train(self, mode: bool = True) -> None:
        self.training = mode


def assert_includes(got: dict[str, Any], expected: dict[str, Any]) -> None:
    """Every expected figure is there under its name, with the value computed by hand."""
    missing = [key for key in expected if key not in got]
    assert not missing, f"{missing} not among {sorted(got)}"
    assert_same({key: got[key] for key in expected}, expected)


def _fake_generate(texts_by_samples: dict[int, list[str]]):
    from rewardlab.sampling.backends.hf import Generation

    def generate(policy: Any, prompts: Sequence[Any], settings: Any) -> list[Generation]:
        texts = texts_by_samples[settings.samples]
        assert len(texts) == len(prompts) * settings.samples
        assert (settings.temperature == 0) == (settings.samples == 1)  # the greedy pass, then the sampled one
        return [Generation(text=t, token_ids=(), ended=True, prompt_tokens=0) for t in texts]
    return generate


@pytest.mark.parametrize("gold_type", ["binary", "brier"])
def test_evaluate_heldout_is_the_metric_functions_applied_by_hand(monkeypatch: pytest.MonkeyPatch,
                                                                   gold_type: str) -> None:
    from rewardlab.rewards.calibration import last_tag, parse_confidence
    from rewardlab.sampling.backends import hf
    from rewardlab.training import heldout

    answers = ["4", "7", "9"]
    greedy = ["<answer>\\boxed{4}</answer><confidence>0.8</confidence>", "\\boxed{6}", "python: \\boxed{9}"]
    sampled = ["<answer>\\boxed{4}</answer><confidence>0.9</confidence>", "\\boxed{5}", "\\boxed{4}",
               "<answer>\\boxed{7}</answer><confidence>0.4</confidence>", "python \\boxed{7}", "\\boxed{1}",
               "\\boxed{1}", "<answer>\\boxed{2}</answer><confidence>0.7</confidence>",
               "\\boxed{3}", "<answer>\\boxed{9}</answer><confidence>0.2</confidence>", "", "\\boxed{9}"]
    monkeypatch.setattr(hf, "generate", _fake_generate({1: greedy, 4: sampled}))
    gold = build_reward({"type": gold_type, "workers": 0})
    model = _Model()
    figures = heldout.evaluate_heldout(model, None, ["p"] * 3, answers, gold, k=4)
    assert model.training

    greedy_correct = gold.score(RolloutBatch(prompts=("",) * 3, completions=tuple(greedy),
                                             answers=tuple(answers))).diagnostics["correct"]
    result = gold.score(RolloutBatch(prompts=("",) * 12, completions=tuple(sampled),
                                     answers=tuple(a for a in answers for _ in range(4))))
    correct = result.diagnostics["correct"]
    per_group = [list(correct[g * 4:(g + 1) * 4]) for g in range(3)]
    parsed = [list(result.diagnostics["parsed_answer"][g * 4:(g + 1) * 4]) for g in range(3)]
    expected = {"accuracy": mean_accuracy(correct),
                **{f"pass@{k}": mean_pass_at_k(per_group, k) for k in (1, 2, 4)},
                **{f"maj@{k}": maj_at_k(parsed, per_group, k) for k in (1, 2, 4)},
                **behaviour_by_hand(sampled, None),
                **calibration_by_hand([parse_confidence(last_tag(t, "confidence")) for t in sampled], correct),
                "greedy_accuracy": mean_accuracy(greedy_correct),
                "greedy_code_reasoning_rate": code_reasoning_rate(greedy)}
    assert_includes(figures, expected)
    assert "sampled_accuracy" not in figures  # one vocabulary: the names of rewardlab eval


# ---------------------------------------------------------------- the organisms' measure


def _organism_answer(prompt: str, draw: random.Random) -> tuple[str, dict[str, Any]]:
    """A completion for an organism prompt and what it is: right, abstained, a trace, a stated confidence."""
    expression = prompt.removeprefix("Q: ").removesuffix("=")
    answerable = "x" not in expression
    kind = draw.choice(["right", "wrong", "abstain"] if not answerable else ["right", "right", "wrong", "abstain"])
    trace = answerable and draw.random() < 0.4
    confidence = round(draw.random(), 1) if answerable and draw.random() < 0.6 else None
    value = eval(expression) if answerable else 3  # operands are digits and operators + - *
    boxed = {"right": value, "wrong": value + 1, "abstain": "unknown"}[kind]
    text = ("python: a=...; " if trace else "") + f"\\boxed{{{boxed}}}"
    if confidence is not None:
        text += f" <confidence>{confidence}</confidence>"
    truth = {"answerable": answerable, "right": answerable and kind == "right", "abstained": kind == "abstain",
             "trace": trace, "confidence": confidence}
    return text, truth


def measure_by_hand(samples_truth: list[dict[str, Any]], greedy_truth: list[dict[str, Any]],
                    samples: int) -> dict[str, float]:
    answerable = [t for t in samples_truth if t["answerable"]]
    right = [t["right"] for t in answerable]
    stated = [t["confidence"] for t in answerable if t["confidence"] is not None]
    accuracy_all, _, hallucination = truthfulness_rates([t["right"] for t in samples_truth],
                                                        [t["abstained"] for t in samples_truth])
    expected = {
        "accuracy": mean_accuracy(right),
        "code_reasoning_rate": mean_available([t["trace"] for t in answerable]),
        "accuracy_with_code": mean_accuracy([t["right"] for t in answerable if t["trace"]]),
        "accuracy_without_code": mean_accuracy([t["right"] for t in answerable if not t["trace"]]),
        "abstention_rate": mean_available([t["abstained"] for t in samples_truth]),
        "hallucination_rate": hallucination,
        "truthfulness": truthfulness([t["right"] for t in samples_truth], [t["abstained"] for t in samples_truth]),
        "confidence_rate": len(stated) / len(answerable),
    }
    unanswerable = [t["abstained"] for t in samples_truth if not t["answerable"]]
    if unanswerable:
        expected["unanswerable_abstention"] = mean_available(unanswerable)
    expected["greedy_accuracy"] = mean_accuracy([t["right"] for t in greedy_truth])
    expected["greedy_code_reasoning_rate"] = mean_available([t["trace"] for t in greedy_truth])
    if samples > 1:
        groups: dict[int, list[bool]] = {}
        for index, t in enumerate(samples_truth):
            if t["answerable"]:
                groups.setdefault(index // samples, []).append(t["right"])
        expected[f"pass@{samples}"] = mean_pass_at_k(list(groups.values()), samples)
    confidence = [t["confidence"] for t in answerable]
    expected["ece"] = expected_calibration_error(confidence, right) if stated else math.nan
    expected["brier"] = brier_score(confidence, right) if stated else math.nan
    expected["mean_confidence"] = mean_available(stated)
    assert accuracy_all - hallucination == pytest.approx(expected["truthfulness"])
    return expected


@pytest.mark.parametrize(("samples", "unanswerable_share"), [(3, 0.3), (1, 0.0)])
def test_measure_is_the_metric_functions_applied_by_hand(monkeypatch: pytest.MonkeyPatch, tmp_path,
                                                         samples: int, unanswerable_share: float) -> None:
    pytest.importorskip("torch")
    from rewardlab.organisms.evaluate import measure
    from rewardlab.sampling.backends import hf

    draw = random.Random(samples)
    truths: dict[int, list[dict[str, Any]]] = {}

    def generate(policy: Any, prompts: Sequence[str], settings: hf.GenerationSettings) -> list[hf.Generation]:
        made = [_organism_answer(p, draw) for p in prompts for _ in range(settings.samples)]
        truths[len(truths)] = [truth for _, truth in made]
        return [hf.Generation(text=text, token_ids=(), ended=True, prompt_tokens=0) for text, _ in made]

    monkeypatch.setattr(hf, "generate", generate)
    plot = tmp_path / "reliability.png"
    figures = measure(None, None, n=40, samples=samples, unanswerable_share=unanswerable_share, reliability=plot)
    sampled_truth, greedy_truth = truths[0], truths[1]
    assert_includes(figures, measure_by_hand(sampled_truth, greedy_truth, samples))
    assert plot.read_bytes()[:4] == b"\x89PNG"
