"""Truthfulness: accuracy minus hallucination, with abstention in between (TruthRL, Wei et al. 2025).

Each sample is exactly one of: *abstained* (it said "I don't know"), *accurate* (it answered and was
right) or *hallucinated* (it answered, or said nothing, and was wrong). ``None`` (or NaN) in either
input means "unknown" and leaves that sample out of every rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rewardlab.metrics.accuracy import complete_pairs, is_missing


def truthfulness_rates(correct: Sequence[bool | None], abstained: Sequence[bool | None]) -> tuple[float, float, float]:
    """``(accuracy, uncertainty, hallucination)`` rates over the samples where both values are known.

    .. math:: \\text{Acc} = \\tfrac{1}{N}\\sum_i \\mathbb{1}[\\neg u_i \\wedge c_i], \\quad
              \\text{Unc} = \\tfrac{1}{N}\\sum_i \\mathbb{1}[u_i], \\quad
              \\text{Hall} = \\tfrac{1}{N}\\sum_i \\mathbb{1}[\\neg u_i \\wedge \\neg c_i]

    Abstention is decided first, as in the ternary reward, so the three rates sum to 1. All three
    are NaN when no sample is known.

    Raises:
        ValueError: when the two sequences differ in length.
    """
    c, u = complete_pairs(correct, abstained, ("correct", "abstained"))
    if not c.size:
        return math.nan, math.nan, math.nan
    answered = u < 0.5
    right = c > 0.5
    return float((answered & right).mean()), float((~answered).mean()), float((answered & ~right).mean())


def outcome_terms(correct: Sequence[bool | None], abstained: Sequence[bool | None],
                  ) -> tuple[list[bool | None], list[float | None]]:
    """Each sample's terms of :func:`hallucination_rate` (answered and wrong) and of :func:`truthfulness`
    with the default weights (+1 accurate, 0 abstained, −1 hallucinated); ``None`` where either input is
    missing. Their means are the two rates."""
    if len(correct) != len(abstained):
        raise ValueError(f"correct and abstained must have the same length, got {len(correct)} and {len(abstained)}")
    hallucinated: list[bool | None] = []
    terms: list[float | None] = []
    for c, u in zip(correct, abstained, strict=True):
        if is_missing(c) or is_missing(u):
            hallucinated.append(None)
            terms.append(None)
            continue
        answered = not u
        hallucinated.append(answered and not c)
        terms.append(float(answered and bool(c)) - float(answered and not c))
    return hallucinated, terms



def hallucination_rate(correct: Sequence[bool | None], abstained: Sequence[bool | None]) -> float:
    """Fraction of samples that answered and were wrong (TruthRL's Hall); NaN when none is known."""
    return truthfulness_rates(correct, abstained)[2]


def truthfulness(correct: Sequence[bool | None], abstained: Sequence[bool | None], w_accuracy: float = 1.0,
                 w_uncertainty: float = 0.0, w_hallucination: float = 1.0) -> float:
    """TruthRL's truthfulness score, by default accuracy minus hallucination rate.

    .. math:: T = w_1 \\cdot \\text{Acc} + w_2 \\cdot \\text{Unc} - w_3 \\cdot \\text{Hall},
              \\quad (w_1, w_2, w_3) = (1, 0, 1)

    (Wei et al. 2025, §2.1.) NaN when no sample is known.
    """
    accuracy, uncertainty, hallucination = truthfulness_rates(correct, abstained)
    return w_accuracy * accuracy + w_uncertainty * uncertainty - w_hallucination * hallucination
