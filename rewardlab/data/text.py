"""The text of a reference answer and of a prompt, as the loaders and rollout files read them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rewardlab.answers.reference import reference_answer


def answer_text(value: Any) -> str | None:
    """Canonical text of a reference answer, or ``None`` when it states none.

    The one normaliser, :func:`rewardlab.answers.reference.reference_answer` (GSM8K ``#### N``, last
    ``\\boxed{}``, ``142.0`` → ``"142"``, lists joined with ``", "``; prose and empty labels give ``None``).
    """
    return reference_answer(value)


def prompt_text(value: Any) -> str | None:
    """A prompt as text: a string, or the last user message of a conversational prompt."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, Sequence):
        messages = [m for m in value if isinstance(m, Mapping)]
        users = [m for m in messages if m.get("role", "user") == "user"] or messages
        return prompt_text(users[-1].get("content")) if users else None
    return str(value)
