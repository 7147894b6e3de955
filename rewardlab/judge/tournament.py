"""Per-rollout rewards from pairwise verdicts: tournaments inside each group of rollouts.

A pairwise judge says which of two responses is better; GRPO needs one scalar per rollout (the
question RM-R1 issue #5 and TRL #4707 ask). RRM (Guo et al. 2025, arXiv 2505.14674) answers it
with a tournament among a prompt's candidates; both of its formats are here, played inside each
group so that rewards compare only rollouts of the same prompt.

A *match* ``(a, b)`` is settled by a ``judge`` callable that returns the votes for ``a`` and for
``b`` (it may judge both presentation orders and several samples; see the ``judge`` reward).

* Round robin, O(G²) matches: every pair meets once;
  :math:`r_a = \\frac{1}{|O_a|} \\sum_{b \\in O_a} \\frac{w_{ab}}{w_{ab} + w_{ba}}`, the mean share of
  votes won over the opponents ``O_a`` whose match got at least one vote (a split vote counts 1/2 each).
* Knockout, G − 1 matches in R = ⌈log₂ G⌉ rounds: neighbours in group order meet, the one with more
  votes goes on, an odd one out gets a bye (which counts as a round survived);
  :math:`r_a = \\text{rounds survived}_a / R`, so the champion gets 1 and a first-round loser 0. A
  tied match eliminates both (each keeps the rounds it survived); a match with no readable vote
  eliminates both with ``None`` (no signal).

A group of one rollout has no opponent: its reward is ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Match = tuple[int, int]
"""Two rollout positions in the batch."""
Tally = tuple[int, int]
"""Votes for the first and for the second rollout of a match."""
JudgeMatches = Callable[[Sequence[Match]], Sequence[Tally]]
"""Settles many matches at once (so a backend can run them concurrently)."""


@dataclass(frozen=True)
class Standing:
    """A rollout's tournament result: its reward in [0, 1] and its raw standing (win rate, rounds survived)."""

    score: float | None
    raw: float | None


def round_robin(groups: Sequence[Sequence[int]], judge: JudgeMatches) -> dict[int, Standing]:
    """Every pair of each group meets once; each rollout's reward is its mean share of the votes."""
    matches = [(a, b) for members in groups for i, a in enumerate(members) for b in members[i + 1:]]
    tallies = judge(matches) if matches else []
    shares: dict[int, list[float]] = {m: [] for members in groups for m in members}
    for (a, b), (wins_a, wins_b) in zip(matches, tallies, strict=True):
        votes = wins_a + wins_b
        if votes:
            shares[a].append(wins_a / votes)
            shares[b].append(wins_b / votes)
    out = {}
    for member, won in shares.items():
        rate = sum(won) / len(won) if won else None
        out[member] = Standing(score=rate, raw=rate)
    return out


def knockout_rounds(size: int) -> int:
    """R = ⌈log₂ size⌉, the rounds of a knockout among ``size`` players (0 for one player)."""
    return math.ceil(math.log2(size)) if size > 1 else 0


def knockout(groups: Sequence[Sequence[int]], judge: JudgeMatches) -> dict[int, Standing]:
    """A single-elimination bracket in each group; reward = rounds survived / rounds. Rounds of all groups
    are judged together, so one call to ``judge`` settles one round everywhere."""
    out: dict[int, Standing] = {}
    alive = [list(members) for members in groups]
    rounds = [knockout_rounds(len(members)) for members in groups]
    survived = {m: 0 for members in groups for m in members}
    for members, total in zip(groups, rounds, strict=True):
        if total == 0:
            out.update({m: Standing(score=None, raw=None) for m in members})
    for r in range(max(rounds, default=0)):
        playing = [g for g, total in enumerate(rounds) if r < total]
        matches = [(g, (alive[g][i], alive[g][i + 1])) for g in playing for i in range(0, len(alive[g]) - 1, 2)]
        tallies = judge([m for _, m in matches]) if matches else []
        winners: dict[int, list[int]] = {g: [] for g in playing}
        for (g, (a, b)), (wins_a, wins_b) in zip(matches, tallies, strict=True):
            winner = a if wins_a > wins_b else b if wins_b > wins_a else None
            if winner is not None:
                winners[g].append(winner)
            for loser in (a, b):
                if loser == winner:
                    continue
                no_signal = wins_a == wins_b == 0
                out[loser] = Standing(score=None if no_signal else survived[loser] / rounds[g],
                                      raw=None if no_signal else float(survived[loser]))
        for g in playing:
            if len(alive[g]) % 2:
                winners[g].append(alive[g][-1])  # the bye
            for member in winners[g]:
                survived[member] += 1
            alive[g] = winners[g]
    for g, members in enumerate(alive):
        for champion in members:
            if rounds[g]:
                out[champion] = Standing(score=survived[champion] / rounds[g], raw=float(survived[champion]))
    return out
