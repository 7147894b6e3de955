"""Accuracy over samples and over groups of samples: mean accuracy, pass@k, pass^k, maj@k.

Pure functions over sequences (or numpy arrays). ``None`` and NaN mean "missing": a sample that
could not be scored is left out of every mean rather than counted as wrong. Also holds the two
missing-value helpers (:func:`to_float_array`, :func:`complete_pairs`) the other metric modules share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from rewardlab.answers.vote import EXACT, Equivalence, Vote, vote_groups

FloatArray = NDArray[np.float64]


class InsufficientSamplesError(ValueError):
    """No group has the ``k`` samples a group metric (pass@k, maj@k) needs."""


def to_float_array(values: Iterable[float | bool | None]) -> FloatArray:
    """A 1-D float64 array of ``values`` with ``None`` written as NaN (bools become 0.0 / 1.0)."""
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def complete_pairs(first: Iterable[float | bool | None], second: Iterable[float | bool | None],
                   names: tuple[str, str] = ("first", "second")) -> tuple[FloatArray, FloatArray]:
    """The pairs ``(first[i], second[i])`` where neither is ``None`` nor NaN, as two float arrays.

    Raises:
        ValueError: when the two sequences differ in length (``names`` label them in the message).
    """
    a, b = to_float_array(first), to_float_array(second)
    if a.shape != b.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same length, got {a.size} and {b.size}")
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep], b[keep]


def mean_available(values: Iterable[float | bool | None]) -> float:
    """Mean of the entries that are neither ``None`` nor NaN; NaN when there are none.

    .. math:: \\bar v = \\frac{1}{|A|} \\sum_{i \\in A} v_i, \\quad A = \\{i : v_i \\text{ available}\\}

    Summed in order, one value after another (not numpy's pairwise sum), so a mean of stated confidences
    is the same to the last bit as the bench rows kept in docs/results were computed.
    """
    available = [float(v) for v in to_float_array(values).tolist() if not math.isnan(v)]
    return sum(available) / len(available) if available else math.nan


def mean_accuracy(correct: Iterable[bool | float | None]) -> float:
    """Fraction of scorable samples that are correct.

    .. math:: \\text{acc} = \\frac{1}{|A|} \\sum_{i \\in A} \\mathbb{1}[\\text{correct}_i]

    ``A`` holds the samples whose correctness is known: ``None`` and NaN entries are ignored.
    Returns NaN when nothing is scorable.
    """
    return mean_available(correct)


def _check_counts(name: str, n: int, c: int, k: int) -> None:
    if not 0 <= c <= n:
        raise ValueError(f"{name} needs 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"{name} needs 1 <= k <= n, got n={n}, k={k}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimator of pass@k from ``n`` samples of which ``c`` are correct.

    .. math:: \\text{pass@}k = 1 - \\binom{n-c}{k} \\Big/ \\binom{n}{k}
              = 1 - \\prod_{i=n-c+1}^{n} \\left(1 - \\frac{k}{i}\\right)

    The product form (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"; also
    used by the NSR paper, Zhu et al. 2025) avoids huge binomials. It is 1 when ``n - c < k``.

    Raises:
        ValueError: unless ``0 <= c <= n`` and ``1 <= k <= n``.
    """
    _check_counts("pass@k", n, c, k)
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1, dtype=np.float64)))


def pass_all_k(n: int, c: int, k: int) -> float:
    """Unbiased estimator of pass^k (all of ``k`` samples right) from ``n`` samples of which ``c`` are correct.

    .. math:: \\text{pass}^k = \\binom{c}{k} \\Big/ \\binom{n}{k} = \\prod_{i=0}^{k-1} \\frac{c - i}{n - i}

    The reliability figure of τ-bench (Yao et al. 2024): the chance that ``k`` samples drawn without
    replacement from the ``n`` are all correct, as :func:`pass_at_k` is the chance that at least one is.
    It is 0 when ``c < k``; pass^1 = pass@1 = c / n.

    Raises:
        ValueError: unless ``0 <= c <= n`` and ``1 <= k <= n``.
    """
    _check_counts("pass^k", n, c, k)
    if c < k:
        return 0.0
    return float(np.prod((c - np.arange(k, dtype=np.float64)) / (n - np.arange(k, dtype=np.float64))))


def is_missing(value: bool | float | None) -> bool:
    """``None`` or NaN: a value the metrics leave out."""
    return value is None or math.isnan(float(value))


def _scorable(group: Iterable[bool | float | None]) -> list[bool]:
    """The known correctness values of a group (``None`` and NaN dropped)."""
    return [bool(v) for v in group if not is_missing(v)]


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")


def pass_at_k_per_group(correct_per_group: Sequence[Sequence[bool | None]], k: int) -> list[float | None]:
    """:func:`pass_at_k` of each group from its scorable samples; ``None`` for a group with fewer than ``k``.

    ``n_g`` counts the scorable samples of group ``g`` (``None`` entries are dropped) and ``c_g`` the
    correct ones.
    """
    return _per_group(pass_at_k, correct_per_group, k)


def _per_group(estimator: Callable[[int, int, int], float], correct_per_group: Sequence[Sequence[bool | None]],
               k: int) -> list[float | None]:
    _check_k(k)
    estimates: list[float | None] = []
    for group in correct_per_group:
        known = _scorable(group)
        estimates.append(estimator(len(known), sum(known), k) if len(known) >= k else None)
    return estimates


