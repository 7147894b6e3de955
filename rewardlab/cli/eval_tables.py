"""How ``rewardlab eval`` shows its figures: a compact table (100 columns), JSON, Markdown and CSV.

One list of rows feeds every form; the table rounds to 3 decimals, Markdown to 4, CSV and JSON keep
every digit (NaN: a dash in the table and Markdown, empty in CSV, ``null`` in JSON). Behaviour-conditional
accuracy (``Report.behaviours``) follows the figures in a table of its own: the top :data:`TOP_BEHAVIOURS`
behaviours by their gain, largest first, in the terminal, every one with every interval elsewhere.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

from rewardlab.evaluation.comparison import Comparison
from rewardlab.evaluation.conditional import BehaviourReport, BehaviourStats, Estimate
from rewardlab.evaluation.report import Report

TABLE_WIDTH = 100
TOP_BEHAVIOURS = 6
BEHAVIOUR_KEYS = ("share", "accuracy_with", "accuracy_without", "difference", "ceiling")


def _number(value: float, digits: int, signed: bool = False) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _digits(name: str, digits: int) -> int:
    return 1 if name in ("mean_length", "mean_tokens") else digits  # a length in characters or tokens


def header_lines(report: Report, label: str = "") -> list[str]:
    """What was evaluated: source, samples, problems, and the sampling settings the file records."""
    per_problem = report.n_samples / len(report.problems) if report.problems else 0
    line = (f"{label}{report.source}: {report.n_samples} samples, {len(report.problems)} problems "
            f"({per_problem:g} per problem)")
    settings = ", ".join(f"{k} {v}" for k, v in report.settings.items())
    lines = [line + (f"; {settings}" if settings else "")]
    if report.settings.get("temperature") == 0:
        lines.append("  sampled at T = 0: accuracy is the greedy accuracy")
    if report.duplicates_dropped:
        lines.append(f"  --dedupe: {report.duplicates_dropped} repeated sample line(s) left out")
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


def _interval_text(estimate: Estimate, digits: int, signed: bool = False) -> str:
    return f"[{_number(estimate.low, digits, signed)}, {_number(estimate.high, digits, signed)}]"


def _with_interval(estimate: Estimate, digits: int, signed: bool = False) -> str:
    value = _number(estimate.value, digits, signed)
    if math.isnan(estimate.low) and math.isnan(estimate.high):
        return value
    return f"{value} {_interval_text(estimate, digits, signed)}"


def behaviour_lines(behaviours: BehaviourReport, n_problems: int, label: str = "") -> list[str]:
    """What the behaviour table shows: the accuracy split, the ceilings' share, the bootstrap, mixed problems."""
    mixed = behaviours.mixed_problems
    return [f"{label}behaviours: accuracy {_number(behaviours.accuracy, 3)} split by each, pooled over samples; "
            f"ceiling: accuracy at share p' = {behaviours.elicit_to:g}",
            f"  {behaviours.level:.0%} intervals: bootstrap over {n_problems} problems ({behaviours.resamples} "
            f"resamples, seed {behaviours.seed})",
            f"  problems with a correct and a wrong sample (GRPO learns only from these): "
            f"{_with_interval(mixed, 3)}"]


def behaviour_table_rows(behaviours: BehaviourReport, top: int | None = TOP_BEHAVIOURS) -> list[list[str]]:
    """The terminal's rows: behaviour, share, accuracy with and without, their difference and interval, ceiling,
    gain; the ``top`` largest gains, largest first (``None``: all)."""
    rows = []
    for s in behaviours.ranked()[:top]:
        rows.append([s.name, _number(s.share.value, 3), _number(s.accuracy_with.value, 3),
                     _number(s.accuracy_without.value, 3), _with_interval(s.difference, 3, signed=True),
                     _number(s.ceiling.value, 3), _number(behaviours.gain(s), 3, signed=True)])
    return rows


BEHAVIOUR_TABLE_COLUMNS = ("behaviour", "share", "acc with", "acc without", "with − without", "ceiling", "gain")


