"""Rollouts on disk: one JSON object per line, and their conversion to a :class:`RolloutBatch`.

Each line holds at least ``prompt`` and ``completion``; ``answer`` (the reference), ``group_id``
(samples of one prompt share it) and ``confidence`` are optional, and any other field is kept as a
column. A prompt or completion may be plain text or a conversation (a list of messages).

:func:`read_rollouts` checks each line (required fields; ``answer`` text, a number or a list of them;
``confidence`` a number in [0, 1]); :func:`load_rollouts`, the reader of ``rewardlab eval`` and
``rewardlab score``, also checks the file as a whole (:mod:`rewardlab.data.rollout_checks`): not empty,
one prompt and answer per problem, each sample of a problem once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardlab.data.files import read_jsonl
from rewardlab.data.rollout_checks import check_line, check_problems
from rewardlab.data.text import answer_text
from rewardlab.types import RolloutBatch, completion_text, groups_from_prompts, prompt_key

REQUIRED_FIELDS = ("prompt", "completion")
# Fields that become batch attributes rather than columns.
_BATCH_FIELDS = ("prompt", "completion", "answer", "group_id")


def _missing(row: Mapping[str, Any]) -> list[str]:
    return [name for name in REQUIRED_FIELDS if name not in row or row[name] is None]


def read_rollouts(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every rollout of a JSONL file, in file order (blank lines are skipped).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: naming the file and line of a malformed line or one without ``prompt``/``completion``.
    """
    return [row for _, row in _numbered_rows(path)]


def _numbered_rows(path: str | os.PathLike[str]) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, row in read_jsonl(path):
        missing = _missing(row)
        if missing:
            raise ValueError(f"{path}:{number}: missing required field(s) {', '.join(missing)}; fields "
                             f"present: {', '.join(row) or '(none)'}")
        check_line(path, number, row)
        rows.append((number, row))
    return rows


@dataclass(frozen=True)
class Rollouts:
    """The rollouts of one file as :func:`load_rollouts` read them.

    Attributes:
        rows: the rollouts kept, in file order.
        lines: the line number of each kept rollout.
        duplicates_dropped: lines dropped by ``dedupe`` (a sample of a problem already read).
    """

    rows: tuple[dict[str, Any], ...]
    lines: tuple[int, ...]
    duplicates_dropped: int = 0


def load_rollouts(path: str | os.PathLike[str], *, dedupe: bool = False) -> Rollouts:
    """The rollouts of a file, checked line by line (:func:`read_rollouts`) and as a whole: the one reader of
    ``rewardlab eval`` and ``rewardlab score``, so both accept and refuse the same files with the same messages.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: ``file:line``, the field and what to write: an empty file, a malformed line, two lines of
            one problem (``id``, or prompt when lines have no ``id``) with different prompts or answers, or the
            same sample (``sample`` index) of a problem twice, unless ``dedupe`` (the first is kept).
    """
    numbered = _numbered_rows(path)
    if not numbered:
        raise ValueError(f"{path} holds no rollouts; write one JSON object per line with prompt, completion and "
                         'answer, e.g. {"prompt": "1+1?", "completion": "\\boxed{2}", "answer": "2"}')
    keep = check_problems(path, numbered, dedupe=dedupe)
    return Rollouts(rows=tuple(numbered[i][1] for i in keep), lines=tuple(numbered[i][0] for i in keep),
                    duplicates_dropped=len(numbered) - len(keep))


def write_rollouts(path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rollouts as JSON lines (UTF-8, parent folders created); returns the number written.

    Raises:
        ValueError: a row lacks ``prompt`` or ``completion`` (nothing is written).
        TypeError: a value is not JSON-serialisable (nothing is written).
    """
    lines: list[str] = []
    for index, row in enumerate(rows):
        missing = _missing(row)
        if missing:
            raise ValueError(f"rollout {index}: missing required field(s) {', '.join(missing)}")
        try:
            lines.append(json.dumps(dict(row), ensure_ascii=False))
        except TypeError as exc:
            raise TypeError(f"rollout {index}: {exc}") from exc
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def _group_ids(rows: Sequence[Mapping[str, Any]], prompts: Sequence[str]) -> tuple[int, ...]:
    """Group ids from a ``group_id`` field (renumbered by first appearance) or from adjacent prompts."""
    with_id = [row.get("group_id") is not None for row in rows]
    if not any(with_id):
        return groups_from_prompts(prompts)
    if not all(with_id):
        raise ValueError(f"rollout {with_id.index(False)} has no group_id but others do; give every rollout "
                         "a group_id, or none (groups are then runs of identical adjacent prompts)")
    table: dict[Hashable, int] = {}
    for index, row in enumerate(rows):
        label = row["group_id"]
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise ValueError(f"rollout {index}: group_id must be a string or an integer, got {label!r}")
        table.setdefault(label, len(table))
    return tuple(table[row["group_id"]] for row in rows)


def _columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """Every field other than the batch fields, one value per rollout (``None`` where absent)."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(k for k in row if k not in _BATCH_FIELDS))
    return {name: tuple(row.get(name) for row in rows) for name in names}


def rollouts_to_batch(rows: Sequence[Mapping[str, Any]], *, step: int = 0) -> RolloutBatch:
    """A :class:`RolloutBatch` of ``rows`` (as read by :func:`read_rollouts`).

    Group ids come from ``group_id`` (strings or integers, numbered 0, 1, ... by first appearance;
    ``1`` and ``"1"`` are different groups) or, when no row has one, from runs of identical adjacent
    prompts. Answers are normalised with :func:`~rewardlab.data.text.answer_text` (``142.0`` →
    ``"142"``); every other field becomes a column.

    Raises:
        ValueError: a row lacks ``prompt``/``completion``, or only some rows have a ``group_id``.
    """
    rows = list(rows)
    for index, row in enumerate(rows):
        missing = _missing(row)
        if missing:
            raise ValueError(f"rollout {index}: missing required field(s) {', '.join(missing)}; fields "
                             f"present: {', '.join(row) or '(none)'}")
    prompts = tuple(prompt_key(row["prompt"]) for row in rows)
    return RolloutBatch(
        prompts=prompts,
        completions=tuple(completion_text(row["completion"]) for row in rows),
        group_ids=_group_ids(rows, prompts),
        answers=tuple(answer_text(row.get("answer")) for row in rows),
        step=step,
        columns=_columns(rows),
    )
