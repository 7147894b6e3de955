"""Measuring an organism on held-out problems: what RL acts on, before and after training.

One sampled pass over a held-out mix of answerable and unanswerable problems gives every figure
the bench reports, through the one measurement of a policy (:mod:`rewardlab.evaluation.measure`) that
``rewardlab eval`` and the held-out measurement of ``rewardlab train`` use too:

- on answerable problems: accuracy, the trace ("code reasoning") rate and each style's accuracy,
  pass@k, and the calibration (ECE, Brier) of the confidences the samples state;
- on all problems: TruthRL's abstention, hallucination and truthfulness rates, where an
  unanswerable problem can only be abstained on or hallucinated on.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewardlab.answers.extraction import DEFAULT_EXTRACTION
from rewardlab.organisms.corpus import Problem, sample_problem

if TYPE_CHECKING:
    from rewardlab.evaluation.report import Samples


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


def write_rollouts(path: str | Path, prompts: Sequence[Any], measured: Samples, problems: Sequence[Problem],
                   samples: int) -> None:
    """The measured samples as JSON lines (prompt, completion, answer, answerable, id, sample, and the length in
    tokens and whether it ran out of them where measured), problem by problem."""
    import json

    from rewardlab.types import COMPLETION_TOKENS, TRUNCATED

    n = len(measured.completions)
    tokens, truncated = measured.tokens or (None,) * n, measured.truncated or (None,) * n
    with Path(path).open("w", encoding="utf-8") as out:
        for i, (prompt, text, problem) in enumerate(zip(prompts, measured.completions, problems, strict=True)):
            record = {"prompt": prompt, "completion": text, "answer": problem.label,
                      "answerable": problem.answerable, "id": f"heldout-{i // samples}", "sample": i % samples,
                      COMPLETION_TOKENS: tokens[i], TRUNCATED: truncated[i]}
            out.write(json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False) + "\n")


def _ks(samples: int, pass_ks: Sequence[int]) -> tuple[int, ...]:
    """The pass@k sizes to report: ``samples`` itself when above 1, and each listed k in [1, samples)."""
    return tuple(sorted({k for k in pass_ks if 1 <= k < samples} | ({samples} if samples > 1 else set())))


def measure(model: Any, tokenizer: Any, n: int = 300, samples: int = 1, temperature: float = 1.0,
            seed: int = 12345, unanswerable_share: float = 0.0, max_new_tokens: int = 80,
            reliability: str | Path | None = None, chat: bool = False, max_operand: int = 9,
            pass_ks: Sequence[int] = (), label: str = "", extraction: str = DEFAULT_EXTRACTION,
            rollouts: str | Path | None = None) -> dict[str, float]:
    """The organism's figures on ``n`` held-out problems, ``samples`` completions each.

    The one measurement of a policy (:func:`rewardlab.evaluation.measure.measure_policy`) with the ternary
    reward as gold (it reads correctness and abstention at once), so the keys are those of ``rewardlab
    eval``: ``accuracy``, ``code_reasoning_rate``, ``accuracy_with_code`` and ``accuracy_without_code``,
    ``confidence_rate``, ``ece``, ``brier``, ``mean_confidence`` (over the answerable problems' samples),
    ``pass@k`` for each k of :func:`_ks`, ``abstention_rate``, ``hallucination_rate``, ``truthfulness``
    (over all problems), ``unanswerable_abstention`` when any problem is unanswerable, and the greedy pass's
    figures (one greedy completion per answerable problem: the protocol of Spurious Rewards' MATH-500
    figures) prefixed ``greedy_``. With ``reliability`` a reliability diagram of the answerable samples
    that state a confidence is written there.
    Sampling is seeded with ``seed`` on its own RNG, so before and after training see the same sampling
    noise and the caller's RNG (a training run's) is left as it was.
    ``chat`` poses the problems as user messages (for a pretrained chat model). ``max_operand`` is the
    largest operand of the held-out problems (the organism's own). ``pass_ks`` adds ``pass@k`` for each
    listed ``k`` below ``samples`` (unbiased estimator over the same samples), for pass@k curves. ``label``
    (e.g. the organism and the cell) heads the reliability diagram's title. ``extraction`` is the policy
    answers are read by (:mod:`rewardlab.answers.extraction`). With ``rollouts`` the samples are also written
    there as a rollouts file that ``rewardlab eval`` and ``score`` read (:func:`write_rollouts`).
    """
    from rewardlab.evaluation.measure import Problems, measure_policy
    from rewardlab.rewards import TernaryReward
    from rewardlab.sampling.backends.hf import GenerationSettings

    problems = problem_set(n, seed, max_operand, unanswerable_share)
    settings = GenerationSettings(max_new_tokens=max_new_tokens, samples=samples, temperature=temperature,
                                  seed=seed)  # the same noise before and after training, on every rerun
    held_out = Problems(prompts=tuple(_prompt(p, chat) for p in problems), answers=tuple(p.label for p in problems),
                        answerable=tuple(p.answerable for p in problems))
    gold = TernaryReward(workers=0, extraction=extraction)
    measured = measure_policy((model, tokenizer), held_out, gold, settings, ks=_ks(samples, pass_ks))
    if rollouts is not None:
        write_rollouts(rollouts, measured.prompts, measured.samples,
                       [p for p in problems for _ in range(samples)], samples)
    if reliability is not None:
        _reliability(measured.samples, reliability, f"{n} problems × {samples}", label)
    return measured.figures


def _reliability(samples: Samples, path: str | Path, drawn: str, label: str) -> None:
    """The reliability diagram of the answerable samples that state a confidence (none drawn when none does)."""
    from rewardlab.metrics.calibration import reliability_diagram

    scored = samples.scored()
    stated = [q for q in scored.confidence or () if q is not None]
    if stated:
        title = f"stated confidence, {len(stated)} samples ({drawn})"
        reliability_diagram(scored.confidence, scored.correct, path, title=f"{label}: {title}" if label else title)
