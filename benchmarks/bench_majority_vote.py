"""Speed of rewardlab's ``majority_vote`` against a naive all-pairs math-verify vote, in one run.

Builds groups of 64 answers (as a TTRL / SRT group with 64 votes). In each group the majority value
is written in several equivalent forms (``1/2``, ``0.5``, ``\\frac{1}{2}``, ``\\dfrac12``, ...) and a
few wrong values in two forms each; every group uses different values, so no verdict is reused
across groups. Then votes each group

- naively: parse every answer once, verify every pair of answers (n(n-1)/2 verifications), and
  merge equal answers with union-find;
- with rewardlab: :func:`rewardlab.rewards.consistency.majority_vote` (bucket identical texts, verify
  only pairs of bucket representatives), with a fresh, cold checker inside the timed region.

Both must give identical labels, shares and classes. Prints both times and the speed-up.

    python benchmarks/bench_majority_vote.py                  # 20 groups of 64, checker in-process
    python benchmarks/bench_majority_vote.py --groups 50 --workers 2
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from math_verify import parse, verify

from rewardlab.answers import AnswerChecker, Verdict
from rewardlab.rewards.consistency import majority_vote

Vote = tuple[str | None, float, tuple[int | None, ...]]
# Terminating fractions, so that each value also has a decimal form.
_DENOMINATORS = (2, 4, 5, 8, 10, 16, 20, 25, 40, 50)


def forms(value: Fraction) -> list[str]:
    """Equivalent ways to write ``value``: a/b, decimal, \\frac, \\dfrac (and \\dfrac12 for one-digit parts)."""
    p, q = value.numerator, value.denominator
    decimal = f"{float(value):.6f}".rstrip("0").rstrip(".")
    out = [f"{p}/{q}", decimal, f"\\frac{{{p}}}{{{q}}}", f"\\dfrac{{{p}}}{{{q}}}"]
    if p < 10 and q < 10:
        out.append(f"\\dfrac{p}{q}")
    return out


def make_group(index: int, size: int, rng: random.Random) -> list[str]:
    """One group: ~60% the right value in its forms, the rest two wrong values in two forms each."""
    q = _DENOMINATORS[index % len(_DENOMINATORS)]
    p = next(k for k in range(1 + index // len(_DENOMINATORS), 10 * q) if Fraction(k, q).denominator == q)
    right = Fraction(p, q)
    wrong = [right + Fraction(1, 4) * (k + 1) + index for k in range(2)]
    answers = []
    for _ in range(size):
        if rng.random() < 0.6:
            answers.append(rng.choice(forms(right)))
        else:
            answers.append(rng.choice(forms(rng.choice(wrong))[:2]))
    return answers


class CountingChecker(AnswerChecker):
    """The checker, counting the pairs it is asked to verify."""

    pairs = 0

    def check(self, pairs: Sequence[tuple[str | None, str | None]], *args: Any, **kwargs: Any) -> list[Verdict]:
        self.pairs += len(pairs)
        return super().check(pairs, *args, **kwargs)


def naive_vote(answers: Sequence[str]) -> Vote:
    """Parse each answer once, verify every pair, union-find; label = first answer of the largest class."""
    parsed = [parse("\\boxed{" + a + "}") for a in answers]
    parent = list(range(len(answers)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for j in range(len(answers)):
        for i in range(j):
            if parsed[i] and parsed[j] and verify(parsed[i], parsed[j]):
                a, b = find(i), find(j)
                parent[max(a, b)] = min(a, b)
    roots = sorted({find(i) for i in range(len(answers))})
    class_of = {root: c for c, root in enumerate(roots)}
    classes = tuple(class_of[find(i)] for i in range(len(answers)))
    sizes = [classes.count(c) for c in range(len(roots))]
    winner = max(range(len(sizes)), key=lambda c: (sizes[c], -c))
    return answers[roots[winner]], sizes[winner] / len(answers), classes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=20, help="number of groups voted")
    parser.add_argument("--size", type=int, default=64, help="answers per group")
    parser.add_argument("--workers", type=int, default=0, help="checker processes for rewardlab (0 = in-process)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    groups = [make_group(g, args.size, rng) for g in range(args.groups)]
    n_forms = sum(len(set(g)) for g in groups) / len(groups)
    print(f"{args.groups} groups of {args.size} answers, {n_forms:.1f} distinct forms per group on average")
    parse("\\boxed{1}")  # import and warm math-verify outside both timed regions

    start = time.perf_counter()
    checker = CountingChecker(workers=args.workers)
    try:
        fast = [majority_vote(g, checker) for g in groups]
    finally:
        checker.close()
    t_fast = time.perf_counter() - start

    start = time.perf_counter()
    slow = [naive_vote(g) for g in groups]
    t_slow = time.perf_counter() - start

    mismatches = [g for g, (a, b) in enumerate(zip(fast, slow, strict=True)) if a != b]
    if mismatches:
        first = mismatches[0]
        raise SystemExit(f"labels or classes differ in groups {mismatches}: {fast[first]} vs {slow[first]}")
    naive_pairs = args.groups * args.size * (args.size - 1) // 2
    print(f"identical labels, shares and classes in all {args.groups} groups "
          f"(e.g. label {fast[0][0]!r}, share {fast[0][1]:.3f}, {len(set(fast[0][2]))} classes)")
    print(f"naive all-pairs : {t_slow:8.3f} s  ({naive_pairs} verifications)")
    print(f"rewardlab       : {t_fast:8.3f} s  ({checker.pairs} verifications, workers={args.workers})")
    print(f"speed-up        : {t_slow / t_fast:8.1f}x")


if __name__ == "__main__":
    main()
