"""How ``rewardlab eval`` shows its figures: a compact table (100 columns), JSON, Markdown and CSV.

One list of rows feeds every form; the table rounds to 3 decimals, Markdown to 4, CSV and JSON keep
every digit (NaN: a dash in the table and Markdown, empty in CSV, ``null`` in JSON).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

from rewardlab.evaluation.comparison import Comparison
from rewardlab.evaluation.report import Report

TABLE_WIDTH = 100


def _number(value: float, digits: int, signed: bool = False) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _digits(name: str, digits: int) -> int:
    return 1 if name == "mean_length" else digits  # a length in characters


def header_lines(report: Report, label: str = "") -> list[str]:
    """What was evaluated: source, samples, problems, and the sampling settings the file records."""
    per_problem = report.n_samples / len(report.problems) if report.problems else 0
    line = (f"{label}{report.source}: {report.n_samples} samples, {len(report.problems)} problems "
            f"({per_problem:g} per problem)")
    settings = ", ".join(f"{k} {v}" for k, v in report.settings.items())
    lines = [line + (f"; {settings}" if settings else "")]
    if report.settings.get("temperature") == 0:
        lines.append("  sampled at T = 0: accuracy is the greedy accuracy")
    return lines


def subject_level(comparison: Comparison) -> float:
    """The coverage of the comparison's intervals (0.95 when none has one)."""
    return next((f.interval.level for f in comparison.figures if f.interval is not None), 0.95)


def comparison_lines(comparison: Comparison) -> list[str]:
    a, b = comparison.a, comparison.b
    lines = [*header_lines(a, "A = "), *header_lines(b, "B = ")]
    lines.append(f"B − A and its {subject_level(comparison):.0%} interval: paired bootstrap over "
                 f"{comparison.n_shared} shared problems ({comparison.resamples} resamples, seed {comparison.seed})")
    if comparison.n_shared < max(len(a.problems), len(b.problems)):
        lines.append(f"  A holds {len(a.problems) - comparison.n_shared} and B {len(b.problems) - comparison.n_shared} "
                     "problems the other lacks: the columns A and B are over all of each")
    return lines


def report_rows(report: Report, digits: int) -> list[list[str]]:
    return [[f.name, _number(f.value, _digits(f.name, digits))] for f in report.figures]


def comparison_rows(comparison: Comparison, digits: int) -> list[list[str]]:
    rows = []
    for f in comparison.figures:
        d = _digits(f.name, digits)
        interval = "" if f.interval is None else (
            f"[{_number(f.interval.low, d, True)}, {_number(f.interval.high, d, True)}]")
        rows.append([f.name, _number(f.a, d), _number(f.b, d), _number(f.difference, d, True), interval])
    return rows


def _table_rows(figures: Sequence[Any], rows: list[list[str]]) -> list[tuple[list[str], bool]]:
    """``(cells, ends a section)`` for the terminal: a reward's figures under one heading row naming it."""
    out: list[tuple[list[str], bool]] = []
    for i, (figure, row) in enumerate(zip(figures, rows, strict=True)):
        ends = i + 1 == len(figures) or figures[i + 1].section != figure.section
        if figure.section == "reward":
            reward, _, key = figure.name.rpartition("/")
            if i == 0 or not figures[i - 1].name.startswith(reward + "/"):
                out.append(([reward, *[""] * (len(row) - 1)], False))
            row = [f"  {key}", *row[1:]]
        out.append((row, ends))
    return out


def print_table(subject: Report | Comparison) -> None:
    """The compact table on standard output: at most :data:`TABLE_WIDTH` columns, numbers never cut."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console = Console(width=min(console.width if console.is_terminal else TABLE_WIDTH, TABLE_WIDTH))
    if isinstance(subject, Comparison):
        lines, rows, figures = comparison_lines(subject), comparison_rows(subject, 3), subject.figures
        columns = ["figure", "A", "B", "B − A", f"{subject_level(subject):.0%} interval"]
    else:
        lines, rows, figures = header_lines(subject), report_rows(subject, 3), subject.figures
        columns = ["figure", "value"]
    for line in lines:
        console.print(line, highlight=False, markup=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column(columns[0], overflow="fold")
    for column in columns[1:]:
        table.add_column(column, justify="right", no_wrap=True)
    for row, ends in _table_rows(figures, rows):
        table.add_row(*row, end_section=ends)
    console.print(table)


def markdown(subject: Report | Comparison) -> str:
    """Every figure as a Markdown table (4 decimals), under the lines that say what was evaluated."""
    if isinstance(subject, Comparison):
        lines, rows = comparison_lines(subject), comparison_rows(subject, 4)
        columns = ["figure", "A", "B", "B − A", f"{subject_level(subject):.0%} interval"]
    else:
        lines, rows, columns = header_lines(subject), report_rows(subject, 4), ["figure", "value"]
    out = [f"- {line.strip()}" for line in lines]
    out += ["", "| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def _plain(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else repr(float(value))


def csv_text(subject: Report | Comparison) -> str:
    """Every figure with every digit: ``figure, section, value`` or ``figure, section, a, b, difference, low, high``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if isinstance(subject, Comparison):
        writer.writerow(["figure", "section", "a", "b", "difference", "low", "high"])
        for f in subject.figures:
            low, high = (None, None) if f.interval is None else (f.interval.low, f.interval.high)
            writer.writerow([f.name, f.section, _plain(f.a), _plain(f.b), _plain(f.difference), _plain(low),
                             _plain(high)])
    else:
        writer.writerow(["figure", "section", "value"])
        for f in subject.figures:
            writer.writerow([f.name, f.section, _plain(f.value)])
    return buffer.getvalue()


def _json_number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else value


def report_json(report: Report) -> dict[str, Any]:
    """``source``, ``n_samples``, ``n_problems``, ``ks``, ``settings``, every figure but the rewards' at the top
    (``accuracy``, ``pass@K``, ``maj@K``, ...), and ``rewards``: ``{name: {mean, agreement, precision, recall}}``."""
    out: dict[str, Any] = {"source": report.source, "n_samples": report.n_samples,
                           "n_problems": len(report.problems), "ks": list(report.ks), "settings": dict(report.settings)}
    rewards: dict[str, dict[str, float | None]] = {}
    for f in report.figures:
        if f.section == "reward":
            name, _, key = f.name.rpartition("/")
            rewards.setdefault(name, {})[key] = _json_number(f.value)
        else:
            out[f.name] = _json_number(f.value)
    out["rewards"] = rewards
    return out


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """``A`` and ``B`` (each as :func:`report_json`), ``n_shared_problems``, and ``difference``:
    ``{figure: {difference, low, high}}`` (``low`` and ``high`` ``null`` for a figure without an interval)."""
    difference = {}
    for f in comparison.figures:
        low, high = (math.nan, math.nan) if f.interval is None else (f.interval.low, f.interval.high)
        difference[f.name] = {"difference": _json_number(f.difference), "low": _json_number(low),
                              "high": _json_number(high)}
    return {"A": report_json(comparison.a), "B": report_json(comparison.b),
            "n_shared_problems": comparison.n_shared, "resamples": comparison.resamples, "seed": comparison.seed,
            "difference": difference}
