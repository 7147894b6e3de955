"""Compare runs of a bench grid made under other settings with its documented rows, figure by figure.

    python scripts/reproducibility.py --import default omp1-jobs2 RUN_DIR   # keep a run's rows beside the grid's
    python scripts/reproducibility.py                                       # regenerate docs/results.md's blocks
    python scripts/reproducibility.py --check                               # exit 1 naming a block that differs

RUN_DIR is OUT/out of ``benchmarks/bench_grid.py --out OUT``: its results.jsonl, timing.json (``--jobs``, and
``OMP_NUM_THREADS`` in its command) and machine.json (the machine, ``OMP_NUM_THREADS`` included). ``--import``
copies the grid's rows (every cell, in the grid's order) to docs/results/reproducibility/GRID/LABEL.jsonl and
the setting they ran under to LABEL.source.json: as those files record it, or as ``--setting`` states it for a
folder that does not record it (``setting_given`` then says so). The documented rows are
docs/results/GRID.jsonl, kept by ``scripts/results_tables.py --import``.

A generated block of docs/results.md lies between two markers::

    <!-- reproducibility: default -->
    (the tables)
    <!-- /reproducibility -->

The first table gives, per kept run, its setting, how many of the grid's cells it ran (all, unless imported
with ``--partial``), how many of their figures (every value of a row but the
cell's labels and its timings, :data:`results_tables.TIMING_FIELDS`) are bit-identical to the documented
rows' (compared as JSON, so 0.1 and 0.1000000001 differ) and the largest difference. Where some differ, a
second table gives, per figure, the cells where it differs and its spread (largest minus smallest value
over the documented run and the kept ones).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from results_tables import DATA, DOCS, ROOT, _is_timing, grid_cells, read_rows

RUNS = DATA / "reproducibility"
LABELS = ("id", "organism", "reward", "advantage", "clipping", "seed")
_BLOCK = re.compile(r"(?P<open><!-- reproducibility: (?P<grid>[\w.-]+) -->\n)(?P<body>.*?)"
                    r"(?P<close><!-- /reproducibility -->)", re.DOTALL)


@dataclass(frozen=True)
class Run:
    """A kept run of a grid: its label, the setting it ran under and its rows by cell id."""

    label: str
    setting: str
    rows: dict[str, dict[str, Any]]


def figures(row: dict[str, Any]) -> dict[str, Any]:
    """What a row measured: every value but the cell's labels and its timings."""
    return {key: value for key, value in row.items() if key not in LABELS and not _is_timing(key)}


def setting(run_dir: Path) -> str:
    """The setting a run folder ran under: from its machine.json (``OMP_NUM_THREADS``, ``--jobs``, the CPU) where
    it has one, else its timing.json's command (which names ``OMP_NUM_THREADS`` where it was set)."""
    timing = json.loads((run_dir / "timing.json").read_text())
    if not (run_dir / "machine.json").is_file():
        return f"`{timing['command']}`"
    machine = json.loads((run_dir / "machine.json").read_text())
    omp = machine.get("omp_num_threads")
    return (f"`OMP_NUM_THREADS={omp}`" if omp is not None else "`OMP_NUM_THREADS` unset") + (
        f", `--jobs {timing['jobs']}`, {machine.get('cpu_count')} CPUs ({machine.get('cpu')})")


def import_run(grid: str, label: str, run_dir: Path, root: Path, given: str | None = None,
               partial: bool = False) -> str:
    """Keep the grid's rows of ``run_dir`` as run ``label``, under the setting ``given`` (else the one its files
    record: :func:`setting`); ``partial`` accepts a run not yet finished (its timing.json is written at its end);
    returns what was written."""
    needed = ("results.jsonl",) if partial else ("results.jsonl", "timing.json")
    missing = [name for name in needed if not (run_dir / name).is_file()]
    if missing:
        raise SystemExit(f"{run_dir} lacks {', '.join(missing)}; RUN_DIR is OUT/out of "
                         "`benchmarks/bench_grid.py --out OUT`")
    if not re.fullmatch(r"[\w.-]+", label):
        raise SystemExit(f"label {label!r}: write letters, digits, '.', '_' or '-' (it names a file)")
    ids, command = grid_cells(grid, root)
    found = {row["id"]: row for row in read_rows(run_dir / "results.jsonl")}
    absent = [cell for cell in ids if cell not in found]
    if absent and not partial:
        raise SystemExit(f"{run_dir / 'results.jsonl'} lacks {len(absent)} of the {len(ids)} cells of grid {grid!r} "
                         f"(first: {absent[0]}); finish it (`{command}` resumes) or pass --partial")
    recorded = [name for name in ("timing.json", "machine.json") if (run_dir / name).is_file()]
    if given is None and not recorded:
        raise SystemExit(f"{run_dir} records no setting (no timing.json or machine.json); state it with --setting")
    folder = root / RUNS / grid
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{label}.jsonl").write_text("".join(json.dumps(found[cell]) + "\n" for cell in ids if cell in found))
    machine, timing = (json.loads((run_dir / name).read_text()) if name in recorded else None
                       for name in ("machine.json", "timing.json"))
    source = {"label": label, "setting": given or setting(run_dir), "setting_given": given is not None,
              "machine": machine, "timing": timing}
    (folder / f"{label}.source.json").write_text(json.dumps(source, indent=2) + "\n")
    return (f"{len(ids) - len(absent)} of the {len(ids)} cells of grid {grid!r} → "
            f"{(RUNS / grid / label).as_posix()}.jsonl ({source['setting']})")


