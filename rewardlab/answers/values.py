"""Verdicts math-verify would reach, reached without ``simplify``: values that differ.

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

Expressions in symbols (``x^2+1`` against ``n(n+1)/2``) reach math-verify's last resort too, after its structural,
relational, set and numeric comparisons: ``sympy_symbolic_eq``, true when ``simplify(a - b)`` is zero. A
simplification keeps an expression's value wherever it is defined, so if ``a - b`` is clearly nonzero at one
point where the symbols may lie (real numbers: the parser's symbols are real and finite), ``simplify`` cannot make
it zero. :func:`probed_symbolic_eq` runs math-verify's ``verify`` unchanged except that this last resort first
evaluates ``a - b`` at one rational point and answers false there when the difference is clearly nonzero; anything
it cannot evaluate (an undefined or non-elementary function, a symbol with other assumptions, a singular point, a
complex or small value) goes to ``simplify`` as before.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator, Sequence
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


# The assumptions of the symbols math-verify's LaTeX parser makes (real and finite): a real point satisfies them.
_REAL_SYMBOL = {"commutative": True, "complex": True, "extended_real": True, "finite": True, "hermitian": True,
                "imaginary": False, "infinite": False, "real": True}
_ELEMENTARY = "sympy.functions.elementary"
# Generic irrational-looking rationals, one per symbol: no small integer, zero or simple fraction a formula
# might single out.
_POINT = ("1379/1000", "2113/1000", "3571/10000", "4231/1000", "5779/10000", "6397/1000", "7127/10000", "8263/1000")


def differ_at_a_point(a: Any, b: Any) -> bool:
    """Whether ``a - b``, two sympy expressions in real symbols and elementary functions, is clearly nonzero at a
    rational point (so no simplification makes it zero). ``False`` means "not shown": ask ``simplify``."""
    from sympy import Expr, Function, Rational

    if not (isinstance(a, Expr) and isinstance(b, Expr)):
        return False
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    if not symbols or len(symbols) > len(_POINT) or any(s.assumptions0 != _REAL_SYMBOL for s in symbols):
        return False
    if any(not (type(f).__module__ or "").startswith(_ELEMENTARY) for f in a.atoms(Function) | b.atoms(Function)):
        return False
    point = {s: Rational(v) for s, v in zip(symbols, _POINT, strict=False)}
    values = []
    for expr in (a, b):
        try:
            value = complex(expr.evalf(DIGITS, subs=point))  # floating: x^{10^9} stays cheap
        except (TypeError, ValueError, ArithmeticError):
            return False
        if value.imag != 0 or not math.isfinite(value.real):
            return False
        values.append(value.real)
    x, y = values
    return abs(x - y) > max(ABSOLUTE, RELATIVE * max(abs(x), abs(y)))


def _probed(symbolic_eq: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    try:
        differ = differ_at_a_point(a, b)
    except Exception:  # sympy failing on an odd expression: not shown, so simplify decides
        differ = False
    return False if differ else symbolic_eq(a, b)


@contextlib.contextmanager
def probed_symbolic_eq() -> Iterator[None]:
    """Within the block, math-verify's ``sympy_symbolic_eq`` answers false without ``simplify`` where
    :func:`differ_at_a_point` shows the two sides differ (its own answer there); restored on leaving."""
    from math_verify import grader

    original = grader.sympy_symbolic_eq
    if isinstance(original, functools.partial) and original.func is _probed:  # already inside such a block
        yield
        return
    grader.sympy_symbolic_eq = functools.partial(_probed, original)
    try:
        yield
    finally:
        grader.sympy_symbolic_eq = original
