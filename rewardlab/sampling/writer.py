"""The output file of ``rewardlab sample``: JSON lines appended one sample at a time, and reopened to resume.

Each sample is written as one line and flushed at once, so a killed run loses at most the line it was
writing. Reopening the file reads which ``(group_id, sample)`` pairs it already holds; a last line cut
short by a kill is dropped (its sample is drawn again). A file written with other settings, or for
other problems, is refused rather than mixed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from rewardlab.data.files import drop_partial_last_line, read_jsonl

_ELSEWHERE = "rerun with the settings it was drawn with, or write to another file (-o)"


def _check_line(path: Path, number: int, record: Any, settings: Mapping[str, Any], prompts: Sequence[str]) -> None:
    where = f"{path}:{number}"
    if not isinstance(record, dict) or not all(
            isinstance(record.get(k), int) and not isinstance(record.get(k), bool) for k in ("group_id", "sample")):
        raise ValueError(f"{where}: not a line written by rewardlab sample (no integer group_id and sample); "
                         "write to another file (-o)")
    for name, value in settings.items():
        if record.get(name) != value:
            raise ValueError(f"{where}: this file's samples were drawn with {name}={record.get(name)!r}, not "
                             f"{value!r}; {_ELSEWHERE}")
    group = record["group_id"]
    if group < len(prompts) and record.get("prompt") != prompts[group]:
        raise ValueError(f"{where}: problem {group}'s prompt differs from the one in this file (other --data or "
                         f"--split?); {_ELSEWHERE}")


def samples_present(path: Path, settings: Mapping[str, Any], prompts: Sequence[str]) -> set[tuple[int, int]]:
    """The ``(group_id, sample)`` pairs already in ``path`` (none when it does not exist).

    Args:
        settings: the fields every line must hold with these values (the model and sampling settings).
        prompts: the prompt of each problem, by ``group_id``.

    Raises:
        ValueError: a line that is not JSON or not a sample, or was drawn with other settings or prompts.
    """
    if not path.exists():
        return set()
    drop_partial_last_line(path)
    present: set[tuple[int, int]] = set()
    try:
        for number, record in read_jsonl(path):
            _check_line(path, number, record, settings, prompts)
            present.add((record["group_id"], record["sample"]))
    except ValueError as exc:
        if _ELSEWHERE in str(exc):
            raise
        raise ValueError(f"{exc}; {_ELSEWHERE}") from None
    return present


class SampleWriter:
    """Appends one JSON line per sample to a file, flushed as each is written."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.written = 0
        self._handle: IO[str] = path.open("a", encoding="utf-8")

    def append(self, record: Mapping[str, Any]) -> None:
        self._handle.write(json.dumps(dict(record), ensure_ascii=False) + "\n")
        self._handle.flush()
        self.written += 1

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> SampleWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
