"""Two reports side by side: each figure of A and of B, ``B − A``, and its paired-bootstrap interval.

The problems of A and B are paired by key (:func:`~rewardlab.evaluation.report.problem_keys`): the
difference and its interval are computed over the problems both hold, resampled together
(:func:`~rewardlab.evaluation.bootstrap.paired_bootstrap`). "Before vs after training" on one problem set
pairs every problem. A figure that is not a mean (ECE, AUROC) gets its difference and no interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rewardlab.evaluation.bootstrap import Interval, paired_bootstrap, shared_problems
from rewardlab.evaluation.report import Report


@dataclass(frozen=True)
class ComparedFigure:
    """One figure of A and B.

    Attributes:
        difference: B − A over the shared problems (for a figure without sums: over all of each; NaN when
            one side lacks the figure).
        interval: the paired-bootstrap interval of the difference, ``None`` for a figure that is not a mean.
    """

    name: str
    section: str
    a: float
    b: float
    difference: float
    interval: Interval | None


@dataclass(frozen=True)
class Comparison:
    """A and B, their figures side by side, and how many problems they share."""

    a: Report
    b: Report
    figures: tuple[ComparedFigure, ...]
    n_shared: int
    resamples: int
    seed: int


def compare_reports(a: Report, b: Report, *, resamples: int = 10_000, level: float = 0.95,
                    seed: int = 0) -> Comparison:
    """Every figure of ``a`` and ``b`` (A's order, then B's own), with B − A and a ``level`` interval
    from ``resamples`` paired resamples of the shared problems, seeded with ``seed``."""
    index_a, index_b = shared_problems(a.problems, b.problems)
    values_a, values_b = a.values(), b.values()
    both = [f.name for f in a.figures if f.name in values_b]
    paired = [name for name in both if a.figure(name).sums is not None and b.figure(name).sums is not None]
    intervals = paired_bootstrap({n: a.figure(n).sums.take(index_a) for n in paired},  # type: ignore[union-attr]
                                 {n: b.figure(n).sums.take(index_b) for n in paired},  # type: ignore[union-attr]
                                 resamples=resamples, level=level, seed=seed)
    sections = {f.name: f.section for f in (*b.figures, *a.figures)}
    names = [*values_a, *(name for name in values_b if name not in values_a)]
    figures = []
    for name in names:
        va, vb = values_a.get(name, math.nan), values_b.get(name, math.nan)
        interval = intervals.get(name)
        difference = interval.difference if interval is not None else vb - va
        figures.append(ComparedFigure(name, sections[name], va, vb, difference, interval))
    return Comparison(a, b, tuple(figures), len(index_a), resamples, seed)
