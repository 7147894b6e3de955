"""Hostile completions: what a policy in the middle of a collapse, or an adversary, may write."""

from __future__ import annotations

import random

_BIG_TOWERS = ["9^{9^{9^{9}}}", "10^{10^{10^{10}}}", "2^{2^{2^{2^{2^{2}}}}}", "99999!", "(10^{100})!",
               "\\frac{1}{0}", "0^0", "\\infty - \\infty", "10^{10^{10}} - 10^{10^{10}}", "9**9**9**9",
               "\\sqrt{-1}^{10^{9}}", "e^{e^{e^{e^{e}}}}", "\\sum_{n=1}^{\\infty} n", "1e999999"]
_ODD_UNICODE = ["\u202e\u0663\u202c", "😀" * 50, "e\u0301" * 200, "\ud800", "\ufeff42", "\u00a0\u2003",
                "𝟜𝟚", "\x00\x01\x02", "٤٢", "Ⅻ"]


def hostile_completions(n: int = 1000, seed: int = 0) -> list[str]:
    """At least ``n`` completions mixing every kind of hostile input, deterministic for ``seed``."""
    rng = random.Random(seed)
    fixed = [
        "", " ", "\\boxed{}", "\\boxed{", "}" * 1000 + "\\boxed{1}", "\\boxed{" * 5000, "{" * 100_000,
        "\\boxed{" + "{" * 10_000 + "1" + "}" * 10_000 + "}", "x" * 1_000_000, "1 " * 500_000,
        "\\boxed{" + "9" * 200_000 + "}", "\\boxed{" + "1+" * 100_000 + "1}", "\x00" * 1000,
        "\\boxed{\x00}", "the answer is " + "(" * 5000, "\\boxed{\\frac{\\frac{\\frac{1}{2}}{3}}{4}" * 300,
        "\\boxed{" + "\\sqrt{" * 400 + "2" + "}" * 401, "$" * 10_000, "\\\\" * 50_000,
        "\\boxed{\\text{" + "é" * 500 + "}}",
    ]
    out = list(fixed)
    while len(out) < n:
        kind = rng.randrange(6)
        if kind == 0:
            out.append("\\boxed{" + rng.choice(_BIG_TOWERS) + "}")
        elif kind == 1:
            out.append("The answer is " + rng.choice(_BIG_TOWERS) + rng.choice(_ODD_UNICODE))
        elif kind == 2:
            depth = rng.randint(10, 3000)
            out.append("\\boxed{" + "{" * depth + str(rng.randint(0, 9)) + "}" * rng.randint(0, depth + 1))
        elif kind == 3:
            odd = "".join(rng.choice(_ODD_UNICODE) for _ in range(rng.randint(1, 40)))
            out.append(odd + f"\\boxed{{{rng.random()}}}")
        elif kind == 4:
            noise = "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 400)))
            out.append(noise + "\\boxed{" + noise[: rng.randint(0, 30)] + "}")
        else:
            out.append(rng.choice(["\\boxed{", "\\fbox{", "boxed{", "\\boxed "]) * rng.randint(1, 50)
                       + rng.choice(_BIG_TOWERS) + "}" * rng.randint(0, 60))
    return out