def pass_all_k_per_group(correct_per_group: Sequence[Sequence[bool | None]], k: int) -> list[float | None]:
    """:func:`pass_all_k` of each group from its scorable samples; ``None`` for a group with fewer than ``k``."""
    return _per_group(pass_all_k, correct_per_group, k)


def mean_pass_at_k(correct_per_group: Sequence[Sequence[bool | None]], k: int) -> float:
    """Mean of :func:`pass_at_k` over the groups (one group per prompt) that have at least ``k`` samples.

    .. math:: \\overline{\\text{pass@}k} = \\frac{1}{|G_k|} \\sum_{g \\in G_k} \\text{pass@}k(n_g, c_g),
              \\quad G_k = \\{g : n_g \\ge k\\}

    ``n_g`` counts the scorable samples of group ``g`` (``None`` entries are dropped) and ``c_g`` the
    correct ones (:func:`pass_at_k_per_group`).

    Raises:
        InsufficientSamplesError: (a ``ValueError``) when no group has ``k`` scorable samples.
    """
    estimates = [e for e in pass_at_k_per_group(correct_per_group, k) if e is not None]
    if not estimates:
        raise InsufficientSamplesError(
            f"pass@{k} needs a group with at least {k} scorable samples; the largest has "
            f"{max((len(_scorable(g)) for g in correct_per_group), default=0)}")
    return float(np.mean(estimates))


def majority_answer(answers: Sequence[Hashable | None], equivalence: Equivalence = EXACT) -> Hashable | None:
    """The first-seen answer of the largest class of equivalent answers, ties going to the class seen first.

    ``None`` answers do not vote; ``None`` when nobody votes. ``equivalence`` defaults to identical
    answers; pass ``checker.equivalence()`` (:class:`~rewardlab.answers.AnswerChecker`) to vote by
    math-verify classes, as the self-consistency reward does.
    """
    return vote_groups([answers], equivalence)[0].label


def _majority_correct(vote: Vote, correct: Sequence[bool | None]) -> bool | None:
    """Whether the winning class of ``vote`` is correct; ``None`` when that cannot be known."""
    if vote.winner is None:
        return False  # no answer at all: the vote fails
    verdicts = [c for cls, c in zip(vote.classes, correct, strict=True) if cls == vote.winner and not is_missing(c)]
    return any(bool(c) for c in verdicts) if verdicts else None


def maj_at_k(answers_per_group: Sequence[Sequence[Hashable | None]],
             correct_per_group: Sequence[Sequence[bool | None]], k: int, equivalence: Equivalence = EXACT) -> float:
    """Majority-vote accuracy over the first ``k`` samples of each group (self-consistency, Wang et al. 2023).

    .. math:: \\text{maj@}k = \\frac{1}{|G_k|} \\sum_{g \\in G_k}
              \\mathbb{1}\\left[\\hat a_g \\text{ is correct}\\right], \\quad
              \\hat a_g = \\arg\\max_a \\sum_{i \\le k} \\mathbb{1}[a_{g,i} = a]

    For each group with at least ``k`` samples, take its first ``k`` samples; ``None`` answers do not
    vote, ties go to the class that appears first. Answers vote together when ``equivalence`` says so:
    identical answers by default, math-verify classes with ``checker.equivalence()`` (then maj@k votes
    exactly as the self-consistency reward; one vote for all groups, :mod:`rewardlab.answers.vote`).
    The group counts as correct when a sample of the majority class is correct, and as wrong when no
    sample has an answer. A group whose majority-class samples all have unknown (``None``) correctness
    is left out.

    Raises:
        ValueError: when the two sequences do not match in shape.
        InsufficientSamplesError: (a ``ValueError``) when no group has ``k`` samples to vote.
    """
    outcomes = [o for o in majority_correct_per_group(answers_per_group, correct_per_group, k, equivalence)
                if o is not None]
    if not any(len(answers) >= k for answers in answers_per_group):
        raise InsufficientSamplesError(
            f"maj@{k} needs a group with at least {k} samples; the largest has "
            f"{max((len(a) for a in answers_per_group), default=0)}")
    return float(np.mean(outcomes)) if outcomes else math.nan


def majority_correct_per_group(answers_per_group: Sequence[Sequence[Hashable | None]],
                               correct_per_group: Sequence[Sequence[bool | None]], k: int,
                               equivalence: Equivalence = EXACT) -> list[bool | None]:
    """Whether the majority class of each group's first ``k`` samples is correct (the terms of :func:`maj_at_k`).

    ``None`` for a group with fewer than ``k`` samples or whose majority class has only unknown
    correctness; ``False`` for a group where no sample has an answer. One vote for all groups.

    Raises:
        ValueError: when the two sequences do not match in shape.
    """
    _check_k(k)
    if len(answers_per_group) != len(correct_per_group):
        raise ValueError(f"answers_per_group and correct_per_group must have the same number of groups, "
                         f"got {len(answers_per_group)} and {len(correct_per_group)}")
    voting: list[int] = []
    for index, (answers, correct) in enumerate(zip(answers_per_group, correct_per_group, strict=True)):
        if len(answers) != len(correct):
            raise ValueError(f"group {index} has {len(answers)} answers but {len(correct)} correct values")
        if len(answers) >= k:
            voting.append(index)
    votes = vote_groups([list(answers_per_group[g])[:k] for g in voting], equivalence)
    outcomes: list[bool | None] = [None] * len(answers_per_group)
    for g, vote in zip(voting, votes, strict=True):
        outcomes[g] = _majority_correct(vote, list(correct_per_group[g])[:k])
    return outcomes
