"""Load the math evaluation sets (MATH-500, AIME 2024, AMC 2023, GSM8K) into one schema.

``load_math_dataset(name, path=None, split="test")`` returns a :class:`datasets.Dataset` with the
columns ``prompt``, ``answer``, ``id`` and ``source`` (all strings), plus ``solution`` when the
source carries a worked solution, plus any source columns named in ``keep_columns``, kept as they are
(for rewards that read another column, such as ``incorrect``'s ``incorrect_answer``). ``path`` may be

* ``None``: the set's folder under ``$REWARDLAB_DATA_DIR``, or, when that variable is unset, under
  ``../shared/data`` relative to the working directory or to the repository root;
* a local directory: the set's own folder (``test.json``, ``test.jsonl``, ``{split}.parquet``,
  hub-style ``data/{split}-*.parquet`` shards, ...) or a data root holding that folder;
* a local file: ``.json`` (a list of objects, or JSON lines), ``.jsonl``, ``.parquet`` or ``.csv``;
* anything else that looks like a Hugging Face hub id (``"HuggingFaceH4/MATH-500"``,
  ``"openai/gsm8k"``), loaded with :func:`datasets.load_dataset`.

Answers hold the final answer only: GSM8K's ``#### N`` becomes ``N`` without thousands separators,
a row with only a ``\\boxed{}`` solution gives the last boxed content, and integral numbers written
as floats (``142.0`` or ``"142.0"``, as in AMC 2023) become ``"142"``. Other strings are kept as
written (AIME's ``"025"`` stays ``"025"``); the answer checker compares values, not spellings.
"""

from __future__ import annotations

import csv
import difflib
import json
import os
import re
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewardlab.answers.reference import marked_answer, reference_answer

if TYPE_CHECKING:
    import datasets

DATA_DIR_ENV = "REWARDLAB_DATA_DIR"

# Accepted source fields, in order of preference.
PROMPT_FIELDS = ("prompt", "problem", "question", "Problem", "Question")
ANSWER_FIELDS = ("answer", "Answer", "final_answer", "solution", "Solution")
SOLUTION_FIELDS = ("solution", "Solution")
ID_FIELDS = ("id", "unique_id", "ID", "idx")
# Columns of every loaded set (``solution`` only when the source has worked solutions).
NORMALISED_COLUMNS = ("prompt", "answer", "id", "source", "solution")

_FILE_SUFFIXES = (".json", ".jsonl", ".parquet", ".csv")
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")


@dataclass(frozen=True)
class MathSet:
    """One known evaluation set: its canonical name, accepted spellings and usual hub copy."""

    name: str
    aliases: tuple[str, ...]
    hub_id: str


@dataclass(frozen=True)
class HubLayout:
    """How a hub repository differs from the defaults: its config, and our split names to its own."""

    config: str | None = None
    splits: Mapping[str, str] = field(default_factory=dict)


MATH_SETS = (
    MathSet("math500", ("math-500", "math_500", "math500test"), "HuggingFaceH4/MATH-500"),
    MathSet("aime24", ("aime2024", "aime-2024", "aime_2024", "aime-24"), "Maxwell-Jia/AIME_2024"),
    MathSet("amc23", ("amc2023", "amc-2023", "amc_2023", "amc-23"), "math-ai/amc23"),
    MathSet("gsm8k", ("gsm-8k", "gsm_8k", "openai/gsm8k"), "openai/gsm8k"),
)

# Hub repositories whose config or split names are not the defaults (keys are lower-cased ids).
_HUB_LAYOUTS: Mapping[str, HubLayout] = types.MappingProxyType({
    "openai/gsm8k": HubLayout(config="main"),
    "gsm8k": HubLayout(config="main"),
    "maxwell-jia/aime_2024": HubLayout(splits=types.MappingProxyType({"test": "train"})),
    "huggingfaceh4/aime_2024": HubLayout(splits=types.MappingProxyType({"test": "train"})),
})


# --------------------------------------------------------------------------------------------- names


def available_datasets() -> tuple[str, ...]:
    """Canonical names of the known sets, sorted."""
    return tuple(sorted(s.name for s in MATH_SETS))


def _name_key(name: str) -> str:
    return re.sub(r"[\s_-]+", "", name.strip().lower())


def resolve_name(name: str) -> MathSet:
    """The known set called ``name`` (case, ``-``, ``_`` and spaces ignored; aliases accepted).

    Raises:
        ValueError: for an unknown name, with a did-you-mean and the available names.
    """
    key = _name_key(str(name))
    for math_set in MATH_SETS:
        if key in {_name_key(n) for n in (math_set.name, *math_set.aliases)}:
            return math_set
    names = available_datasets()
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ValueError(f"unknown dataset {name!r}; {hint}available: {', '.join(names)}")


