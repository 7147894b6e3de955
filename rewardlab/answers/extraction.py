"""Find the final answer in a completion (a reference's answer is read by :mod:`rewardlab.answers.reference`).

Pure string functions, linear in the text and safe on any input (empty, megabytes, unbalanced
braces, NUL bytes): they never raise. Shared by every reward and every evaluator, so that the
reward a model is trained on and the accuracy it is judged by read answers the same way.

The chain follows the Qwen2.5-Math parser used by Spurious Rewards (Shao et al. 2025):
last brace-matched ``\\boxed{}`` first, then "the answer is ...", then the last number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Method = Literal["boxed", "answer_is", "last_number"]

# The largest answer we hand to the verifier; longer "answers" are not answers.
MAX_ANSWER_CHARS = 512
# Fallbacks (answer phrase, last number) look only at the end of a completion.
_TAIL_CHARS = 4096

BOX_MARKERS = ("\\boxed", "\\fbox")
_ANSWER_IS = re.compile(r"(?:final answer|the answer)\s*(?:is|:)\s*:?\s*", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+", re.ASCII)


@dataclass(frozen=True)
class Extraction:
    """An extracted answer and the rule that found it."""

    answer: str
    method: Method


def _match_braces(text: str, open_pos: int) -> str | None:
    """Content of the brace group opening at ``open_pos``; ``None`` when it never closes."""
    depth = 0
    for i in range(open_pos, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[open_pos + 1 : i]
    return None


def last_boxed(text: str) -> str | None:
    """Stripped content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), brace-matched.

    ``\\boxed 5`` (no braces) gives ``5``. Returns ``None`` when there is no box or the last box
    never closes, and ``""`` for an empty box.
    """
    if not isinstance(text, str):
        return None
    start = max(text.rfind(marker) for marker in BOX_MARKERS)
    if start < 0:
        return None
    j = start + (len("\\boxed") if text.startswith("\\boxed", start) else len("\\fbox"))
    while j < len(text) and text[j] == " ":
        j += 1
    if j < len(text) and text[j] == "{":
        content = _match_braces(text, j)
        return None if content is None else content.strip()
    token = re.match(r"[^\s$]*", text[j : j + MAX_ANSWER_CHARS])
    return token.group(0).strip() if token else None


def has_boxed_answer(text: str) -> bool:
    """True iff the last ``\\boxed{}`` exists, closes, and is not empty (the Spurious Rewards format check)."""
    return bool(last_boxed(text))


def _answer_phrase(tail: str) -> str | None:
    matches = list(_ANSWER_IS.finditer(tail))
    if not matches:
        return None
    rest = tail[matches[-1].end() :]
    if rest.startswith("$"):
        close = rest.find("$", 1)
        candidate = rest[1:close] if close > 0 else rest[1:]
    else:
        candidate = re.split(r"\n|\.(?:\s|$)|,\s|;", rest, maxsplit=1)[0]
    candidate = candidate.strip().strip("$").strip().rstrip(".")
    return candidate or None


def extract_answer(text: str, *, fallback: bool = True) -> Extraction | None:
    """The final answer of a completion, or ``None`` when it states none.

    Order: last ``\\boxed{}``; then (when ``fallback``) "the answer is X" / "final answer is X";
    then the last number. Answers longer than ``MAX_ANSWER_CHARS`` count as no answer.
    """
    if not isinstance(text, str) or not text:
        return None
    boxed = last_boxed(text)
    if boxed:
        return Extraction(boxed, "boxed") if len(boxed) <= MAX_ANSWER_CHARS else None
    if not fallback:
        return None
    tail = text[-_TAIL_CHARS:]
    phrase = _answer_phrase(tail)
    if phrase and len(phrase) <= MAX_ANSWER_CHARS:
        return Extraction(phrase, "answer_is")
    numbers = _NUMBER.findall(tail)
    if numbers:
        return Extraction(numbers[-1].replace(",", ""), "last_number")
    return None
