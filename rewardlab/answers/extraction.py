"""Find the final answer in a completion (a reference's answer is read by :mod:`rewardlab.answers.reference`).

Three extraction policies, one setting (``extraction``) shared by every reward that checks answers:

- ``math_verify`` (the default): the answer is what math-verify extracts from the whole completion, as
  lighteval and open-r1 read MATH-500: a box first, then "final answer is" phrases and "answer: X" as
  math-verify ranks them, then the last display or inline math or plain expression. Before that,
  :func:`answer_region` removes invisible marks, keeps the last ``<answer>`` tag's content where there is
  one, and drops structured tails (a ``<confidence>`` value, a trailing "Confidence: 0.9" or step count, a
  dated sign-off), which never pass for answers. math-verify's part runs in the checker's worker
  processes (:func:`rewardlab.answers.checker.read_answer`), bounded in time.
- ``qwen``: the Qwen2.5-Math chain used by Spurious Rewards (Shao et al. 2025), byte for byte:
  last brace-matched ``\\boxed{}`` first, then "the answer is ...", then the last number
  (:func:`extract_answer`).
- ``boxed``: only the last ``\\boxed{}``; nothing else counts (the strict format graders use).

The functions here are pure string functions, linear in the text and safe on any input (empty,
megabytes, unbalanced braces, NUL bytes): they never raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Method = Literal["boxed", "answer_is", "last_number", "math_verify"]
ExtractionPolicy = Literal["math_verify", "qwen", "boxed"]
EXTRACTION_POLICIES: tuple[str, ...] = ("math_verify", "qwen", "boxed")
DEFAULT_EXTRACTION = "math_verify"

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


def _after_last_box_marker(text: str) -> int | None:
    """Position just past the last ``\\boxed`` / ``\\fbox`` marker and the spaces after it; ``None`` without one."""
    start = max(text.rfind(marker) for marker in BOX_MARKERS)
    if start < 0:
        return None
    j = start + (len("\\boxed") if text.startswith("\\boxed", start) else len("\\fbox"))
    while j < len(text) and text[j] == " ":
        j += 1
    return j


def last_boxed(text: str) -> str | None:
    """Stripped content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), brace-matched.

    ``\\boxed 5`` (no braces) gives ``5``. Returns ``None`` when there is no box or the last box
    never closes, and ``""`` for an empty box.
    """
    j = _after_last_box_marker(text) if isinstance(text, str) else None
    if j is None:
        return None
    if j < len(text) and text[j] == "{":
        content = _match_braces(text, j)
        return None if content is None else content.strip()
    token = re.match(r"[^\s$]*", text[j : j + MAX_ANSWER_CHARS])
    return token.group(0).strip() if token else None


def last_boxed_span(text: str) -> tuple[int, int] | None:
    """Character span ``[start, end)`` of the last ``\\boxed{...}`` (or ``\\fbox{...}``)'s content, brace-matched;
    ``None`` when there is no box, it has no braces, or it never closes."""
    j = _after_last_box_marker(text)
    if j is None or j >= len(text) or text[j] != "{":
        return None
    content = _match_braces(text, j)
    return None if content is None else (j + 1, j + 1 + len(content))


def boxed_contents(text: str) -> list[str]:
    """The stripped contents of every closed ``\\boxed{...}`` (or ``\\fbox{...}``) in ``text``, in order."""
    contents: list[str] = []
    for found in re.finditer(r"\\(?:boxed|fbox)\s*\{", text):
        content = _match_braces(text, found.end() - 1)
        if content is not None:
            contents.append(content.strip())
    return contents


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


# Zero-width characters, bidirectional marks and embeddings, the word joiner family, BOM, soft hyphen.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CONFIDENCE_TAG = re.compile(r"<confidence>.*?(?:</confidence>|$)", re.IGNORECASE | re.DOTALL)
# Trailing lines that state something other than the answer: a confidence, a step count, a dated sign-off.
_STRUCTURED_TAIL = re.compile(
    r"(?:\n[ \t]*(?:"
    r"(?:\*\*)?(?:confidence|certainty|probability(?: of being correct)?|steps?(?: taken| count| used)?"
    r"|number of steps|total steps)(?:\*\*)?[ \t]*[:=][^\n]*"
    r"|[-\u2014\u2013]{1,3}[ \t]*[^\n]*\b(?:1[89]|20)\d\d\b[^\n]*"
    r")[ \t]*)+\s*$",
    re.IGNORECASE)


def strip_invisible(text: str) -> str:
    """``text`` without zero-width characters, bidirectional marks, BOMs and soft hyphens."""
    return _INVISIBLE.sub("", text)


def last_tag(text: str, tag: str) -> str | None:
    """Stripped content of the last complete ``<tag>...</tag>`` of ``text``; ``None`` when there is none.

    The last closing tag counts, with the nearest opening tag before it. Linear in the text.
    """
    if not isinstance(text, str):
        return None
    close = text.rfind(f"</{tag}>")
    if close < 0:
        return None
    opening = f"<{tag}>"
    start = text.rfind(opening, 0, close)
    return None if start < 0 else text[start + len(opening) : close].strip()


# The math_verify policy reads the end of a completion: its final answer is there (and a megabyte is not read).
REGION_CHARS = 16_384


def answer_region(text: str) -> str:
    """The part of a completion the ``math_verify`` policy reads its answer from.

    Its last :data:`REGION_CHARS` characters; invisible marks are removed; where an ``<answer>`` tag is
    written, only the last one's content is read (RLCR's format); otherwise ``<confidence>`` tags and
    trailing lines stating a confidence, a step count or a dated sign-off are dropped, so that their
    numbers never pass for the answer.
    """
    text = strip_invisible(text[-REGION_CHARS:])
    tagged = last_tag(text, "answer")
    if tagged is not None:
        return tagged
    return _STRUCTURED_TAIL.sub("", _CONFIDENCE_TAG.sub(" ", text))


def extract_by_rule(text: str, policy: str) -> Extraction | None:
    """The answer under a string-rule policy: ``qwen`` (:func:`extract_answer`) or ``boxed`` (last box only)."""
    if policy == "qwen":
        return extract_answer(text)
    if policy == "boxed":
        return extract_answer(strip_invisible(text), fallback=False) if isinstance(text, str) else None
    raise ValueError(f"extract_by_rule reads 'qwen' or 'boxed', not {policy!r}")


_SEGMENT_END = re.compile(r"(?<=[.!?])\s+|\n+")
# A completion whose last this-many sentences (or lines) are one repeated has fallen into a loop.
LOOP_REPEATS = 3


def ends_in_loop(text: str) -> bool:
    """True when the completion ends by repeating one sentence or line :data:`LOOP_REPEATS` times or more.

    Such a completion never concluded (it ran out of tokens in a loop): a number it mentioned along the way
    is not its answer, though a box or an answer phrase it wrote still is. A last segment cut off mid-way
    (a prefix of the one before) is left out of the count.
    """
    segments = [" ".join(part.split()) for part in _SEGMENT_END.split(text[-_TAIL_CHARS:])]
    segments = [part for part in segments if part]
    if len(segments) > 1 and segments[-2].startswith(segments[-1]) and segments[-1] != segments[-2]:
        segments.pop()
    tail = segments[-LOOP_REPEATS:]
    return len(tail) == LOOP_REPEATS and len(set(tail)) == 1