# ------------------------------------------------------------------------------------------- answers


def answer_text(value: Any) -> str | None:
    """Canonical text of a reference answer, or ``None`` when it states none.

    The one normaliser, :func:`rewardlab.answers.reference.reference_answer` (GSM8K ``#### N``, last
    ``\\boxed{}``, ``142.0`` → ``"142"``, lists joined with ``", "``; prose and empty labels give ``None``).
    """
    return reference_answer(value)


def _prompt_text(value: Any) -> str | None:
    """A prompt as text: a string, or the last user message of a conversational prompt."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, Sequence):
        messages = [m for m in value if isinstance(m, Mapping)]
        users = [m for m in messages if m.get("role", "user") == "user"] or messages
        return _prompt_text(users[-1].get("content")) if users else None
    return str(value)


# ------------------------------------------------------------------------------------------- reading


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
                     f"use one of {', '.join(_FILE_SUFFIXES)}")


# ------------------------------------------------------------------------------------------- locating


def default_data_dirs() -> tuple[Path, ...]:
    """Data roots searched when no path is given: ``$REWARDLAB_DATA_DIR`` alone when it is set,
    else ``../shared/data`` from the working directory and from the repository root."""
    configured = os.environ.get(DATA_DIR_ENV, "").strip()
    if configured:
        return (Path(configured).expanduser(),)
    repo_root = Path(__file__).resolve().parents[2]
    candidates = (Path.cwd() / ".." / "shared" / "data", repo_root / ".." / "shared" / "data")
    unique: dict[Path, None] = {}
    for candidate in candidates:
        unique.setdefault(candidate.resolve(), None)
    return tuple(unique)


def _split_patterns(split: str, config: str | None) -> tuple[str, ...]:
    """Glob patterns for the files of ``split`` in a set folder: ``{split}.json`` first, shards last."""
    folders = ("", "data/", *((f"{config}/",) if config else ()))
    exact = tuple(f"{folder}{split}{suffix}" for folder in folders for suffix in _FILE_SUFFIXES)
    shards = tuple(f"{folder}{split}-*{suffix}" for folder in folders for suffix in _FILE_SUFFIXES)
    return exact + shards


def _files_in(directory: Path, split: str, config: str | None, searched: list[str]) -> list[Path]:
    """The data files of ``split`` directly in ``directory`` (first matching pattern wins)."""
    folders = "|".join(("data", *((config,) if config else ())))
    suffixes = "|".join(s.lstrip(".") for s in _FILE_SUFFIXES)
    searched.append(f"{directory}/[{folders}/]{split}[-*].({suffixes})")
    for pattern in _split_patterns(split, config):
        matches = sorted(p for p in directory.glob(pattern) if p.is_file())
        if matches:
            return matches
    return []


def _set_folder(root: Path, math_set: MathSet) -> Path | None:
    """The child of ``root`` named after ``math_set`` in any accepted spelling."""
    names = {_name_key(n) for n in (math_set.name, *math_set.aliases)}
    for child in sorted(root.iterdir()):
        if child.is_dir() and _name_key(child.name) in names:
            return child
    return None


def _locate_in_dir(directory: Path, math_set: MathSet, split: str, config: str | None,
                   searched: list[str]) -> list[Path]:
    """Data files of ``split`` in a set folder, or in the set's folder inside a data root."""
    files = _files_in(directory, split, config, searched)
    if files:
        return files
    folder = _set_folder(directory, math_set)
    if folder is None:
        searched.append(f"{directory}/<{math_set.name} folder> (none)")
        return []
    return _files_in(folder, split, config, searched)


def _locate_default(math_set: MathSet, split: str, config: str | None) -> list[Path]:
    """Data files of ``split`` under the first default data root that has them."""
    searched: list[str] = []
    for root in default_data_dirs():
        if not root.is_dir():
            searched.append(f"{root} (missing)")
            continue
        files = _locate_in_dir(root, math_set, split, config, searched)
        if files:
            return files
    raise FileNotFoundError(
        f"no {split!r} split of {math_set.name!r} found; searched: {'; '.join(searched)}. Data roots are "
        f"${DATA_DIR_ENV} when set, else ../shared/data from the working directory and from the repository "
        f"root. Set {DATA_DIR_ENV}, pass path=<directory or file>, or load from the hub with "
        f"path={math_set.hub_id!r}"
    )


def _looks_local(spec: str | os.PathLike[str]) -> bool:
    """Whether a path that does not exist was meant as a local path rather than a hub id."""
    if not isinstance(spec, str):
        return True
    text = spec.strip()
    return not _HUB_ID.fullmatch(text) or text.startswith(".") or text.lower().endswith(_FILE_SUFFIXES)


# ------------------------------------------------------------------------------------------- hub


