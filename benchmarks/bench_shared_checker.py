"""What a second verifying reward costs in ``rewardlab score``, now that rewards share one checker.

Writes a file of MATH-500 rollouts (16 per problem, as a GRPO group: the right answer in varied forms or
a recurring wrong one, each stated both boxed and in RLCR's ``<answer>``/``<confidence>`` tags, so
``binary`` and ``brier`` read the same answers), then times, each in a fresh interpreter:

- ``rewardlab score FILE -r binary`` (the gold is ``binary`` too, so it is scored once);
- ``rewardlab score FILE -r brier --gold binary`` (two rewards, one shared checker: each pair verified once);
- the same with ``brier`` on a checker of its own (``timeout: 4.99``, another setting, so nothing is
  shared): what two rewards cost before the checker was shared.

Prints the median of ``--repeats`` alternating runs of each, and the extra time over ``binary`` alone.
``brier`` states confidences, so its row also computes the calibration figures (ECE in numpy).

    python benchmarks/bench_shared_checker.py                   # 250 problems x 16 = 4,000 rollouts
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rewardlab.data import load_math_dataset, write_rollouts

_FORMS = ["So the final answer is \\boxed{{{a}}}.", "Therefore \\boxed{{{a}}}", "We conclude: \\boxed{{ {a} }}"]


def make_rollouts(golds: list[str], per_problem: int, seed: int = 0) -> list[dict]:
    """Rollouts in groups: 45% right, else one of three recurring wrong answers; a confidence in tags."""
    rng = random.Random(seed)
    rows = []
    for i, gold in enumerate(golds):
        distractors = [golds[(i + k) % len(golds)] for k in (1, 7)] + [str(rng.randint(0, 99))]
        for _ in range(per_problem):
            answer = gold if rng.random() < 0.45 else rng.choice(distractors)
            steps = " ".join(f"step {k}: {rng.randint(2, 99)} * {rng.randint(2, 9)}." for k in range(rng.randint(2, 8)))
            confidence = round(rng.random(), 2)
            completion = (f"Let us think. {steps} " + rng.choice(_FORMS).format(a=answer)
                          + f" <answer>{answer}</answer><confidence>{confidence}</confidence>")
            rows.append({"prompt": f"problem {i}", "completion": completion, "answer": gold, "group_id": i})
    return rows


def time_score(path: Path, *args: str) -> float:
    """Wall time of one ``rewardlab score`` in a fresh interpreter (start-up and reading included)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rewardlab.cli.main", "score", str(path), *args, "--json"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="MATH-500 file or folder (default: the shared data)")
    parser.add_argument("--problems", type=int, default=250, help="MATH-500 problems used")
    parser.add_argument("--per-problem", type=int, default=16, help="rollouts per problem")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each command")
    args = parser.parse_args()
    golds = list(load_math_dataset("math500", args.data)["answer"])[: args.problems]
    commands = {
        "binary alone": ("-r", "binary"),
        "brier + binary gold, shared checker": ("-r", "brier", "--gold", "binary"),
        "brier + binary gold, separate checkers": ("-r", "{type: brier, timeout: 4.99}", "--gold", "binary"),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rollouts.jsonl"
        n = write_rollouts(path, make_rollouts(golds, args.per_problem))
        print(f"{n} rollouts, {args.per_problem} per problem over {len(golds)} MATH-500 problems; "
              f"median of {args.repeats} runs each, in alternation")
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, command in commands.items():
                times[name].append(time_score(path, *command))
    base = statistics.median(times["binary alone"])
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"  {name:40s} {median:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in runs)})  "
              f"ratio to binary alone: {median / base:.3f}")
    shared = statistics.median(times["brier + binary gold, shared checker"])
    print(f"extra time of brier with the shared checker: {shared / base - 1:+.1%} (target: under +20%)")


if __name__ == "__main__":
    main()
