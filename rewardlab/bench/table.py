"""The bench's table on a terminal: one line per (organism, reward, advantage, clipping), fitted to a width.

No cell and no name is ever cut. The compact table (the default) shows a few columns chosen for
reading a grid at a glance; a column that does not fit the width is left out and named below the
table. ``wide`` shows every result key, in as many blocks as the width needs, each block repeating
the row names. Column headers may wrap onto several lines; figures never do.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.bench.report import _GROUP_KEYS, _groups, _mean_std
from rewardlab.registry import suggest

Rows = list[dict[str, Any]]
_GAP = "  "
# Keys of a row that name it rather than measure it.
_NAMES = (*_GROUP_KEYS, "id", "seed")


@dataclass(frozen=True)
class Column:
    """A column: what ``--columns`` calls it, its header (wrapped at spaces) and its cell from a group's rows."""

    name: str
    header: str
    cell: Callable[[Rows], str]
    said_once: bool = False  # when its cell is the same on every row, it is stated above the table instead


def _values(rows: Rows, key: str) -> list[float]:
    values = [row.get(key) for row in rows]
    return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)]


def _mean(rows: Rows, key: str) -> str:
    values = _values(rows, key)
    return f"{statistics.mean(values):.3f}" if values else "—"


def _before_after(name: str, delta: bool) -> Callable[[Rows], str]:
    """``before→after``, with ``(Δ±std)`` over seeds when ``delta``; means over the group's seeds."""

    def cell(rows: Rows) -> str:
        text = f"{_mean(rows, f'{name}_before')}→{_mean(rows, f'{name}_after')}"
        if not delta:
            return text
        changes = [row[f"{name}_after"] - row[f"{name}_before"] for row in rows
                   if _values([row], f"{name}_after") and _values([row], f"{name}_before")]
        if not changes:
            return text
        spread = f"±{statistics.stdev(changes):.3f}" if len(changes) > 1 else ""
        return f"{text} ({statistics.mean(changes):+.3f}{spread})"

    return cell


def key_column(key: str, header: str | None = None) -> Column:
    """A result key's mean ± std over seeds (seconds to one decimal, everything else to three)."""
    if key.endswith("seconds"):
        def cell(rows: Rows) -> str:
            values = _values(rows, key)
            if not values:
                return "—"
            spread = f"±{statistics.stdev(values):.1f}" if len(values) > 1 else ""
            return f"{statistics.mean(values):.1f}{spread}"
    else:
        def cell(rows: Rows) -> str:
            return _mean_std([row.get(key, math.nan) for row in rows])

    return Column(key, header or key, cell)


# The bench's names for the measurement's figures (rewardlab.evaluation.measure: the names `rewardlab eval` and the
# held-out measurement of `rewardlab train` use): a result row stores figure NAME as `<label>_before` and
# `<label>_after`. The labels are those of the results kept in docs/results/*.jsonl, which read on unchanged.
ROW_LABELS: dict[str, str] = {
    "accuracy": "accuracy",
    "code_reasoning_rate": "trace",
    "greedy_accuracy": "greedy_accuracy",
    "greedy_code_reasoning_rate": "greedy_trace",
    "accuracy_with_code": "trace_accuracy",
    "accuracy_without_code": "direct_accuracy",
    "ece": "ece",
    "brier": "brier",
    "mean_confidence": "mean_confidence",
    "confidence_rate": "confidence_rate",
    "hallucination_rate": "hallucination",
    "abstention_rate": "abstention",
    "truthfulness": "truthfulness",
    "unanswerable_abstention": "unanswerable_abstention",
    "mean_tokens": "tokens",
    "truncation_rate": "truncated",
}


def row_label(name: str) -> str:
    """The bench row's label of measured figure ``name`` (``pass@k`` and any name not in :data:`ROW_LABELS`
    keep their own)."""
    return ROW_LABELS.get(name, name)


# Columns beyond the result keys, by the name --columns gives them.
COMPOSITE: dict[str, Column] = {
    "seeds": Column("seeds", "seeds", lambda rows: str(len(rows)), said_once=True),
    "accuracy": Column("accuracy", "accuracy before→after (Δ±std)", _before_after("accuracy", delta=True)),
    "trace": Column("trace", "trace before→after", _before_after("trace", delta=False)),
}
# The compact table, most important first: a column that does not fit is dropped from the end.
COMPACT = ("seeds", "accuracy", "trace", "ece_after", "hallucination_after", "agreement_end")
_COMPACT_HEADERS = {"ece_after": "ECE after", "hallucination_after": "hallucination after",
                    "agreement_end": "agreement end"}


def result_keys(rows: Rows) -> list[str]:
    """The measured keys of the rows, in the order the rows hold them (names and ids left out)."""
    keys = dict.fromkeys(k for row in rows for k in row if k not in _NAMES)
    return [k for k in keys if any(_values([row], k) for row in rows)]


