"""Finding the data files of a set's split: in a set folder, in a data root, or in the default roots.

A *data root* holds one folder per set, named in any accepted spelling (``math500/``, ``MATH-500/``...);
a *set folder* holds ``{split}.json``, ``{split}.jsonl``, ``{split}.parquet`` or ``{split}.csv``, or
hub-style shards ``data/{split}-*.parquet``. With no path given, the loaders search, in order:

1. ``$REWARDLAB_DATA_DIR``, when set;
2. :data:`SHIPPED_DATA_DIR`, the test splits of MATH-500, AIME 2024, AMC 2023 and GSM8K that ship
   inside the package (so ``load_math_dataset("math500")`` works offline on a fresh install).

The first root that has the split wins. Other splits (GSM8K's ``train``) come from ``$REWARDLAB_DATA_DIR``,
an explicit path, or the hub.
"""

from __future__ import annotations

import os
from pathlib import Path

from rewardlab.data.files import FILE_SUFFIXES
from rewardlab.data.names import MathSet, name_key

DATA_DIR_ENV = "REWARDLAB_DATA_DIR"
SHIPPED_DATA_DIR = Path(__file__).resolve().with_name("sets")


def default_data_dirs() -> tuple[Path, ...]:
    """Data roots searched when no path is given: ``$REWARDLAB_DATA_DIR`` when it is set, then the shipped sets."""
    configured = os.environ.get(DATA_DIR_ENV, "").strip()
    return (*((Path(configured).expanduser(),) if configured else ()), SHIPPED_DATA_DIR)


def _split_patterns(split: str, config: str | None) -> tuple[str, ...]:
    """Glob patterns for the files of ``split`` in a set folder: ``{split}.json`` first, shards last."""
    folders = ("", "data/", *((f"{config}/",) if config else ()))
    exact = tuple(f"{folder}{split}{suffix}" for folder in folders for suffix in FILE_SUFFIXES)
    shards = tuple(f"{folder}{split}-*{suffix}" for folder in folders for suffix in FILE_SUFFIXES)
    return exact + shards


def _files_in(directory: Path, split: str, config: str | None, searched: list[str]) -> list[Path]:
    """The data files of ``split`` directly in ``directory`` (first matching pattern wins)."""
    folders = "|".join(("data", *((config,) if config else ())))
    suffixes = "|".join(s.lstrip(".") for s in FILE_SUFFIXES)
    searched.append(f"{directory}/[{folders}/]{split}[-*].({suffixes})")
    for pattern in _split_patterns(split, config):
        matches = sorted(p for p in directory.glob(pattern) if p.is_file())
        if matches:
            return matches
    return []


def _set_folder(root: Path, math_set: MathSet) -> Path | None:
    """The child of ``root`` named after ``math_set`` in any accepted spelling."""
    for child in sorted(root.iterdir()):
        if child.is_dir() and name_key(child.name) in math_set.spellings():
            return child
    return None


def locate_in_dir(directory: Path, math_set: MathSet, split: str, config: str | None,
                  searched: list[str]) -> list[Path]:
    """Data files of ``split`` in a set folder, or in the set's folder inside a data root.

    Appends each place it looked to ``searched`` (for the caller's error message).
    """
    files = _files_in(directory, split, config, searched)
    if files:
        return files
    folder = _set_folder(directory, math_set)
    if folder is None:
        searched.append(f"{directory}/<{math_set.name} folder> (none)")
        return []
    return _files_in(folder, split, config, searched)


def locate(path: Path, math_set: MathSet, split: str, config: str | None) -> list[Path]:
    """Data files of ``split`` at a local path: the file itself, or what a set folder or data root holds.

    Raises:
        FileNotFoundError: a directory without them, naming where it looked.
    """
    if path.is_file():
        return [path]
    searched: list[str] = []
    files = locate_in_dir(path, math_set, split, config, searched)
    if not files:
        raise FileNotFoundError(f"no {split!r} split of {math_set.name!r} in {path}; searched "
                                f"{', '.join(searched)}")
    return files


def locate_default(math_set: MathSet, split: str, config: str | None) -> list[Path]:
    """Data files of ``split`` under the first default data root that has them (:func:`default_data_dirs`).

    Raises:
        FileNotFoundError: no root has them, naming where it looked and what to set instead.
    """
    searched: list[str] = []
    for root in default_data_dirs():
        if not root.is_dir():
            searched.append(f"{root} (missing)")
            continue
        files = locate_in_dir(root, math_set, split, config, searched)
        if files:
            return files
    raise FileNotFoundError(
        f"no {split!r} split of {math_set.name!r} found; searched: {'; '.join(searched)}. Without a path the "
        f"loader searches ${DATA_DIR_ENV} (when set), then the test splits shipped with rewardlab. Set "
        f"{DATA_DIR_ENV} to a folder holding {math_set.name}/{split}.jsonl, pass path=<directory or file>, "
        f"or load from the hub with path={math_set.hub_id!r}"
    )
