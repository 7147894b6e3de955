"""Self-consistency rewards: agree with the group's majority answer, no label needed.

TTRL (Zuo et al. 2025) and SRT (Shafayat et al. 2025) sample a group of answers per prompt, take the
most common one as a pseudo-label, and reward each sample for matching it. Answers vote by
math-verify equivalence, so ``1/2``, ``0.5`` and ``\\frac{1}{2}`` are one vote, at a cost that grows
with the number of distinct *forms* in a group, not with its size (see :func:`vote_groups`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rewardlab.answers.checker import CORRECT, AnswerChecker, _exact_verdict
from rewardlab.rewards.base import config_field
from rewardlab.rewards.verified import VerifiedReward, safe_extract
from rewardlab.types import RewardResult, RolloutBatch, Score


@dataclass(frozen=True)
class Vote:
    """The outcome of one group's vote.

    Attributes:
        label: the pseudo-label, the first-seen answer of the largest class (``None`` when nobody answered).
        share: votes of the label's class over all samples of the group, answerless ones included.
        classes: the class of each answer (numbered by first appearance), ``None`` for a missing answer.
        sizes: the number of votes of each class.
    """

    label: str | None
    share: float
    classes: tuple[int | None, ...]
    sizes: tuple[int, ...]

    @property
    def winner(self) -> int | None:
        """The class of the pseudo-label (``None`` when nobody answered)."""
        return _largest(self.sizes)


def _largest(sizes: Sequence[int]) -> int | None:
    """The index of the largest class, ties going to the class seen first."""
    return max(range(len(sizes)), key=lambda c: (sizes[c], -c)) if sizes else None


def _normalised(answer: str) -> str:
    """The bucket key: the answer without whitespace (texts that differ only in spacing vote together)."""
    return "".join(answer.split())


@dataclass(frozen=True)
class _Buckets:
    """A group's answers bucketed by normalised text, buckets numbered by first appearance."""

    texts: tuple[str, ...]  # the first-seen text of each bucket
    of_answer: tuple[int | None, ...]  # each answer's bucket

    @classmethod
    def of(cls, answers: Sequence[str | None]) -> _Buckets:
        index: dict[str, int] = {}
        texts: list[str] = []
        of_answer: list[int | None] = []
        for answer in answers:
            if answer is None:
                of_answer.append(None)
                continue
            key = _normalised(answer)
            if key not in index:
                index[key] = len(texts)
                texts.append(answer)
            of_answer.append(index[key])
        return cls(tuple(texts), tuple(of_answer))

    def pairs(self, max_forms: int = 0) -> list[tuple[int, int]]:
        """Every pair ``(i, j)`` of buckets with ``i < j`` (the earlier one serves as the reference).

        With ``max_forms`` > 0 only the ``max_forms`` most voted buckets (ties: first seen) are paired.
        """
        merged = list(range(len(self.texts)))
        if 0 < max_forms < len(merged):
            votes = [0] * len(self.texts)
            for b in self.of_answer:
                if b is not None:
                    votes[b] += 1
            merged = sorted(sorted(merged, key=lambda b: -votes[b])[:max_forms])
        return [(i, j) for n, j in enumerate(merged) for i in merged[:n]]


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _tally(buckets: _Buckets, equal: Sequence[tuple[int, int]]) -> Vote:
    """Merge equal buckets (union-find, the earliest bucket as root) and count each class's votes."""
    parent = list(range(len(buckets.texts)))
    for i, j in equal:
        a, b = _find(parent, i), _find(parent, j)
        parent[max(a, b)] = min(a, b)
    roots = sorted({_find(parent, b) for b in range(len(parent))})
    class_of_root = {root: c for c, root in enumerate(roots)}
    classes = tuple(None if b is None else class_of_root[_find(parent, b)] for b in buckets.of_answer)
    sizes = [0] * len(roots)
    for c in classes:
        if c is not None:
            sizes[c] += 1
    winner = _largest(sizes)
    if winner is None:
        return Vote(label=None, share=0.0, classes=classes, sizes=())
    return Vote(label=buckets.texts[roots[winner]], share=sizes[winner] / len(classes), classes=classes,
                sizes=tuple(sizes))


def vote_groups(groups: Sequence[Sequence[str | None]], checker: AnswerChecker, max_forms: int = 0) -> list[Vote]:
    """Majority vote by math-verify equivalence in each group, with one checker call for all groups.

    Answers are first bucketed by their text without whitespace (identical answers cost nothing);
    then every pair of bucket representatives is checked (two plain integers are compared directly,
    exactly as the checker would), and equal buckets are merged by union-find. A group of n answers
    in k distinct forms costs at most k(k−1)/2 verifications instead of n(n−1)/2, and gives the same
    classes as verifying every pair of answers (except that identical texts always vote together,
    even ones math-verify cannot parse). A verification that fails or times out keeps two buckets
    apart. ``None`` answers (nothing extracted) vote for no class but count in the share.

    ``max_forms`` > 0 bounds the work per group to max_forms(max_forms−1)/2 verifications: only the
    ``max_forms`` most voted forms are merged, and each rarer form stays a class of its own.
    """
    bucketed = [_Buckets.of(answers) for answers in groups]
    equal: list[list[tuple[int, int]]] = [[] for _ in groups]
    to_check: list[tuple[int, int, int]] = []
    for g, buckets in enumerate(bucketed):
        for i, j in buckets.pairs(max_forms):
            exact = _exact_verdict(_normalised(buckets.texts[j]), _normalised(buckets.texts[i]))
            if exact is None:
                to_check.append((g, i, j))
            elif exact == CORRECT:
                equal[g].append((i, j))
    verdicts = checker.check([(bucketed[g].texts[j], bucketed[g].texts[i]) for g, i, j in to_check])
    for (g, i, j), verdict in zip(to_check, verdicts, strict=True):
        if verdict.correct:
            equal[g].append((i, j))
    return [_tally(buckets, pairs) for buckets, pairs in zip(bucketed, equal, strict=True)]


