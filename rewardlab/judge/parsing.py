"""Reading a judge's verdict out of its reply: pure string functions that never raise.

The reply is data: it is searched with regular expressions and nothing in it is ever evaluated.

* Pointwise (DeepSeek-GRM, Liu et al. 2025, arXiv 2504.02495): the score is the last brace-matched
  ``\\boxed{s}``, a number 1 ≤ s ≤ 10 (``7``, ``7.5``, ``7/10``, ``\\text{7}`` are read as 7 or 7.5);
  anything else, or a number out of range, is no score. Normalised to [0, 1] by
  :math:`r = (s - 1) / 9`.
* Pairwise (RRM, Guo et al. 2025, arXiv 2505.14674; RM-R1, Chen et al. 2025, arXiv 2505.02387): the
  verdict is the last of ``\\boxed{Assistant 1}`` / ``\\boxed{Assistant 2}`` (also
  ``\\boxed{\\text{Assistant 1}}``, "Response" for "Assistant") and ``[[A]]`` / ``[[B]]`` (also
  ``[[1]]`` / ``[[2]]``), so a reply that quotes the format before deciding is read by its decision.
"""

from __future__ import annotations

import re
from typing import Literal

from rewardlab.answers.extraction import last_boxed

SCORE_MIN, SCORE_MAX = 1.0, 10.0

_SCORE = re.compile(r"^(?:\\text(?:bf)?\s*\{\s*)?\**\s*(\d{1,2}(?:\.\d+)?)\s*\**\s*\}?\s*(?:/\s*10|out of 10)?\s*$",
                    re.IGNORECASE)
_VERDICT = re.compile(
    r"\\boxed\s*\{\s*(?:\\text(?:bf)?\s*\{\s*)?(?:assistant|response)\s*([12ab])\s*\}\s*\}?"
    r"|\[\[\s*([12ab])\s*\]\]",
    re.IGNORECASE,
)


def parse_score(text: str) -> float | None:
    """The 1–10 score in the reply's last ``\\boxed{}``, or ``None`` (no box, not a number, out of range).

    >>> parse_score("Analysis: fine. Score: \\\\boxed{8}"), parse_score("\\\\boxed{11}"), parse_score("8")
    (8.0, None, None)
    """
    content = last_boxed(text) if isinstance(text, str) else None
    if content is None:
        return None
    match = _SCORE.match(content.strip())
    if match is None:
        return None
    value = float(match.group(1))
    return value if SCORE_MIN <= value <= SCORE_MAX else None


def normalise_score(score: float) -> float:
    """Map a 1–10 score to [0, 1]: r = (s − 1) / 9."""
    return (score - SCORE_MIN) / (SCORE_MAX - SCORE_MIN)


def parse_verdict(text: str) -> Literal[1, 2] | None:
    """Which response the reply prefers, 1 (the first shown) or 2, from its last verdict marker; else ``None``.

    >>> parse_verdict("Both are fine, but \\\\boxed{Assistant 2}"), parse_verdict("[[A]]"), parse_verdict("tie")
    (2, 1, None)
    """
    if not isinstance(text, str):
        return None
    matches = list(_VERDICT.finditer(text))
    if not matches:
        return None
    last = matches[-1]
    label = (last.group(1) or last.group(2)).lower()
    return 1 if label in ("1", "a") else 2
