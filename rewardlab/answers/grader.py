"""What a figure's correctness rests on, as a record: the extraction policy, the time limit, math-verify's version.

``rewardlab eval`` and ``score`` print it in their header and JSON (``grader: {...}``); :func:`explain` shows,
sample by sample, what the grader read, how math-verify parsed it and the verdict, for the first question
anyone asks when a score surprises them.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.answers.extraction import DEFAULT_EXTRACTION

__all__ = ["Explained", "describe", "explain", "grader_record"]


def _math_verify_version() -> str | None:
    try:
        return importlib.metadata.version("math-verify")
    except importlib.metadata.PackageNotFoundError:
        return None


def grader_record(reward: Any) -> dict[str, Any] | None:
    """``{extraction, timeout, math_verify_version}`` of an answer-checking reward; ``None`` for another reward."""
    if not hasattr(reward, "extraction") or not hasattr(reward, "timeout"):
        return None
    return {"extraction": reward.extraction, "timeout": reward.timeout, "math_verify_version": _math_verify_version()}


def describe(record: dict[str, Any] | None) -> str:
    """One line for a table's header: ``grader: extraction math_verify, 5 s per check, math-verify 0.9.0``."""
    if record is None:
        return "grader: not an answer checker"
    default = "" if record["extraction"] != DEFAULT_EXTRACTION else " (default)"
    return (f"grader: extraction {record['extraction']}{default}, {record['timeout']:g} s per check, "
            f"math-verify {record['math_verify_version']}")


@dataclass(frozen=True)
class Explained:
    """One sample as the grader saw it."""

    completion: str
    label: str | None
    answer: str | None
    parsed: str | None
    verdict: bool | None


def explain(reward: Any, completions: Sequence[str], labels: Sequence[Any],
            diagnostics: dict[str, Sequence[Any]]) -> list[Explained]:
    """Each sample's extracted answer, math-verify's parse of it and the verdict, from a scored answer-checking reward.

    ``diagnostics`` are the reward's (``parsed_answer`` and ``correct``); the parse is redone here, in this
    process, by the checker's own parse of an answer (so what is shown is what was compared).
    """
    from rewardlab.answers.checker import parse_answer
    from rewardlab.answers.reference import reference_answer

    rows = []
    for completion, label, answer, verdict in zip(completions, labels, diagnostics["parsed_answer"],
                                                  diagnostics["correct"], strict=True):
        try:
            parsed = parse_answer(answer, reward.timeout) if answer is not None else []
        except Exception:
            parsed = []
        rows.append(Explained(completion, reference_answer(label), answer,
                              str(parsed[0]) if parsed else None, verdict))
    return rows
