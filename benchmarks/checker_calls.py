"""Where a rewardlab command's checking time goes: each call to the answer checker's worker pool, timed in process.

    python benchmarks/checker_calls.py eval ROLLOUTS.jsonl --json --out DIR     # any rewardlab command line
    python benchmarks/checker_calls.py score ROLLOUTS.jsonl -r binary --json

Runs the command in this process with the pool's ``run`` wrapped, and prints to standard error, per kind of
task (read, grade, verify) and caller, the calls, items, wall seconds, and CPU seconds of the workers (read
from /proc) and of this process; then the command's total wall and CPU seconds. CPU seconds move less than
wall time with other jobs on a shared machine.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections import defaultdict
from typing import Any

from bench_binary_scoring import _process_cpu as _cpu  # this folder is on the path when run as a script

from rewardlab.answers import pool as pool_module


def main() -> None:
    calls: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0, 0.0])
    run = pool_module.DeadlinePool.run

    def timed_run(pool: Any, tasks: Any, *args: Any, **kwargs: Any) -> Any:
        kind = tasks[0][0][0] if tasks and isinstance(tasks[0][0], tuple) else "?"
        caller = " < ".join(frame.name for frame in reversed(traceback.extract_stack()[-6:-1]))
        workers = [w.process.pid for w in pool._workers]
        cpu, main_cpu, wall = sum(map(_cpu, workers)), time.process_time(), time.perf_counter()
        out = run(pool, tasks, *args, **kwargs)
        workers = [w.process.pid for w in pool._workers]
        row = calls[(kind, caller)]
        row[0] += 1
        row[1] += sum(len(items) for _, items in tasks)
        row[2] += time.perf_counter() - wall
        row[3] += sum(map(_cpu, workers)) - cpu
        row[4] += time.process_time() - main_cpu
        return out

    pool_module.DeadlinePool.run = timed_run  # type: ignore[method-assign]
    from rewardlab.cli.main import main as rewardlab

    sys.argv = ["rewardlab", *sys.argv[1:]]
    wall, main_cpu = time.perf_counter(), time.process_time()
    try:
        rewardlab()
    except SystemExit:
        pass
    finally:
        _report(calls, time.perf_counter() - wall, time.process_time() - main_cpu)


def _report(calls: dict[tuple[str, str], list[float]], wall: float, main_cpu: float) -> None:
    print(f"total: wall {wall:.2f} s, this process's CPU {main_cpu:.2f} s", file=sys.stderr)
    for (kind, caller), (n, items, seconds, workers_cpu, own_cpu) in sorted(calls.items(), key=lambda kv: -kv[1][2]):
        print(f"{kind:7s} calls {n:4.0f} items {items:7.0f} wall {seconds:7.2f} s  workers' CPU {workers_cpu:7.2f} s"
              f"  this process's CPU {own_cpu:6.2f} s  {caller}", file=sys.stderr)


if __name__ == "__main__":
    main()
