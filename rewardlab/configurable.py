"""What every configurable component shares: a registry name, fields with help text, and a config.

Rewards and advantage transforms are frozen dataclasses that subclass :class:`Configurable`;
``to_config()`` gives the plain ``{type: name, ...fields}`` mapping that the registry turns
back into an equal object.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar


def suggest(word: str, choices: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` when a close choice exists, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def config_field(default: Any = dataclasses.MISSING, *, help: str, **kwargs: Any) -> Any:
    """A dataclass field that carries its help text (shown by ``rewardlab list``)."""
    metadata = {"help": help}
    if "default_factory" in kwargs:
        return field(metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata, **kwargs)


@dataclass(frozen=True)
class Configurable:
    """A component built from ``{type: type_name, ...fields}``."""

    type_name: ClassVar[str] = ""

    def to_config(self) -> dict[str, Any]:
        """The mapping that the registry turns back into an equal object."""
        return {"type": self.type_name, **encode_fields(self)}


def _encode(value: Any) -> Any:
    if isinstance(value, Configurable):
        return value.to_config()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode_fields(value)
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def encode_fields(obj: Any, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """A dataclass's init fields as plain data (nested components as their configs); ``given`` holds the plain
    data of some fields instead of reading them."""
    given = given or {}
    return {f.name: given[f.name] if f.name in given else _encode(getattr(obj, f.name))
            for f in dataclasses.fields(obj) if f.init}


def key_fields(obj: Any, later_defaults: dict[str, Any]) -> dict[str, Any]:
    """:func:`encode_fields` for a cache key, leaving out fields added later while they hold their default.

    ``later_defaults`` maps each field added after keys were first written to its default, so that a
    result cached before the field existed keeps its key.
    """
    return {k: v for k, v in encode_fields(obj).items() if k not in later_defaults or later_defaults[k] != v}
