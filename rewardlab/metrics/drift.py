"""How far a proxy reward drifts from gold correctness.

A proxy reward ``r_i`` (majority-vote pseudo-labels, self-certainty, a learned judge, ...) stands in
for gold correctness ``y_i`` in {0, 1}. TTRL (Zuo et al. 2025) tracks the two as *reward accuracy*
(:func:`agreement_rate`) and *label accuracy* (:func:`pseudo_label_accuracy`). Each function uses
only the pairs where both values exist (not ``None``, not NaN).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rewardlab.metrics.accuracy import FloatArray, complete_pairs, is_missing, mean_accuracy

_NAMES = ("proxy", "gold")


def _pairs(proxy: Sequence[float | None], gold: Sequence[bool | None]) -> tuple[FloatArray, FloatArray]:
    """Complete ``(r, y)`` pairs with ``y`` in {0, 1}; raises ``ValueError`` on unequal lengths."""
    r, y = complete_pairs(proxy, gold, _NAMES)
    return r, (y > 0.5).astype(np.float64)


def agreement_rate(proxy: Sequence[float | None], gold: Sequence[bool | None],
                   threshold: float = 0.5) -> float:
    """Fraction of samples where the thresholded proxy agrees with gold correctness (TTRL's reward accuracy).

    .. math:: \\text{agreement} = \\frac{1}{N} \\sum_{i=1}^{N}
              \\mathbb{1}\\big[\\mathbb{1}[r_i > \\tau] = y_i\\big]

    NaN when no pair is complete.
    """
    r, y = _pairs(proxy, gold)
    return float(np.mean((r > threshold) == (y > 0.5))) if r.size else math.nan


def correlation(proxy: Sequence[float | None], gold: Sequence[bool | None]) -> float:
    """Pearson correlation between proxy reward and gold correctness (point-biserial for a 0/1 gold).

    .. math:: \\rho = \\frac{\\sum_i (r_i - \\bar r)(y_i - \\bar y)}
              {\\sqrt{\\sum_i (r_i - \\bar r)^2} \\sqrt{\\sum_i (y_i - \\bar y)^2}}

    NaN when fewer than two pairs are complete or either side is constant.
    """
    r, y = _pairs(proxy, gold)
    if r.size < 2:
        return math.nan
    dr, dy = r - r.mean(), y - y.mean()
    denominator = math.sqrt(float(np.dot(dr, dr)) * float(np.dot(dy, dy)))
    if denominator == 0.0:
        return math.nan
    return float(np.clip(np.dot(dr, dy) / denominator, -1.0, 1.0))


def proxy_precision_recall(proxy: Sequence[float | None], gold: Sequence[bool | None],
                           threshold: float = 0.5) -> tuple[float, float]:
    """Precision and recall of ``r > threshold`` as a detector of correct answers.

    .. math:: \\text{precision} = \\frac{TP}{TP + FP}, \\quad \\text{recall} = \\frac{TP}{TP + FN}

    with ``TP = #{r_i > τ, y_i = 1}``, ``FP = #{r_i > τ, y_i = 0}``, ``FN = #{r_i <= τ, y_i = 1}``.
    Precision is NaN when the proxy flags nothing, recall when no answer is correct.
    """
    r, y = _pairs(proxy, gold)
    flagged, right = r > threshold, y > 0.5
    true_positive = int(np.sum(flagged & right))
    n_flagged, n_right = int(flagged.sum()), int(right.sum())
    precision = true_positive / n_flagged if n_flagged else math.nan
    recall = true_positive / n_right if n_right else math.nan
    return precision, recall


def detector_terms(proxy: Sequence[float | None], gold: Sequence[bool | None], threshold: float = 0.5,
                   ) -> tuple[list[bool | None], list[bool | None], list[bool | None]]:
    """Each sample's terms of :func:`agreement_rate`, and of :func:`proxy_precision_recall`'s precision and
    recall: ``r > threshold`` agrees with gold; is right where flagged (``None`` where not flagged); is
    flagged where right (``None`` where wrong). ``None`` where either value is missing; their means are
    the three figures."""
    if len(proxy) != len(gold):
        raise ValueError(f"proxy and gold must have the same length, got {len(proxy)} and {len(gold)}")
    agree: list[bool | None] = []
    precise: list[bool | None] = []
    recalled: list[bool | None] = []
    for r, y in zip(proxy, gold, strict=True):
        if is_missing(r) or is_missing(y):
            agree.append(None)
            precise.append(None)
            recalled.append(None)
            continue
        flagged, right = float(r) > threshold, float(y) > 0.5
        agree.append(flagged == right)
        precise.append(right if flagged else None)
        recalled.append(flagged if right else None)
    return agree, precise, recalled



def pseudo_label_accuracy(label_correct: Sequence[bool | None]) -> float:
    """Fraction of pseudo-labels that match the gold answer (TTRL's label accuracy).

    .. math:: \\text{label accuracy} = \\frac{1}{|A|} \\sum_{i \\in A} \\mathbb{1}[\\hat y_i = y_i^{*}]

    over the available entries ``A`` (``None`` and NaN ignored); NaN when there are none.
    """
    return mean_accuracy(label_correct)
