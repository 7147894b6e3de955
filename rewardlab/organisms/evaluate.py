"""Measuring an organism on held-out problems: what RL acts on, before and after training.

One sampled pass over a held-out mix of answerable and unanswerable problems gives every figure
the bench reports, each through the metric functions the rewards and evaluators share:

- on answerable problems: accuracy, the trace ("code reasoning") rate and each style's accuracy,
  pass@k, and the calibration (ECE, Brier) of the confidences the samples state;
- on all problems: TruthRL's abstention, hallucination and truthfulness rates, where an
  unanswerable problem can only be abstained on or hallucinated on.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardlab.answers.extraction import DEFAULT_EXTRACTION
from rewardlab.metrics.behaviour import has_code_reasoning
from rewardlab.models.rng import own_rng
from rewardlab.organisms.corpus import Problem, sample_problem
from rewardlab.types import RewardResult, RolloutBatch


def problem_set(n: int, seed: int = 12345, max_operand: int = 9, unanswerable_share: float = 0.0) -> list[Problem]:
    """``n`` problems drawn apart from any pretraining corpus seed (a fixed set for a seed)."""
    rng = random.Random(seed)
    return [sample_problem(rng, max_operand, unanswerable_share) for _ in range(n)]


CHAT_INSTRUCTION = "Compute {expression}. Give the final answer as \\boxed{{N}}."


def chat_prompt(problem: Problem) -> list[dict[str, str]]:
    """The problem as a user message, for a pretrained chat model (the organisms read ``Q: 7+3*2=``)."""
    expression = problem.prompt.removeprefix("Q: ").removesuffix("=")
    return [{"role": "user", "content": CHAT_INSTRUCTION.format(expression=expression)}]


def _prompt(problem: Problem, chat: bool) -> Any:
    return chat_prompt(problem) if chat else problem.prompt


def heldout_problems(n: int, seed: int = 12345, max_operand: int = 9, unanswerable_share: float = 0.0,
                     chat: bool = False) -> tuple[list[Any], list[str]]:
    """(prompts, labels) of :func:`problem_set`; an unanswerable problem's label is ``unanswerable``.

    With ``chat`` each prompt is a user message (:func:`chat_prompt`) instead of ``Q: <expr>=``.
    """
    problems = problem_set(n, seed, max_operand, unanswerable_share)
    return [_prompt(p, chat) for p in problems], [p.label for p in problems]


def _rate(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else math.nan


def _judge(texts: Sequence[str], problems: Sequence[Problem], extraction: str = DEFAULT_EXTRACTION) -> RewardResult:
    """The ternary reward's verdicts: ``correct`` and ``abstained`` per completion (unknown read as no)."""
    from rewardlab.rewards import TernaryReward

    judged = TernaryReward(workers=0, extraction=extraction).score(RolloutBatch(
        prompts=("",) * len(texts), completions=tuple(texts), answers=tuple(p.label for p in problems)))
    return RewardResult(scores=judged.scores, diagnostics={
        "correct": tuple(bool(c) for c in judged.diagnostics["correct"]),
        "abstained": tuple(bool(a) for a in judged.diagnostics["abstained"])})


def _select(result: RewardResult, positions: Sequence[int]) -> RewardResult:
    return RewardResult(scores=tuple(result.scores[i] for i in positions),
                        diagnostics={k: tuple(v[i] for i in positions) for k, v in result.diagnostics.items()})


def _greedy(model: Any, tokenizer: Any, problems: Sequence[Problem], max_new_tokens: int,
            chat: bool, extraction: str = DEFAULT_EXTRACTION) -> dict[str, float]:
    from rewardlab.training.heldout import generate

    texts = generate(model, tokenizer, [_prompt(p, chat) for p in problems], max_new_tokens=max_new_tokens,
                     temperature=0.0)
    return {"greedy_accuracy": _rate(_judge(texts, problems, extraction).diagnostics["correct"]),
            "greedy_trace_rate": _rate([has_code_reasoning(t) for t in texts])}


def write_rollouts(path: str | Path, prompts: Sequence[Any], texts: Sequence[str], problems: Sequence[Problem],
                   samples: int) -> None:
    """The measured samples as JSON lines (prompt, completion, answer, answerable, id, sample), problem by problem."""
    import json

    with Path(path).open("w", encoding="utf-8") as out:
        for i, (prompt, text, problem) in enumerate(zip(prompts, texts, problems, strict=True)):
            out.write(json.dumps({"prompt": prompt, "completion": text, "answer": problem.label,
                                  "answerable": problem.answerable, "id": f"heldout-{i // samples}",
                                  "sample": i % samples}, ensure_ascii=False) + "\n")


def _ks(samples: int, pass_ks: Sequence[int]) -> tuple[int, ...]:
    """The pass@k sizes to report: ``samples`` itself when above 1, and each listed k in [1, samples)."""
    return tuple(sorted({k for k in pass_ks if 1 <= k < samples} | ({samples} if samples > 1 else set())))


