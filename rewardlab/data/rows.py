"""Source rows in the common schema: ``prompt``, ``answer``, ``id``, ``source`` (+ ``solution``), and kept columns.

Answers hold the final answer only, through the one normaliser
(:func:`rewardlab.answers.reference.reference_answer`): GSM8K's ``#### N`` becomes ``N`` without
thousands separators, a row with only a ``\\boxed{}`` solution gives the last boxed content, and integral
numbers written as floats (``142.0`` or ``"142.0"``, as in AMC 2023) become ``"142"``. Other strings are
kept as written (AIME's ``"025"`` stays ``"025"``); the answer checker compares values, not spellings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rewardlab.answers.reference import marked_answer, reference_answer
from rewardlab.data.text import prompt_text

# Accepted source fields, in order of preference.
PROMPT_FIELDS = ("prompt", "problem", "question", "Problem", "Question")
ANSWER_FIELDS = ("answer", "Answer", "final_answer", "solution", "Solution")
SOLUTION_FIELDS = ("solution", "Solution")
ID_FIELDS = ("id", "unique_id", "ID", "idx")
# Columns of every loaded set (``solution`` only when the source has worked solutions).
NORMALISED_COLUMNS = ("prompt", "answer", "id", "source", "solution")


def _first(row: Mapping[str, Any], candidates: Sequence[str]) -> tuple[str | None, Any]:
    """The first candidate field of ``row`` holding a non-empty value, and that value."""
    for name in candidates:
        value = row.get(name)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return name, value
    return None, None


def _columns_present(records: Sequence[Mapping[str, Any]]) -> dict[str, None]:
    """Every column name some row has, in order of first appearance."""
    present: dict[str, None] = {}
    for record in records:
        present.update(dict.fromkeys(record))
    return present


def _check_fields(records: Sequence[Mapping[str, Any]], origin: str) -> None:
    """Fail early, naming the fields, when the rows have no prompt or no answer field at all."""
    present = _columns_present(records)
    for kind, accepted in (("prompt", PROMPT_FIELDS), ("answer", ANSWER_FIELDS)):
        if not any(name in present for name in accepted):
            raise ValueError(f"{origin}: no {kind} field; fields present: {', '.join(present) or '(none)'}; "
                             f"accepted {kind} fields: {', '.join(accepted)}")


def _row_answer(row: Mapping[str, Any], label: str) -> str:
    field_name, value = _first(row, ANSWER_FIELDS)
    if field_name in SOLUTION_FIELDS and not marked_answer(str(value)):
        raise ValueError(f"{label}: no answer field, and its {field_name!r} has no \\boxed{{}} "
                         "or '#### N' answer")
    answer = reference_answer(value)
    if answer is None and field_name is None:
        raise ValueError(f"{label}: empty answer (fields tried: {', '.join(ANSWER_FIELDS)})")
    if answer is None:
        raise ValueError(f"{label}: its {field_name!r} {str(value)[:80]!r} is not an answer (empty once "
                         "normalised, or a sentence); write the final number or expression")
    return answer


def _row_solution(row: Mapping[str, Any]) -> str | None:
    name, value = _first(row, SOLUTION_FIELDS)
    if name is not None:
        return str(value)
    _, answer = _first(row, ANSWER_FIELDS)
    return answer if isinstance(answer, str) and "####" in answer else None


def normalise_row(row: Mapping[str, Any], *, name: str, split: str, index: int,
                  origin: str) -> dict[str, Any]:
    """One source row in the common schema (``solution`` is ``None`` when there is none)."""
    _, raw_id = _first(row, ID_FIELDS)
    row_id = str(raw_id) if raw_id is not None else f"{name}/{split}/{index}"
    label = f"{origin}: row {index} (id {row_id!r})"
    _, raw_prompt = _first(row, PROMPT_FIELDS)
    prompt = prompt_text(raw_prompt)
    if prompt is None:
        raise ValueError(f"{label}: empty prompt (fields tried: {', '.join(PROMPT_FIELDS)})")
    return {"prompt": prompt, "answer": _row_answer(row, label), "id": row_id, "source": name,
            "solution": _row_solution(row)}


def normalise_records(records: Sequence[Mapping[str, Any]], *, name: str, split: str,
                      origin: str) -> list[dict[str, Any]]:
    """Every row in the common schema; see :func:`normalise_row`."""
    if not records:
        raise ValueError(f"{origin}: no rows")
    _check_fields(records, origin)
    return [normalise_row(r, name=name, split=split, index=i, origin=origin) for i, r in enumerate(records)]


def check_keep_columns(keep_columns: Sequence[str]) -> tuple[str, ...]:
    """``keep_columns`` as a tuple, after checking that each is a new, non-empty column name.

    Raises:
        ValueError: a name that is not a non-empty string, is given twice, or is one of
            :data:`NORMALISED_COLUMNS` (those are always there, normalised).
    """
    if isinstance(keep_columns, str):
        raise ValueError(f"keep_columns is a list of column names, got the string {keep_columns!r}; "
                         f"write [{keep_columns!r}]")
    names = tuple(keep_columns)
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"keep_columns holds column names, got {name!r}")
        if name in NORMALISED_COLUMNS:
            raise ValueError(f"keep_columns: {name!r} is always a column (normalised); keep_columns names "
                             f"other source columns, not {', '.join(NORMALISED_COLUMNS)}")
        if names.count(name) > 1:
            raise ValueError(f"keep_columns: {name!r} is named twice")
    return names


def kept_values(records: Sequence[Mapping[str, Any]], keep_columns: Sequence[str],
                origin: str) -> dict[str, list[Any]]:
    """Each kept column's raw values, row by row.

    Raises:
        ValueError: a column that no row has (listing the columns present), or one that some row lacks.
    """
    present = _columns_present(records)
    kept: dict[str, list[Any]] = {}
    for name in keep_columns:
        if name not in present:
            raise ValueError(f"{origin}: keep_columns names {name!r}, which the source does not have; "
                             f"columns present: {', '.join(map(str, present)) or '(none)'}")
        for index, record in enumerate(records):
            if name not in record:
                raise ValueError(f"{origin}: row {index} has no {name!r} column (keep_columns needs it in "
                                 "every row; write null where a row has no value)")
        kept[name] = [record[name] for record in records]
    return kept
