"""``rewardlab bench``: run a grid of cells (the embedded default when no config is given) and report it,
or report the finished cells of a run folder (``--report``) without training anything."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from rewardlab.cli.console import StatusLine, fitted, output_width


def run_bench(config_path: str | None, *, out_dir: str | None = None, cache_dir: str | None = None,
              jobs: int | None = None, columns: str | None = None, wide: bool = False,
              pretrain_here: bool = False) -> int:
    from rewardlab.bench.config import load_bench_config
    from rewardlab.bench.report import plot_curves
    from rewardlab.bench.runner import quiet_libraries, run_grid

    config = load_bench_config(config_path)
    quiet_libraries()
    from dataclasses import replace

    if out_dir is not None:
        config = replace(config, out_dir=out_dir)
    if pretrain_here:
        config = replace(config, pretrain="always")
    width = output_width()
    cells = config.cells()
    started = time.perf_counter()
    jobs = jobs or min(os.cpu_count() or 1, len(cells))
    print(fitted(f"rewardlab bench: {len(cells)} cells → {config.out_dir} ({jobs} job{'s' * (jobs > 1)})", width))
    status = StatusLine(width)

    def progress(message: str) -> None:
        status.print(fitted(f"{time.perf_counter() - started:6.0f} s  {message}", width, indent=" " * 10))

    try:
        rows = run_grid(config, Path(cache_dir) if cache_dir else None, progress=progress, jobs=jobs,
                        status=status.show if status.live else None)
    finally:
        status.close()
    out = Path(config.out_dir)
    _write_tables(rows, out)
    write_machine_record(out / "machine.json", jobs=jobs)
    plots = plot_curves(rows, out, problems=config.eval.n, samples=config.eval.k)
    title = f"rewardlab bench: {len(rows)} cells, {time.perf_counter() - started:.0f} s"
    print_report(rows, out, title, width, columns, wide, plots)
    return 0


def _write_tables(rows: list[dict[str, Any]], out: Path) -> None:
    """``results.csv`` and ``summary.md`` (with the monitor's events where every row records them)."""
    from rewardlab.bench.report import events_table, markdown_summary, write_csv

    write_csv(rows, out / "results.csv")
    events = ("\n## The monitor's events: first step, seed by seed\n\n" + events_table(rows)
              if all("events" in row for row in rows) else "")
    (out / "summary.md").write_text(markdown_summary(rows) + events)


def run_refresh(config_path: str | None, *, out_dir: str | None = None, cache_dir: str | None = None) -> int:
    """``rewardlab bench GRID --refresh-rows``: the finished cells' rows rebuilt from their folders."""
    from dataclasses import replace

    from rewardlab.bench.config import load_bench_config
    from rewardlab.bench.runner import quiet_libraries, refresh_rows

    config = load_bench_config(config_path)
    quiet_libraries()
    if out_dir is not None:
        config = replace(config, out_dir=out_dir)
    rows, added = refresh_rows(config, Path(cache_dir) if cache_dir else None)
    out = Path(config.out_dir)
    _write_tables(rows, out)
    print(f"rewardlab bench: {len(rows)} row(s) of {out / 'results.jsonl'} rebuilt from their cells' folders; "
          f"{'keys added: ' + ', '.join(added) if added else 'no key added'}")
    return 0


def write_machine_record(path: Path, **extra: Any) -> None:
    """The machine and code of this bench invocation (each cell's ``summary.json`` holds its own worker's)."""
    import json

    from rewardlab.provenance import machine_record

    path.write_text(json.dumps({**machine_record(), **extra}, indent=2))


def run_report(run_dir: str | None, *, config_path: str | None = None, columns: str | None = None,
               wide: bool = False) -> int:
    """The table of the finished cells in ``run_dir``'s ``results.jsonl`` (default: the grid's out_dir); trains nothing.

    Raises:
        FileNotFoundError: when the folder holds no ``results.jsonl``.
    """
    from rewardlab.data.files import read_jsonl

    if run_dir is None:
        from rewardlab.bench.config import load_bench_config

        run_dir = load_bench_config(config_path).out_dir

    results = Path(run_dir) / "results.jsonl"
    if not results.is_file():
        raise FileNotFoundError(f"no results.jsonl in {run_dir}: no cell has finished there yet (`rewardlab bench "
                                f"[CONFIG] --out {run_dir}` runs a grid into it)")
    rows = [row for _, row in read_jsonl(results)]
    plots = sorted(Path(run_dir).glob("curves-*.png"))
    print_report(rows, Path(run_dir), f"rewardlab bench: {len(rows)} finished cells in {run_dir}", output_width(),
                 columns, wide, plots, strict=True)
    return 0


def print_report(rows: list[dict[str, Any]], out: Path, title: str, width: int, columns: str | None, wide: bool,
                 plots: list[Path], strict: bool = False) -> None:
    """The table fitted to ``width``, what it left out, and one line per output file.

    An unknown ``--columns`` name raises when ``strict``; after a grid's training it is said, and the
    compact table shown instead.
    """
    from rewardlab.bench.table import choose_columns, render

    print(fitted(title, width))
    names = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    try:
        chosen = choose_columns(rows, names, wide)
    except ValueError as exc:
        if strict:
            raise
        print(fitted(f"{exc}; showing the compact table", width))
        chosen = choose_columns(rows)
    table = render(rows, chosen, width, wide=wide)
    print("\n".join(table.lines))
    if table.dropped:
        print(fitted(f"not shown at {width} columns: {', '.join(table.dropped)} (--wide shows every column; "
                     "summary.md and results.csv hold every figure)", width))
    files = [("results", out / "results.jsonl"), ("table", out / "results.csv"), ("summary", out / "summary.md"),
             *(("plot", path) for path in plots)]
    for label, path in files:
        if path.is_file():
            print(fitted(f"{label}: {path}", width, indent="    "))
