"""What a checker's worker remembers beyond math-verify's own small caches, so that no work is done twice.

- sympy's rounding of a number (:func:`remember_rounding`). math-verify compares two numbers of which one is
  a float by rounding both (``a.round(6) == b.round(6)``), and sympy's ``Expr.round`` takes about a millisecond
  each time. A worker compares one number with many others (a label with every distinct answer to it, an
  answer with the others of its group in a vote), so it rounded the same number again and again. Here
  ``round`` of a ``Float`` or a ``Rational`` looks up what it gave before for the same exact value, precision
  and digits; everything else rounds as before.
- math-verify's LaTeX parses (:func:`remember_latex_parses`): its ``parse_latex_cached`` keeps the last 20;
  here it keeps :data:`MAX_REMEMBERED`, so a vote's parse of an answer (``\\boxed{answer}``) finds the parse its
  completion's reading made in the same worker (the checker sends a vote's problem to the worker that graded it).

Both are pure functions of what they remember them by, so no verdict changes. They are installed only in the
checker's worker processes (whose one job is math-verify), never in the process that uses rewardlab.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

# Rounded numbers and LaTeX parses remembered per process (each); past this many rounded numbers the memory
# starts again, and the least recently used parse is dropped (sized as checker._PARSED_MAX, for the same reason).
MAX_REMEMBERED = 100_000

_ROUNDED: dict[Hashable, Any] = {}
_installed: set[str] = set()


def _key(number: Any, digits: Any) -> Hashable | None:
    """What ``number.round(digits)`` depends on: the exact value (and a float's precision); ``None``: not remembered."""
    from sympy import Float, Rational

    if isinstance(number, Float):
        return ("f", number._mpf_, number._prec, digits)
    if isinstance(number, Rational):  # integers too
        return ("q", number.p, number.q, digits)
    return None


def _remembered(original: Callable[..., Any]) -> Callable[..., Any]:
    def round_(self: Any, n: Any = None) -> Any:
        try:
            key = _key(self, n)
            hash(key)
        except TypeError:  # digits that cannot be a key
            key = None
        if key is None:
            return original(self, n)
        found = _ROUNDED.get(key)
        if found is None:
            found = original(self, n)
            if len(_ROUNDED) >= MAX_REMEMBERED:
                _ROUNDED.clear()
            _ROUNDED[key] = found
        return found

    round_.__doc__ = original.__doc__
    round_.__wrapped__ = original  # type: ignore[attr-defined]
    return round_


def remember_rounding() -> None:
    """Make sympy's ``Expr.round`` remember its results for floats and rationals in this process (once)."""
    if "round" in _installed:
        return
    from sympy.core.expr import Expr

    Expr.round = _remembered(Expr.round)  # type: ignore[method-assign]
    _installed.add("round")


def remember_latex_parses() -> None:
    """Make math-verify's ``parse_latex_cached`` keep :data:`MAX_REMEMBERED` parses in this process (once)."""
    if "latex" in _installed:
        return
    import functools

    from math_verify import parser

    parser.parse_latex_cached = functools.lru_cache(maxsize=MAX_REMEMBERED)(parser.parse_latex_cached.__wrapped__)
    _installed.add("latex")


def remember_in_worker() -> None:
    """Everything above, in a checker's worker process."""
    remember_rounding()
    remember_latex_parses()
