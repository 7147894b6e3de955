"""The checks a rollouts file passes before anything scores it, each failing with ``file:line``, the field and
what to write.

- :func:`check_line`: one line's ``answer`` (text, a number, or a list of them; not an object or a
  boolean, which would be turned into text and scored wrong) and ``confidence`` (a number in [0, 1]
  or null; not ``NaN`` or ``"high"``, which calibration would drop or fail on).
- :func:`check_problems`: the lines as a whole. The lines of one problem (one ``id``; one prompt when
  the lines have no ``id``) share one prompt and one answer, else two problems would be merged into
  one; and a problem's sample (its ``sample`` index) appears once, else it would count as one more
  sample (a file of 4 per problem reporting pass@8). With ``dedupe`` a repeated sample is dropped
  (the first line is kept) and counted instead.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from rewardlab.data.text import answer_text
from rewardlab.types import problem_keys, prompt_key

_SHOWN = 60


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _answer_ok(value: Any) -> bool:
    if value is None or isinstance(value, str) or _is_number(value):
        return True
    return isinstance(value, list) and all(isinstance(v, str) or _is_number(v) for v in value)


def check_line(path: str | os.PathLike[str], number: int, row: Mapping[str, Any]) -> None:
    """Refuse a line whose ``answer`` or ``confidence`` has the wrong type (see the module docstring).

    Raises:
        ValueError: ``file:line: field 'answer' ...`` or ``field 'confidence' ...``, with what to write.
    """
    answer = row.get("answer")
    if not _answer_ok(answer):
        kind = "a boolean" if isinstance(answer, bool) else f"a {type(answer).__name__}"
        raise ValueError(f"{path}:{number}: field 'answer' must be text, a number or a list of them, got {kind}: "
                         f'{_shown(answer)}; write the reference answer as text, e.g. "answer": "42"')
    confidence = row.get("confidence")
    if confidence is not None and not (_is_number(confidence) and not math.isnan(confidence)
                                       and 0.0 <= confidence <= 1.0):
        raise ValueError(f"{path}:{number}: field 'confidence' must be a number in [0, 1] or null, got "
                         f'{_shown(confidence)}; write e.g. "confidence": 0.8, or leave the field out')


def check_problems(path: str | os.PathLike[str], numbered: Sequence[tuple[int, Mapping[str, Any]]], *,
                   dedupe: bool = False) -> list[int]:
    """The positions of the lines to keep (all but repeated samples, with ``dedupe``).

    Raises:
        ValueError: naming both lines: one problem with two prompts or two answers, or (without ``dedupe``)
            one sample of a problem twice.
    """
    rows = [row for _, row in numbered]
    ids = [row.get("id") for row in rows]
    by_id = all(i is not None for i in ids)
    keys = problem_keys([prompt_key(row["prompt"]) for row in rows], ids if by_id else None)
    first: dict[str, int] = {}
    seen: dict[tuple[str, Any], int] = {}
    keep: list[int] = []
    for i, (key, row) in enumerate(zip(keys, rows, strict=True)):
        j = first.setdefault(key, i)
        if j != i:
            _check_same_problem(path, numbered[j], numbered[i], by_id)
        sample = row.get("sample")
        if sample is not None:
            k = seen.setdefault((key, _hashable(sample)), i)
            if k != i:
                if not dedupe:
                    raise ValueError(
                        f"{path}:{numbered[k][0]} and {path}:{numbered[i][0]}: sample {_shown(sample)} of problem "
                        f"{_shown(key)} appears twice, so it would count as two samples; remove one, or pass "
                        "--dedupe to keep the first and count the others in the report")
                continue
        keep.append(i)
    return keep


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) else repr(value)


def _check_same_problem(path: str | os.PathLike[str], a: tuple[int, Mapping[str, Any]],
                        b: tuple[int, Mapping[str, Any]], by_id: bool) -> None:
    (line_a, row_a), (line_b, row_b) = a, b
    problem = f"id {_shown(row_a['id'])}" if by_id else f"prompt {_shown(prompt_key(row_a['prompt']))}"
    fix = ("give each problem its own id" if by_id
           else "fix the answer, or give the lines ids that tell the problems apart")
    where = f"{path}:{line_a} and {path}:{line_b}"
    if by_id and row_a["prompt"] != row_b["prompt"] and prompt_key(row_a["prompt"]) != prompt_key(row_b["prompt"]):
        raise ValueError(f"{where}: {problem} has two different prompts ({_shown(prompt_key(row_a['prompt']))} and "
                         f"{_shown(prompt_key(row_b['prompt']))}), so two problems would be merged into one; {fix}")
    answer_a, answer_b = row_a.get("answer"), row_b.get("answer")
    if answer_a != answer_b and answer_text(answer_a) != answer_text(answer_b):
        raise ValueError(f"{where}: {problem} has two different answers (field 'answer': {_shown(answer_a)} and "
                         f"{_shown(answer_b)}), so two problems would be merged into one; {fix}")
