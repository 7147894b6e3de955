"""The grader against a careful human on tests/data/grading/cases.jsonl (scripts/grader_agreement.py's claims)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from rewardlab.answers.reference import reference_answer

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("grader_agreement", REPO / "scripts" / "grader_agreement.py")
agreement = importlib.util.module_from_spec(_spec)
sys.modules["grader_agreement"] = agreement
_spec.loader.exec_module(agreement)

CASES = agreement.read_cases()


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[bool | None]]:
    return {"default": agreement.rewardlab_verdicts(CASES, "math_verify"),
            "qwen": agreement.rewardlab_verdicts(CASES, "qwen"),
            "math_verify": agreement.math_verify_verdicts(CASES)}


def _agree(given: list[bool | None]) -> int:
    return sum(g == c["verdict"] for g, c in zip(given, CASES, strict=True))


def test_the_set_has_200_cases_most_of_them_real_model_outputs() -> None:
    assert len(CASES) >= 200
    assert sum(agreement.is_real(c) for c in CASES) > len(CASES) / 2
    assert len({c["id"] for c in CASES}) == len(CASES)


def test_the_default_agrees_with_the_human_more_often_than_plain_math_verify_and_the_qwen_chain(verdicts) -> None:
    assert _agree(verdicts["default"]) > _agree(verdicts["math_verify"])
    assert _agree(verdicts["default"]) > _agree(verdicts["qwen"])


def test_the_default_pays_no_wrong_real_output(verdicts) -> None:
    false_positives = [c["id"] for g, c in zip(verdicts["default"], CASES, strict=True)
                       if agreement.is_real(c) and g is True and c["verdict"] is False]
    assert false_positives == []


def test_the_real_outputs_plain_math_verify_wrongly_pays_are_in_the_set_and_not_paid(verdicts) -> None:
    paid = [i for i, c in enumerate(CASES) if c.get("known_false_positive")]
    assert len(paid) == 3 and all(agreement.is_real(CASES[i]) for i in paid)
    assert all(verdicts["math_verify"][i] is True and verdicts["default"][i] is False for i in paid)


def test_qwen_gives_the_verdicts_of_the_grader_before_extraction_policies(verdicts) -> None:
    """Byte for byte the chain of c7261f2, wherever the label reads as it read then (the label fixes are shared
    by every policy, and tested in test_extraction_policy.py)."""
    same_label = [i for i, c in enumerate(CASES) if reference_answer(c["gold"]) == c["before_label"]]
    assert len(same_label) > 0.9 * len(CASES)
    assert [verdicts["qwen"][i] for i in same_label] == [CASES[i]["before_verdict"] for i in same_label]


@pytest.mark.slow
def test_the_agreement_table_in_the_docs_is_what_the_cases_give_now() -> None:
    assert agreement.main(["--check"]) == 0
