"""Self-consistency rewards: agree with the group's majority answer, no label needed.

TTRL (Zuo et al. 2025) and SRT (Shafayat et al. 2025) sample a group of answers per prompt, take the
most common one as a pseudo-label, and reward each sample for matching it. Answers vote by
math-verify equivalence, so ``1/2``, ``0.5`` and ``\\frac{1}{2}`` are one vote, at a cost that grows
with the number of distinct *forms* in a group, not with its size: the one majority vote of
:mod:`rewardlab.answers.vote`, which maj@k and the incorrect-label builder use too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rewardlab.answers.checker import AnswerChecker
from rewardlab.answers.vote import Vote, vote_groups
from rewardlab.rewards.base import config_field
from rewardlab.rewards.verified import VerifiedReward
from rewardlab.types import RewardResult, RolloutBatch, Score


def majority_vote(answers: Sequence[str | None], checker: AnswerChecker, max_forms: int = 0,
                  group_timeout: float | None = None) -> tuple[str | None, float, tuple[int | None, ...]]:
    """``(pseudo-label, vote share, class of each answer)`` for one group, voting by ``checker``'s equivalence.

    See :func:`rewardlab.answers.vote.vote_groups`; two plain integers are compared without math-verify,
    and identical texts (whitespace aside) always vote together.

    >>> majority_vote(["1/2", "0.5", "3", None], AnswerChecker(workers=0))
    ('1/2', 0.5, (0, 0, 1, None))
    """
    vote = vote_groups([answers], checker.equivalence(group_timeout), max_forms)[0]
    return vote.label, vote.share, vote.classes


@dataclass(frozen=True)
class SelfConsistency(VerifiedReward):
    """Majority-vote reward: r_i = 1 if answer(y_i) ≡ ŷ else 0, with ŷ the most common answer of y_i's group.

    TTRL (Zuo et al. 2025) and SRT (Shafayat et al. 2025). Within each group answers vote by
    math-verify equivalence (:func:`~rewardlab.answers.vote.vote_groups`); ŷ is the first-seen answer
    of the largest class (ties: the class seen first). A sample without an answer scores 0.

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
    - Time: each verification gets ``timeout`` seconds and each group's vote ``group_timeout`` seconds
      of verification in all; a pair past either limit counts as unequal (its forms stay apart), so a
      group of hostile answers ends with no merged class instead of running on.

    The share's denominator is the whole group, answerless samples included (TTRL's ``majority_ratio``).
    Diagnostics: ``pseudo_label``, ``vote_share``, ``parsed_answer``, and against the label column
    (``None`` where there is none) ``pseudo_label_correct`` (is ŷ right? ``None`` without a ŷ) and
    ``correct`` (is y_i right?).
    """

    type_name: ClassVar[str] = "self_consistency"

    min_vote_share: float = config_field(0.0, help="groups whose majority share is below this give no signal")
    soft: bool = config_field(False, help="reward the vote share of the sample's answer instead of 0/1")
    n_train: int = config_field(0, help="score only the first n samples of each group (all vote); 0 = all")
    max_forms: int = config_field(32, help="merge only the n most voted answer forms of a group (bounds the "
                                           "verifications to n(n-1)/2); rarer forms stay apart; 0 = all")
    group_timeout: float = config_field(10.0, help="seconds of verification one group's vote may use in all; "
                                                   "past it the group's remaining pairs count as unequal")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.min_vote_share <= 1.0:
            raise ValueError(f"min_vote_share is a fraction of the group and must lie in [0, 1], "
                             f"got {self.min_vote_share}")
        if self.n_train < 0:
            raise ValueError(f"n_train must be >= 0 (0 scores every sample), got {self.n_train}")
        if self.max_forms < 0:
            raise ValueError(f"max_forms must be >= 0 (0 merges every form), got {self.max_forms}")
        if self.group_timeout <= 0:
            raise ValueError(f"group_timeout must be > 0 seconds, got {self.group_timeout}")

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
        groups = list(batch.groups().values())
        # Each reading is bounded by ``timeout`` alone: a group's budget is the vote's, so that one hostile
        # completion cannot leave its group's other samples unread.
        answers = self.answers(batch.completions)
        votes = vote_groups([[answers[i] for i in positions] for positions in groups],
                            self.checker.equivalence(self.group_timeout), self.max_forms)
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
