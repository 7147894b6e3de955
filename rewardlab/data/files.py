"""Reading the rows of one data file: JSON (a list of objects, or JSON lines), JSON lines, CSV or Parquet."""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FILE_SUFFIXES = (".json", ".jsonl", ".parquet", ".csv")
logger = logging.getLogger(__name__)


def drop_partial_last_line(path: str | os.PathLike[str]) -> int:
    """Cut a JSON-lines file back to its last newline: a line without one was being written when a run was
    killed. Returns the bytes dropped (a warning names the file when there were any)."""
    path = Path(path)
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with path.open("r+b") as handle:
        handle.truncate(keep)
    logger.warning("%s: dropped a partial last line (%d bytes) left by a killed run", path, len(data) - keep)
    return len(data) - keep


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of a JSON-lines file.

    Raises:
        ValueError: naming the file and line of a line that is not a JSON object.
    """
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                reason = f"{exc.msg} at column {exc.colno}"
                raise ValueError(f"{path}:{number}: not valid JSON ({reason})") from exc
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
            yield number, record


def _read_json(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # a .json file that holds JSON lines
            return [record for _, record in read_jsonl(path)]
        reason = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise ValueError(f"{path}: not valid JSON ({reason})") from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        kind = type(data).__name__ if not isinstance(data, list) else "list holding non-objects"
        raise ValueError(f"{path}: expected a JSON list of objects (or JSON lines), got a {kind}")
    return data


def _read_csv(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Raw rows of one data file, chosen by suffix (``.json``, ``.jsonl``, ``.parquet``, ``.csv``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".jsonl":
        return [record for _, record in read_jsonl(path)]
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix == ".csv":
        return _read_csv(path)
    raise ValueError(f"{path}: unsupported file type {suffix or '(none)'!r}; "
                     f"use one of {', '.join(FILE_SUFFIXES)}")


def read_all(paths: list[Path]) -> tuple[list[dict[str, Any]], str]:
    """The rows of several files, in order, and a label naming them (for error messages)."""
    return [record for path in paths for record in read_records(path)], ", ".join(map(str, paths))
