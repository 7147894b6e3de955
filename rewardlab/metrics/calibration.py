"""Calibration of a confidence ``q`` in [0, 1] against correctness: ECE, Brier, AUROC, reliability diagram.

Every function takes two equal-length sequences and drops the pairs where the confidence is ``None``
or NaN or the correctness is ``None``. matplotlib is imported inside the function that draws, so
importing this module stays cheap; the ECE equals netcal's and the AUROC's ranks scipy's (tested
against both).

Binning matches netcal 1.4's ``ECE(bins=n_bins)``: ``n_bins`` equal-width bins with edges
``np.linspace(0, 1, n_bins + 1)``; every bin is half-open ``[e_b, e_{b+1})`` except the last, which
is closed, so a confidence of exactly 1.0 falls in the last bin and 0.0 in the first. (netcal first
clips confidences to ``[eps, 1 - eps]``, float64 machine epsilon; that moves no sample across a bin
edge and changes a bin's mean confidence by at most ``eps``.)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rewardlab.metrics.accuracy import FloatArray, complete_pairs, is_missing

_NAMES = ("confidence", "correct")


def _pairs(confidence: Sequence[float | None],
           correct: Sequence[bool | None]) -> tuple[FloatArray, FloatArray]:
    """Complete ``(q, y)`` pairs with ``y`` in {0, 1}; raises ``ValueError`` on bad lengths or ranges."""
    q, y = complete_pairs(confidence, correct, _NAMES)
    if q.size and (q.min() < 0.0 or q.max() > 1.0):
        raise ValueError(f"confidence must lie in [0, 1], got values in [{q.min()}, {q.max()}]")
    return q, (y > 0.5).astype(np.float64)


def _check_bins(n_bins: int) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    return int(n_bins)


@dataclass(frozen=True)
class CalibrationBins:
    """Per-bin statistics of a binned calibration; bin ``b`` covers ``[edges[b], edges[b + 1])``.

    Attributes:
        edges: the ``n_bins + 1`` bin edges, ``np.linspace(0, 1, n_bins + 1)``.
        count: ``n_b``, the number of samples in each bin.
        confidence: ``conf_b``, the mean confidence in each bin (NaN for an empty bin).
        accuracy: ``acc_b``, the fraction correct in each bin (NaN for an empty bin).
    """

    edges: FloatArray
    count: np.ndarray
    confidence: FloatArray
    accuracy: FloatArray


def binned_calibration(confidence: Sequence[float | None], correct: Sequence[bool | None],
                       n_bins: int = 10) -> CalibrationBins:
    """Bin the samples by confidence into ``n_bins`` equal-width bins and summarise each bin.

    .. math:: n_b = |B_b|, \\quad \\text{conf}_b = \\frac{1}{n_b} \\sum_{i \\in B_b} q_i, \\quad
              \\text{acc}_b = \\frac{1}{n_b} \\sum_{i \\in B_b} y_i

    with ``B_b = {i : e_b <= q_i < e_{b+1}}`` (the last bin also holds ``q_i = 1``), the same bins as
    netcal's ECE, so that :math:`\\sum_b \\frac{n_b}{N} |\\text{conf}_b - \\text{acc}_b|` is the ECE.
    """
    n_bins = _check_bins(n_bins)
    q, y = _pairs(confidence, correct)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.searchsorted(edges, q, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(index, weights=q, minlength=n_bins) / count
        accuracy = np.bincount(index, weights=y, minlength=n_bins) / count
    return CalibrationBins(edges=edges, count=count, confidence=mean_conf, accuracy=accuracy)


def expected_calibration_error(confidence: Sequence[float | None], correct: Sequence[bool | None],
                               n_bins: int = 10) -> float:
    """Expected calibration error (Naeini et al. 2015; Guo et al. 2017), equal to netcal 1.4's.

    .. math:: \\text{ECE} = \\sum_{b=1}^{B} \\frac{n_b}{N} \\left| \\text{conf}_b - \\text{acc}_b \\right|

    over ``B = n_bins`` equal-width bins on [0, 1] (see :func:`binned_calibration`, netcal's bins).
    Computed here in numpy: netcal's ``ECE(bins=n_bins, equal_intervals=True)`` gives the same value to
    1e-12 (the tests compare them), and importing netcal costs seconds (it loads torch and
    scikit-learn), more than a whole ``rewardlab score`` of a few thousand rollouts. NaN when no pair
    is complete.
    """
    bins = binned_calibration(confidence, correct, n_bins)
    total = int(bins.count.sum())
    if not total:
        return math.nan
    filled = bins.count > 0
    gaps = np.abs(bins.confidence[filled] - bins.accuracy[filled])
    return float(np.sum(bins.count[filled] / total * gaps))


def brier_score(confidence: Sequence[float | None], correct: Sequence[bool | None]) -> float:
    """Brier score (Brier 1950): mean squared gap between confidence and correctness; NaN when empty.

    .. math:: \\text{BS} = \\frac{1}{N} \\sum_{i=1}^{N} \\left(q_i - \\mathbb{1}[\\text{correct}_i]\\right)^2
    """
    q, y = _pairs(confidence, correct)
    return float(np.mean((q - y) ** 2)) if q.size else math.nan


def squared_errors(confidence: Sequence[float | None], correct: Sequence[bool | None]) -> list[float | None]:
    """Each sample's term of the Brier score, ``(q_i - 1[correct_i])^2`` (``None`` where either is missing):
    :func:`brier_score` is their mean."""
    if len(confidence) != len(correct):
        raise ValueError(f"confidence and correct must have the same length, got {len(confidence)} and {len(correct)}")
    return [None if is_missing(q) or is_missing(c) else (float(q) - float(bool(c))) ** 2
            for q, c in zip(confidence, correct, strict=True)]



def _average_ranks(values: FloatArray) -> FloatArray:
    """1-based ranks of ``values``, ties sharing the mean of their ranks (``scipy.stats.rankdata``'s default,
    computed in numpy: importing scipy.stats costs seconds, more than the rest of a score run's report)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)  # the highest rank of each distinct value
    return (last - (counts - 1) / 2.0)[inverse]


def auroc(confidence: Sequence[float | None], correct: Sequence[bool | None]) -> float:
    """Area under the ROC curve of confidence as a detector of correct answers, from ranks.

    .. math:: \\text{AUROC} = \\frac{U}{n_+ n_-}, \\quad
              U = \\sum_{i : y_i = 1} r_i - \\frac{n_+ (n_+ + 1)}{2}

    where ``r_i`` is the (tie-averaged) rank of ``q_i`` among all confidences: the Mann–Whitney
    statistic, i.e. the probability that a random correct sample gets more confidence than a random
    wrong one, ties counting one half. NaN when only one class is present.
    """
    q, y = _pairs(confidence, correct)
    positive = y > 0.5
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = _average_ranks(q)
    u = float(ranks[positive].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def reliability_diagram(confidence: Sequence[float | None], correct: Sequence[bool | None],
                        path: str | os.PathLike[str], n_bins: int = 10,
                        title: str = "Reliability diagram") -> Path:
    """Write a reliability diagram (Guo et al. 2017) as a PNG at ``path`` and return the path.

    Top panel: accuracy ``acc_b`` per bin as bars, the gap to the bin's mean confidence ``conf_b``
    shaded, and the diagonal of perfect calibration; the legend gives the ECE. Bottom panel: the
    number of samples ``n_b`` per bin. Missing parent directories are created. Uses matplotlib's Agg
    canvas directly, so no global backend is changed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bins = binned_calibration(confidence, correct, n_bins)
    ece = expected_calibration_error(confidence, correct, n_bins)
    n = int(bins.count.sum())
    left, width = bins.edges[:-1], np.diff(bins.edges)
    filled = bins.count > 0

    figure = Figure(figsize=(5.0, 6.0), layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    top.plot([0, 1], [0, 1], linestyle="--", color="black", zorder=3, label="perfect calibration")
    top.bar(left[filled], bins.accuracy[filled], width=width[filled], align="edge",
            edgecolor="black", color="tab:blue", label=f"accuracy (ECE = {ece:.3f}, n = {n})")
    gap_low = np.minimum(bins.accuracy, bins.confidence)[filled]
    gap = np.abs(bins.accuracy - bins.confidence)[filled]
    top.bar(left[filled], gap, bottom=gap_low, width=width[filled], align="edge",
            color="tab:red", alpha=0.3, edgecolor="tab:red", label="gap to mean confidence")
    top.set(xlim=(0, 1), ylim=(0, 1), ylabel="accuracy", title=title)
    top.legend(loc="upper left", fontsize="small")
    bottom.bar(left, bins.count, width=width, align="edge", edgecolor="black", color="tab:grey")
    bottom.set(xlabel="confidence", ylabel="samples")

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, format="png", dpi=100)
    return out