def kept_runs(grid: str, root: Path) -> list[Run]:
    """The kept runs of ``grid``, by label."""
    folder = root / RUNS / grid
    runs = []
    for rows_path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        source = json.loads(rows_path.with_suffix(".source.json").read_text())
        runs.append(Run(rows_path.stem, source["setting"], {row["id"]: row for row in read_rows(rows_path)}))
    return runs


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a) == json.dumps(b)


def _cell(row: dict[str, Any]) -> str:
    return f"{row['organism']} {row['reward']}"


def run_line(documented: list[dict[str, Any]], run: Run) -> str:
    """One row of the first table: the run against the documented rows, cell by cell where it has the cell."""
    compared = identical = 0
    largest: tuple[float, str] = (0.0, "")
    present = [row for row in documented if row["id"] in run.rows]
    for row in present:
        other = figures(run.rows[row["id"]])
        for key, value in figures(row).items():
            compared += 1
            if _same(value, other.get(key)):
                identical += 1
                continue
            a, b = _number(value), _number(other.get(key))
            gap = abs(a - b) if a is not None and b is not None else math.inf
            if gap >= largest[0]:
                largest = (gap, f"`{key}`, {_cell(row)}")
    worst = "none" if identical == compared else f"{largest[0]:.4f} ({largest[1]})"
    return f"| {run.label} | {run.setting} | {len(present)}/{len(documented)} | {identical}/{compared} | {worst} |"


def spread_lines(documented: list[dict[str, Any]], runs: list[Run]) -> list[str]:
    """Rows of the second table: each figure that differs somewhere, where, and its spread over all runs."""
    lines = []
    for key in figures(documented[0]) if documented else {}:
        cells, spread = [], 0.0
        for row in documented:
            values = [row.get(key), *(run.rows[row["id"]].get(key) for run in runs if row["id"] in run.rows)]
            if all(_same(values[0], value) for value in values):
                continue
            cells.append(_cell(row))
            numbers = [_number(value) for value in values]
            spread = max(spread, max(numbers) - min(numbers) if None not in numbers else math.inf)
        if cells:
            lines.append(f"| `{key}` | {', '.join(cells)} | {spread:.4f} |")
    return lines


def render(grid: str, root: Path) -> str:
    """The block's generated text for ``grid``."""
    rows_path = root / DATA / f"{grid}.jsonl"
    if not rows_path.is_file():
        raise SystemExit(f"no {DATA / grid}.jsonl to compare with; import the grid's run with "
                         f"`python scripts/results_tables.py --import {grid} RUN_DIR`")
    documented, runs = read_rows(rows_path), kept_runs(grid, root)
    if not runs:
        raise SystemExit(f"no run of grid {grid!r} is kept under {RUNS / grid}; add one with "
                         f"`python scripts/reproducibility.py --import {grid} LABEL RUN_DIR`")
    source = json.loads((root / DATA / f"{grid}.source.json").read_text())
    lines = ["| run | setting | cells run | figures bit-identical to the documented rows' | largest difference |",
             "|---|---|---|---|---|", *(run_line(documented, run) for run in runs)]
    spreads = spread_lines(documented, runs)
    if spreads:
        lines += ["", "| figure | cells where it differs | spread over the runs |", "|---|---|---|", *spreads]
    lines += ["", f"Generated by `python scripts/reproducibility.py` from {DATA.as_posix()}/{grid}.jsonl (code "
                  f"{source['commit'][:7]}) and the {len(runs)} run(s) under {RUNS.as_posix()}/{grid}/."]
    return "\n".join(lines) + "\n"


def regenerate(text: str, root: Path) -> tuple[str, list[str]]:
    """(the new text, the grids whose block changed)."""
    changed: list[str] = []

    def replace(match: re.Match[str]) -> str:
        body = render(match["grid"], root)
        if body != match["body"]:
            changed.append(match["grid"])
        return match["open"] + body + match["close"]

    return _BLOCK.sub(replace, text), changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block differs")
    parser.add_argument("--import", dest="import_run", nargs=3, metavar=("GRID", "LABEL", "RUN_DIR"),
                        help="keep the grid's rows of RUN_DIR (OUT/out of benchmarks/bench_grid.py --out OUT) "
                             "as run LABEL")
    parser.add_argument("--setting", help="with --import: the setting the run ran under, where its folder does not "
                                           "record it (a run made before bench_grid.py wrote machine.json)")
    parser.add_argument("--partial", action="store_true", help="with --import: accept a run not yet finished (the "
                                                                "table then says how many cells it compares)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this script's)")
    args = parser.parse_args(argv)
    if args.import_run:
        grid, label, run_dir = args.import_run
        print(import_run(grid, label, Path(run_dir), args.root, args.setting, args.partial))
        return 0
    text = (args.root / DOCS).read_text()
    new, changed = regenerate(text, args.root)
    if args.check:
        for grid in changed:
            print(f"{DOCS}: reproducibility block '{grid}' differs from its runs; "
                  "run `python scripts/reproducibility.py`")
        return 1 if changed else 0
    if changed:
        (args.root / DOCS).write_text(new)
    print(f"{DOCS}: {len(changed)} reproducibility block(s) regenerated"
          + (f": {', '.join(changed)}" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
