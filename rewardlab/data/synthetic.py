"""Synthetic arithmetic problems: small, exact, and cheap enough for CPU training runs."""

from __future__ import annotations

import random


def arithmetic_problems(n: int, seed: int = 0, max_operand: int = 9, operations: str = "+-*"):
    """``n`` problems ``Q: a+b=`` with integer answers, as a ``datasets.Dataset`` (prompt, answer, id, source)."""
    from datasets import Dataset

    if n < 1 or max_operand < 1 or not operations or set(operations) - set("+-*"):
        raise ValueError(f"need n >= 1, max_operand >= 1 and operations drawn from '+-*', got n={n}, "
                         f"max_operand={max_operand}, operations={operations!r}")
    rng = random.Random(seed)
    rows = {"prompt": [], "answer": [], "id": [], "source": []}
    for i in range(n):
        a, b, op = rng.randint(0, max_operand), rng.randint(0, max_operand), rng.choice(operations)
        value = a + b if op == "+" else a - b if op == "-" else a * b
        rows["prompt"].append(f"Q: {a}{op}{b}=")
        rows["answer"].append(str(value))
        rows["id"].append(f"arithmetic/{seed}/{i}")
        rows["source"].append("arithmetic")
    return Dataset.from_dict(rows)
