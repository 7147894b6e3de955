"""Load the math evaluation sets (MATH-500, AIME 2024, AMC 2023, GSM8K) into one schema.

``load_math_dataset(name, path=None, split="test")`` returns a :class:`datasets.Dataset` with the
columns ``prompt``, ``answer``, ``id`` and ``source`` (all strings), plus ``solution`` when the
source carries a worked solution, plus any source columns named in ``keep_columns``, kept as they are
(for rewards that read another column, such as ``incorrect``'s ``incorrect_answer``). ``path`` may be

* ``None``: the set's folder under ``$REWARDLAB_DATA_DIR`` when that is set and has the split, else the
  test split shipped inside the package (:mod:`rewardlab.data.locate`);
* a local directory: the set's own folder (``test.json``, ``test.jsonl``, ``{split}.parquet``,
  hub-style ``data/{split}-*.parquet`` shards, ...) or a data root holding that folder;
* a local file: ``.json`` (a list of objects, or JSON lines), ``.jsonl``, ``.parquet`` or ``.csv``;
* anything else that looks like a Hugging Face hub id (``"HuggingFaceH4/MATH-500"``,
  ``"openai/gsm8k"``), loaded with :func:`datasets.load_dataset`.

An explicit path or hub id always wins. How rows become the schema is in :mod:`rewardlab.data.rows`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewardlab.data.files import read_all
from rewardlab.data.hub import hub_layout, load_hub, looks_local
from rewardlab.data.locate import locate, locate_default
from rewardlab.data.names import resolve_name
from rewardlab.data.rows import check_keep_columns, kept_values, normalise_records

if TYPE_CHECKING:
    import datasets


def _to_dataset(rows: Sequence[Mapping[str, Any]], kept: Mapping[str, list[Any]],
                origin: str) -> datasets.Dataset:
    """Normalised rows as string columns (``solution`` only when some row has one), then the kept columns."""
    import datasets

    names = ["prompt", "answer", "id", "source"]
    if any(row["solution"] is not None for row in rows):
        names.append("solution")
    features = datasets.Features({n: datasets.Value("string") for n in names})
    dataset = datasets.Dataset.from_dict({n: [row[n] for row in rows] for n in names}, features=features)
    for name, values in kept.items():
        try:
            dataset = dataset.add_column(name, values)
        except (TypeError, ValueError) as exc:  # pyarrow's ArrowInvalid / ArrowTypeError included
            raise ValueError(f"{origin}: kept column {name!r} mixes value types that one dataset column "
                             f"cannot hold ({exc})") from exc
    return dataset


def load_math_dataset(name: str, path: str | os.PathLike[str] | None = None, split: str = "test", *,
                      config: str | None = None, keep_columns: Sequence[str] = ()) -> datasets.Dataset:
    """Load a math evaluation set with columns ``prompt``, ``answer``, ``id``, ``source`` (+ ``solution``).

    Args:
        name: ``"math500"``, ``"aime24"``, ``"amc23"`` or ``"gsm8k"`` (case, ``-`` and ``_`` ignored;
            ``"MATH-500"``, ``"aime2024"``... accepted).
        path: ``None`` (``$REWARDLAB_DATA_DIR`` when set and holding the split, else the test split that
            ships with rewardlab), a local directory or file, or a hub id.
        split: which split to read (``"test"``; GSM8K's ``"train"`` comes from a path, the hub or
            ``$REWARDLAB_DATA_DIR``, as only test splits ship).
        config: hub config name; known repositories get theirs by default (``openai/gsm8k`` → ``main``).
        keep_columns: other source columns to keep as they are, under their own names (e.g.
            ``("incorrect_answer",)`` for the ``incorrect`` reward); every other column is dropped.

    Raises:
        ValueError: unknown ``name``; rows without a prompt or answer field; an empty prompt or answer;
            a ``keep_columns`` name that the source lacks (the columns present are listed) or that is
            already a normalised column.
        FileNotFoundError: no data file for ``split`` where it was looked for.
    """
    math_set = resolve_name(name)
    keep_columns = check_keep_columns(keep_columns)
    local_config = config or hub_layout(math_set.hub_id).config
    if path is None:
        records, origin = read_all(locate_default(math_set, split, local_config))
    elif Path(path).expanduser().exists():
        records, origin = read_all(locate(Path(path).expanduser(), math_set, split, local_config))
    elif looks_local(path):
        raise FileNotFoundError(f"{path}: no such file or directory (nor a hub id, such as "
                                f"{math_set.hub_id!r})")
    else:
        records, origin = load_hub(str(path).strip(), split, config), f"hub:{path}"
    rows = normalise_records(records, name=math_set.name, split=split, origin=origin)
    return _to_dataset(rows, kept_values(records, keep_columns, origin), origin)