def majority_vote(answers: Sequence[str | None], checker: AnswerChecker,
                  max_forms: int = 0) -> tuple[str | None, float, tuple[int | None, ...]]:
    """``(pseudo-label, vote share, class of each answer)`` for one group; see :func:`vote_groups`.

    >>> majority_vote(["1/2", "0.5", "3", None], AnswerChecker(workers=0))
    ('1/2', 0.5, (0, 0, 1, None))
    """
    vote = vote_groups([answers], checker, max_forms)[0]
    return vote.label, vote.share, vote.classes


@dataclass(frozen=True)
class SelfConsistency(VerifiedReward):
    """Majority-vote reward: r_i = 1 if answer(y_i) ≡ ŷ else 0, with ŷ the most common answer of y_i's group.

    TTRL (Zuo et al. 2025) and SRT (Shafayat et al. 2025). Within each group answers vote by
    math-verify equivalence (:func:`vote_groups`); ŷ is the first-seen answer of the largest class
    (ties: the class seen first). A sample without an answer scores 0.

    - ``soft`` (SRT's ``soft_reward``): r_i = |class of y_i| / n, the vote share of the sample's answer.
    - ``min_vote_share`` (SRT's ``self_consistency_threshold``): a group whose label has a share
      below it gives ``None`` (no signal) for every sample; so does a group where nobody answered.
    - ``n_train`` (TTRL's ``n_votes_per_prompt`` > ``n_samples_per_prompt``): every sample of a group
      votes, but only the first ``n_train`` of the group (in batch order) are scored; the rest give
      ``None``. Generate e.g. 64 samples per prompt with ``n_train: 32`` and leave the ``None`` ones
      out of the update. 0 scores every sample.
    - ``max_forms`` (default 32): a group with more distinct answer forms merges only its 32 most
      voted ones, so a group never costs more than 496 verifications (each bounded by ``timeout``);
      rarer forms each stay a class of their own. 0 merges every form.

    The share's denominator is the whole group, answerless samples included (TTRL's ``majority_ratio``).
    Diagnostics: ``pseudo_label``, ``vote_share``, ``parsed_answer``, and against the label column
    (``None`` where there is none) ``pseudo_label_correct`` (is ŷ right? ``None`` without a ŷ) and
    ``correct`` (is y_i right?).
    """

    type_name: ClassVar[str] = "self_consistency"

    fallback: bool = config_field(True, help="when nothing is boxed, read 'the answer is X', then the last number")
    min_vote_share: float = config_field(0.0, help="groups whose majority share is below this give no signal")
    soft: bool = config_field(False, help="reward the vote share of the sample's answer instead of 0/1")
    n_train: int = config_field(0, help="score only the first n samples of each group (all vote); 0 = all")
    max_forms: int = config_field(32, help="merge only the n most voted answer forms of a group (bounds the "
                                           "verifications to n(n-1)/2); rarer forms stay apart; 0 = all")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.min_vote_share <= 1.0:
            raise ValueError(f"min_vote_share is a fraction of the group and must lie in [0, 1], "
                             f"got {self.min_vote_share}")
        if self.n_train < 0:
            raise ValueError(f"n_train must be >= 0 (0 scores every sample), got {self.n_train}")
        if self.max_forms < 0:
            raise ValueError(f"max_forms must be >= 0 (0 merges every form), got {self.max_forms}")

    def _group_scores(self, vote: Vote) -> list[Score]:
        if vote.label is None or vote.share < self.min_vote_share:
            return [None] * len(vote.classes)
        n = len(vote.classes)
        scores: list[Score] = []
        for rank, c in enumerate(vote.classes):
            if 0 < self.n_train <= rank:
                scores.append(None)
            elif c is None:
                scores.append(0.0)
            else:
                scores.append(vote.sizes[c] / n if self.soft else float(c == vote.winner))
        return scores

    def score(self, batch: RolloutBatch) -> RewardResult:
        n = len(batch)
        found = [safe_extract(c, self.fallback) for c in batch.completions]
        answers = [e.answer if e else None for e in found]
        groups = list(batch.groups().values())
        votes = vote_groups([[answers[i] for i in positions] for positions in groups], self.checker, self.max_forms)
        scores: list[Score] = [None] * n
        labels: list[str | None] = [None] * n
        shares = [0.0] * n
        for positions, vote in zip(groups, votes, strict=True):
            for i, s in zip(positions, self._group_scores(vote), strict=True):
                scores[i], labels[i], shares[i] = s, vote.label, vote.share
        references = self.references(batch)
        gold = self.verify(answers + labels, references + references)
        return RewardResult(
            scores=tuple(scores),
            diagnostics={
                "pseudo_label": tuple(labels),
                "vote_share": tuple(shares),
                "parsed_answer": tuple(answers),
                "pseudo_label_correct": tuple(None if label is None else v.correct
                                              for label, v in zip(labels, gold[n:], strict=True)),
                "correct": tuple(v.correct for v in gold[:n]),
            },
        )
