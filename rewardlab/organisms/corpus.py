"""The synthetic pretraining corpus of a model organism: arithmetic written in controlled styles.

Problems are ``Q: <expr>=`` with two operands (30%) or three (70%), operators ``+ - *`` with at
most one ``*`` and normal precedence, operands 0–9 by default. Each document answers in one of two
styles, in the proportion the organism's config fixes:

- **trace**, a code-like worked solution that contains the word ``python`` (the Qwen2.5-Math
  "code reasoning" that Spurious Rewards traces the random-reward gain to), one binary operation
  per step: ``python: a=8*6=48; b=7+48=55; \\boxed{55}``;
- **direct**, the answer at once: ``\\boxed{55}``.

Either style can carry deliberate errors (a step result off by a small amount), which is how the
"bad code" organism makes its traces frequent but less accurate than its direct answers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_OPS = "+-*"


def _apply(op: str, left: int, right: int) -> int:
    return left * right if op == "*" else left + right if op == "+" else left - right


@dataclass(frozen=True)
class Problem:
    """An arithmetic problem: operands and operators, left to right."""

    operands: tuple[int, ...]
    operators: tuple[str, ...]

    @property
    def prompt(self) -> str:
        pairs = zip(self.operators, self.operands[1:], strict=True)
        return f"Q: {self.operands[0]}" + "".join(f"{op}{x}" for op, x in pairs) + "="

    def trace(self, rng: random.Random | None = None, error_rate: float = 0.0) -> tuple[list[str], int]:
        """The steps ``name=left op right=value`` in evaluation order (``*`` first) and the final value.

        Each step's value is off by a small amount with probability ``error_rate``; later steps use
        the wrong value, as a buggy program would.
        """
        items = [(str(x), x) for x in self.operands]
        ops = list(self.operators)
        steps = []
        for name in "abcdefgh"[: len(ops)]:
            i = ops.index("*") if "*" in ops else 0
            (left_text, left), (right_text, right) = items[i], items[i + 1]
            value = _apply(ops[i], left, right)
            if rng is not None and rng.random() < error_rate:
                value = _perturb(value, rng)
            steps.append(f"{name}={left_text}{ops[i]}{right_text}={value}")
            items[i : i + 2] = [(name, value)]
            del ops[i]
        return steps, items[0][1]

    @property
    def answer(self) -> int:
        return self.trace()[1]


def sample_problem(rng: random.Random, max_operand: int = 9) -> Problem:
    """Two operands (30%) or three (70%); at most one ``*``."""
    n = 2 if rng.random() < 0.3 else 3
    operators: list[str] = []
    for _ in range(n - 1):
        operators.append(rng.choice("+-" if "*" in operators else _OPS))
    return Problem(tuple(rng.randint(0, max_operand) for _ in range(n)), tuple(operators))


def _perturb(value: int, rng: random.Random) -> int:
    return value + rng.choice([-2, -1, 1, 2])


def trace_completion(problem: Problem, rng: random.Random, error_rate: float = 0.0) -> str:
    """``python: a=...; b=...; \\boxed{v}``."""
    steps, value = problem.trace(rng, error_rate)
    return "python: " + "; ".join(steps) + f"; \\boxed{{{value}}}"


def direct_completion(problem: Problem, rng: random.Random, error_rate: float = 0.0) -> str:
    """``\\boxed{v}``; wrong with probability ``error_rate``."""
    value = problem.answer
    return f"\\boxed{{{_perturb(value, rng) if rng.random() < error_rate else value}}}"
