"""What one set of samples says about a model: the figures of ``rewardlab eval``, each as the papers define it.

:func:`evaluate_samples` turns per-sample facts (:class:`Samples`: gold correctness, the answers that
vote, the texts, a stated confidence, abstention, each reward's result) into a :class:`Report`:

- accuracy (mean over scorable samples of answerable problems: an unscorable sample, ``None``, is left out;
  at T = 0 the greedy accuracy), unbiased pass@k, pass^k (all k
  right) and maj@k for every k of :func:`report_ks` (maj@k votes by the equivalence given: math-verify
  classes from ``checker.equivalence()``, as ``self_consistency`` votes, anchored on the gold verdicts:
  answers correct against the reference vote together, :mod:`rewardlab.evaluation.anchored`);
- code-reasoning rate, boxed rate, mean length (characters); when the samples' token counts are known
  (``Samples.tokens``, a rollouts file's ``completion_tokens``) the mean length in tokens, and when it is known
  which ran out of tokens (``Samples.truncated``, a rollouts file's ``truncated``) the share that did;
- when confidences are given (``Samples.confidence``): ECE, Brier, AUROC, the mean stated confidence and
  the share of samples that state one;
- when abstention applies (``Samples.abstained`` given; ``rewardlab eval`` gives it where
  :func:`abstention_applies`): abstention, hallucination and truthfulness over every sample, and the
  abstention on unanswerable problems when some are;
- for each reward: its mean, and its agreement, precision and recall against gold correctness;
- for each behaviour detected (``Samples.behaviours``): its share, accuracy with and without it and the
  elicitation ceiling, with bootstrap intervals (:mod:`rewardlab.evaluation.conditional`), in ``Report.behaviours``.

Every figure that is a mean carries its sums per problem (:class:`~rewardlab.evaluation.bootstrap.ProblemSums`)
for the paired bootstrap. Its value is the metric function's of :mod:`rewardlab.metrics` over the same
per-sample (or, for pass@k and maj@k, per-problem) terms, which the metric modules define
(:func:`~rewardlab.metrics.calibration.squared_errors`, :func:`~rewardlab.metrics.truthfulness.outcome_terms`,
:func:`~rewardlab.metrics.drift.detector_terms`); the sums' ratio equals it up to rounding.

The accuracy, behaviour and calibration figures are over the samples of answerable problems
(:meth:`Samples.scored`); the truthfulness figures over every sample. This is the one report of a
policy's samples: ``rewardlab eval``, the held-out measurement of ``rewardlab train`` and the bench's
measurement all build it (:mod:`rewardlab.evaluation.measure`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardlab.answers.extraction import has_boxed_answer
from rewardlab.answers.vote import EXACT, Equivalence
from rewardlab.evaluation.anchored import AnchoredVotes
from rewardlab.evaluation.bootstrap import ProblemSums
from rewardlab.evaluation.conditional import BehaviourReport, behaviour_report
from rewardlab.metrics.accuracy import (
    majority_correct_per_group,
    mean_available,
    pass_all_k_per_group,
    pass_at_k_per_group,
)
from rewardlab.metrics.behaviour import has_code_reasoning
from rewardlab.metrics.calibration import auroc, brier_score, expected_calibration_error, squared_errors
from rewardlab.metrics.drift import detector_terms
from rewardlab.metrics.truthfulness import hallucination_rate, outcome_terms, truthfulness
from rewardlab.rewards.abstention import AbstentionMatcher
from rewardlab.types import RewardResult, problem_keys

__all__ = ["Figure", "Report", "Samples", "abstention_applies", "evaluate_samples", "problem_keys", "report_ks"]

# A reward above it "says correct" (as in rewardlab score and the DriftEvaluator).
THRESHOLD = 0.5
SECTIONS = ("accuracy", "behaviour", "calibration", "truthfulness", "reward")


def report_ks(n: int) -> tuple[int, ...]:
    """The k of pass@k and maj@k for ``n`` samples per problem: the powers of 2 up to ``n``, and ``n``.

    >>> report_ks(12), report_ks(256), report_ks(1)
    ((1, 2, 4, 8, 12), (1, 2, 4, 8, 16, 32, 64, 128, 256), (1,))
    """
    ks = [2**i for i in range(max(n, 1).bit_length()) if 2**i <= n]
    return tuple(ks + ([n] if n not in ks and n >= 1 else []))


def abstention_applies(prompts: Sequence[str], abstained: Sequence[bool],
                       answerable: Sequence[bool | None] | None = None) -> bool:
    """Whether to report abstention and truthfulness: some problem is marked unanswerable
    (``answerable`` false), some prompt invites abstaining (it holds "I don't know" or another
    phrase of :class:`~rewardlab.rewards.abstention.AbstentionMatcher`), or some sample abstains."""
    matcher = AbstentionMatcher()
    return (any(a is False for a in answerable or ()) or any(abstained)
            or any(matcher(p) for p in dict.fromkeys(prompts)))


@dataclass(frozen=True)
class _Scored:
    """:meth:`Samples.scored`: each value kept for a sample of an answerable problem, ``None`` for the others."""

    in_scope: tuple[bool, ...]
    correct: tuple[bool | None, ...]
    answers: tuple[Hashable | None, ...]
    completions: tuple[str | None, ...]
    confidence: tuple[float | None, ...] | None
    tokens: tuple[int | None, ...] | None
    truncated: tuple[bool | None, ...] | None


@dataclass(frozen=True)
class Samples:
    """Per-sample facts of one evaluated file, in file order (a problem's samples keep their order).

    Attributes:
        problems: the problem key of each sample (:func:`problem_keys`).
        completions: completion texts.
        correct: gold correctness (``rewardlab.types.gold_correct`` of ``binary``; ``None``: unscorable).
        answers: the answer each sample states (``None``: none), the votes of maj@k.
        confidence: the stated confidence of each sample (``None`` entries: not stated), or ``None``.
        abstained: whether each sample abstains, or ``None`` when abstention does not apply.
        answerable: ``False`` for a sample of an unanswerable problem (answering it is a hallucination).
        rewards: each evaluated reward's result, by the name it is reported under.
        behaviours: whether each sample shows a behaviour, by the detector's name (:mod:`rewardlab.behaviours`).
        tokens: each completion's length in generated tokens (``None`` entries: not known), or ``None``.
        truncated: whether each completion ran out of tokens before its end-of-sequence token (``None``
            entries: not known), or ``None``.
    """

    problems: tuple[str, ...]
    completions: tuple[str, ...]
    correct: tuple[bool | None, ...]
    answers: tuple[Hashable | None, ...]
    confidence: tuple[float | None, ...] | None = None
    abstained: tuple[bool, ...] | None = None
    answerable: tuple[bool | None, ...] | None = None
    rewards: Mapping[str, RewardResult] = field(default_factory=dict)
    behaviours: Mapping[str, tuple[bool, ...]] = field(default_factory=dict)
    tokens: tuple[int | None, ...] | None = None
    truncated: tuple[bool | None, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.problems)
        lengths = {name: len(getattr(self, name)) for name in ("completions", "correct", "answers", "confidence",
                                                               "abstained", "answerable", "tokens", "truncated")
                   if getattr(self, name) is not None}
        lengths.update({f"reward {name!r}": len(result) for name, result in self.rewards.items()})
        lengths.update({f"behaviour {name!r}": len(shows) for name, shows in self.behaviours.items()})
        wrong = {name: length for name, length in lengths.items() if length != n}
        if wrong:
            raise ValueError(f"{n} problem keys but {wrong}; give one value per sample")

    def scored(self) -> _Scored:
        """The samples the accuracy, behaviour and calibration figures are over: those of answerable problems
        (an unanswerable problem has no right answer; it counts only in the truthfulness figures)."""
        keep = tuple(a is not False for a in (self.answerable or (None,) * len(self.problems)))

        def within(values: Sequence[Any]) -> tuple[Any, ...]:
            return tuple(v if k else None for v, k in zip(values, keep, strict=True))

        return _Scored(in_scope=keep, correct=within(self.correct), answers=within(self.answers),
                       completions=within(self.completions),
                       confidence=None if self.confidence is None else within(self.confidence),
                       tokens=None if self.tokens is None else within(self.tokens),
                       truncated=None if self.truncated is None else within(self.truncated))

    def by_problem(self) -> tuple[tuple[str, ...], tuple[int, ...], list[list[int]]]:
        """(problem keys in order of first appearance, each sample's problem index, each problem's samples)."""
        index: dict[str, int] = {}
        members: list[list[int]] = []
        for i, key in enumerate(self.problems):
            if key not in index:
                index[key] = len(members)
                members.append([])
            members[index[key]].append(i)
        return tuple(index), tuple(index[key] for key in self.problems), members


@dataclass(frozen=True)
class Figure:
    """One reported figure.

    Attributes:
        name: e.g. ``accuracy``, ``pass@8``, ``format/agreement``.
        value: NaN when it cannot be computed (no sample has what it needs).
        section: one of :data:`SECTIONS`.
        sums: its sums per problem, for the paired bootstrap; ``None`` for a figure that is not a mean (ECE, AUROC).
    """

    name: str
    value: float
    section: str
    sums: ProblemSums | None = None


@dataclass(frozen=True)
class Report:
    """The figures of one evaluated file.

    Attributes:
        source: what was evaluated (a file, or a model and its rollouts file).
        problems: the problem keys, in order of first appearance; ``sums`` follow this order.
        n_samples: samples in the file.
        ks: the k of pass@k and maj@k.
        figures: in the order of :data:`SECTIONS`.
        settings: sampling settings the file records (one value shared by every sample), e.g. temperature.
        behaviours: behaviour-conditional accuracy, when behaviours were detected; else ``None``.
        duplicates_dropped: lines of the file left out as repeats of a sample already read (``--dedupe``).
    """

    source: str
    problems: tuple[str, ...]
    n_samples: int
    ks: tuple[int, ...]
    figures: tuple[Figure, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    behaviours: BehaviourReport | None = None
    duplicates_dropped: int = 0

    def values(self) -> dict[str, float]:
        return {f.name: f.value for f in self.figures}

    def figure(self, name: str) -> Figure:
        for candidate in self.figures:
            if candidate.name == name:
                return candidate
        raise KeyError(f"no figure {name!r}; figures: {', '.join(f.name for f in self.figures)}")


class _Builder:
    """Collects figures: a mean of per-item values (``None``: missing), its value the metric function's
    (:func:`rewardlab.metrics.mean_available` unless given) and its sums per problem for the bootstrap; or a
    plain value."""

    def __init__(self, problem_of: Sequence[int], n_problems: int) -> None:
        self.problem_of, self.n_problems = problem_of, n_problems
        self.figures: list[Figure] = []

    def mean(self, name: str, section: str, values: Sequence[float | bool | None],
             problem_of: Sequence[int] | None = None, value: float | None = None) -> None:
        sums = ProblemSums.of_values(values, self.problem_of if problem_of is None else problem_of, self.n_problems)
        self.figures.append(Figure(name, mean_available(values) if value is None else value, section, sums))

    def plain(self, name: str, section: str, value: float) -> None:
        self.figures.append(Figure(name, value, section))


def evaluate_samples(samples: Samples, *, equivalence: Equivalence = EXACT, source: str = "",
                     ks: Sequence[int] | None = None, settings: Mapping[str, Any] | None = None,
                     elicit_to: float = 1.0, resamples: int = 10_000, seed: int = 0) -> Report:
    """Every figure of ``samples`` (see the module docstring); ``ks`` defaults to :func:`report_ks` of the
    largest number of samples of a problem (a problem with fewer samples than k is left out of pass@k and maj@k).

    The behaviours' ceilings are at share ``elicit_to``, their intervals from ``resamples`` resamples of the
    problems seeded with ``seed``."""
    keys, problem_of, members = samples.by_problem()
    n_max = max((len(m) for m in members), default=0)
    ks = report_ks(n_max) if ks is None else tuple(ks)
    build = _Builder(problem_of, len(keys))
    scored = samples.scored()
    _accuracy_figures(build, scored, members, ks, equivalence)
    texts = scored.completions
    build.mean("code_reasoning_rate", "behaviour", [None if t is None else has_code_reasoning(t) for t in texts])
    build.mean("boxed_rate", "behaviour", [None if t is None else has_boxed_answer(t) for t in texts])
    build.mean("mean_length", "behaviour", [None if t is None else len(t) for t in texts])
    if scored.tokens is not None and any(n is not None for n in scored.tokens):
        build.mean("mean_tokens", "behaviour", scored.tokens)
    if scored.truncated is not None and any(t is not None for t in scored.truncated):
        build.mean("truncation_rate", "behaviour", scored.truncated)
    if scored.confidence is not None:
        _calibration_figures(build, scored)
    if samples.abstained is not None:
        _truthfulness_figures(build, samples)
    for name, result in samples.rewards.items():
        _reward_figures(build, name, result.scores, scored.correct)
    behaviours = None if not samples.behaviours else behaviour_report(
        samples.behaviours, scored.correct, problem_of, len(keys), elicit_to=elicit_to, resamples=resamples,
        seed=seed)
    return Report(source=source, problems=keys, n_samples=len(samples.problems), ks=ks,
                  figures=tuple(build.figures), settings=dict(settings or {}), behaviours=behaviours)


def _accuracy_figures(build: _Builder, scored: _Scored, members: Sequence[Sequence[int]], ks: Sequence[int],
                      equivalence: Equivalence) -> None:
    """Accuracy, and pass@k, pass^k and maj@k over the problems, for each k."""
    build.mean("accuracy", "accuracy", scored.correct)
    correct_per_problem = [[scored.correct[i] for i in m] for m in members]
    answers_per_problem = [[scored.answers[i] for i in m] for m in members]
    each_problem = range(len(members))
    for k in ks:
        build.mean(f"pass@{k}", "accuracy", pass_at_k_per_group(correct_per_problem, k), each_problem)
    # A vote that asks math-verify is anchored on the gold verdicts (rewardlab.evaluation.anchored); EXACT is not.
    anchored = AnchoredVotes(equivalence, answers_per_problem, correct_per_problem) if equivalence.same else None
    for k in ks:
        build.mean(f"pass^{k}", "accuracy", pass_all_k_per_group(correct_per_problem, k), each_problem)
    for k in ks:
        voting = equivalence if anchored is None else anchored.for_k(k)
        build.mean(f"maj@{k}", "accuracy",
                   majority_correct_per_group(answers_per_problem, correct_per_problem, k, voting), each_problem)


def _calibration_figures(build: _Builder, scored: _Scored) -> None:
    """ECE, Brier, AUROC, the mean stated confidence and how often one is stated (NaN where none is)."""
    q, y = scored.confidence or (), scored.correct
    build.plain("ece", "calibration", expected_calibration_error(q, y))
    build.mean("brier", "calibration", squared_errors(q, y), value=brier_score(q, y))
    build.plain("auroc", "calibration", auroc(q, y))
    build.mean("mean_confidence", "calibration", q)
    stated = [qi is not None if keep else None for qi, keep in zip(q, scored.in_scope, strict=True)]
    build.mean("confidence_rate", "calibration", stated)


def _truthfulness_figures(build: _Builder, samples: Samples) -> None:
    """TruthRL's rates over every sample: an unanswerable problem can only be abstained on or hallucinated on."""
    answerable = samples.answerable or (None,) * len(samples.problems)
    truth = [False if a is False else c for c, a in zip(samples.correct, answerable, strict=True)]
    hallucinated, terms = outcome_terms(truth, samples.abstained)
    build.mean("abstention_rate", "truthfulness", samples.abstained)
    build.mean("hallucination_rate", "truthfulness", hallucinated, value=hallucination_rate(truth, samples.abstained))
    build.mean("truthfulness", "truthfulness", terms, value=truthfulness(truth, samples.abstained))
    if any(a is False for a in answerable):
        build.mean("unanswerable_abstention", "truthfulness",
                   [u if a is False else None for u, a in zip(samples.abstained, answerable, strict=True)])


def _reward_figures(build: _Builder, name: str, scores: Sequence[float | None],
                    correct: Sequence[bool | None]) -> None:
    """A reward's mean, and ``score > THRESHOLD`` against gold: agreement, precision (over the samples it
    calls correct) and recall (over the correct samples), each the mean of its per-sample terms
    (:func:`rewardlab.metrics.drift.detector_terms`)."""
    agree, precise, recalled = detector_terms(scores, correct, THRESHOLD)
    build.mean(f"{name}/mean", "reward", scores)
    build.mean(f"{name}/agreement", "reward", agree)
    build.mean(f"{name}/precision", "reward", precise)
    build.mean(f"{name}/recall", "reward", recalled)
