"""How long the light commands take to answer: ``--help``, ``list`` and a missing file, before and after.

Each command runs as a fresh ``python -m rewardlab.cli.main ...`` process (what a user waits for,
interpreter start included), ``--runs`` times; the median wall time is printed. ``--before COMMIT``
also times the package as it was at that commit (exported with ``git archive`` into a temporary
folder and put first on ``PYTHONPATH``), on the same machine in the same run::

    python benchmarks/bench_cli_startup.py --before 436ef7e --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (
    ["--help"], ["list"], ["list", "judge"], ["train", "missing.yaml"], ["score", "missing.jsonl", "-r", "binary"],
    ["validate", "missing"], ["train", "--help"],
)


def median_seconds(source: Path, argv: list[str], runs: int) -> tuple[float, int]:
    """Median wall seconds of ``python -m rewardlab.cli.main *argv`` with ``source`` first on the path, and its
    exit status."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    times, code = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "rewardlab.cli.main", *argv], cwd=source, env=env,
                              capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        code = done.returncode
    return statistics.median(times), code


def export(commit: str, into: Path) -> Path:
    """The ``rewardlab`` package as it was at ``commit``, under ``into``."""
    archive = subprocess.run(["git", "archive", commit, "rewardlab"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="COMMIT", help="also time the package at this commit")
    parser.add_argument("--runs", type=int, default=5, help="runs per command (the median is printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        before = export(args.before, Path(folder)) if args.before else None
        print(f"median of {args.runs} runs, python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        print(f"{'command':<42} {'before (s)':>11} {'after (s)':>10}")
        for argv in COMMANDS:
            after, code = median_seconds(ROOT, argv, args.runs)
            old = f"{median_seconds(before, argv, args.runs)[0]:11.2f}" if before else f"{'—':>11}"
            print(f"{'rewardlab ' + ' '.join(argv):<42} {old} {after:10.2f}   (exit {code})")


if __name__ == "__main__":
    main()