def choose_columns(rows: Rows, names: Sequence[str] | None = None, wide: bool = False) -> list[Column]:
    """The value columns: ``names`` (result keys or ``seeds``/``accuracy``/``trace``), every key, or the compact set.

    Raises:
        ValueError: for a name that is neither, with the closest name and the available ones.
    """
    keys = result_keys(rows)
    if wide:
        return [COMPOSITE["seeds"], *(key_column(k) for k in keys)]
    if names is None:
        return [COMPOSITE[n] if n in COMPOSITE else key_column(n, _COMPACT_HEADERS.get(n)) for n in COMPACT
                if n in COMPOSITE or n in keys]
    available = [*COMPOSITE, *keys]
    columns = []
    for name in names:
        if name in _GROUP_KEYS:
            continue  # the row names are always shown
        if name not in available:
            raise ValueError(f"unknown column {name!r} for --columns; {suggest(name, available)}"
                             f"available: {', '.join(available)}")
        columns.append(COMPOSITE.get(name) or key_column(name))
    return columns


def _wrap_words(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken at spaces only (a longer word keeps its line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


@dataclass(frozen=True)
class _Laid:
    """A column with its cells, ready to lay out: its width fits its widest cell and its longest header word."""

    header: str
    cells: list[str]
    left: bool

    @property
    def width(self) -> int:
        return max([len(c) for c in self.cells] + [len(w) for w in self.header.split()] + [1])


def _block(columns: list[_Laid]) -> list[str]:
    def line(texts: list[str]) -> str:
        return _GAP.join(t.ljust(c.width) if c.left else t.rjust(c.width) for c, t in zip(columns, texts, strict=True))

    headers = [_wrap_words(c.header, c.width) for c in columns]
    height = max(map(len, headers))
    headers = [[""] * (height - len(h)) + h for h in headers]  # headers sit on the rule
    lines = [line([h[i] for h in headers]) for i in range(height)]
    lines.append(_GAP.join("-" * c.width for c in columns))
    lines.extend(line([c.cells[row] for c in columns]) for row in range(len(columns[0].cells)))
    return [text.rstrip() for text in lines]


def _span(columns: list[_Laid]) -> int:
    return sum(c.width for c in columns) + len(_GAP) * (len(columns) - 1)


@dataclass(frozen=True)
class Rendered:
    """The table's lines, and the columns left out for want of width (compact only)."""

    lines: list[str]
    dropped: list[str]


def render(rows: Rows, columns: list[Column], width: int, wide: bool = False) -> Rendered:
    """The table of ``rows`` (grouped over seeds) in lines of at most ``width`` characters.

    Row names that are the same on every row (often the advantage, the clipping), and the number of
    seeds when every row has as many, are stated once above the table instead of filling a column.
    Compact: columns are taken in order while they fit; the rest are named in ``dropped``. ``wide``:
    they continue in further blocks. When even the row names and one column do not fit, each row is
    printed as one ``name: figure`` line per column.
    """
    groups = _groups(rows)
    keys = list(groups)
    varying = [i for i, name in enumerate(_GROUP_KEYS) if name in ("organism", "reward")
               or len({key[i] for key in keys}) > 1]
    constant = [i for i in range(len(_GROUP_KEYS)) if i not in varying]
    names = [_Laid(_GROUP_KEYS[i], [_show(key[i]) for key in keys], left=True) for i in varying]
    said = [f"{_GROUP_KEYS[i]}: {_show(keys[0][i])}" for i in constant] if keys else []
    values = []
    for column in list(columns):
        cells = [column.cell(members) for members in groups.values()]
        if column.said_once and len(set(cells)) == 1:
            said.append(f"{column.header}: {cells[0]}")
            columns = [c for c in columns if c is not column]
        else:
            values.append(_Laid(column.header, cells, left=False))
    lines = _wrap_words(", ".join(said), width) if said else []
    if values and _span([*names, values[0]]) > width:
        return Rendered(lines + _records(keys, varying, columns, groups, width), [])
    blocks: list[list[_Laid]] = [[]]
    dropped: list[str] = []
    for column, laid in zip(columns, values, strict=True):
        if _span([*names, *blocks[-1], laid]) <= width:
            blocks[-1].append(laid)
        elif wide:
            blocks.append([laid])
        else:
            dropped.append(column.name)
    for i, block in enumerate(blocks):
        if i:
            lines.append("")
        lines.extend(_block([*names, *block]))
    return Rendered(lines, dropped)


def text_table(names: tuple[str, list[str]], columns: list[tuple[str, list[str]]], width: int) -> list[str]:
    """A plain table in lines of at most ``width`` characters: a left-aligned name column, then right-aligned figures.

    ``names`` is (header, one name per row), each column (header, one cell per row). Headers wrap at
    spaces; cells never. Columns that do not fit continue in further blocks, each repeating the names,
    so no column is lost (as the bench's ``--wide`` table does).
    """
    first = _Laid(names[0], names[1], left=True)
    blocks: list[list[_Laid]] = [[]]
    for header, cells in columns:
        laid = _Laid(header, cells, left=False)
        if blocks[-1] and _span([first, *blocks[-1], laid]) > width:
            blocks.append([])
        blocks[-1].append(laid)
    lines: list[str] = []
    for i, block in enumerate(blocks):
        lines.extend([""] * bool(i) + _block([first, *block]))
    return lines


def _records(keys: list[tuple], varying: list[int], columns: list[Column], groups: dict[tuple, Rows],
             width: int) -> list[str]:
    """Each row as its names, then one indented ``header: figure`` line per column (for a very narrow width)."""
    lines = []
    for key, members in zip(keys, groups.values(), strict=True):
        lines.extend(_wrap_words(" · ".join(_show(key[i]) for i in varying), width))
        lines.extend(f"  {column.header}: {column.cell(members)}" for column in columns)
    return lines


def _show(value: Any) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else str(value)
