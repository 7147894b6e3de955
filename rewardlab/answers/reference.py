"""The one normaliser of reference answers: what a dataset's label says the answer is.

Every reward that checks against a label and every data loader reads labels through
:func:`reference_answer`, so a label means the same thing at load time, at scoring time and in evaluation.

A label that is *not an answer* gives ``None`` (no signal, never a 0 for every completion):

- nothing is left once it is normalised: empty, or GSM8K's marker with nothing after it (``"#### "``);
- it reads as prose: two or more words of three or more letters outside LaTeX commands and their
  braced arguments (``"Answer is forty two."``). One word passes (``"10 inches"``, ``"yes"``), and so do
  words inside ``\\text{}``, ``\\mbox{}`` or an environment name (``"\\text{Evelyn}"``, ``"5.4 \\text{ cents}"``,
  ``"\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}"``), which is how MATH writes its word answers.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rewardlab.answers.extraction import BOX_MARKERS, boxed_contents, strip_invisible

_GSM8K_MARKER = "####"
_GSM8K = re.compile(r"####\s*(.*?)\s*$", re.DOTALL)
_INTEGRAL_FLOAT = re.compile(r"([+-]?\d+)\.0+")
# A number with a decimal comma (``1,22``: two digits after it; MATH's ``-2,1`` is two answers) and one with
# thousands separators.
_DECIMAL_COMMA = re.compile(r"([+-]?\d+),(\d{2})")
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
# A LaTeX command with its flat braced arguments: the words inside them are LaTeX's, not prose.
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+\*?(?:\s*\{[^{}]*\})*")
_WORD = re.compile(r"[A-Za-z]{3,}")
# A label with this many words of prose outside LaTeX is a sentence, not an answer.
PROSE_WORDS = 2


def marked_answer(text: str) -> str | None:
    """The answer a worked solution marks: GSM8K's ``#### N`` (commas dropped) or its ``\\boxed{}`` parts.

    Several boxed parts are one answer of several parts, joined by ``, `` (``\\boxed{1}`` and ``\\boxed{2}``
    give ``1, 2``, as math-verify reads them), unless prose surrounds them: a worked solution's last box is its
    answer. ``None`` when the text marks no answer, or marks an empty one.
    """
    if _GSM8K_MARKER in text:
        found = _GSM8K.search(text)
        return (found.group(1).replace(",", "").strip() or None) if found else None
    if any(marker in text for marker in BOX_MARKERS):
        parts = [part for part in boxed_contents(text) if part]
        if len(parts) > 1 and is_prose(re.sub(r"\\(?:boxed|fbox)\s*\{[^{}]*\}", " ", text)):
            return parts[-1]  # a worked solution boxing steps on the way: its last box is its answer
        return ", ".join(parts) or None
    return None


def _plain_number(answer: str) -> str:
    """A number written with a decimal comma or thousands separators, as math-verify reads plain numbers.

    ``1,22`` is 1.22 and ``58,500`` is 58500; ``1,-2``, ``-2,1`` and ``1, 22`` (two answers each, as MATH
    writes them) are left as they are.
    """
    if _THOUSANDS.fullmatch(answer):
        return answer.replace(",", "")
    decimal = _DECIMAL_COMMA.fullmatch(answer)
    return f"{decimal.group(1)}.{decimal.group(2)}" if decimal else answer


def is_prose(text: str) -> bool:
    """True when ``text`` has :data:`PROSE_WORDS` or more words of three or more letters outside LaTeX."""
    return len(_WORD.findall(_LATEX_COMMAND.sub(" ", text))) >= PROSE_WORDS


def reference_answer(value: Any) -> str | None:
    """The answer a label states, as text, or ``None`` when it states none (see the module's rule).

    - ``None``, NaN and infinities: ``None``; integers: their digits; integral floats and numeric strings
      lose the ``.0`` (``142.0`` and ``"142.0"`` become ``"142"``);
    - a list or tuple of answers: each normalised, joined with ``", "``;
    - text (invisible marks removed): GSM8K's ``#### N`` or its ``\\boxed{}`` parts when it marks them (a worked
      solution with one box gives that box), else the stripped text itself; a number with a decimal comma
      (``1,22``) or thousands separators (``58,500``) reads as math-verify reads plain numbers.

    >>> reference_answer("Janet sells 16 - 3 - 4 = 9 eggs. #### 1,234"), reference_answer("Answer is forty two.")
    ('1234', None)
    """
    if value is None:
        return None
    if isinstance(value, int):  # bool included
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, tuple)):
        parts = [text for text in (reference_answer(v) for v in value) if text]
        return ", ".join(parts) or None
    text = strip_invisible(str(value)).strip()
    marked = any(marker in text for marker in (_GSM8K_MARKER, *BOX_MARKERS))
    answer = marked_answer(text) if marked else text
    if not answer or is_prose(answer):
        return None
    answer = _plain_number(answer)
    integral = _INTEGRAL_FLOAT.fullmatch(answer)
    return integral.group(1) if integral else answer
