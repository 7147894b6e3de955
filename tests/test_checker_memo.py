"""What the checker's workers remember beyond math-verify (rewardlab.answers.memo) changes no verdict."""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import pytest
import sympy
from sympy.core.expr import Expr

from rewardlab.answers import memo
from rewardlab.answers.checker import AnswerChecker

CASES = [json.loads(line) for line in
         (Path(__file__).parent / "data" / "grading" / "cases.jsonl").read_text(encoding="utf-8").splitlines()]


def test_remembered_rounding_gives_what_sympy_gives_for_every_number_and_digits() -> None:
    remembered = memo._remembered(Expr.round)
    numbers = [sympy.Float("0.1234567891", 15), sympy.Float("0.1234567891", 30), sympy.Float("-2.5"),
               sympy.Rational(52, 13), sympy.Rational(-1, 3), sympy.Integer(7), sympy.sqrt(2), sympy.pi,
               sympy.Float("1e-9"), sympy.Float("123456789.987654321", 25)]
    for number in numbers:
        for digits in (None, 0, 2, 6, -1):
            first, again = remembered(number, digits), remembered(number, digits)
            expected = Expr.round(number, digits)
            assert first == expected and type(first) is type(expected), (number, digits)
            if isinstance(number, (sympy.Float, sympy.Rational)):
                assert again is first  # remembered
            else:
                assert memo._key(number, digits) is None  # rounded as before, never remembered
            if isinstance(expected, sympy.Float):
                assert first._prec == expected._prec
    # one value at two precisions is remembered twice, not mixed up
    low, high = remembered(sympy.Float("0.1234567891", 15), 9), remembered(sympy.Float("0.1234567891", 30), 9)
    assert low._prec == Expr.round(sympy.Float("0.1234567891", 15), 9)._prec
    assert high._prec == Expr.round(sympy.Float("0.1234567891", 30), 9)._prec


def _parse_after_reading(queue: mp.Queue) -> None:
    from math_verify import parser

    from rewardlab.answers import checker
    from rewardlab.answers.checker import parse_answer, read_parsed

    memo.remember_in_worker()
    # A fresh worker's memory: the fork copies what earlier tests left in this process (a match remembered by
    # checker._MATCHES whose LaTeX parse math-verify's 20-entry cache has since dropped would read without parsing).
    for remembered in (checker._MATCHES, checker._PARSED, checker._GRADED):
        remembered.clear()
    parser.parse_latex_cached.cache_clear()
    for answer in ("\\frac{52}{13}", "0.37", "x^2+1", "(1, 2)", "[0, 1)"):
        read_parsed(f"We compute 3 * 4. So the answer is \\boxed{{{answer}}}.", 5)
    before = parser.parse_latex_cached.cache_info()
    parsed = [parse_answer(a, 5) for a in ("\\frac{52}{13}", "0.37", "x^2+1", "(1, 2)", "[0, 1)")]
    after = parser.parse_latex_cached.cache_info()
    queue.put((after.hits - before.hits, after.misses - before.misses, [str(p) for p in parsed]))


def test_a_worker_parses_an_answer_it_read_from_a_completion_without_parsing_its_latex_again() -> None:
    from rewardlab.answers.checker import parse_answer

    context = mp.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_parse_after_reading, args=(queue,))
    process.start()
    hits, misses, parsed = queue.get(timeout=120)
    process.join(timeout=10)
    assert (hits, misses) == (0, 0)  # the boxes' matches were remembered: math-verify's LaTeX parser is not asked
    assert parsed == [str(parse_answer(a, 5)) for a in ("\\frac{52}{13}", "0.37", "x^2+1", "(1, 2)", "[0, 1)")]


@pytest.mark.slow
def test_the_regression_set_gets_the_same_readings_and_verdicts_in_the_workers_as_in_this_process() -> None:
    texts = [case["completion"] for case in CASES]
    golds = [case["gold"] for case in CASES]
    inline = AnswerChecker(workers=0, timeout=60)  # limits far off: a busy machine times nothing out
    pooled = AnswerChecker(workers=2, timeout=60)
    try:
        assert pooled.grade(texts, golds) == inline.grade(texts, golds)
        answers = [reading.answer for reading, _ in inline.grade(texts, golds)]
        pairs = [(a, g) for a, g in zip(answers, golds, strict=True)] + [(g, a) for a, g in zip(answers, golds,
                                                                                                    strict=True)]
        assert pooled.check(pairs) == inline.check(pairs)  # the memos serve verify alone too, either way round
    finally:
        pooled.close()
