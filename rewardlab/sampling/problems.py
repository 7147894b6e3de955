"""The problems to sample: a named set, a hub id, or a user's own ``.json`` / ``.jsonl`` file, in one schema.

Every source becomes :class:`Problem` rows through the data package's one row normaliser
(:func:`rewardlab.data.rows.normalise_records`), so a user's file accepts the same field names as the
shipped sets (``prompt`` or ``problem``, ``answer``, optionally ``id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rewardlab.data.files import FILE_SUFFIXES
from rewardlab.data.names import available_datasets, resolve_name
from rewardlab.sampling.errors import DataError, first_line


@dataclass(frozen=True)
class Problem:
    """One source problem: its prompt (before the template), reference answer and id."""

    prompt: str
    answer: str
    id: str


def render(template: str, prompt: str) -> str:
    """``template`` with ``{prompt}`` replaced literally (other braces, such as ``\\boxed{}``, stay as written)."""
    return template.replace("{prompt}", prompt)


def _what_to_give() -> str:
    return f"give one of {', '.join(available_datasets())}, a hub id (owner/name), or a .json/.jsonl file"


def _rows(data: str, split: str) -> list[dict[str, str]]:
    from rewardlab.data.files import read_records
    from rewardlab.data.rows import normalise_records

    path = Path(data).expanduser()
    if path.is_file():
        return normalise_records(read_records(path), name=path.stem, split=split, origin=str(path))
    try:
        math_set = resolve_name(data)
    except ValueError as unknown:
        if path.suffix.lower() in FILE_SUFFIXES or data.startswith((".", "/", "~")):
            raise DataError(f"no such data file: {data}; {_what_to_give()}") from None
        if "/" not in data:
            raise DataError(f"{unknown}; or a hub id (owner/name), or a .json/.jsonl file") from None
        return _hub_rows(data, split)
    from rewardlab.data.loaders import load_math_dataset

    return load_math_dataset(math_set.name, split=split).to_list()


def _hub_rows(hub_id: str, split: str) -> list[dict[str, str]]:
    from rewardlab.data.hub import hub_layout, load_hub
    from rewardlab.data.rows import normalise_records

    try:
        records = load_hub(hub_id, split, hub_layout(hub_id).config)
    except Exception as exc:  # datasets raises many kinds; the user needs one line
        raise DataError(f"cannot load hub dataset {hub_id!r} split {split!r} ({first_line(exc)}); "
                        f"check the id, the split and the network, or {_what_to_give()}") from None
    return normalise_records(records, name=hub_id, split=split, origin=f"hub:{hub_id}")


def load_problems(data: str, split: str = "test", limit: int | None = None) -> tuple[Problem, ...]:
    """The first ``limit`` problems (all when ``None``) of ``data``: a set name, a file, or a hub id.

    Raises:
        DataError: an unknown set name (with a did-you-mean), a missing file, an unloadable hub dataset.
        ValueError: rows without a prompt or answer (naming the file, row and fields).
    """
    rows = _rows(data.strip(), split)
    return tuple(Problem(prompt=row["prompt"], answer=row["answer"], id=row["id"]) for row in rows[:limit])
