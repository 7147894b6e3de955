"""Speed of the ``binary`` reward against a naive per-sample parse-and-verify loop, in one run.

Builds MATH-style completions from MATH-500 (several samples per problem, as a GRPO group: the
right answer in varied surface forms, or one of a few wrong answers), then scores them

- naively, as a user would write it: for each completion, one ``math_verify.parse`` of the completion, one of
  the reference, one ``verify``;
- with rewardlab: ``BinaryCorrectness`` with its default extraction (math-verify's reading of each distinct
  completion once, in the worker processes; identical pairs verified once, each distinct text parsed once per
  worker, a process pool fed runs of pairs that share texts and kinds of expression), started cold inside the
  timed region.

Both read answers as math-verify does; the labels they disagree on are counted (the naive loop parses a
reference as plain text, rewardlab as the answer it is: see ``docs/rewards.md``). Prints both times and the
speed-up, twice:

- **cold**: each scorer starts in a fresh interpreter with nothing warm, so the one-off costs (forking
  the pool, the LaTeX parser building its prediction tables, sympy's first simplifications) are in the
  timed region;
- **steady**: both scorers first score 2,000 completions of the *other* half of MATH-500 (their
  processes warm, none of the timed pairs or texts seen), then are timed on 4,000 completions of
  the held-back half: the state of a scorer in a training run after its first step.

    python benchmarks/bench_binary_scoring.py                 # cold: groups of 8 and of 16; then steady
    python benchmarks/bench_binary_scoring.py --steady --repeat 8   # steady 8 times, each in a fresh interpreter
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from math_verify import parse, verify

from rewardlab.data import load_math_dataset
from rewardlab.rewards import BinaryCorrectness

_RIGHT_FORMS = ["So the final answer is \\boxed{{{a}}}.", "Therefore \\boxed{{{a}}}", "The answer is ${a}$.",
                "We conclude: \\boxed{{ {a} }}"]


def make_completions(golds: list[str], per_problem: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """(completions, references): each problem's group mixes right answers and a few recurring wrong ones."""
    rng = random.Random(seed)
    completions, references = [], []
    for i, gold in enumerate(golds):
        distractors = [golds[(i + k) % len(golds)] for k in (1, 7)] + [str(rng.randint(0, 99))]
        for _ in range(per_problem):
            answer = gold if rng.random() < 0.45 else rng.choice(distractors)
            steps = " ".join(f"step {k}: {rng.randint(2, 99)} * {rng.randint(2, 9)}." for k in range(rng.randint(2, 8)))
            completions.append(f"Let us think. {steps} " + rng.choice(_RIGHT_FORMS).format(a=answer))
            references.append(gold)
    return completions, references


def naive(completions: list[str], references: list[str]) -> list[float]:
    scores = []
    for completion, reference in zip(completions, references, strict=True):
        gold, pred = parse(reference), parse(completion)
        scores.append(float(bool(gold and pred and verify(gold, pred))))
    return scores


def rewardlab_binary(completions: list[str], references: list[str], workers: int,
                     reward: BinaryCorrectness | None = None) -> tuple[list[float | None], Cpu]:
    """Score with ``reward`` (kept open) or with a fresh one started and closed here; also the CPU it took."""
    own = reward is None
    reward = reward or BinaryCorrectness(workers=workers)
    before = Cpu.of(reward)
    try:
        scores = reward(prompts=[""] * len(completions), completions=completions, answer=references)
        return scores, Cpu.of(reward) - before
    finally:
        if own:
            reward.close()


@dataclass(frozen=True)
class Cpu:
    """CPU seconds of this process and of each live checker worker (read from /proc; zeros elsewhere).

    Less sensitive than wall time to other jobs on a shared machine: on two idle cores the scorer
    would take about ``main + max(workers)`` seconds.
    """

    main: float
    workers: tuple[float, ...]

    @classmethod
    def of(cls, reward: BinaryCorrectness) -> Cpu:
        pool = reward.checker._pool if "_checker_lease" in reward.__dict__ else None
        pids = [w.process.pid for w in pool._workers] if pool is not None else []
        return cls(time.process_time(), tuple(_process_cpu(pid) for pid in pids))

    def __sub__(self, other: Cpu) -> Cpu:
        earlier = other.workers + (0.0,) * (len(self.workers) - len(other.workers))
        return Cpu(self.main - other.main, tuple(a - b for a, b in zip(self.workers, earlier, strict=False)))


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def steady(golds: list[str], workers: int) -> float:
    """Both scorers warmed on one half of the problems, then timed on 4,000 completions of the other half."""
    warm_golds, timed_golds = golds[0::2], golds[1::2]
    warm_completions, warm_references = make_completions(warm_golds, 8, seed=1)
    completions, references = make_completions(timed_golds, 16)
    print(f"\nsteady state: warmed on {len(warm_completions)} completions of {len(warm_golds)} problems, timed on "
          f"{len(completions)} completions of the other {len(timed_golds)}")
    reward = BinaryCorrectness(workers=workers)
    try:
        rewardlab_binary(warm_completions, warm_references, workers, reward)
        start = time.perf_counter()
        fast, cpu = rewardlab_binary(completions, references, workers, reward)
        t_fast = time.perf_counter() - start
    finally:
        reward.close()
    naive(warm_completions, warm_references)
    start, cpu_start = time.perf_counter(), time.process_time()
    slow = naive(completions, references)
    t_slow, cpu_slow = time.perf_counter() - start, time.process_time() - cpu_start
    return _report(fast, slow, t_fast, t_slow, workers, cpu, cpu_slow)


