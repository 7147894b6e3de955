"""Where one bench cell's time goes: a default-grid cell run under cProfile, on one thread as the bench runs it.

    python benchmarks/profile_cell.py                              # qwen_math_like × ground_truth, 120 steps
    python benchmarks/profile_cell.py --organism llama_like --reward random --out /tmp/cell

The organism's measurement before RL is computed first (outside the profile, as the bench keeps it per
organism); then the cell is trained and measured after training under the profiler. Prints the cell's
phase shares (generation, scoring, tracking, update), its wall time, and the functions that took the
most time, cumulative and own; the profile is kept as OUT/cell.prof for `python -m pstats`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rewardlab.bench.config import DEFAULT_GRID, load_bench_config
from rewardlab.bench.runner import _organism_baseline, bench_threads, quiet_libraries, run_cell


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organism", default=DEFAULT_GRID["organisms"][0])
    rewards = ", ".join(r["name"] for r in DEFAULT_GRID["rewards"])
    parser.add_argument("--reward", default=DEFAULT_GRID["rewards"][0]["name"],
                        help=f"one of the default grid's rewards ({rewards})")
    parser.add_argument("--steps", type=int, help="training steps (default: the default grid's)")
    parser.add_argument("--out", help="folder for the cell's run and cell.prof (default: a temporary one)")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    args = parser.parse_args()
    quiet_libraries()
    with tempfile.TemporaryDirectory(prefix="profile-cell-") as scratch:
        out = Path(args.out or scratch)
        config = replace(load_bench_config(), out_dir=str(out))
        if args.steps:
            config = replace(config, train=replace(config.train, trl={**config.train.trl, "max_steps": args.steps}))
        cell = next(c for c in config.cells() if c["organism"] == args.organism and c["reward"] == args.reward)
        with bench_threads():
            _organism_baseline(config, args.organism, None, out)
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            row = run_cell(config, cell, None, out)
            profile.disable()
        wall = time.perf_counter() - started
        profile.dump_stats(str(out / "cell.prof"))
        print(f"cell {cell['id']}: {wall:.1f} s under the profiler, training {row['train_seconds']} s")
        print(json.dumps({k: v for k, v in row.items() if k.endswith("_share")}))
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
