"""Speed of the ``binary`` reward against a naive per-sample parse-and-verify loop, in one run.

Builds MATH-style completions from MATH-500 (several samples per problem, as a GRPO group: the
right answer in varied surface forms, or one of a few wrong answers), then scores them

- naively: for each completion, extract its answer, parse the reference, parse the answer, verify;
- with rewardlab: ``BinaryCorrectness`` (identical pairs verified once, each distinct text parsed
  once per worker, a process pool fed runs of pairs that share texts and kinds of expression),
  started cold inside the timed region.

Both must give identical labels. Prints both times and the speed-up, twice:

- **cold**: each scorer starts in a fresh interpreter with nothing warm, so the one-off costs (forking
  the pool, the LaTeX parser building its prediction tables, sympy's first simplifications) are in the
  timed region;
- **steady**: both scorers first score 2,000 completions of the *other* half of MATH-500 (their
  processes warm, none of the timed pairs or texts seen), then are timed on 4,000 completions of
  the held-back half: the state of a scorer in a training run after its first step.

    python benchmarks/bench_binary_scoring.py                 # cold: groups of 8 and of 16; then steady
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time

from math_verify import parse, verify

from rewardlab.answers.extraction import extract_answer
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
        found = extract_answer(completion)
        gold = parse("\\boxed{" + reference + "}")
        pred = parse("\\boxed{" + found.answer + "}") if found else []
        scores.append(float(bool(gold and pred and verify(gold, pred))))
    return scores


def rewardlab_binary(completions: list[str], references: list[str], workers: int,
                     reward: BinaryCorrectness | None = None) -> list[float | None]:
    """Score with ``reward`` (kept open) or with a fresh one started and closed here."""
    if reward is not None:
        return reward(prompts=[""] * len(completions), completions=completions, answer=references)
    reward = BinaryCorrectness(workers=workers)
    try:
        return reward(prompts=[""] * len(completions), completions=completions, answer=references)
    finally:
        reward.close()


def steady(golds: list[str], workers: int) -> float:
    """Both scorers warmed on one half of the problems, then timed on 4,000 completions of the other half."""
    warm_golds, timed_golds = golds[0::2], golds[1::2]
    warm_completions, warm_references = make_completions(warm_golds, 8, seed=1)
    completions, references = make_completions(timed_golds, 16)
    distinct = len(set(zip((extract_answer(c).answer for c in completions), references, strict=True)))
    print(f"\nsteady state: warmed on {len(warm_completions)} completions of {len(warm_golds)} problems, timed on "
          f"{len(completions)} completions of the other {len(timed_golds)}; {distinct} distinct pairs")
    reward = BinaryCorrectness(workers=workers)
    try:
        rewardlab_binary(warm_completions, warm_references, workers, reward)
        start = time.perf_counter()
        fast = rewardlab_binary(completions, references, workers, reward)
        t_fast = time.perf_counter() - start
    finally:
        reward.close()
    naive(warm_completions, warm_references)
    start = time.perf_counter()
    slow = naive(completions, references)
    t_slow = time.perf_counter() - start
    return _report(fast, slow, t_fast, t_slow, workers)


def _report(fast: list[float | None], slow: list[float], t_fast: float, t_slow: float, workers: int) -> float:
    mismatches = sum(a != b for a, b in zip(fast, slow, strict=True))
    n = len(slow)
    print(f"  naive parse-and-verify loop: {t_slow:7.2f} s  ({n / t_slow:6.1f} completions/s)")
    print(f"  rewardlab binary, {workers} workers: {t_fast:7.2f} s  ({n / t_fast:6.1f} completions/s)")
    print(f"  speed-up: {t_slow / t_fast:.2f}x  label mismatches: {mismatches}  accuracy: {sum(slow) / n:.3f}")
    if mismatches:
        raise SystemExit("labels differ between the naive loop and rewardlab")
    return t_slow / t_fast


def compare(golds: list[str], per_problem: int, workers: int) -> float:
    """Time both scorers on one set of completions, check their labels agree, print and return the speed-up."""
    completions, references = make_completions(golds, per_problem)
    distinct = len(set(zip((extract_answer(c).answer for c in completions), references, strict=True)))
    print(f"\n{len(completions)} completions, {per_problem} per problem over {len(golds)} problems; "
          f"{distinct} distinct (answer, reference) pairs")
    start = time.perf_counter()
    fast = rewardlab_binary(completions, references, workers)
    t_fast = time.perf_counter() - start
    start = time.perf_counter()
    slow = naive(completions, references)
    t_slow = time.perf_counter() - start
    return _report(fast, slow, t_fast, t_slow, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None,
                        help="MATH-500 file or folder (default: $REWARDLAB_DATA_DIR, then the shipped copy)")
    parser.add_argument("--samples-per-problem", type=int, nargs="+", default=[8, 16],
                        help="group sizes to measure (16 is Spurious Rewards' n_samples_per_prompt)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--steady", action="store_true", help="only the steady-state measurement (in this process)")
    args = parser.parse_args()
    golds = list(load_math_dataset("math500", args.data)["answer"])
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
