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

from rewardlab.answers.extraction import BOX_MARKERS, last_boxed

_GSM8K_MARKER = "####"
_GSM8K = re.compile(r"####\s*(.*?)\s*$", re.DOTALL)
_INTEGRAL_FLOAT = re.compile(r"([+-]?\d+)\.0+")
# A LaTeX command with its flat braced arguments: the words inside them are LaTeX's, not prose.
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+\*?(?:\s*\{[^{}]*\})*")
_WORD = re.compile(r"[A-Za-z]{3,}")
# A label with this many words of prose outside LaTeX is a sentence, not an answer.
PROSE_WORDS = 2


def marked_answer(text: str) -> str | None:
    """The answer a worked solution marks: GSM8K's ``#### N`` (commas dropped) or its last ``\\boxed{}``.

    ``None`` when the text marks no answer, or marks an empty one.
    """
    if _GSM8K_MARKER in text:
        found = _GSM8K.search(text)
        return (found.group(1).replace(",", "").strip() or None) if found else None
    if any(marker in text for marker in BOX_MARKERS):
        return last_boxed(text) or None
    return None


def is_prose(text: str) -> bool:
    """True when ``text`` has :data:`PROSE_WORDS` or more words of three or more letters outside LaTeX."""
    return len(_WORD.findall(_LATEX_COMMAND.sub(" ", text))) >= PROSE_WORDS


def reference_answer(value: Any) -> str | None:
    """The answer a label states, as text, or ``None`` when it states none (see the module's rule).

    - ``None``, NaN and infinities: ``None``; integers: their digits; integral floats and numeric strings
      lose the ``.0`` (``142.0`` and ``"142.0"`` become ``"142"``);
    - a list or tuple of answers: each normalised, joined with ``", "``;
    - text: GSM8K's ``#### N`` or the last ``\\boxed{}`` when it marks one, else the stripped text itself.

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
    text = str(value).strip()
    marked = any(marker in text for marker in (_GSM8K_MARKER, *BOX_MARKERS))
    answer = marked_answer(text) if marked else text
    if not answer or is_prose(answer):
        return None
    integral = _INTEGRAL_FLOAT.fullmatch(answer)
    return integral.group(1) if integral else answer
