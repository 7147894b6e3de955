"""maj@k's vote, anchored on the gold verdicts: math-verify is asked only about pairs the reference leaves open.

A file of many problems, each with several distinct answers, asks a pairwise vote about every pair of
forms of every problem, several times the work of checking the answers against their references. But
``rewardlab eval`` already knows each answer's verdict against the reference, so in :class:`AnchoredVotes`:

- two answers verified correct vote together (both equal the reference);
- an answer verified correct and one verified wrong never vote together;
- two wrong answers are asked about (``checker.equivalence()``: math-verify, as ``self_consistency``
  votes) only while their merging could still change maj@k: when the wrong answers that may still be
  equal could together outnumber the correct class (or tie it, seen before it). Pairs are asked in
  rounds, the open pairs of one wrong answer per problem at a time (the most voted first); once no
  group of wrong answers can win any more, the problem's other pairs are left undecided (apart).
  Whether the winning class is correct, maj@k's figure, is then the one the full vote gives; a vote's
  label and classes are not reported;
- when some answer of a problem has no known verdict, every pair of that problem is asked.

The vote equals the pairwise vote whenever math-verify's equality is transitive through the reference
(it is on numbers, fractions and expressions that parse to one value); answers that math-verify calls
equal to each other but not both equal to the reference are where the two could part. Each pair is
decided once for all k (the first k answers of a problem are a prefix of its larger k's).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from rewardlab.answers.vote import Equivalence

Key = tuple[int, Hashable, Hashable]  # (problem, later form, earlier form)


@dataclass
class _Problem:
    """One problem's first k answers as the pruning sees them: the correct class and the wrong forms."""

    index: int
    correct: int  # samples in the correct class
    first_correct: int  # position of its first sample
    wrong: dict[Hashable, tuple[int, int]] = field(default_factory=dict)  # form -> (samples, first position)

    def can_win(self, forms: Sequence[Hashable]) -> bool:
        """Whether wrong ``forms``, merged into one class, would beat the correct class (ties: first seen wins)."""
        count = sum(self.wrong[f][0] for f in forms)
        first = min(self.wrong[f][1] for f in forms)
        return count > self.correct or (count == self.correct and first < self.first_correct)


class AnchoredVotes:
    """The per-problem verdict of each form of answer, and the pairs decided so far (shared by every k)."""

    def __init__(self, equivalence: Equivalence, answers_per_problem: Sequence[Sequence[Hashable | None]],
                 correct_per_problem: Sequence[Sequence[bool | None]]) -> None:
        self.equivalence = equivalence
        self.answers = answers_per_problem
        self.verdicts: list[dict[Hashable, bool | None]] = []
        for answers, correct in zip(answers_per_problem, correct_per_problem, strict=True):
            forms: dict[Hashable, bool | None] = {}
            for answer, verdict in zip(answers, correct, strict=True):
                if answer is None:
                    continue
                key = equivalence.key(answer)
                known = verdict if isinstance(verdict, bool) else None
                forms[key] = known if key not in forms or forms[key] == known else None  # disagreeing: unknown
            self.verdicts.append(forms)
        self.decided: dict[Key, bool] = {}

    def for_k(self, k: int) -> Equivalence:
        """The equivalence for maj@k's vote: its groups are the problems with at least ``k`` answers, in order."""
        voting = [p for p, answers in enumerate(self.answers) if len(answers) >= k]
        key = self.equivalence.key

        def same(pairs: Sequence[tuple[Hashable, Hashable]], groups: Sequence[int]) -> list[bool]:
            keys = [(voting[g], key(a), key(b)) for (a, b), g in zip(pairs, groups, strict=True)]
            unanchored: dict[int, list[Key]] = {}  # per problem, every pair the gold verdicts leave open
            for pair in keys:
                if self._anchor(pair) is None:
                    unanchored.setdefault(pair[0], []).append(pair)
            self._decide(unanchored, k, dict(zip(keys, pairs, strict=True)))
            return [bool(self._anchor(pair) or self.decided.get(pair, False)) for pair in keys]

        return Equivalence(key=key, same=same)

    def _anchor(self, pair: Key) -> bool | None:
        """The vote the gold verdicts decide: both correct, or one correct and one wrong; else ``None``."""
        verdicts = self.verdicts[pair[0]]
        va, vb = verdicts.get(pair[1]), verdicts.get(pair[2])
        if va is True and vb is True:
            return True
        return False if {va, vb} == {True, False} else None

    def _decide(self, unanchored: dict[int, list[Key]], k: int,
                answers_of: dict[Key, tuple[Hashable, Hashable]]) -> None:
        """Ask the pairs that can change maj@k, in rounds, into :attr:`decided`.

        A pair's group is its problem, the same for every k and round: the checker sends a problem's pairs to
        one worker each time, whose caches hold the problem's answers parsed already.
        """
        problems = {p: self._problem(p, k) for p in unanchored}
        while True:
            ask = [pair for p, pairs in unanchored.items() for pair in self._to_ask(problems[p], pairs)]
            if not ask or self.equivalence.same is None:
                return
            answers = self.equivalence.same([answers_of[pair] for pair in ask], [pair[0] for pair in ask])
            for pair, answer in zip(ask, answers, strict=True):
                self.decided[pair] = bool(answer)

    def _problem(self, p: int, k: int) -> _Problem | None:
        """The correct class and wrong forms of problem ``p``'s first ``k`` answers (None: a verdict is unknown)."""
        verdicts, problem = self.verdicts[p], _Problem(p, 0, k)
        for position, answer in enumerate(self.answers[p][:k]):
            if answer is None:
                continue
            form = self.equivalence.key(answer)
            if verdicts.get(form) is None:
                return None
            if verdicts[form]:
                problem.correct += 1
                problem.first_correct = min(problem.first_correct, position)
            else:
                count, first = problem.wrong.get(form, (0, position))
                problem.wrong[form] = (count + 1, first)
        return problem

    def _to_ask(self, problem: _Problem | None, pairs: list[Key]) -> list[Key]:
        """The next round's pairs of one problem (``pairs``: those the gold verdicts leave open): all undecided
        ones when a verdict is unknown; else one wrong form's undecided pairs within a group of wrong forms that
        could still win (none once no such group is left, or one is certain to win)."""
        undecided = [pair for pair in pairs if pair not in self.decided]
        if problem is None or not undecided:
            return undecided
        if problem.correct == 0:
            return []  # every class is wrong, merged or not
        if any(problem.can_win(forms) for forms in self._classes(problem, pairs, maybe=False)):
            return []  # a class of wrong answers is certain to win: more pairs change nothing
        for forms in self._classes(problem, pairs, maybe=True):
            if problem.can_win(forms):
                pending = [f for f in forms if any(f in pair[1:] for pair in undecided)]
                pivot = max(pending, key=lambda f: (problem.wrong[f][0], -problem.wrong[f][1]))  # most votes first
                return [pair for pair in undecided if pivot in pair[1:]]
        return []

    def _classes(self, problem: _Problem, pairs: list[Key], *, maybe: bool) -> list[list[Hashable]]:
        """The wrong forms grouped by the pairs decided equal (and, with ``maybe``, those still undecided)."""
        parent = {form: form for form in problem.wrong}

        def root(form: Hashable) -> Hashable:
            while parent[form] != form:
                form = parent[form]
            return form

        for pair in pairs:
            if self.decided.get(pair, maybe):
                parent[root(pair[1])] = root(pair[2])
        classes: dict[Hashable, list[Hashable]] = {}
        for form in problem.wrong:
            classes.setdefault(root(form), []).append(form)
        return list(classes.values())
