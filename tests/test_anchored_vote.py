"""maj@k anchored on the gold verdicts gives the figure the full math-verify vote gives, asking fewer pairs."""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence

import pytest

from rewardlab.answers.checker import AnswerChecker
from rewardlab.answers.vote import Equivalence
from rewardlab.evaluation.anchored import AnchoredVotes
from rewardlab.metrics.accuracy import majority_correct_per_group

# (answers, reference) per problem; equal forms written differently, wrong answers that equal each other.
PROBLEMS = [
    (["1/2", "0.25", "\\frac{1}{4}", "1/4"], "\\frac{1}{2}"),          # three equal wrong answers outvote one right
    (["0.5", "\\frac{1}{2}", "0.25", "0.3"], "\\frac{1}{2}"),          # two right forms, two wrong
    (["7", "8", "9", "7.0"], "7"),                                     # right first, unequal wrong answers
    (["2", "3", "\\frac{6}{2}", "3.0"], "2"),                          # a wrong class of three beats the right one
    (["x", None, "4", "\\frac{8}{2}"], "4"),                           # an unscorable-looking answer and a missing one
    (["10", "12", "11", "13"], "13"),                                  # right last, all distinct
    (["5", "6"], None),                                                # no reference: correctness unknown
]


class Counting:
    """An equivalence that counts the pairs it is asked about."""

    def __init__(self, inner: Equivalence) -> None:
        self.inner, self.asked = inner, 0

    def equivalence(self) -> Equivalence:
        def same(pairs: Sequence[tuple[Hashable, Hashable]], groups: Sequence[int]) -> list[bool]:
            self.asked += len(pairs)
            return list(self.inner.same(pairs, groups))

        return Equivalence(key=self.inner.key, same=same)


@pytest.fixture(scope="module")
def checker() -> AnswerChecker:
    checker = AnswerChecker(workers=0)
    yield checker
    checker.close()


def test_anchored_maj_at_k_equals_the_full_vote_and_asks_fewer_pairs(checker: AnswerChecker) -> None:
    answers = [a for a, _ in PROBLEMS]
    verdicts = [checker.check([(x, ref) for x in a]) for a, ref in PROBLEMS]
    correct = [[v.correct for v in vs] for vs in verdicts]
    assert correct[0] == [True, False, False, False] and correct[3] == [True, False, False, False]
    full, anchored = Counting(checker.equivalence()), Counting(checker.equivalence())
    votes = AnchoredVotes(anchored.equivalence(), answers, correct)
    for k in (1, 2, 4):
        expected = majority_correct_per_group(answers, correct, k, full.equivalence())
        assert majority_correct_per_group(answers, correct, k, votes.for_k(k)) == expected, k
    assert majority_correct_per_group(answers, correct, 4, votes.for_k(4))[:4] == [False, True, True, False]
    assert 0 < anchored.asked < full.asked
    print(f"pairs asked: full vote {full.asked}, anchored {anchored.asked}")


def test_on_random_problems_the_anchored_vote_gives_the_full_votes_figure_for_every_k() -> None:
    """Answers are letters; a transitive equality merges some of them (wrong ones too), the reference is one."""
    rng = random.Random(7)
    classes = {letter: rng.randrange(6) for letter in "abcdefghijkl"}
    equal = Equivalence(same=lambda pairs, groups: [classes[a] == classes[b] for a, b in pairs])
    answers = [[rng.choice("abcdefghijkl") if rng.random() < 0.9 else None for _ in range(8)] for _ in range(400)]
    references = [rng.choice("abcdefghijkl") for _ in answers]
    correct = [[None if a is None else classes[a] == classes[r] for a in group]
               for group, r in zip(answers, references, strict=True)]
    full, anchored = Counting(equal), Counting(equal)
    votes = AnchoredVotes(anchored.equivalence(), answers, correct)
    for k in (1, 2, 4, 8):
        expected = majority_correct_per_group(answers, correct, k, full.equivalence())
        assert majority_correct_per_group(answers, correct, k, votes.for_k(k)) == expected, k
    assert anchored.asked < full.asked / 2