def _report(fast: list[float | None], slow: list[float], t_fast: float, t_slow: float, workers: int,
            cpu: Cpu, cpu_slow: float) -> float:
    mismatches = sum(a != b for a, b in zip(fast, slow, strict=True))
    n = len(slow)
    print(f"  naive parse-and-verify loop: {t_slow:7.2f} s  ({n / t_slow:6.1f} completions/s)")
    print(f"  rewardlab binary, {workers} workers: {t_fast:7.2f} s  ({n / t_fast:6.1f} completions/s)")
    print(f"  speed-up: {t_slow / t_fast:.2f}x  labels that differ: {mismatches}  accuracy: naive "
          f"{sum(slow) / n:.3f}, rewardlab {sum(s or 0 for s in fast) / n:.3f}")
    if cpu.workers:
        idle = cpu.main + max(cpu.workers)
        print(f"  CPU seconds: naive {cpu_slow:.2f}; rewardlab main {cpu.main:.2f} + workers "
              f"{' + '.join(f'{w:.2f}' for w in cpu.workers)}; on {workers} idle cores about {idle:.2f} s, "
              f"a speed-up of about {cpu_slow / idle:.2f}x")
    return t_slow / t_fast


def compare(golds: list[str], per_problem: int, workers: int) -> float:
    """Time both scorers on one set of completions, check their labels agree, print and return the speed-up."""
    completions, references = make_completions(golds, per_problem)
    print(f"\n{len(completions)} completions, {per_problem} per problem over {len(golds)} problems")
    start = time.perf_counter()
    fast, cpu = rewardlab_binary(completions, references, workers)
    t_fast = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    slow = naive(completions, references)
    t_slow, cpu_slow = time.perf_counter() - start, time.process_time() - cpu_start
    return _report(fast, slow, t_fast, t_slow, workers, cpu, cpu_slow)


def repeat_steady(data: str | None, workers: int, times: int) -> None:
    """The steady measurement ``times`` times, each in a fresh interpreter; every speed-up, the median and range."""
    ratios = []
    for run in range(1, times + 1):
        print(f"\n[steady run {run}/{times}] load average {os.getloadavg()[0]:.2f}", flush=True)
        out = subprocess.run([sys.executable, __file__, *(["--data", data] if data else []), "--workers",
                              str(workers), "--steady"], check=True, capture_output=True, text=True).stdout
        print(out.strip())
        ratios.append(float(out.split("speed-up: ", 1)[1].split("x", 1)[0]))
    print(f"\nsteady speed-ups over {times} runs: {', '.join(f'{r:.2f}x' for r in ratios)}; median "
          f"{statistics.median(ratios):.2f}x, range {min(ratios):.2f}-{max(ratios):.2f}x; "
          f"{sum(r >= 4 for r in ratios)} of {times} at 4x or more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None,
                        help="MATH-500 file or folder (default: $REWARDLAB_DATA_DIR, then the shipped copy)")
    parser.add_argument("--samples-per-problem", type=int, nargs="+", default=[8, 16],
                        help="group sizes to measure (16 is Spurious Rewards' n_samples_per_prompt)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--steady", action="store_true", help="only the steady-state measurement (in this process)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="with --steady: run it this many times, each in a fresh interpreter, and print every "
                             "speed-up with their median and range (the ratio swings between runs on one machine)")
    args = parser.parse_args()
    golds = list(load_math_dataset("math500", args.data)["answer"])
    if args.steady and args.repeat > 1:
        repeat_steady(args.data, args.workers, args.repeat)
        return
    if args.steady:
        steady(golds, args.workers)
        return
    if len(args.samples_per_problem) == 1:
        compare(golds, args.samples_per_problem[0], args.workers)
        return
    print(f"{os.cpu_count()} CPUs; each measurement in a fresh interpreter")
    print("cold: both scorers start with nothing warm")
    data = ["--data", args.data] if args.data else []
    for per_problem in args.samples_per_problem:
        subprocess.run([sys.executable, __file__, *data, "--workers", str(args.workers),
                        "--samples-per-problem", str(per_problem)], check=True)
    subprocess.run([sys.executable, __file__, *data, "--workers", str(args.workers), "--steady"], check=True)


if __name__ == "__main__":
    main()
