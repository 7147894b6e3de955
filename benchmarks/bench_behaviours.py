"""What the behaviours report (behaviour-conditional accuracy) adds to ``rewardlab eval``'s time.

Writes a file of organism-like rollouts (``--problems`` × ``--samples``, 1,250 × 8 = 10,000 by default: the
arithmetic of :mod:`rewardlab.organisms.corpus`, 65% code-like traces, direct answers wrong more often, some
unanswerable problems abstained on, half the answers with a stated confidence), then times, each in a fresh
interpreter and alternating, ``--repeats`` times:

- ``rewardlab eval FILE --json --no-behaviours``;
- ``rewardlab eval FILE --json`` with 5 detectors: code, boxed, abstain, long and ``{type: reward,
  reward: format}`` (the bootstrap at the command's default 10,000 resamples).

Prints each run, the medians and their ratio (the target: under 1.10). On a machine shared with other jobs
the two medians drift by more than the report costs, so it also times, in this process and ``--repeats``
times, the work the report adds to a run (the detectors on the batch, then the bootstrap of
:func:`~rewardlab.evaluation.conditional.behaviour_report` against gold correctness) and prints it as a share of
the median run without it.

    python benchmarks/bench_behaviours.py                      # 10,000 rollouts, 3 repeats
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rewardlab.organisms.corpus import (
    abstention_completion,
    direct_completion,
    sample_problem,
    trace_completion,
    with_confidence,
)

DETECTORS = ("code", "boxed", "abstain", "long", "{type: reward, reward: format}")


def make_rollouts(problems: int, samples: int, seed: int = 0) -> list[dict]:
    """``samples`` completions of each of ``problems`` arithmetic problems, each with its own ``id``."""
    rng = random.Random(seed)
    rows = []
    for i in range(problems):
        problem = sample_problem(rng, unanswerable_share=0.1)
        for _ in range(samples):
            if not problem.answerable and rng.random() < 0.5:
                completion = abstention_completion()
            elif rng.random() < 0.65:
                completion = trace_completion(problem, rng, error_rate=0.1)
            else:
                completion = direct_completion(problem, rng, error_rate=0.4)
            if rng.random() < 0.5 and completion != abstention_completion():
                completion = with_confidence(completion, rng.choice((0.6, 0.7, 0.8, 0.9, 1.0)))
            rows.append({"prompt": problem.prompt, "completion": completion, "answer": problem.label, "id": i})
    return rows


def time_eval(path: Path, out: Path, *args: str) -> float:
    """Wall time of one ``rewardlab eval --json`` in a fresh interpreter (start-up and reading included)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rewardlab.cli.main", "eval", str(path), "--json", "--out", str(out),
                    *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def added_seconds(rows: list[dict], repeats: int) -> list[float]:
    """In-process times of what the behaviours report adds to ``rewardlab eval``: detecting, then the report."""
    from rewardlab.behaviours import built_detectors, detect_all
    from rewardlab.cli.score import parse_spec
    from rewardlab.data.rollouts import rollouts_to_batch
    from rewardlab.evaluation.conditional import behaviour_report
    from rewardlab.evaluation.report import Samples, problem_keys
    from rewardlab.rewards import BinaryCorrectness
    from rewardlab.types import gold_correct

    batch = rollouts_to_batch(rows)
    gold = BinaryCorrectness()
    try:
        correct = gold_correct(gold.score(batch))
    finally:
        gold.close()
    keys = problem_keys(batch.prompts, batch.columns.get("id"))
    _, problem_of, members = Samples(problems=keys, completions=batch.completions, correct=correct,
                                     answers=(None,) * len(keys)).by_problem()
    times = []
    with built_detectors([parse_spec(text, "behaviour") for text in DETECTORS]) as detectors:
        for _ in range(repeats):
            started = time.perf_counter()
            behaviour_report(detect_all(detectors, batch), correct, problem_of, len(members))
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=1_250)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    on = [arg for spec in DETECTORS for arg in ("--behaviour", spec)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rollouts.jsonl"
        rows = make_rollouts(args.problems, args.samples)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        print(f"{len(rows)} rollouts ({args.problems} problems x {args.samples}), detectors: {', '.join(DETECTORS)}")
        times: dict[str, list[float]] = {"off": [], "on": []}
        for repeat in range(args.repeats):
            for name, extra in (("off", ["--no-behaviours"]), ("on", on)):
                times[name].append(time_eval(path, Path(folder) / name, *extra))
                print(f"  repeat {repeat + 1}: behaviours {name:3s} {times[name][-1]:.2f} s", flush=True)
    off, on_ = statistics.median(times["off"]), statistics.median(times["on"])
    print(f"median: off {off:.2f} s, on {on_:.2f} s, ratio {on_ / off:.3f} ({100 * (on_ / off - 1):+.1f}%; "
          "target under +10%)")
    added = added_seconds(rows, args.repeats)
    print(f"in process, the report adds {', '.join(f'{s:.2f}' for s in added)} s: median "
          f"{statistics.median(added):.2f} s, {100 * statistics.median(added) / off:.1f}% of the median run without it")


if __name__ == "__main__":
    main()
