"""rewardlab.answers.values: the wrong verdicts given without math-verify's ``verify`` are ``verify``'s own."""

from __future__ import annotations

import random

import pytest
from math_verify import parse, verify

from rewardlab.answers.checker import parse_answer
from rewardlab.answers.values import values_differ
from rewardlab.data import load_math_dataset


def boxed(text: str) -> list:
    return parse("\\boxed{" + text + "}")


@pytest.mark.parametrize(("gold", "answer"), [
    ("\\frac12", "0.5"), ("\\frac13", "0.333333"), ("9", "9\\%"), ("9\\%", "9"), ("2\\sqrt{5}", "\\sqrt{20}"),
    ("10^{\\circ}", "10"), ("1.0000001", "1"), ("x", "5"), ("(1, 2)", "(1, 2)"), ("[0, 1)", "[0, 1)"),
    ("x = 3", "3"), ("\\infty", "\\infty"), ("i", "i"), ("\\text{Monday}", "\\text{Monday}"),
])
def test_forms_math_verify_may_call_equal_are_left_to_it(gold: str, answer: str) -> None:
    assert not values_differ(boxed(gold), boxed(answer))


@pytest.mark.parametrize(("gold", "answer"), [
    ("\\frac{14}{3}", "2\\sqrt{5}"), ("3", "4"), ("0.5", "0.51"), ("10^{100}", "2 \\cdot 10^{100}"), ("\\pi", "3.14"),
])
def test_numbers_of_different_value_are_wrong_as_verify_says(gold: str, answer: str) -> None:
    assert values_differ(boxed(gold), boxed(answer))
    assert not verify(boxed(gold), boxed(answer))


@pytest.mark.slow
def test_on_pairs_of_math500_labels_every_pair_called_different_is_one_verify_rejects() -> None:
    golds = list(dict.fromkeys(load_math_dataset("math500")["answer"]))
    parsed = {g: boxed(g) for g in golds}
    rng = random.Random(0)
    pairs = [tuple(rng.sample(golds, 2)) for _ in range(1200)]
    decided = [(g, a) for g, a in pairs if values_differ(parsed[g], parsed[a])]
    assert len(decided) > len(pairs) / 3  # the shortcut applies to most pairs of numeric labels
    assert not [(g, a) for g, a in decided if verify(parsed[g], parsed[a])]


@pytest.mark.slow
def test_a_label_parsed_through_the_box_memo_is_math_verifys_parse_of_it() -> None:
    for gold in dict.fromkeys(load_math_dataset("math500")["answer"]):
        ours, theirs = parse_answer(gold, 5.0), boxed(gold)
        assert len(ours) == len(theirs) and all(a == b for a, b in zip(ours, theirs, strict=True)), gold


def test_a_label_whose_box_parse_runs_out_of_time_gives_no_parse_as_math_verify_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from math_verify.errors import TimeoutException

    from rewardlab.answers import checker

    def out_of_time(boxed: str) -> list:
        raise TimeoutException("the alarm went off")

    monkeypatch.setattr(checker, "_parse_box", out_of_time)
    assert checker.parse_answer("\\frac{14}{3}", 5.0) == []  # not an escaping BaseException


@pytest.mark.parametrize(("gold", "answer"), [
    ("\\sin^2 x + \\cos^2 x", "1"), ("x^2 - 1", "(x-1)(x+1)"), ("\\frac{n(n+1)}{2}", "\\frac{n^2+n}{2}"),
    ("\\sqrt{x^2}", "|x|"), ("e^{\\ln x}", "x"), ("x + 0.1", "x + 0.1000000001"), ("f(x)", "f(x)"),
    ("\\int_0^1 x\\,dx", "\\frac12"), ("2^{x+1}", "2 \\cdot 2^x"), ("x^2", "x^{999999999}"),
])
def test_expressions_a_point_cannot_tell_apart_are_left_to_simplify(gold: str, answer: str) -> None:
    from rewardlab.answers.values import differ_at_a_point, probed_symbolic_eq

    assert not any(differ_at_a_point(g, a) for g in boxed(gold) for a in boxed(answer))
    with probed_symbolic_eq():
        probed = verify(boxed(gold), boxed(answer))
    assert probed == verify(boxed(gold), boxed(answer))


@pytest.mark.parametrize(("gold", "answer"), [
    ("x^2 + 1", "x^2 - 1"), ("\\frac{n(n+1)}{2}", "n^2"), ("2\\pi r", "\\pi r^2"), ("\\sin x", "\\cos x"),
    ("x^5 - x^4 + x^3 - x^2 + x - 1", "x^5 - x^4 + x^3 - x^2 + x + 1"),
])
def test_expressions_that_differ_at_a_point_are_wrong_as_verify_says_without_simplify(gold: str, answer: str) -> None:
    from rewardlab.answers.values import differ_at_a_point, probed_symbolic_eq

    assert any(differ_at_a_point(g, a) for g in boxed(gold) for a in boxed(answer))
    with probed_symbolic_eq():
        assert not verify(boxed(gold), boxed(answer))
    assert not verify(boxed(gold), boxed(answer))


def test_the_probe_is_math_verifys_own_comparison_again_after_the_block() -> None:
    from math_verify import grader

    from rewardlab.answers.values import probed_symbolic_eq

    original = grader.sympy_symbolic_eq
    with pytest.raises(RuntimeError), probed_symbolic_eq():
        probed = grader.sympy_symbolic_eq
        assert probed is not original
        with probed_symbolic_eq():  # nested: the probe is not wrapped twice
            assert grader.sympy_symbolic_eq is probed
        assert grader.sympy_symbolic_eq is probed
        raise RuntimeError("an alarm inside verify")
    assert grader.sympy_symbolic_eq is original


@pytest.mark.slow
def test_on_pairs_of_math500_labels_in_symbols_the_probe_changes_no_verdict_of_verify() -> None:
    from sympy import Expr

    from rewardlab.answers.values import differ_at_a_point, probed_symbolic_eq

    golds = [g for g in dict.fromkeys(load_math_dataset("math500")["answer"])
             if any(getattr(form, "free_symbols", None) for form in boxed(g))]
    parsed = {g: boxed(g) for g in golds}
    rng = random.Random(0)
    # pairs of labels in symbols, and each label against itself rewritten by sympy (equal, differently written)
    pairs = [(parsed[g], parsed[a]) for g, a in (rng.sample(golds, 2) for _ in range(400))]
    pairs += [(parsed[g], [form.expand() if isinstance(form, Expr) else form for form in parsed[g]]) for g in golds]
    decided = sum(any(differ_at_a_point(g, a) for g in gold for a in answer) for gold, answer in pairs)
    assert decided > len(pairs) / 4  # the probe spares simplify on many of them
    with probed_symbolic_eq():
        probed = [verify(gold, answer) for gold, answer in pairs]
    assert probed == [verify(gold, answer) for gold, answer in pairs]
    assert sum(probed) >= len(golds) // 2  # the rewritten labels: equal forms the probe must not reject
