"""The one majority vote: answers fall into classes of an equivalence, and the largest class wins.

maj@k (:mod:`rewardlab.metrics.accuracy`), the self-consistency reward and the incorrect-label builder
all vote here; they differ only in the :class:`Equivalence` they pass. :data:`EXACT` merges identical
answers only; :meth:`rewardlab.answers.AnswerChecker.equivalence` merges math-verify's classes
(``1/2``, ``0.5`` and ``\\frac{1}{2}`` are one vote). This module imports nothing beyond the standard
library, so the pure metrics stay importable without math-verify.

The cost grows with the number of distinct *forms* of a group, not with its size: answers with the
same :attr:`Equivalence.key` are one form for free; then every pair of forms is decided in one call to
:attr:`Equivalence.same` for all groups together, and equal forms are merged by union-find.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

# Decides pairs of forms (later form, earlier form), given the group each pair belongs to.
SameFn = Callable[[Sequence[tuple[Hashable, Hashable]], Sequence[int]], Sequence[bool]]


def _identity(answer: Hashable) -> Hashable:
    return answer


@dataclass(frozen=True)
class Equivalence:
    """When two answers vote together.

    Attributes:
        key: answers with equal keys are one form and vote together without asking ``same``.
        same: decides pairs of distinct forms in one call (``None``: distinct forms never merge).
    """

    key: Callable[[Hashable], Hashable] = _identity
    same: SameFn | None = None


EXACT = Equivalence()


@dataclass(frozen=True)
class Vote:
    """The outcome of one group's vote.

    Attributes:
        label: the first-seen answer of the largest class (``None`` when nobody answered).
        share: votes of the label's class over all samples of the group, answerless ones included.
        classes: the class of each answer (numbered by first appearance), ``None`` for a missing answer.
        sizes: the number of votes of each class.
    """

    label: Hashable | None
    share: float
    classes: tuple[int | None, ...]
    sizes: tuple[int, ...]

    @property
    def winner(self) -> int | None:
        """The class of the label (``None`` when nobody answered)."""
        return _largest(self.sizes)


def _largest(sizes: Sequence[int]) -> int | None:
    """The index of the largest class, ties going to the class seen first."""
    return max(range(len(sizes)), key=lambda c: (sizes[c], -c)) if sizes else None


@dataclass(frozen=True)
class _Forms:
    """A group's answers by form (equal keys), forms numbered by first appearance."""

    first: tuple[Hashable, ...]  # the first-seen answer of each form
    of_answer: tuple[int | None, ...]  # each answer's form

    @classmethod
    def of(cls, answers: Sequence[Hashable | None], key: Callable[[Hashable], Hashable]) -> _Forms:
        index: dict[Hashable, int] = {}
        first: list[Hashable] = []
        of_answer: list[int | None] = []
        for answer in answers:
            if answer is None:
                of_answer.append(None)
                continue
            k = key(answer)
            if k not in index:
                index[k] = len(first)
                first.append(answer)
            of_answer.append(index[k])
        return cls(tuple(first), tuple(of_answer))

    def pairs(self, max_forms: int = 0) -> list[tuple[int, int]]:
        """Every pair ``(i, j)`` of forms with ``i < j`` (the earlier one serves as the reference).

        With ``max_forms`` > 0 only the ``max_forms`` most voted forms (ties: first seen) are paired.
        """
        merged = list(range(len(self.first)))
        if 0 < max_forms < len(merged):
            votes = [0] * len(self.first)
            for f in self.of_answer:
                if f is not None:
                    votes[f] += 1
            merged = sorted(sorted(merged, key=lambda f: -votes[f])[:max_forms])
        return [(i, j) for n, j in enumerate(merged) for i in merged[:n]]


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _tally(forms: _Forms, equal: Sequence[tuple[int, int]]) -> Vote:
    """Merge equal forms (union-find, the earliest form as root) and count each class's votes."""
    parent = list(range(len(forms.first)))
    for i, j in equal:
        a, b = _find(parent, i), _find(parent, j)
        parent[max(a, b)] = min(a, b)
    roots = sorted({_find(parent, f) for f in range(len(parent))})
    class_of_root = {root: c for c, root in enumerate(roots)}
    classes = tuple(None if f is None else class_of_root[_find(parent, f)] for f in forms.of_answer)
    sizes = [0] * len(roots)
    for c in classes:
        if c is not None:
            sizes[c] += 1
    winner = _largest(sizes)
    if winner is None:
        return Vote(label=None, share=0.0, classes=classes, sizes=())
    return Vote(label=forms.first[roots[winner]], share=sizes[winner] / len(classes), classes=classes,
                sizes=tuple(sizes))


def vote_groups(groups: Sequence[Sequence[Hashable | None]], equivalence: Equivalence = EXACT,
                max_forms: int = 0) -> list[Vote]:
    """Majority vote in each group under ``equivalence``, with one call to ``equivalence.same`` for all groups.

    ``None`` answers vote for no class but count in the share. Two forms are merged when
    ``equivalence.same`` says so for the pair; a pair it cannot decide (a verification that fails or
    runs out of time) keeps them apart. ``max_forms`` > 0 bounds the pairs decided per group to
    max_forms(max_forms−1)/2: only the ``max_forms`` most voted forms are merged, each rarer form stays
    a class of its own.

    >>> vote_groups([["b", "a", "a", None]])[0]
    Vote(label='a', share=0.5, classes=(0, 1, 1, None), sizes=(1, 2))
    """
    by_form = [_Forms.of(answers, equivalence.key) for answers in groups]
    to_decide = [] if equivalence.same is None else [
        (g, i, j) for g, forms in enumerate(by_form) for i, j in forms.pairs(max_forms)]
    equal: list[list[tuple[int, int]]] = [[] for _ in groups]
    if to_decide:
        same = equivalence.same([(by_form[g].first[j], by_form[g].first[i]) for g, i, j in to_decide],
                                [g for g, _, _ in to_decide])
        for (g, i, j), is_same in zip(to_decide, same, strict=True):
            if is_same:
                equal[g].append((i, j))
    return [_tally(forms, pairs) for forms, pairs in zip(by_form, equal, strict=True)]
