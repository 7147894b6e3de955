"""What one set of samples says about a model: the figures of ``rewardlab eval``, each as the papers define it.

:func:`evaluate_samples` turns per-sample facts (:class:`Samples`: gold correctness, the answers that
vote, the texts, a stated confidence, abstention, each reward's result) into a :class:`Report`:

- accuracy (mean over scorable samples; at T = 0 the greedy accuracy), unbiased pass@k, pass^k (all k
  right) and maj@k for every k of :func:`report_ks` (maj@k votes by the equivalence given: math-verify
  classes from ``checker.equivalence()``, as ``self_consistency`` votes, anchored on the gold verdicts:
  answers correct against the reference vote together, :mod:`rewardlab.evaluation.anchored`);
- code-reasoning rate, boxed rate, mean length (characters);
- when some sample states a confidence: ECE, Brier, AUROC and the mean confidence;
- when abstention applies (:func:`abstention_applies`): abstention, hallucination and truthfulness;
- for each reward: its mean, and its agreement, precision and recall against gold correctness;
- for each behaviour detected (``Samples.behaviours``): its share, accuracy with and without it and the
  elicitation ceiling, with bootstrap intervals (:mod:`rewardlab.evaluation.conditional`), in ``Report.behaviours``.

Every figure that is a mean carries its sums per problem (:class:`~rewardlab.evaluation.bootstrap.ProblemSums`)
for the paired bootstrap, and its value *is* those sums' ratio, so the figure and its interval share one
definition: the mean of the available per-sample (or, for pass@k and maj@k, per-problem) values, as the
metric functions of :mod:`rewardlab.metrics` compute it (the tests check each against them).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardlab.answers.extraction import has_boxed_answer
from rewardlab.answers.vote import EXACT, Equivalence
from rewardlab.evaluation.anchored import AnchoredVotes
from rewardlab.evaluation.bootstrap import ProblemSums
from rewardlab.evaluation.conditional import BehaviourReport, behaviour_report
from rewardlab.metrics.accuracy import majority_correct_per_group, pass_all_k_per_group, pass_at_k_per_group
from rewardlab.metrics.behaviour import has_code_reasoning
from rewardlab.metrics.calibration import auroc, expected_calibration_error
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

    def __post_init__(self) -> None:
        n = len(self.problems)
        lengths = {name: len(getattr(self, name)) for name in ("completions", "correct", "answers", "confidence",
                                                               "abstained", "answerable")
                   if getattr(self, name) is not None}
        lengths.update({f"reward {name!r}": len(result) for name, result in self.rewards.items()})
        lengths.update({f"behaviour {name!r}": len(shows) for name, shows in self.behaviours.items()})
        wrong = {name: length for name, length in lengths.items() if length != n}
        if wrong:
            raise ValueError(f"{n} problem keys but {wrong}; give one value per sample")

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
    """Collects figures: a mean from per-item values (``None``: missing) over the problems, or a plain value."""

    def __init__(self, problem_of: Sequence[int], n_problems: int) -> None:
        self.problem_of, self.n_problems = problem_of, n_problems
        self.figures: list[Figure] = []

    def mean(self, name: str, section: str, values: Sequence[float | bool | None],
             problem_of: Sequence[int] | None = None) -> None:
        sums = ProblemSums.of_values(values, self.problem_of if problem_of is None else problem_of, self.n_problems)
        self.figures.append(Figure(name, sums.value, section, sums))

    def plain(self, name: str, section: str, value: float) -> None:
        self.figures.append(Figure(name, value, section))


def _known(*values: Any) -> bool:
    return all(v is not None and not (isinstance(v, float) and math.isnan(v)) for v in values)


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

    build.mean("accuracy", "accuracy", samples.correct)
    correct_per_problem = [[samples.correct[i] for i in m] for m in members]
    answers_per_problem = [[samples.answers[i] for i in m] for m in members]
    each_problem = range(len(keys))
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

    build.mean("code_reasoning_rate", "behaviour", [has_code_reasoning(t) for t in samples.completions])
    build.mean("boxed_rate", "behaviour", [has_boxed_answer(t) for t in samples.completions])
    build.mean("mean_length", "behaviour", [len(t) for t in samples.completions])

    if samples.confidence is not None and any(q is not None for q in samples.confidence):
        q, y = samples.confidence, samples.correct
        build.plain("ece", "calibration", expected_calibration_error(q, y))
        build.mean("brier", "calibration",
                   [(qi - yi) ** 2 if _known(qi, yi) else None for qi, yi in zip(q, y, strict=True)])
        build.plain("auroc", "calibration", auroc(q, y))
        build.mean("mean_confidence", "calibration", q)
        build.mean("confidence_rate", "calibration", [qi is not None for qi in q])

    if samples.abstained is not None:
        answerable = samples.answerable or (None,) * len(samples.problems)
        # An unanswerable problem can only be abstained on or hallucinated on (TruthRL).
        truth = [False if a is False else c for c, a in zip(samples.correct, answerable, strict=True)]
        pairs = list(zip(truth, samples.abstained, strict=True))
        build.mean("abstention_rate", "truthfulness", samples.abstained)
        build.mean("hallucination_rate", "truthfulness", [None if c is None else (not u and not c) for c, u in pairs])
        build.mean("truthfulness", "truthfulness",
                   [None if c is None else float(not u and c) - float(not u and not c) for c, u in pairs])

    for name, result in samples.rewards.items():
        _reward_figures(build, name, result.scores, samples.correct)
    behaviours = None if not samples.behaviours else behaviour_report(
        samples.behaviours, samples.correct, problem_of, len(keys), elicit_to=elicit_to, resamples=resamples,
        seed=seed)
    return Report(source=source, problems=keys, n_samples=len(samples.problems), ks=ks,
                  figures=tuple(build.figures), settings=dict(settings or {}), behaviours=behaviours)


def _reward_figures(build: _Builder, name: str, scores: Sequence[float | None],
                    correct: Sequence[bool | None]) -> None:
    """A reward's mean, and ``score > THRESHOLD`` against gold: agreement, precision (over the samples it
    calls correct) and recall (over the correct samples), each the mean of a per-sample value."""
    pairs = [(s > THRESHOLD, bool(c)) if _known(s, c) else None for s, c in zip(scores, correct, strict=True)]
    build.mean(f"{name}/mean", "reward", scores)
    build.mean(f"{name}/agreement", "reward", [None if p is None else p[0] == p[1] for p in pairs])
    build.mean(f"{name}/precision", "reward", [p[1] if p is not None and p[0] else None for p in pairs])
    build.mean(f"{name}/recall", "reward", [p[0] if p is not None and p[1] else None for p in pairs])
