"""The known evaluation sets: canonical names, accepted spellings and usual hub copies."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class MathSet:
    """One known evaluation set: its canonical name, accepted spellings and usual hub copy."""

    name: str
    aliases: tuple[str, ...]
    hub_id: str

    def spellings(self) -> frozenset[str]:
        """Every accepted spelling, reduced by :func:`name_key`."""
        return frozenset(name_key(n) for n in (self.name, *self.aliases))


MATH_SETS = (
    MathSet("math500", ("math-500", "math_500", "math500test"), "HuggingFaceH4/MATH-500"),
    MathSet("aime24", ("aime2024", "aime-2024", "aime_2024", "aime-24"), "Maxwell-Jia/AIME_2024"),
    MathSet("amc23", ("amc2023", "amc-2023", "amc_2023", "amc-23"), "math-ai/amc23"),
    MathSet("gsm8k", ("gsm-8k", "gsm_8k", "openai/gsm8k"), "openai/gsm8k"),
)


def name_key(name: str) -> str:
    """``name`` lower-cased without spaces, ``-`` or ``_`` (the form names are compared in)."""
    return re.sub(r"[\s_-]+", "", name.strip().lower())


def available_datasets() -> tuple[str, ...]:
    """Canonical names of the known sets, sorted."""
    return tuple(sorted(s.name for s in MATH_SETS))


def resolve_name(name: str) -> MathSet:
    """The known set called ``name`` (case, ``-``, ``_`` and spaces ignored; aliases accepted).

    Raises:
        ValueError: for an unknown name, with a did-you-mean and the available names.
    """
    key = name_key(str(name))
    for math_set in MATH_SETS:
        if key in math_set.spellings():
            return math_set
    names = available_datasets()
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ValueError(f"unknown dataset {name!r}; {hint}available: {', '.join(names)}")
