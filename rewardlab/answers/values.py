"""A verdict math-verify would reach, reached without ``simplify``: two numbers whose values differ.

math-verify's ``verify`` compares every (gold, prediction) pair of parsed forms. For two sympy numbers it tries,
in order, structural equality, a numeric comparison (rounded to ``float_rounding`` = 6 decimals when one side
is a float; exact otherwise) and then ``simplify(gold - prediction).is_zero``. The last costs milliseconds, and
on a wrong answer it always runs. When both sides are plain numbers whose values differ by more than any of those
comparisons forgives, none of them can succeed: structure and exact values differ, rounding to 6 decimals cannot
meet across a gap of 2e-6 (or a relative 1e-9, beyond a 15-digit float's precision), and ``simplify`` keeps a
value. :func:`values_differ` says so after one numeric evaluation, and the checker then gives math-verify's own
verdict (wrong) without calling ``verify``.

Anything else is left to math-verify: relations, sets, tuples, intervals, matrices, symbols, percentages (math-verify
compares ``9\\%`` with ``9`` by their integers), strings, infinities, NaN, complex values, and a number that does not
evaluate. ``tests/test_values.py`` checks on pairs of MATH-500 labels that every pair it calls different is one
``verify`` rejects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

ABSOLUTE = 2e-6
"""A gap no rounding to 6 decimals closes: two values each moved by at most 5e-7 stay apart."""
RELATIVE = 1e-9
"""A relative gap far beyond a 15-digit float's precision, so large values are compared fairly too."""
DIGITS = 30


def _value(form: Any) -> float | None:
    """The real value of a plain sympy number (no symbols, relation, set, percentage, matrix), else ``None``."""
    from sympy import Basic, Expr, UnevaluatedExpr

    if not isinstance(form, Expr) or not isinstance(form, Basic) or not form.is_number or form.has(UnevaluatedExpr):
        return None
    try:
        value = complex(form.evalf(DIGITS))
    except (TypeError, ValueError, ArithmeticError):
        return None
    if value.imag != 0 or not math.isfinite(value.real):
        return None
    return value.real


def values_differ(gold: Sequence[Any], parsed: Sequence[Any]) -> bool:
    """Whether math-verify's ``verify(gold, parsed)`` (its defaults) must be false because every pair of forms it
    would compare is a pair of plain numbers with different values, or a pair of different strings, or a number
    with a string (which it never compares). ``False`` means "ask math-verify"."""
    decided_by_value = False
    for g in gold:
        for p in parsed:
            if isinstance(g, str) or isinstance(p, str):
                if isinstance(g, str) and isinstance(p, str) and g.strip() and g.strip() == p.strip():
                    return False
                continue  # math-verify compares strings only with strings, and only for equality
            a, b = _value(g), _value(p)
            if a is None or b is None or abs(a - b) <= max(ABSOLUTE, RELATIVE * max(abs(a), abs(b))):
                return False
            decided_by_value = True
    return decided_by_value