def _hub_layout(hub_id: str) -> HubLayout:
    return _HUB_LAYOUTS.get(hub_id.strip().lower(), HubLayout())


def _load_hub(hub_id: str, split: str, config: str | None) -> list[dict[str, Any]]:
    import datasets

    layout = _hub_layout(hub_id)
    hub_split = layout.splits.get(split, split)
    loaded = datasets.load_dataset(hub_id, config or layout.config, split=hub_split)
    if isinstance(loaded, datasets.DatasetDict):
        if hub_split not in loaded:
            raise ValueError(f"hub dataset {hub_id!r} has no split {hub_split!r}; splits: {sorted(loaded)}")
        loaded = loaded[hub_split]
    return loaded.to_list()


# ------------------------------------------------------------------------------------------- normalising


def _first(row: Mapping[str, Any], candidates: Sequence[str]) -> tuple[str | None, Any]:
    """The first candidate field of ``row`` holding a non-empty value, and that value."""
    for name in candidates:
        value = row.get(name)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return name, value
    return None, None


def _check_fields(records: Sequence[Mapping[str, Any]], origin: str) -> None:
    """Fail early, naming the fields, when the rows have no prompt or no answer field at all."""
    present: dict[str, None] = {}
    for record in records:
        present.update(dict.fromkeys(record))
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
    prompt = _prompt_text(raw_prompt)
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


def _kept_values(records: Sequence[Mapping[str, Any]], keep_columns: Sequence[str],
                 origin: str) -> dict[str, list[Any]]:
    """Each kept column's raw values, row by row.

    Raises:
        ValueError: a column that no row has (listing the columns present), or one that some row lacks.
    """
    present: dict[str, None] = {}
    for record in records:
        present.update(dict.fromkeys(record))
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


def _to_dataset(rows: Sequence[Mapping[str, Any]], kept: Mapping[str, list[Any]] | None = None,
                origin: str = "") -> datasets.Dataset:
    import datasets

    names = ["prompt", "answer", "id", "source"]
    if any(row["solution"] is not None for row in rows):
        names.append("solution")
    features = datasets.Features({n: datasets.Value("string") for n in names})
    dataset = datasets.Dataset.from_dict({n: [row[n] for row in rows] for n in names}, features=features)
    for name, values in (kept or {}).items():
        try:
            dataset = dataset.add_column(name, values)
        except (TypeError, ValueError) as exc:  # pyarrow's ArrowInvalid / ArrowTypeError included
            raise ValueError(f"{origin}: kept column {name!r} mixes value types that one dataset column "
                             f"cannot hold ({exc})") from exc
    return dataset


# ------------------------------------------------------------------------------------------- entry point


def _local_records(path: Path, math_set: MathSet, split: str,
                   config: str | None) -> tuple[list[dict[str, Any]], str]:
    """Raw rows from a local file, set folder or data root, and a label naming the files read."""
    if path.is_file():
        return read_records(path), str(path)
    searched: list[str] = []
    files = _locate_in_dir(path, math_set, split, config, searched)
    if not files:
        raise FileNotFoundError(f"no {split!r} split of {math_set.name!r} in {path}; searched "
                                f"{', '.join(searched)}")
    return _concat(read_records(f) for f in files), ", ".join(map(str, files))


def _concat(parts: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [record for part in parts for record in part]


def load_math_dataset(name: str, path: str | os.PathLike[str] | None = None, split: str = "test", *,
                      config: str | None = None, keep_columns: Sequence[str] = ()) -> datasets.Dataset:
    """Load a math evaluation set with columns ``prompt``, ``answer``, ``id``, ``source`` (+ ``solution``).

    Args:
        name: ``"math500"``, ``"aime24"``, ``"amc23"`` or ``"gsm8k"`` (case, ``-`` and ``_`` ignored;
            ``"MATH-500"``, ``"aime2024"``... accepted).
        path: ``None`` (search ``$REWARDLAB_DATA_DIR``, else ``../shared/data`` from the working
            directory and from the repository root), a local directory or file, or a hub id.
        split: which split to read (``"test"``; GSM8K also has ``"train"``).
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
    local_config = config or _hub_layout(math_set.hub_id).config
    if path is None:
        files = _locate_default(math_set, split, local_config)
        records, origin = _concat(read_records(f) for f in files), ", ".join(map(str, files))
    elif Path(path).expanduser().exists():
        records, origin = _local_records(Path(path).expanduser(), math_set, split, local_config)
    elif _looks_local(path):
        raise FileNotFoundError(f"{path}: no such file or directory (nor a hub id, such as "
                                f"{math_set.hub_id!r})")
    else:
        records, origin = _load_hub(str(path).strip(), split, config), f"hub:{path}"
    rows = normalise_records(records, name=math_set.name, split=split, origin=origin)
    return _to_dataset(rows, _kept_values(records, keep_columns, origin), origin)
