"""Group tournaments that turn pairwise verdicts into per-rollout rewards: round robin and knockout."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rewardlab.judge.tournament import Match, Tally, knockout, knockout_rounds, round_robin


class Referee:
    """Settles a match by fixed strengths: the stronger player gets ``votes`` votes (equal strengths split them,
    ``None`` strength means the judge could not read either response: no votes). Records every call."""

    def __init__(self, strength: dict[int, float | None], votes: int = 2) -> None:
        self.strength = strength
        self.votes = votes
        self.calls: list[list[Match]] = []

    def __call__(self, matches: Sequence[Match]) -> list[Tally]:
        self.calls.append(list(matches))
        out = []
        for a, b in matches:
            sa, sb = self.strength[a], self.strength[b]
            if sa is None or sb is None:
                out.append((0, 0))
            elif sa == sb:
                out.append((self.votes // 2, self.votes // 2))
            else:
                out.append((self.votes, 0) if sa > sb else (0, self.votes))
        return out


def test_round_robin_reward_is_the_share_of_opponents_beaten() -> None:
    referee = Referee({0: 1.0, 1: 3.0, 2: 2.0, 3: 0.0})
    standings = round_robin([[0, 1, 2, 3]], referee)
    assert {i: s.score for i, s in standings.items()} == {0: pytest.approx(1 / 3), 1: 1.0, 2: pytest.approx(2 / 3),
                                                          3: 0.0}
    assert len(referee.calls) == 1 and len(referee.calls[0]) == 6  # G(G-1)/2 matches, judged in one call


def test_round_robin_splits_a_tied_match() -> None:
    standings = round_robin([[0, 1]], Referee({0: 1.0, 1: 1.0}))
    assert standings[0].score == standings[1].score == 0.5


def test_round_robin_leaves_out_matches_without_votes() -> None:
    standings = round_robin([[0, 1, 2]], Referee({0: 2.0, 1: 1.0, 2: None}))
    assert standings[0].score == 1.0 and standings[1].score == 0.0  # their matches with 2 gave no votes
    assert standings[2].score is None


def test_round_robin_plays_each_group_apart() -> None:
    referee = Referee({0: 1.0, 1: 0.0, 2: 5.0, 3: 9.0})
    standings = round_robin([[0, 1], [2, 3]], referee)
    assert [standings[i].score for i in range(4)] == [1.0, 0.0, 0.0, 1.0]
    assert sorted(referee.calls[0]) == [(0, 1), (2, 3)]  # no cross-group match


def test_knockout_reward_is_rounds_survived_over_rounds() -> None:
    referee = Referee({0: 1.0, 1: 4.0, 2: 3.0, 3: 2.0})
    standings = knockout([[0, 1, 2, 3]], referee)
    # round 1: 1 beats 0, 2 beats 3; final: 1 beats 2
    assert {i: s.score for i, s in standings.items()} == {0: 0.0, 1: 1.0, 2: 0.5, 3: 0.0}
    assert {i: s.raw for i, s in standings.items()} == {0: 0.0, 1: 2.0, 2: 1.0, 3: 0.0}
    assert [len(c) for c in referee.calls] == [2, 1]  # G - 1 matches over R = 2 rounds


def test_knockout_gives_the_odd_one_out_a_bye() -> None:
    standings = knockout([[0, 1, 2]], Referee({0: 1.0, 1: 0.0, 2: 5.0}))
    # round 1: 0 beats 1, 2 has a bye; final: 2 beats 0
    assert [standings[i].score for i in range(3)] == [0.5, 0.0, 1.0]


def test_knockout_of_eight_takes_three_rounds_and_seven_matches() -> None:
    strengths = {i: float(s) for i, s in enumerate([3, 7, 1, 0, 6, 2, 5, 4])}
    referee = Referee(strengths)
    standings = knockout([list(range(8))], referee)
    assert knockout_rounds(8) == 3 and sum(len(c) for c in referee.calls) == 7
    assert standings[1].score == 1.0  # the strongest wins
    assert sorted(s.score for s in standings.values()) == [0, 0, 0, 0, pytest.approx(1 / 3), pytest.approx(1 / 3),
                                                           pytest.approx(2 / 3), 1.0]


def test_knockout_rounds_of_all_groups_are_judged_together() -> None:
    referee = Referee({i: float(i) for i in range(7)})
    knockout([[0, 1, 2, 3], [4, 5], [6]], referee)
    assert [sorted(c) for c in referee.calls] == [[(0, 1), (2, 3), (4, 5)], [(1, 3)]]


def test_a_tied_knockout_match_eliminates_both() -> None:
    standings = knockout([[0, 1, 2, 3]], Referee({0: 1.0, 1: 1.0, 2: 3.0, 3: 2.0}))
    assert standings[0].score == standings[1].score == 0.0
    assert standings[2].score == 1.0  # alone in the final: a bye
    assert standings[3].score == 0.0


def test_a_knockout_match_without_votes_gives_no_signal() -> None:
    standings = knockout([[0, 1]], Referee({0: None, 1: 1.0}))
    assert standings[0].score is None and standings[1].score is None


def test_a_group_of_one_has_no_opponent_and_no_signal() -> None:
    for play in (round_robin, knockout):
        referee = Referee({0: 1.0})
        assert play([[0]], referee)[0].score is None
        assert referee.calls == []
