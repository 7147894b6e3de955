"""Measuring a policy: generate, judge each sample, report. The one path behind every figure of a policy.

``rewardlab eval`` (on a rollouts file), the held-out measurement of ``rewardlab train``
(:mod:`rewardlab.training.heldout`) and the bench's measurement of an organism
(:mod:`rewardlab.organisms.evaluate`) all go through here::

    generate(policy, prompts, settings)         rewardlab.sampling.backends.hf: the one generate loop
        -> completions
    judged_samples(batch, gold, ...)            the per-sample record (Samples): correct, answer,
        -> Samples                              confidence, abstained, answerable, behaviours
    evaluate_samples(samples, ...)              rewardlab.evaluation.report, built on rewardlab.metrics
        -> Report -> figures(report)            one flat vocabulary of names

One rule for a sample that cannot be scored (the gold reward gives no verdict: a label that does not parse,
an answer whose check timed out): its correctness is ``None`` and it is left out of every figure that needs
correctness, as :func:`rewardlab.types.gold_correct` leaves it out in training. A sample that abstains is not
correct (abstention is decided first, as TruthRL's ternary reward decides it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rewardlab.answers.extraction import DEFAULT_EXTRACTION
from rewardlab.answers.vote import EXACT, Equivalence
from rewardlab.evaluation.report import Report, Samples, abstention_applies, evaluate_samples
from rewardlab.metrics.behaviour import has_code_reasoning
from rewardlab.types import COMPLETION_TOKENS, TRUNCATED, RewardResult, RolloutBatch, gold_correct, prompt_key

if TYPE_CHECKING:
    from rewardlab.rewards.base import Reward
    from rewardlab.sampling.backends.hf import GenerationSettings

GREEDY = "greedy_"
"""The prefix of the greedy pass's figures (one greedy completion per answerable problem)."""
CODE = "code"
"""The behaviour the measurement splits accuracy by: Spurious Rewards' code reasoning."""


def judged_samples(batch: RolloutBatch, gold: Reward, *, problems: Sequence[str],
                   answerable: Sequence[bool | None] | None = None,
                   confidence: Sequence[float | None] | None = None, abstention: bool | None = None,
                   rewards: Mapping[str, RewardResult] | None = None,
                   behaviours: Mapping[str, tuple[bool, ...]] | None = None,
                   gold_result: RewardResult | None = None) -> Samples:
    """The per-sample record of ``batch`` judged by ``gold`` (scored here unless ``gold_result`` is given).

    Correctness is :func:`~rewardlab.types.gold_correct` (``None``: unscorable, left out), and ``False`` where
    the sample abstains. The answers that vote are the gold's ``parsed_answer``. Abstention is the gold's
    ``abstained`` diagnostic, else the answer the gold's extraction policy reads matched by
    :class:`~rewardlab.rewards.abstention.AbstentionMatcher` (as the ternary reward decides it). With
    ``abstention`` ``None`` it is recorded (and the truthfulness figures reported) only where
    :func:`~rewardlab.evaluation.report.abstention_applies`; ``True`` records it always, ``False`` never.
    """
    from rewardlab.rewards.abstention import AbstentionMatcher, stated_answer_text

    result = gold.score(batch) if gold_result is None else gold_result
    n = len(batch)
    answers = result.find("parsed_answer") or (None,) * n
    abstained = result.find("abstained")
    if abstained is None:
        matcher, policy = AbstentionMatcher(), getattr(gold, "extraction", DEFAULT_EXTRACTION)
        abstained = tuple(matcher(stated_answer_text(text, a, policy))
                          for text, a in zip(batch.completions, answers, strict=True))
    abstained = tuple(bool(a) for a in abstained)
    if abstention is None:
        abstention = abstention_applies(batch.prompts, abstained, answerable)
    correct = tuple(False if u and c is not None else c for c, u in zip(gold_correct(result), abstained, strict=True))
    return Samples(problems=tuple(problems), completions=batch.completions, correct=correct, answers=answers,
                   confidence=None if confidence is None else tuple(confidence),
                   abstained=abstained if abstention else None,
                   answerable=None if answerable is None else tuple(answerable),
                   rewards=dict(rewards or {}), behaviours=dict(behaviours or {}),
                   tokens=_column(batch, COMPLETION_TOKENS, int), truncated=_column(batch, TRUNCATED, bool))


def _column(batch: RolloutBatch, name: str, kind: type) -> tuple[Any, ...] | None:
    """A per-sample fact the batch records (``None`` entries: not recorded), or ``None`` when no sample has it."""
    if name not in batch.columns:
        return None
    values = tuple(None if v is None else kind(v) for v in batch.column(name))
    return values if any(v is not None for v in values) else None


