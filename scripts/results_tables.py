"""Regenerate the bench tables of docs/results.md from the grids' run summaries, so no figure is typed by hand.

    python scripts/results_tables.py                           # rewrite every block whose rows exist
    python scripts/results_tables.py --check                   # exit 1 naming the blocks that differ
    python scripts/results_tables.py --import GRID RUN_DIR     # keep a finished run's rows under docs/results/
    python scripts/results_tables.py --add-timing GRID RUN_DIR # add a rerun's wall time (same figures) to GRID's

A generated block of docs/results.md lies between two markers::

    <!-- results: spurious -->
    (the table, then a line naming the rows it was made from)
    <!-- /results -->

The first word names the grid: its rows are docs/results/GRID.jsonl, its cells those of
configs/bench/GRID.yaml (``default`` is the embedded default grid of ``rewardlab bench``). Options may
follow, separated by spaces:

- ``columns=KEY,KEY,...``: the result keys shown after organism, reward, advantage, clipping and seeds,
  in order (default: the bench's own set, as in a run's summary.md), e.g. ``columns=accuracy_delta,pass@16_after``;
- ``organism=NAME,...``, and likewise ``reward``, ``advantage``, ``clipping`` (``on``/``off``) and ``seed``:
  only the rows with one of those values;
- ``crossing=A,B``: instead of the summary, two advantage transforms' pass@k after training, k by k, with
  their seed-by-seed difference and where it changes sign
  (:func:`rewardlab.bench.report.passk_comparison`), e.g. ``crossing=nsr,psr``;
- ``events``: instead of the summary, the step at which each cell's monitor first raised each event, seed by
  seed (:func:`rewardlab.bench.report.events_table`);
- ``shares``: instead of the summary, where the training steps' time went over the selected cells, phase by
  phase, and the scoring share by reward (:func:`rewardlab.bench.report.shares_table`);
- ``bands``: the rows are not a grid's but the records of ``rewardlab clip-bands ... --json FILE``
  (:func:`rewardlab.organisms.clip_bands.bands_markdown`), and a record whose organism the current code defines
  differently (another config key) marks the table "not yet rerun".

The table is :func:`rewardlab.bench.report.markdown_summary` of the rows (mean ± std over seeds). A block
whose jsonl does not exist yet is left as it is and reported.

``--import NAME FILE`` with FILE the records of ``rewardlab clip-bands ... --json FILE`` keeps them as
docs/results/NAME.jsonl, with the command that measures them again in NAME.source.json.

``--import GRID RUN_DIR`` copies the rows of RUN_DIR/results.jsonl whose ids are cells of the grid into
docs/results/GRID.jsonl (in the grid's order, one row per line, nothing dropped) and writes
docs/results/GRID.source.json: the code's commit (``git rev-parse HEAD`` unless ``--commit``), the date the
rows were written (results.jsonl's, unless ``--date``) and the command that runs the grid; where the run
was timed by ``benchmarks/bench_grid.py --out OUT`` (RUN_DIR = OUT/out), its timing.json too, and the
table's closing line then gives that wall time. Then run the script without arguments to regenerate the tables.

``--add-timing GRID RUN_DIR`` adds the wall time of another timed run of the same grid (RUN_DIR = OUT/out of
``benchmarks/bench_grid.py --out OUT``) to GRID.source.json, after checking that every figure of its rows
equals the kept rows' (all but the timing fields :data:`TIMING_FIELDS`); the closing line then gives every
timed run's wall time (with its command where it differs from the first's, e.g. another ``OMP_NUM_THREADS``),
so the spread of a timing between runs is shown, not typed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardlab.bench.report import events_table, markdown_summary, passk_comparison, shares_table
from rewardlab.organisms.clip_bands import bands_markdown

ROOT = Path(__file__).resolve().parents[1]
DOCS = Path("docs/results.md")
DATA = Path("docs/results")
GRIDS = Path("configs/bench")
DEFAULT_GRID = "default"
FILTERS = ("organism", "reward", "advantage", "clipping", "seed")
TIMING_FIELDS = ("seconds", "train_seconds")  # and every key ending in "_share": how long, not what was measured
KINDS = {"events": events_table, "shares": shares_table, "bands": bands_markdown}  # marker options: other tables
_BLOCK = re.compile(r"(?P<open><!-- results: (?P<spec>[^>]*?) -->\n)(?P<body>.*?)(?P<close><!-- /results -->)",
                    re.DOTALL)


@dataclass(frozen=True)
class Block:
    """What one marker asks for: a grid's rows, optionally some of them, optionally some columns."""

    grid: str
    columns: tuple[str, ...] | None = None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    crossing: tuple[str, str] | None = None
    kind: str = "summary"  # or one of KINDS: another table of the same rows

    @classmethod
    def parse(cls, spec: str) -> Block:
        grid, *options = spec.split()
        columns, filters, crossing, kind = None, {}, None, "summary"
        for option in options:
            if option in KINDS:
                kind = option
                continue
            name, _, value = option.partition("=")
            pair = tuple(value.split(","))
            if not value or name not in ("columns", "crossing", *FILTERS) or (name == "crossing" and len(pair) != 2):
                raise SystemExit(f"results marker '{spec}': cannot read {option!r}; write columns=KEY,..., "
                                 f"crossing=A,B, events, shares, bands or NAME=VALUE,... with NAME one of "
                                 f"{', '.join(FILTERS)}")
            if name == "columns":
                columns = pair
            elif name == "crossing":
                crossing = pair
            else:
                filters[name] = pair
        return cls(grid, columns, filters, crossing, kind)

    def selects(self, row: dict[str, Any]) -> bool:
        return all(_shown(row.get(name)) in values for name, values in self.filters.items())


