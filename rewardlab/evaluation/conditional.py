"""Behaviour-conditional accuracy: how often a behaviour shows, how accurate samples are with it and without it,
and the accuracy that shifting its share alone would give (Spurious Rewards, Shao et al. 2025, Table 1).

For each behaviour (one bool per sample, from a detector of :mod:`rewardlab.behaviours`), over the samples
whose gold correctness is known:

- ``share``: the fraction that show it;
- ``accuracy_with`` and ``accuracy_without``: accuracy pooled over the samples that show it and over the
  others (NaN when there are none);
- ``difference``: ``accuracy_with − accuracy_without``;
- ``ceiling``: :func:`~rewardlab.metrics.elicitation.projected_accuracy` at share ``p'`` (1 by default),
  what RLVR reaches by *eliciting* the behaviour without teaching anything new. Because the share is taken
  over the same samples as the accuracies, the projection at today's share is today's accuracy;
- ``mixed_problems``: the fraction of problems where some samples show it and some do not.

And over problems: ``mixed_problems``, the fraction of problems with at least one correct and one wrong sample
(GRPO learns only from those: elsewhere every advantage is zero).

Each figure but the plain per-behaviour ``mixed_problems`` carries a percentile interval from a bootstrap over
problems (a problem is resampled with all its samples, as in :mod:`rewardlab.evaluation.bootstrap`): every
figure is a function of sums per problem, and one matrix of problem counts resamples them all at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rewardlab.evaluation.bootstrap import FloatArray, resampled_sums
from rewardlab.metrics.elicitation import projected_accuracy


@dataclass(frozen=True)
class Estimate:
    """A figure and its bootstrap percentile interval (``low`` and ``high`` NaN when it has none)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class BehaviourStats:
    """One behaviour's figures (see the module docstring).

    Attributes:
        name: the detector's name.
        n_with: scorable samples that show the behaviour.
        mixed_problems: fraction of problems (with a scorable sample) where some show it and some do not.
    """

    name: str
    share: Estimate
    accuracy_with: Estimate
    accuracy_without: Estimate
    difference: Estimate
    ceiling: Estimate
    n_with: int
    mixed_problems: float


@dataclass(frozen=True)
class BehaviourReport:
    """Every behaviour's figures, the accuracy they split, and the share of problems with mixed outcomes.

    Attributes:
        accuracy: accuracy over the scorable samples (what each ``ceiling`` is compared with).
        mixed_problems: fraction of problems with a scorable sample that have a correct and a wrong one.
        elicit_to: the share ``p'`` of the ceilings.
        resamples, level, seed: the bootstrap's.
    """

    behaviours: tuple[BehaviourStats, ...]
    accuracy: float
    mixed_problems: Estimate
    elicit_to: float
    resamples: int
    level: float
    seed: int

    def gain(self, stats: BehaviourStats) -> float:
        """What eliciting the behaviour to ``elicit_to`` would add to today's accuracy (NaN: unknown)."""
        return stats.ceiling.value - self.accuracy

    def ranked(self) -> list[BehaviourStats]:
        """The behaviours by their gain, the most accuracy that eliciting one would add first (a behaviour whose
        elicitation costs accuracy after those that add some; unknown gains last)."""
        return sorted(self.behaviours, key=lambda s: -g if not math.isnan(g := self.gain(s)) else math.inf)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), math.nan)


def _interval(draws: FloatArray, level: float) -> tuple[float, float]:
    finite = draws[np.isfinite(draws)]
    if not finite.size:
        return math.nan, math.nan
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def _estimate(values: FloatArray, level: float) -> Estimate:
    """Row 0 is the figure over every problem, the other rows its resamples."""
    return Estimate(float(values[0]), *_interval(values[1:], level))