def _print_behaviours(console: Any, report: Report, label: str = "") -> None:
    from rich import box
    from rich.table import Table

    behaviours = report.behaviours
    if behaviours is None or not behaviours.behaviours:
        return
    console.print()
    for line in behaviour_lines(behaviours, len(report.problems), label):
        console.print(line, highlight=False, markup=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column(BEHAVIOUR_TABLE_COLUMNS[0], overflow="fold")
    for column in BEHAVIOUR_TABLE_COLUMNS[1:]:
        table.add_column(column, justify="right", no_wrap=True)
    for row in behaviour_table_rows(behaviours):
        table.add_row(*row)
    console.print(table)
    hidden = len(behaviours.behaviours) - TOP_BEHAVIOURS
    if hidden > 0:
        console.print(f"  {hidden} more behaviour(s) with smaller gains: see --json or the Markdown file",
                      highlight=False, markup=False)


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
    reports = [("", subject)] if isinstance(subject, Report) else [("A ", subject.a), ("B ", subject.b)]
    for label, report in reports:
        _print_behaviours(console, report, label)


def markdown(subject: Report | Comparison) -> str:
    """Every figure as a Markdown table (4 decimals), under the lines that say what was evaluated."""
    if isinstance(subject, Comparison):
        lines, rows = comparison_lines(subject), comparison_rows(subject, 4)
        columns = ["figure", "A", "B", "B − A", f"{subject_level(subject):.0%} interval"]
    else:
        lines, rows, columns = header_lines(subject), report_rows(subject, 4), ["figure", "value"]
    out = [*(f"- {line.strip()}" for line in lines), *_markdown_table(columns, rows)]
    reports = [("", subject)] if isinstance(subject, Report) else [("A ", subject.a), ("B ", subject.b)]
    for label, report in reports:
        if report.behaviours is not None and report.behaviours.behaviours:
            out += ["", *(f"- {line.strip()}" for line in behaviour_lines(report.behaviours, len(report.problems),
                                                                          label))]
            out += _markdown_table(MARKDOWN_BEHAVIOUR_COLUMNS, behaviour_markdown_rows(report.behaviours))
    return "\n".join(out) + "\n"


MARKDOWN_BEHAVIOUR_COLUMNS = ("behaviour", "share", "accuracy with", "accuracy without", "with − without",
                              "ceiling", "gain", "samples with it", "problems mixed in it")


def behaviour_markdown_rows(behaviours: BehaviourReport) -> list[list[str]]:
    """Every behaviour, largest gain first, each figure with its interval (4 decimals)."""
    rows = []
    for s in behaviours.ranked():
        rows.append([s.name, *(_with_interval(getattr(s, key), 4, signed=key == "difference")
                               for key in BEHAVIOUR_KEYS),
                     _number(behaviours.gain(s), 4, signed=True), str(s.n_with), _number(s.mixed_problems, 4)])
    return rows


def _markdown_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["", "| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    return out + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]


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
        for name, a, b in _behaviour_pairs(subject.a, subject.b):
            writer.writerow([name, "behaviours", _plain(a), _plain(b), _plain(b - a), "", ""])
    else:
        writer.writerow(["figure", "section", "value"])
        for f in subject.figures:
            writer.writerow([f.name, f.section, _plain(f.value)])
        for name, value in behaviour_values(subject).items():
            writer.writerow([name, "behaviours", _plain(value)])
    return buffer.getvalue()


def behaviour_values(report: Report) -> dict[str, float]:
    """The behaviours' figures as flat names (``mixed_problems``, ``behaviour:code/share``,
    ``behaviour:code/share_low``, ...), for the CSV."""
    behaviours = report.behaviours
    if behaviours is None:
        return {}
    mixed = behaviours.mixed_problems
    out = {"mixed_problems": mixed.value, "mixed_problems_low": mixed.low, "mixed_problems_high": mixed.high}
    for s in behaviours.behaviours:
        for key in BEHAVIOUR_KEYS:
            estimate = getattr(s, key)
            for suffix, value in (("", estimate.value), ("_low", estimate.low), ("_high", estimate.high)):
                out[f"behaviour:{s.name}/{key}{suffix}"] = value
        out[f"behaviour:{s.name}/gain"] = behaviours.gain(s)
        out[f"behaviour:{s.name}/mixed_problems"] = s.mixed_problems
    return out


def _behaviour_pairs(a: Report, b: Report) -> list[tuple[str, float, float]]:
    """Each behaviour figure of A or B, with NaN for the side that lacks it (no interval: not paired)."""
    values_a, values_b = behaviour_values(a), behaviour_values(b)
    names = [*values_a, *(n for n in values_b if n not in values_a)]
    return [(n, values_a.get(n, math.nan), values_b.get(n, math.nan)) for n in names
            if not n.endswith(("_low", "_high"))]


def _json_number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else value


def report_json(report: Report) -> dict[str, Any]:
    """``source``, ``n_samples``, ``n_problems``, ``ks``, ``settings``, every figure but the rewards' at the top
    (``accuracy``, ``pass@K``, ``maj@K``, ...), and ``rewards``: ``{name: {mean, agreement, precision, recall}}``."""
    out: dict[str, Any] = {"source": report.source, "n_samples": report.n_samples,
                           "n_problems": len(report.problems), "ks": list(report.ks), "settings": dict(report.settings),
                           "duplicates_dropped": report.duplicates_dropped}
    rewards: dict[str, dict[str, float | None]] = {}
    for f in report.figures:
        if f.section == "reward":
            name, _, key = f.name.rpartition("/")
            rewards.setdefault(name, {})[key] = _json_number(f.value)
        else:
            out[f.name] = _json_number(f.value)
    out["rewards"] = rewards
    out.update(behaviours_json(report.behaviours))
    return out


def _ci(estimate: Estimate) -> list[float | None] | None:
    low, high = _json_number(estimate.low), _json_number(estimate.high)
    return None if low is None and high is None else [low, high]


def _stats_json(behaviours: BehaviourReport, s: BehaviourStats) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in BEHAVIOUR_KEYS:
        out[key] = _json_number(getattr(s, key).value)
    for key in BEHAVIOUR_KEYS:
        out[f"{key}_ci"] = _ci(getattr(s, key))
    out.update(gain=_json_number(behaviours.gain(s)), n_with=s.n_with, mixed_problems=_json_number(s.mixed_problems))
    return out


def behaviours_json(behaviours: BehaviourReport | None) -> dict[str, Any]:
    """``behaviours``: ``{name: {share, accuracy_with, accuracy_without, difference, ceiling, each also as
    KEY_ci: [low, high], gain, n_with, mixed_problems}}`` (empty without behaviours), ``mixed_problems`` and
    ``mixed_problems_ci`` (the problems with a correct and a wrong sample), and ``elicit_to``."""
    if behaviours is None:
        return {"behaviours": {}, "mixed_problems": None, "mixed_problems_ci": None, "elicit_to": None}
    return {"behaviours": {s.name: _stats_json(behaviours, s) for s in behaviours.behaviours},
            "mixed_problems": _json_number(behaviours.mixed_problems.value),
            "mixed_problems_ci": _ci(behaviours.mixed_problems), "elicit_to": behaviours.elicit_to}


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