def equivalence_of(gold: Reward) -> Equivalence:
    """How the gold's answers vote in maj@k: math-verify classes when it verifies answers, else exact strings."""
    checker = getattr(gold, "checker", None)
    return checker.equivalence() if checker is not None else EXACT


def figures(report: Report, prefix: str = "") -> dict[str, float]:
    """A report's figures by name, with each behaviour's split of accuracy as ``accuracy_with_<behaviour>`` and
    ``accuracy_without_<behaviour>`` (the vocabulary every measurement reports in)."""
    values = dict(report.values())
    for stats in report.behaviours.behaviours if report.behaviours is not None else ():
        values[f"accuracy_with_{stats.name}"] = stats.accuracy_with.value
        values[f"accuracy_without_{stats.name}"] = stats.accuracy_without.value
    return {f"{prefix}{name}": value for name, value in values.items()}


@dataclass(frozen=True)
class Problems:
    """What a policy is measured on: prompts (text or conversations), reference answers, and which problems
    can be answered (``None``: all)."""

    prompts: tuple[Any, ...]
    answers: tuple[str, ...]
    answerable: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.prompts) != len(self.answers) or (self.answerable is not None
                                                      and len(self.answerable) != len(self.prompts)):
            raise ValueError(f"{len(self.prompts)} prompts but {len(self.answers)} answers"
                             f"{'' if self.answerable is None else f' and {len(self.answerable)} answerable flags'}")

    def can_answer(self, i: int) -> bool:
        return self.answerable is None or self.answerable[i]


@dataclass(frozen=True)
class Measurement:
    """A policy measured: its figures (:func:`figures`; the greedy pass's with :data:`GREEDY`), the sampled
    pass's per-sample record and the prompts each sample answered."""

    figures: dict[str, float]
    samples: Samples
    prompts: tuple[Any, ...]


def measure_policy(policy: tuple[Any, Any], problems: Problems, gold: Reward, settings: GenerationSettings, *,
                   ks: Sequence[int] | None = None, greedy: bool = True) -> Measurement:
    """``settings.samples`` completions of every problem, judged by ``gold`` and reported by
    :func:`~rewardlab.evaluation.report.evaluate_samples` (pass@k for each of ``ks``, by default
    :func:`~rewardlab.evaluation.report.report_ks`); with ``greedy``, one greedy completion per answerable
    problem, its figures prefixed :data:`GREEDY`. Abstention and truthfulness are always reported."""
    sampled = _judged(policy, problems, gold, settings, ks, full=True)
    values = sampled.figures
    if greedy:
        keep = [i for i in range(len(problems.prompts)) if problems.can_answer(i)]
        answerable = Problems(prompts=tuple(problems.prompts[i] for i in keep),
                              answers=tuple(problems.answers[i] for i in keep))
        once = replace(settings, samples=1, temperature=0.0)
        values |= _judged(policy, answerable, gold, once, (), full=False, prefix=GREEDY).figures
    return replace(sampled, figures=values)


def _judged(policy: tuple[Any, Any], problems: Problems, gold: Reward, settings: GenerationSettings,
            ks: Sequence[int] | None, *, full: bool, prefix: str = "") -> Measurement:
    """One pass: generate, judge, report; ``full`` adds calibration, truthfulness and the code split."""
    from rewardlab.rewards.calibration import last_tag, parse_confidence
    from rewardlab.sampling.backends.hf import generate

    k = settings.samples
    generations = generate(policy, problems.prompts, settings)
    texts = tuple(g.text for g in generations)
    prompts = tuple(p for p in problems.prompts for _ in range(k))
    batch = RolloutBatch(prompts=tuple(prompt_key(p) for p in prompts), completions=texts,
                         answers=tuple(a for a in problems.answers for _ in range(k)),
                         group_ids=tuple(i // k for i in range(len(texts))),
                         columns={COMPLETION_TOKENS: tuple(len(g.token_ids) for g in generations),
                                  TRUNCATED: tuple(not g.ended for g in generations)})
    answerable = None if problems.answerable is None else tuple(a for a in problems.answerable for _ in range(k))
    confidence = tuple(parse_confidence(last_tag(t, "confidence")) for t in texts) if full else None
    samples = judged_samples(batch, gold, problems=[f"heldout-{g}" for g in batch.group_ids], answerable=answerable,
                             confidence=confidence, abstention=full,
                             behaviours={CODE: tuple(has_code_reasoning(t) for t in texts)} if full else None)
    report = evaluate_samples(samples, equivalence=equivalence_of(gold), ks=ks, resamples=1)
    return Measurement(figures=figures(report, prefix), samples=samples, prompts=prompts)
