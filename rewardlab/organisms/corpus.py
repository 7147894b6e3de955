"""The synthetic pretraining corpus of a model organism: arithmetic written in controlled styles.

Problems are ``Q: <expr>=`` with two operands (30%) or three (70%), operators ``+ - *`` with at
most one ``*`` and normal precedence, operands 0–9 by default. Each document answers in one of two
styles, in the proportion the organism's config fixes:

- **trace**, a code-like worked solution that contains the word ``python`` (the Qwen2.5-Math
  "code reasoning" that Spurious Rewards traces the random-reward gain to), one binary operation
  per step: ``python: a=8*6=48; b=7+a=55; \\boxed{55}``;
- **direct**, the answer at once: ``\\boxed{55}``.

Either style can carry deliberate errors (a step result off by a small amount), and a trace can be
written by a *buggy program* that keeps each step's value in one decimal digit, that is modulo 10
(``a=8*6=8``), so its answer is right only when the true value lies in 0–9. A systematic bug, unlike
scattered errors, moves the most likely answer and not only the spread, so greedy decoding inherits
it too. Either kind is how a "bad code" organism makes its traces frequent but less accurate than its
direct answers.

Two further features give the richer rewards something to act on:

- **unanswerable** problems, with one operand replaced by an unknown ``x`` (``Q: 7+x*3=``). The
  corpus answers some of them ``\\boxed{unknown}`` (an abstention) and the rest with a made-up
  value for ``x`` in the usual style (a hallucination), so abstention is a behaviour the organism
  already has, for the ternary reward (TruthRL) to amplify or a binary reward to erode;
- a **stated confidence** after the answer, ``\\boxed{55} <confidence>0.9</confidence>``, drawn
  without regard to whether the answer is right (so the organism starts miscalibrated, as RLVR
  models are), for the Brier reward (RLCR) to calibrate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_OPS = "+-*"
UNKNOWN = "x"  # the operand an unanswerable problem leaves out
ABSTAIN = "unknown"  # how the corpus abstains; a whole-answer abstention for the ternary reward
UNANSWERABLE_LABEL = "unanswerable"  # reference answer of an unanswerable problem: no number equals it


def _apply(op: str, left: int, right: int) -> int:
    return left * right if op == "*" else left + right if op == "+" else left - right


@dataclass(frozen=True)
class Problem:
    """An arithmetic problem: operands and operators, left to right."""

    operands: tuple[int, ...]
    operators: tuple[str, ...]
    unknown: int | None = None  # position of the operand the prompt hides behind ``x``

    @property
    def prompt(self) -> str:
        shown = [UNKNOWN if i == self.unknown else str(x) for i, x in enumerate(self.operands)]
        pairs = zip(self.operators, shown[1:], strict=True)
        return f"Q: {shown[0]}" + "".join(f"{op}{x}" for op, x in pairs) + "="

    @property
    def answerable(self) -> bool:
        return self.unknown is None

    @property
    def label(self) -> str:
        """The reference answer: the value, or :data:`UNANSWERABLE_LABEL` when an operand is unknown."""
        return str(self.answer) if self.answerable else UNANSWERABLE_LABEL

    def trace(self, rng: random.Random | None = None, error_rate: float = 0.0,
              one_digit: bool = False) -> tuple[list[str], int]:
        """The steps ``name=left op right=value`` in evaluation order (``*`` first) and the final value.

        Each step's value is off by a small amount with probability ``error_rate``; later steps use
        the wrong value, as a buggy program would. With ``one_digit`` every step keeps its value
        modulo 10 (a systematic bug: a one-digit integer that wraps around).
        """
        items = [(str(x), x) for x in self.operands]
        ops = list(self.operators)
        steps = []
        for name in "abcdefgh"[: len(ops)]:
            i = ops.index("*") if "*" in ops else 0
            (left_text, left), (right_text, right) = items[i], items[i + 1]
            value = _apply(ops[i], left, right) % 10 if one_digit else _apply(ops[i], left, right)
            if rng is not None and rng.random() < error_rate:
                value = _perturb(value, rng)
            steps.append(f"{name}={left_text}{ops[i]}{right_text}={value}")
            items[i : i + 2] = [(name, value)]
            del ops[i]
        return steps, items[0][1]

    @property
    def answer(self) -> int:
        return self.trace()[1]


def sample_problem(rng: random.Random, max_operand: int = 9, unanswerable_share: float = 0.0) -> Problem:
    """Two operands (30%) or three (70%); at most one ``*``; one operand hidden with ``unanswerable_share``.

    The unanswerable draw comes after the problem's own draws, so with ``unanswerable_share = 0``
    the stream of problems is the same as before the feature existed.
    """
    n = 2 if rng.random() < 0.3 else 3
    operators: list[str] = []
    for _ in range(n - 1):
        operators.append(rng.choice("+-" if "*" in operators else _OPS))
    operands = tuple(rng.randint(0, max_operand) for _ in range(n))
    unknown = rng.randrange(n) if unanswerable_share and rng.random() < unanswerable_share else None
    return Problem(operands, tuple(operators), unknown)


def _perturb(value: int, rng: random.Random) -> int:
    return value + rng.choice([-2, -1, 1, 2])


def abstention_completion() -> str:
    """``\\boxed{unknown}``: the corpus's way of saying "I don't know"."""
    return f"\\boxed{{{ABSTAIN}}}"


def with_confidence(completion: str, confidence: float) -> str:
    """``completion <confidence>q</confidence>`` (RLCR's tag), q written with one decimal."""
    return f"{completion} <confidence>{confidence:.1f}</confidence>"


def trace_completion(problem: Problem, rng: random.Random, error_rate: float = 0.0,
                     one_digit: bool = False) -> str:
    """``python: a=...; b=...; \\boxed{v}``."""
    steps, value = problem.trace(rng, error_rate, one_digit)
    return "python: " + "; ".join(steps) + f"; \\boxed{{{value}}}"


def direct_completion(problem: Problem, rng: random.Random, error_rate: float = 0.0) -> str:
    """``\\boxed{v}``; wrong with probability ``error_rate``."""
    value = problem.answer
    return f"\\boxed{{{_perturb(value, rng) if rng.random() < error_rate else value}}}"
