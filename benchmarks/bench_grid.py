"""Wall time of a bench grid, where a training step's time goes, and what the worker processes buy.

Runs a grid (the embedded default unless a config is given) into a fresh out folder, so no cell is
resumed, and prints:
- the wall time of the whole grid and per cell;
- with cached organisms, the ratio of the cells' summed wall times to the grid's wall time: the speed-up
  of ``--jobs`` workers over running the same cells one after another (the serial baseline, measured in
  the same run);
- the share of a training step spent in generation, scoring, tracking and the update
  (``GRPOTrainer.phase_seconds``), mean and range over cells.

    python benchmarks/bench_grid.py --fresh-cache            # the default grid as a fresh clone runs it
    python benchmarks/bench_grid.py --fresh-cache --pretrain # ... with its organisms pretrained here too
    python benchmarks/bench_grid.py configs/bench/full-cpu.yaml --jobs 2
    python benchmarks/bench_grid.py --fresh-cache --out runs/bench-default   # keep the run folder and cache

With ``--fresh-cache`` the cache is empty: organisms rewardlab ships are loaded from the package (the
default grid's), the others pretrained (their time is in the first cells); without it a cached organism
is reused. ``--pretrain`` pretrains every organism here (the grid's ``pretrain: always``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rewardlab.bench.config import load_bench_config
from rewardlab.bench.runner import quiet_libraries, run_grid
from rewardlab.cli.bench import write_machine_record

PHASES = ("generation", "scoring", "tracking", "update")


def timing(wall: float, cells: int, args: argparse.Namespace, load_at_start: float) -> dict:
    """What a timed run records: its wall time and the conditions it ran under, the machine's load included
    (the 1-minute load average, as ``uptime`` prints it, at the start and at the end: other jobs' share)."""
    omp = os.environ.get("OMP_NUM_THREADS")
    return {"wall_seconds": round(wall, 1), "cells": cells, "jobs": args.jobs, "cpus": os.cpu_count(),
            "organisms": organisms_source(args),
            "load_average": {"start": round(load_at_start, 2), "end": round(os.getloadavg()[0], 2)},
            "command": " ".join([*([f"OMP_NUM_THREADS={omp}"] if omp is not None else []),
                                 "python benchmarks/bench_grid.py", *([args.config] if args.config else []),
                                 f"--jobs {args.jobs}", *(["--fresh-cache"] if args.fresh_cache else []),
                                 *(["--pretrain"] if args.pretrain else [])])}


def organisms_source(args: argparse.Namespace) -> str:
    """Where the timed run's organisms came from, as the closing line of a results table says it."""
    if args.pretrain:
        return "pretrained" if args.fresh_cache else "pretrained here before (cached)"
    return "shipped (pretraining only those not shipped)" if args.fresh_cache else "shipped or cached"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", help="a bench grid (default: the embedded default grid)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--fresh-cache", action="store_true", help="an empty organism cache")
    parser.add_argument("--pretrain", action="store_true", help="pretrain every organism here, shipped or not")
    parser.add_argument("--out", help="a new folder to keep the run in (OUT/out: its results.jsonl, timing.json and "
                        "machine.json; "
                        "with --fresh-cache, the organisms under OUT/cache) instead of a temporary one")
    args = parser.parse_args()
    quiet_libraries()
    if args.out and Path(args.out).exists():
        parser.error(f"--out {args.out} exists; the grid is timed from nothing, so name a new folder")
    with tempfile.TemporaryDirectory(prefix="bench-grid-") as scratch:
        root = Path(args.out) if args.out else Path(scratch)
        config = replace(load_bench_config(args.config), out_dir=str(root / "out"),
                         **({"pretrain": "always"} if args.pretrain else {}))
        cache = root / "cache" if args.fresh_cache else None
        load_at_start = os.getloadavg()[0]
        started = time.perf_counter()
        rows = run_grid(config, cache, progress=lambda message: print(f"{time.perf_counter() - started:6.0f} s  "
                                                                      f"{message}", flush=True), jobs=args.jobs)
        wall = time.perf_counter() - started
        if args.out:  # beside results.jsonl, where `scripts/results_tables.py --import GRID OUT/out` finds it
            (root / "out" / "timing.json").write_text(json.dumps(timing(wall, len(rows), args, load_at_start)) + "\n")
            write_machine_record(root / "out" / "machine.json", jobs=args.jobs)  # as `rewardlab bench` does
    serial = sum(row["seconds"] for row in rows)
    print(f"\n{len(rows)} cells, {args.jobs} job(s), organisms {organisms_source(args)}")
    print(f"grid wall time        {wall:8.0f} s ({wall / 60:.1f} min), {wall / len(rows):.0f} s per cell, "
          f"load average {load_at_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    if args.fresh_cache:  # pretraining runs outside the cells, so their summed time is no serial baseline
        print(f"cells' summed time    {serial:8.0f} s (pretraining not included; run without --fresh-cache "
              "for the workers' speed-up)")
    else:
        print(f"cells' summed time    {serial:8.0f} s: {serial / wall:.2f}x the grid's wall time "
              "(speed-up of the workers over one after another)")
    for phase in PHASES:
        shares = [row[f"{phase}_share"] for row in rows if f"{phase}_share" in row]
        if shares:
            print(f"{phase:<10} share of a step  {statistics.mean(shares):6.1%}  "
                  f"({min(shares):.1%}–{max(shares):.1%} over cells)")


if __name__ == "__main__":
    main()
