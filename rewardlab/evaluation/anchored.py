"""maj@k's vote, anchored on the gold verdicts: math-verify is asked only about pairs the reference leaves open.

A file of many problems, each with several distinct answers, asks a pairwise vote about every pair of
forms of every problem, several times the work of checking the answers against their references. But
``rewardlab eval`` already knows each answer's verdict against the reference, so in :func:`anchored`:

- two answers verified correct vote together (both equal the reference);
- an answer verified correct and one verified wrong never vote together;
- every other pair (two wrong answers, or one whose correctness is unknown) is decided by the
  equivalence given (``checker.equivalence()``: math-verify, as ``self_consistency`` votes).

Two wrong answers are asked about only where their vote could change maj@k: when every answer of the
problem has a known verdict and the wrong answers, all merged, could not outnumber the correct class
(nor tie it having been seen first), or when one wrong answer already outnumbers it, no merge among
wrong answers changes whether the winning class is correct, so those pairs are left undecided (apart).
maj@k's figure is then the one the full vote gives; a vote's label and classes are not reported.

The vote equals the pairwise vote whenever math-verify's equality is transitive through the reference
(it is on numbers, fractions and expressions that parse to one value); answers that math-verify calls
equal to each other but not both equal to the reference are where the two could part. Each pair is
decided once for all k (the first k answers of a problem are a prefix of its larger k's).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rewardlab.answers.vote import Equivalence


class AnchoredVotes:
    """The per-problem verdict of each form of answer, and the pairs decided so far (shared by every k)."""

    def __init__(self, equivalence: Equivalence, answers_per_problem: Sequence[Sequence[Hashable | None]],
                 correct_per_problem: Sequence[Sequence[bool | None]]) -> None:
        self.equivalence = equivalence
        self.counts = [len(answers) for answers in answers_per_problem]
        self._answers = answers_per_problem
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
        self.decided: dict[tuple[int, Hashable, Hashable], bool] = {}

    def for_k(self, k: int) -> Equivalence:
        """The equivalence for maj@k's vote: its groups are the problems with at least ``k`` answers, in order."""
        voting = [p for p, n in enumerate(self.counts) if n >= k]
        key = self.equivalence.key
        open_groups: dict[int, bool] = {}

        def same(pairs: Sequence[tuple[Hashable, Hashable]], groups: Sequence[int]) -> list[bool]:
            out: list[bool | None] = []
            ask: list[int] = []
            for i, ((a, b), g) in enumerate(zip(pairs, groups, strict=True)):
                p, ka, kb = voting[g], key(a), key(b)
                va, vb = self.verdicts[p].get(ka), self.verdicts[p].get(kb)
                if g not in open_groups:
                    open_groups[g] = self._wrong_votes_matter(p, k)
                if va is True and vb is True:
                    out.append(True)
                elif {va, vb} == {True, False} or not open_groups[g]:
                    out.append(False)
                else:
                    out.append(self.decided.get((p, ka, kb)))
                    if out[-1] is None:
                        ask.append(i)
            if ask and self.equivalence.same is not None:
                answers = self.equivalence.same([pairs[i] for i in ask], [groups[i] for i in ask])
                for i, answer in zip(ask, answers, strict=True):
                    a, b = pairs[i]
                    self.decided[(voting[groups[i]], key(a), key(b))] = bool(answer)
                    out[i] = bool(answer)
            return [bool(o) for o in out]

        return Equivalence(key=key, same=same)

    def _wrong_votes_matter(self, problem: int, k: int) -> bool:
        """Whether merging wrong answers among the first ``k`` of ``problem`` could change maj@k's outcome."""
        verdicts = self.verdicts[problem]
        answers = [a for a in self._answers[problem][:k] if a is not None]
        keys = [self.equivalence.key(a) for a in answers]
        if any(verdicts.get(key) is None for key in keys):
            return True  # an answer of unknown correctness: every pair is decided
        correct = [i for i, key in enumerate(keys) if verdicts[key]]
        if not correct:
            return False  # every class is wrong, merged or not
        wrong: dict[Hashable, list[int]] = {}
        for i, key in enumerate(keys):
            if not verdicts[key]:
                wrong.setdefault(key, []).append(i)
        c, first = len(correct), correct[0]

        def beats(count: int, seen: int) -> bool:
            return count > c or (count == c and seen < first)

        if not wrong or any(beats(len(at), at[0]) for at in wrong.values()):
            return False  # nothing to merge, or the correct class loses already
        return beats(sum(len(at) for at in wrong.values()), min(at[0] for at in wrong.values()))
