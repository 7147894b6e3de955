"""The paired bootstrap over problems: how sure is a difference between two evaluations of one problem set?

Every figure that is a mean (accuracy, pass@k, maj@k, a rate, a reward's mean, the Brier score) is
a ratio of sums over problems, ``Σ_p num_p / Σ_p den_p`` (:class:`ProblemSums`): accuracy sums each
problem's correct samples over its scorable ones, pass@k each problem's estimate over the problems
with k samples. Resampling problems with replacement, the same draw for A and B, and recomputing
``B − A`` gives the bootstrap distribution of the difference; its 2.5 and 97.5 percentiles are the
95% interval (Efron & Tibshirani 1993, the percentile interval; pairing removes the between-problem
variance that A and B share, as in Koehn 2004 and Dror et al. 2018).

Vectorised: each chunk of resamples is a matrix of problem counts (one row per resample),
multiplied once with the matrix of every figure's per-problem sums, so all figures share each draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Problem counts drawn per chunk of resamples (a few tens of MB of working memory).
_CHUNK_ENTRIES = 4_000_000


@dataclass(frozen=True)
class ProblemSums:
    """A mean figure as sums per problem: the figure is ``Σ num / Σ den`` over a set of problems.

    Attributes:
        num: per problem, the sum of the sample values (or the problem's own value, with ``den`` 1).
        den: per problem, how many values it contributes (0: none, the problem is left out).
    """

    num: FloatArray
    den: FloatArray

    def __post_init__(self) -> None:
        num, den = np.asarray(self.num, dtype=np.float64), np.asarray(self.den, dtype=np.float64)
        if num.shape != den.shape or num.ndim != 1:
            raise ValueError(f"num and den must be 1-D arrays of one length, got shapes {num.shape} and {den.shape}")
        object.__setattr__(self, "num", num)
        object.__setattr__(self, "den", den)

    @classmethod
    def of_values(cls, values: Sequence[float | None], problem_of: Sequence[int], n_problems: int) -> ProblemSums:
        """The sums of per-item ``values`` (``None`` or NaN: missing) by problem index ``problem_of``."""
        array = np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)
        index = np.asarray(problem_of, dtype=np.int64)
        if array.shape != index.shape:
            raise ValueError(f"{array.size} values for {index.size} problem indices; give one per item")
        known = ~np.isnan(array)
        return cls(np.bincount(index[known], weights=array[known], minlength=n_problems),
                   np.bincount(index[known], minlength=n_problems).astype(np.float64))

    @property
    def value(self) -> float:
        """The figure over every problem: ``Σ num / Σ den`` (NaN when no problem contributes)."""
        total = float(self.den.sum())
        return float(self.num.sum()) / total if total else math.nan

    def take(self, index: Sequence[int] | NDArray[np.int64]) -> ProblemSums:
        """The sums of the problems at ``index``, in that order."""
        index = np.asarray(index, dtype=np.int64)
        return ProblemSums(self.num[index], self.den[index])


@dataclass(frozen=True)
class Interval:
    """A paired difference ``B − A`` over shared problems and its bootstrap percentile interval.

    Attributes:
        difference: the figure of B minus that of A, over the shared problems.
        low, high: the interval's ends (NaN when the difference is undefined).
        level: the interval's coverage, e.g. 0.95.
    """

    difference: float
    low: float
    high: float
    level: float

    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0


def paired_bootstrap(a: Mapping[str, ProblemSums], b: Mapping[str, ProblemSums], *, resamples: int = 10_000,
                     level: float = 0.95, seed: int = 0) -> dict[str, Interval]:
    """``B − A`` with a percentile interval for every figure, resampling the same problems for A and B.

    ``a[name]`` and ``b[name]`` hold the same problems in the same order (pair them with
    :func:`shared_problems`). Each of ``resamples`` draws takes as many problems as there are, with
    replacement, from a generator seeded with ``seed``; a draw in which a figure has no value (every
    drawn problem has ``den`` 0) is left out of that figure's percentiles.

    Raises:
        ValueError: the two mappings name different figures, or a figure's problems differ in number.
    """
    if set(a) != set(b):
        raise ValueError(f"A and B must hold the same figures; only in A: {sorted(set(a) - set(b))}, "
                         f"only in B: {sorted(set(b) - set(a))}")
    if resamples < 1 or not 0.0 < level < 1.0:
        raise ValueError(f"need resamples >= 1 and 0 < level < 1, got {resamples} and {level}")
    names = list(a)
    if not names:
        return {}
    n = a[names[0]].num.size
    wrong = [name for name in names if a[name].num.size != n or b[name].num.size != n]
    if wrong:
        raise ValueError(f"figures {wrong} do not hold the {n} problems of {names[0]!r}; pair A and B first")
    # Columns: num and den of every figure, A's then B's.
    sums = np.column_stack([s for name in names for s in (a[name].num, a[name].den, b[name].num, b[name].den)])
    draws = resampled_sums(sums, resamples, seed) if n else np.full((resamples, sums.shape[1]), math.nan)
    tail = 100.0 * (1.0 - level) / 2.0
    out: dict[str, Interval] = {}
    for i, name in enumerate(names):
        num_a, den_a, num_b, den_b = (draws[:, 4 * i + j] for j in range(4))
        with np.errstate(invalid="ignore", divide="ignore"):
            differences = num_b / den_b - num_a / den_a
        differences = differences[np.isfinite(differences)]
        low, high = np.percentile(differences, [tail, 100.0 - tail]) if differences.size else (math.nan, math.nan)
        out[name] = Interval(b[name].value - a[name].value, float(low), float(high), level)
    return out


def resampled_sums(sums: FloatArray, resamples: int, seed: int) -> FloatArray:
    """``counts @ sums`` for ``resamples`` rows of problem counts, each row ``n`` draws with replacement.

    ``sums`` holds one row per problem and one column per sum; every column shares each draw, so a figure
    that combines several sums (a difference of two ratios) is computed per row of the result.
    Identical columns (the many figures whose ``den`` is each problem's sample count) are multiplied once.
    """
    rng = np.random.default_rng(seed)
    n = sums.shape[0]
    distinct, column_of = np.unique(sums, axis=1, return_inverse=True)
    chunk = max(1, _CHUNK_ENTRIES // n)
    parts = []
    for start in range(0, resamples, chunk):
        rows = min(chunk, resamples - start)
        drawn = rng.integers(0, n, size=(rows, n), dtype=np.int64)
        drawn += np.arange(rows, dtype=np.int64)[:, None] * n
        counts = np.bincount(drawn.ravel(), minlength=rows * n).reshape(rows, n).astype(np.float32)
        parts.append(counts @ distinct.astype(np.float32))
    return np.concatenate(parts).astype(np.float64)[:, np.ravel(column_of)]


def shared_problems(a: Sequence[str], b: Sequence[str]) -> tuple[list[int], list[int]]:
    """Indices into ``a`` and into ``b`` of the problems both hold, in A's order (keys must be unique in each)."""
    where_b = {key: index for index, key in enumerate(b)}
    pairs = [(index, where_b[key]) for index, key in enumerate(a) if key in where_b]
    return [i for i, _ in pairs], [j for _, j in pairs]
