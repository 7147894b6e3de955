"""Behaviour of completions beyond correctness: code reasoning, boxed answers, length, abstention.

Spurious Rewards (Shao et al. 2025, §4.2) shows that Qwen2.5-Math's gains under random or incorrect
rewards track its rate of *code reasoning* (writing Python without running it); these rates make
such shifts visible. ``None`` entries mean "missing" and are left out of every rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

from rewardlab.answers.extraction import has_boxed_answer
from rewardlab.metrics.accuracy import mean_available


def has_code_reasoning(text: str) -> bool:
    """Spurious Rewards' code-reasoning indicator: ``"python" in text.lower()`` (False for a non-string)."""
    return isinstance(text, str) and "python" in text.lower()


def code_reasoning_rate(texts: Sequence[str | None]) -> float:
    """Fraction of completions that show code reasoning; NaN when there are none.

    .. math:: \\frac{1}{N} \\sum_{i=1}^{N} \\mathbb{1}[\\texttt{"python"} \\in \\text{lower}(t_i)]
    """
    return mean_available(None if t is None else has_code_reasoning(t) for t in texts)


def boxed_rate(texts: Sequence[str | None]) -> float:
    """Fraction of completions whose last ``\\boxed{}`` exists, closes and is non-empty (NaN if none).

    .. math:: \\frac{1}{N} \\sum_{i=1}^{N} \\mathbb{1}[t_i \\text{ has a boxed answer}]
    """
    return mean_available(None if t is None else has_boxed_answer(t) for t in texts)


def _length(item: str | float | None) -> float | None:
    if item is None:
        return None
    if isinstance(item, str):
        return float(len(item))
    if isinstance(item, Real) and not isinstance(item, bool):
        return float(item)
    raise TypeError(f"mean_length takes strings or numbers, got {type(item).__name__}")


def mean_length(texts_or_lengths: Sequence[str | float | None]) -> float:
    """Mean completion length: characters for a string, the number itself for a number (a token count).

    .. math:: \\bar L = \\frac{1}{N} \\sum_{i=1}^{N} L_i

    ``None`` and NaN entries are ignored; NaN when there are none.
    """
    return mean_available(_length(item) for item in texts_or_lengths)


def abstention_rate(abstained: Sequence[bool | None]) -> float:
    """Fraction of samples where the model abstained (e.g. "I don't know"); ``None`` entries ignored.

    .. math:: \\frac{1}{|A|} \\sum_{i \\in A} \\mathbb{1}[\\text{abstained}_i]
    """
    return mean_available(abstained)