def behaviour_report(detected: Mapping[str, Sequence[bool]], correct: Sequence[bool | None],
                     problem_of: Sequence[int], n_problems: int, *, elicit_to: float = 1.0,
                     resamples: int = 10_000, level: float = 0.95, seed: int = 0) -> BehaviourReport:
    """The figures of each behaviour in ``detected`` (name → one bool per sample) against gold ``correct``
    (``None``: unscorable, left out), with ``level`` intervals from ``resamples`` resamples of the problems
    (``problem_of``: each sample's problem index, below ``n_problems``) seeded with ``seed``.

    >>> r = behaviour_report({"code": [True, True, False, False]}, [True, False, False, False], [0, 0, 1, 1], 2,
    ...                      resamples=10)
    >>> code = r.behaviours[0]
    >>> code.share.value, code.accuracy_with.value, code.accuracy_without.value, code.ceiling.value
    (0.5, 0.5, 0.0, 0.5)

    Raises:
        ValueError: a behaviour or ``correct`` does not hold one value per sample, ``elicit_to`` lies outside
            [0, 1], ``resamples`` is below 1 or ``level`` outside (0, 1).
    """
    index = np.asarray(problem_of, dtype=np.int64)
    wrong = {name: len(v) for name, v in {"correct": correct, **detected}.items() if len(v) != index.size}
    if wrong:
        raise ValueError(f"{index.size} samples but {wrong}; give one value per sample")
    if not 0.0 <= elicit_to <= 1.0:
        raise ValueError(f"elicit_to is a behaviour share in [0, 1], got {elicit_to}")
    if resamples < 1 or not 0.0 < level < 1.0:
        raise ValueError(f"need resamples >= 1 and 0 < level < 1, got {resamples} and {level}")
    known = np.array([c is not None for c in correct], dtype=bool)
    right = np.array([c is not None and bool(c) for c in correct], dtype=bool)

    def per_problem(mask: np.ndarray) -> FloatArray:
        return np.bincount(index[mask], minlength=n_problems).astype(np.float64)

    n, c = per_problem(known), per_problem(right)
    shows = {name: np.asarray(values, dtype=bool) & known for name, values in detected.items()}
    # Columns: scorable samples, correct ones, mixed-outcome indicator, has-a-scorable-sample indicator,
    # then per behaviour: samples that show it, and those of them that are correct.
    columns = [n, c, ((c > 0) & (c < n)).astype(np.float64), (n > 0).astype(np.float64)]
    for mask in shows.values():
        columns += [per_problem(mask), per_problem(mask & right)]
    sums = np.column_stack(columns) if n_problems else np.zeros((0, len(columns)))
    draws = resampled_sums(sums, resamples, seed) if n_problems else np.full((resamples, len(columns)), math.nan)
    totals = np.vstack([sums.sum(axis=0), draws])  # row 0: every problem once

    accuracy = float(_ratio(totals[:1, 1], totals[:1, 0])[0])
    project = np.vectorize(lambda w, wo: projected_accuracy(elicit_to, w, wo), otypes=[np.float64])
    behaviours = []
    for i, (name, mask) in enumerate(shows.items()):
        n_all, n_right = totals[:, 0], totals[:, 1]
        n_with, right_with = totals[:, 4 + 2 * i], totals[:, 5 + 2 * i]
        with_ = _ratio(right_with, n_with)
        without = _ratio(n_right - right_with, n_all - n_with)
        b, scorable = per_problem(mask), int((n > 0).sum())
        behaviours.append(BehaviourStats(
            name=name,
            share=_estimate(_ratio(n_with, n_all), level),
            accuracy_with=_estimate(with_, level),
            accuracy_without=_estimate(without, level),
            difference=_estimate(with_ - without, level),
            ceiling=_estimate(project(with_, without), level),
            n_with=int(n_with[0]),
            mixed_problems=float(((b > 0) & (b < n)).sum()) / scorable if scorable else math.nan,
        ))
    return BehaviourReport(behaviours=tuple(behaviours), accuracy=accuracy,
                           mixed_problems=_estimate(_ratio(totals[:, 2], totals[:, 3]), level),
                           elicit_to=elicit_to, resamples=resamples, level=level, seed=seed)
