"""The errors of sampling, and the one-line form in which a user sees a library's error."""

from __future__ import annotations


class SamplingError(RuntimeError):
    """A backend could not start or could not sample: the message says what to do, in one line."""


class DataError(ValueError):
    """The problems could not be read: the message says what to give instead."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name when empty), for one-line reports."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