def _shown(value: Any) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def render(block: Block, root: Path) -> str | None:
    """The block's generated text, or None when the grid's rows are not under docs/results/ yet."""
    rows_path = DATA / f"{block.grid}.jsonl"
    source_path = root / DATA / f"{block.grid}.source.json"
    if not (root / rows_path).is_file():
        return None
    if not source_path.is_file():
        raise SystemExit(f"{rows_path} has no {source_path.name} beside it; import the run with "
                         f"`python scripts/results_tables.py --import {block.grid} RUN_DIR`")
    source = json.loads(source_path.read_text())
    rows = [row for row in read_rows(root / rows_path) if block.selects(row)]
    if not rows:
        raise SystemExit(f"results block '{block.grid}' selects no rows of {rows_path}; check its filters")
    if block.kind == "bands":
        return (f"{_stale_organisms(rows, root, source)}{bands_markdown(rows)}\n"
                f"Generated by `python scripts/results_tables.py` from {rows_path.as_posix()} (`{source['command']}`, "
                f"code {source['commit'][:7]}, {source['date']}).\n")
    if block.crossing is not None:
        table = passk_comparison(rows, *block.crossing)
    elif block.kind in KINDS:
        table = KINDS[block.kind](rows)
    else:
        table = markdown_summary(rows, list(block.columns) if block.columns is not None else None)
    return (f"{_stale(rows, block.grid, root, source)}{table}\n"
            f"Generated by `python scripts/results_tables.py` from {rows_path.as_posix()} "
            f"({len(rows)} cells, code {source['commit'][:7]}, {source['date']}).{_timed(source)}\n")


def _stale(rows: list[dict[str, Any]], grid: str, root: Path, source: dict[str, Any]) -> str:
    """A warning when the rows are not cells of the grid as the current code defines it, else nothing.

    A cell's id hashes its organism's config and its settings, so a changed organism or setting gives
    every affected cell a new id: rows under old ids were measured on what the code no longer makes.
    """
    ids, command = grid_cells(grid, root)
    current = set(ids)
    old = [row for row in rows if row["id"] not in current]
    if not old:
        return ""
    return (f"*Not yet rerun: {len(old)} of these {len(rows)} cells were measured with code {source['commit'][:7]} "
            f"({source['date']}), and the current code defines them differently (its organism, its "
            f"settings or the code that trains and measures it changed), so their figures may differ from a "
            f"run of `{command}` now.*\n\n")


def _stale_organisms(records: list[dict[str, Any]], root: Path, source: dict[str, Any]) -> str:
    """A warning when a clip-bands record's organism is not the one the current code defines, else nothing."""
    from rewardlab.bench.config import load_bench_config

    old = sorted({r["organism"] for r in records if r["organism_key"] != load_bench_config(
        root / r["grid"] if r["grid"] else None).organism(r["organism"]).key()})
    if not old:
        return ""
    return (f"*Not yet rerun: {', '.join(old)} were measured with code {source['commit'][:7]} ({source['date']}), and "
            f"the current code defines them differently, so their figures may differ from `{source['command']}` "
            f"now.*\n\n")