def measure(model: Any, tokenizer: Any, n: int = 300, samples: int = 1, temperature: float = 1.0,
            seed: int = 12345, unanswerable_share: float = 0.0, max_new_tokens: int = 80,
            reliability: str | Path | None = None, chat: bool = False, max_operand: int = 9,
            pass_ks: Sequence[int] = (), label: str = "", extraction: str = DEFAULT_EXTRACTION,
            rollouts: str | Path | None = None) -> dict[str, float]:
    """The organism's figures on ``n`` held-out problems, ``samples`` completions each.

    Keys: ``accuracy``, ``trace_rate``, ``trace_accuracy``, ``direct_accuracy`` (answerable problems),
    ``greedy_accuracy`` and ``greedy_trace_rate`` (one greedy completion per answerable problem: the
    protocol of Spurious Rewards' MATH-500 figures),
    ``pass@{samples}`` when ``samples > 1``, ``abstention_rate``, ``hallucination_rate``,
    ``truthfulness`` (all problems), ``unanswerable_abstention`` when any problem is unanswerable,
    ``confidence_rate``, and ``ece``, ``brier``, ``mean_confidence`` over the answerable samples that
    state a confidence. With ``reliability`` a reliability diagram of those samples is written there.
    Sampling is seeded with ``seed`` on its own RNG, so before and after training see the same sampling
    noise and the caller's RNG (a training run's) is left as it was.
    ``chat`` poses the problems as user messages (for a pretrained chat model). ``max_operand`` is the
    largest operand of the held-out problems (the organism's own). ``pass_ks`` adds ``pass@k`` for each
    listed ``k`` below ``samples`` (unbiased estimator over the same samples), for pass@k curves. ``label``
    (e.g. the organism and the cell) heads the reliability diagram's title. ``extraction`` is the policy
    answers are read by (:mod:`rewardlab.answers.extraction`). With ``rollouts`` the samples are also written
    there as a rollouts file that ``rewardlab eval`` and ``score`` read (:func:`write_rollouts`).
    """
    from rewardlab.evaluation import (
        AccuracyEvaluator,
        BehaviourEvaluator,
        CalibrationEvaluator,
        EvaluatorCollection,
        TruthfulnessEvaluator,
    )
    from rewardlab.rewards.calibration import last_tag, parse_confidence
    from rewardlab.training.heldout import generate

    problems = problem_set(n, seed, max_operand, unanswerable_share)
    with own_rng(getattr(model, "device", None), seed):  # the same noise before and after training, on every rerun
        texts = generate(model, tokenizer, [_prompt(p, chat) for p in problems], max_new_tokens=max_new_tokens,
                         samples=samples, temperature=temperature)
    per_sample = [p for p in problems for _ in range(samples)]
    if rollouts is not None:
        write_rollouts(rollouts, [_prompt(p, chat) for p in per_sample], texts, per_sample, samples)
    judged = _judge(texts, per_sample, extraction)  # the ternary reward is proxy (abstained) and gold (correct) at once
    answerable = [i for i, p in enumerate(per_sample) if p.answerable]
    answered = _select(judged, answerable)
    confidence = [parse_confidence(last_tag(texts[i], "confidence")) for i in answerable]
    on_answerable = EvaluatorCollection({"accuracy": AccuracyEvaluator(ks=_ks(samples, pass_ks)),
                                         "behaviour": BehaviourEvaluator(), "calibration": CalibrationEvaluator()})
    on_answerable.update([texts[i] for i in answerable], answered, answered,
                         group_ids=[i // samples for i in answerable], confidence=confidence)
    on_all = EvaluatorCollection({"behaviour": BehaviourEvaluator(), "truthfulness": TruthfulnessEvaluator()})
    on_all.update(texts, judged, judged)
    figures, overall = on_answerable.compute(), on_all.compute()

    right = judged.diagnostics["correct"]
    trace = {i: has_code_reasoning(texts[i]) for i in answerable}
    result = {
        "accuracy": figures["accuracy"],
        "trace_rate": figures["code_reasoning_rate"],
        "trace_accuracy": _rate([right[i] for i in answerable if trace[i]]),
        "direct_accuracy": _rate([right[i] for i in answerable if not trace[i]]),
        "abstention_rate": overall["abstention_rate"],
        "hallucination_rate": overall["hallucination_rate"],
        "truthfulness": overall["truthfulness"],
        "confidence_rate": _rate([q is not None for q in confidence]),
    }
    unanswerable = [i for i, p in enumerate(per_sample) if not p.answerable]
    if unanswerable:
        result["unanswerable_abstention"] = _rate([judged.diagnostics["abstained"][i] for i in unanswerable])
    result.update(_greedy(model, tokenizer, [p for p in problems if p.answerable], max_new_tokens, chat, extraction))
    for k in _ks(samples, pass_ks):
        result[f"pass@{k}"] = figures.get(f"pass@{k}", math.nan)
    stated = [q for q in confidence if q is not None]
    result.update(ece=figures.get("ece", math.nan), brier=figures.get("brier", math.nan),
                  mean_confidence=sum(stated) / len(stated) if stated else math.nan)
    if reliability is not None and stated:
        title = f"stated confidence, {len(stated)} samples ({n} problems × {samples})"
        on_answerable["calibration"].plot(reliability, title=f"{label}: {title}" if label else title)
    return result
