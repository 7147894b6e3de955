"""How long the light commands take to answer: ``--help``, ``list`` and a missing file, before and after.

Each command runs as a fresh ``python -m rewardlab.cli.main ...`` process (what a user waits for,
interpreter start included), ``--runs`` times; the median wall time is printed, and the median CPU
time (user + system) of the process, which a machine busy with other work inflates less. ``--before COMMIT``
also times the package as it was at that commit (exported with ``git archive`` into a temporary
folder and put first on ``PYTHONPATH``), on the same machine in the same run::

    python benchmarks/bench_cli_startup.py --before 436ef7e --runs 5
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_seconds(source: Path, argv: list[str], runs: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds of ``python -m rewardlab.cli.main *argv`` with ``source`` first on the
    path, and its exit status."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    wall, cpu, code = [], [], 0
    for _ in range(runs):
        started, cpu_before = time.perf_counter(), _children_cpu()
        done = subprocess.run([sys.executable, "-m", "rewardlab.cli.main", *argv], cwd=source, env=env,
                              capture_output=True, check=False)
        wall.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - cpu_before)
        code = done.returncode
    return statistics.median(wall), statistics.median(cpu), code


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
        print(f"median of {args.runs} runs, python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}; seconds as wall / CPU")
        print(f"{'command':<42} {'before':>13} {'after':>13}")
        for argv in COMMANDS:
            wall, cpu, code = median_seconds(ROOT, argv, args.runs)
            old = "{:6.2f} / {:4.2f}".format(*median_seconds(before, argv, args.runs)[:2]) if before else "—"
            print(f"{'rewardlab ' + ' '.join(argv):<42} {old:>13} {wall:6.2f} / {cpu:4.2f}   (exit {code})")


if __name__ == "__main__":
    main()