def _timed(source: dict[str, Any]) -> str:
    """The run's wall time as its source records it (a run timed by benchmarks/bench_grid.py), else nothing."""
    timing = source.get("timing")
    if not timing:
        return ""
    text = (f" Wall time {_minutes(timing['wall_seconds'])}{_load(timing)} for {timing['cells']} cells, organisms "
            f"{timing['organisms']}, {timing['jobs']} workers on {timing['cpus']} CPUs (`{timing['command']}`).")
    more = source.get("more_timings", [])
    if more:
        times = ", ".join(_minutes(t["wall_seconds"]) + _load(t) + (f" (`{t['command']}`)" if t["command"] !=
                                                                    timing["command"] else "") for t in more)
        text += f" Rerun with the same figures: {times}."
    return text


def _load(timing: dict[str, Any]) -> str:
    """The machine's load during a timed run, where its timing record gives it (else nothing)."""
    load = timing.get("load_average")
    return f" (load average {load['start']:.2f} at the start, {load['end']:.2f} at the end)" if load else ""


def _minutes(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _is_timing(key: str) -> bool:
    return key in TIMING_FIELDS or key.endswith("_share")


def add_timing(grid: str, run_dir: Path, root: Path) -> str:
    """Add the wall time of ``run_dir``, a timed rerun with the same figures, to the grid's source; returns what."""
    source_path = root / DATA / f"{grid}.source.json"
    if not source_path.is_file():
        raise SystemExit(f"no {DATA / grid}.source.json; import a run first with --import {grid} RUN_DIR")
    if not (run_dir / "timing.json").is_file() or not (run_dir / "results.jsonl").is_file():
        raise SystemExit(f"no timing.json and results.jsonl in {run_dir}; RUN_DIR is OUT/out of "
                         "`benchmarks/bench_grid.py --out OUT`")
    kept = read_rows(root / DATA / f"{grid}.jsonl")
    found = {row["id"]: row for row in read_rows(run_dir / "results.jsonl")}
    for row in kept:
        if row["id"] not in found:
            raise SystemExit(f"{run_dir / 'results.jsonl'} lacks cell {row['id']} of the kept rows")
        differ = [key for key in sorted(set(row) | set(found[row["id"]])) if not _is_timing(key)
                  and json.dumps(row.get(key)) != json.dumps(found[row["id"]].get(key))]
        if differ:
            raise SystemExit(f"cell {row['id']}: {', '.join(differ)} differ from the kept row's, so this is not a "
                             f"rerun with the same figures; import it with --import instead")
    source = json.loads(source_path.read_text())
    timing = json.loads((run_dir / "timing.json").read_text())
    source["more_timings"] = [*source.get("more_timings", []), timing]
    source_path.write_text(json.dumps(source, indent=2) + "\n")
    return f"{grid}: wall time {_minutes(timing['wall_seconds'])} added ({len(source['more_timings']) + 1} timed runs)"


def regenerate(text: str, root: Path) -> tuple[str, list[str], list[str]]:
    """(the new text, blocks whose content changed, blocks left alone because their rows do not exist yet)."""
    changed: list[str] = []
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        line = text.count("\n", 0, match.start()) + 1
        label = f"'{match['spec'].strip()}' (line {line})"
        body = render(Block.parse(match["spec"]), root)
        if body is None:
            missing.append(label)
            return match[0]
        if body != match["body"]:
            changed.append(label)
        return match["open"] + body + match["close"]

    blocks = list(_BLOCK.finditer(text))
    if text.count("<!-- results:") != len(blocks) or any("<!-- results:" in b["body"] for b in blocks):
        raise SystemExit(f"{DOCS}: every '<!-- results: GRID -->' marker needs its own '<!-- /results -->' after "
                         "its table")
    return _BLOCK.sub(replace, text), changed, missing


def grid_cells(grid: str, root: Path) -> tuple[list[str], str]:
    """The ids of the grid's cells, in order, and the command that runs the grid."""
    from rewardlab.bench.config import load_bench_config

    if grid == DEFAULT_GRID:
        return [cell["id"] for cell in load_bench_config(None).cells()], "rewardlab bench"
    path = GRIDS / f"{grid}.yaml"
    if not (root / path).is_file():
        raise SystemExit(f"no grid {grid!r}: {path} does not exist (the embedded default grid is {DEFAULT_GRID!r})")
    return [cell["id"] for cell in load_bench_config(root / path).cells()], f"rewardlab bench {path.as_posix()}"


def import_run(grid: str, run_dir: Path, root: Path, commit: str | None, date: str | None, partial: bool) -> str:
    """Copy the grid's rows of ``run_dir/results.jsonl`` under docs/results/; returns what was written."""
    if run_dir.is_file():
        return _import_bands(grid, run_dir, root, commit, date)
    results = run_dir / "results.jsonl"
    if not results.is_file():
        raise SystemExit(f"no {results}; RUN_DIR is the grid's out_dir, which holds results.jsonl")
    ids, command = grid_cells(grid, root)
    found = {row["id"]: row for row in read_rows(results)}  # a cell run twice: its last row, as the bench reads it
    absent = [cell for cell in ids if cell not in found]
    if absent and not partial:
        raise SystemExit(f"{results} lacks {len(absent)} of the {len(ids)} cells of grid {grid!r} (first: "
                         f"{absent[0]}); finish the grid (`{command}` resumes) or pass --partial")
    rows = [found[cell] for cell in ids if cell in found]
    if not rows:
        raise SystemExit(f"{results} holds none of the cells of grid {grid!r}")
    commit = commit or _head(root)
    date = date or _modified(results)
    (root / DATA).mkdir(parents=True, exist_ok=True)
    (root / DATA / f"{grid}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    source = {"grid": grid, "command": command, "commit": commit, "date": date, "cells": len(rows),
              "cells_in_grid": len(ids)}
    if (run_dir / "timing.json").is_file():
        source["timing"] = json.loads((run_dir / "timing.json").read_text())
    (root / DATA / f"{grid}.source.json").write_text(json.dumps(source, indent=2) + "\n")
    return f"{len(rows)} of the grid's {len(ids)} cells → {DATA / grid}.jsonl (code {commit[:7]}, {date})"


def _import_bands(name: str, path: Path, root: Path, commit: str | None, date: str | None) -> str:
    """Keep the records of ``rewardlab clip-bands ... --json PATH`` as docs/results/NAME.jsonl, with their source."""
    records = read_rows(path)
    if not records or any("organism_key" not in r or "grid" not in r for r in records):
        raise SystemExit(f"{path} holds no records of `rewardlab clip-bands ... --json {path}` (each names its "
                         f"organism_key and grid)")
    grids = {r["grid"] for r in records}
    if len(grids) != 1:
        raise SystemExit(f"{path} mixes records of grids {sorted(map(str, grids))}; measure them in one command")
    organisms = list(dict.fromkeys(r["organism"] for r in records))
    epsilons = list(dict.fromkeys(r["epsilon"] for r in records))
    grid = records[0]["grid"]
    command = " ".join(["rewardlab clip-bands", *organisms, *([f"--grid {grid}"] if grid else []),
                        *(f"--epsilon {e}" for e in epsilons), f"-n {records[0]['problems']}",
                        f"--samples {records[0]['samples']}"])
    commit = commit or _head(root)
    date = date or _modified(path)
    (root / DATA / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    source = {"grid": name, "command": command, "commit": commit, "date": date, "records": len(records)}
    (root / DATA / f"{name}.source.json").write_text(json.dumps(source, indent=2) + "\n")
    return f"{len(records)} clip-bands records → {DATA / name}.jsonl (code {commit[:7]}, {date})"


def _head(root: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True,
                          text=True).stdout.strip()


def _modified(path: Path) -> str:
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.timezone.utc).date().isoformat()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block differs")
    parser.add_argument("--import", dest="import_run", nargs=2, metavar=("GRID", "RUN_DIR"),
                        help="keep the grid's rows of RUN_DIR/results.jsonl under docs/results/ (or, RUN_DIR a file, "
                             "the records of `rewardlab clip-bands --json` under the name GRID)")
    parser.add_argument("--add-timing", nargs=2, metavar=("GRID", "RUN_DIR"),
                        help="add the wall time of a timed rerun whose figures equal the kept rows'")
    parser.add_argument("--commit", help="with --import: the commit the rows were produced with (default: HEAD)")
    parser.add_argument("--date", help="with --import: the date the rows were produced (default: results.jsonl's)")
    parser.add_argument("--partial", action="store_true", help="with --import: accept a grid not yet finished")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this script's)")
    args = parser.parse_args(argv)
    if args.add_timing:
        grid, run_dir = args.add_timing
        print(add_timing(grid, Path(run_dir), args.root))
        return 0
    if args.import_run:
        grid, run_dir = args.import_run
        print(import_run(grid, Path(run_dir), args.root, args.commit, args.date, args.partial))
        return 0
    text = (args.root / DOCS).read_text()
    new, changed, missing = regenerate(text, args.root)
    for label in missing:
        print(f"{DOCS}: block {label} left as it is: its rows are not under {DATA}/ yet")
    if args.check:
        for label in changed:
            print(f"{DOCS}: block {label} differs from its rows; run `python scripts/results_tables.py`")
        return 1 if changed else 0
    if changed:
        (args.root / DOCS).write_text(new)
    print(f"{DOCS}: {len(changed)} block(s) regenerated" + (f": {', '.join(changed)}" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
