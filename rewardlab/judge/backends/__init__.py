"""Judge backends: ``{type: openai | transformers | echo, ...}``, each a frozen config plus a live client.

``build_backend({"type": "openai", "model": "m", "base_url": "http://127.0.0.1:8000/v1"})``; a
backend outside rewardlab is named by import path (``{type: "my_pkg.judges:MyBackend", ...}``) and
must subclass :class:`JudgeBackend`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rewardlab.judge.backends.base import (
    ChatRequest,
    Completion,
    JudgeBackend,
    JudgeClient,
    JudgeError,
    Messages,
    Sampling,
)
from rewardlab.judge.backends.echo import EchoBackend, EchoClient, echo_reply
from rewardlab.judge.backends.hf_local import TransformersBackend, TransformersClient
from rewardlab.judge.backends.openai_compat import OpenAIBackend, OpenAIClient, parse_chat_completion
from rewardlab.registry import ConfigError, Registry

BUILTIN_BACKENDS: tuple[type[JudgeBackend], ...] = (OpenAIBackend, TransformersBackend, EchoBackend)

BackendSpec = str | Mapping[str, Any] | JudgeBackend


@lru_cache(maxsize=1)
def backend_registry() -> Registry:
    """The judge backends that ship with rewardlab, as an immutable registry."""
    return Registry.of(*BUILTIN_BACKENDS, base=JudgeBackend, kind="judge backend")


def build_backend(spec: BackendSpec) -> JudgeBackend:
    """A backend config from a name, a ``{type: name, ...}`` mapping, or a config (returned as is).

    Raises:
        ConfigError: unknown backend type or field, or a value the backend refuses.
    """
    return backend_registry().build(spec)


def field_backend(spec: BackendSpec) -> JudgeBackend:
    """:func:`build_backend` for a reward's ``backend`` field: a ConfigError names the field."""
    if isinstance(spec, JudgeBackend):
        return spec
    try:
        return build_backend(spec)
    except ConfigError as exc:
        raise ConfigError(f"backend: {exc}") from None


__all__ = [
    "BUILTIN_BACKENDS", "BackendSpec", "ChatRequest", "Completion", "EchoBackend", "EchoClient", "JudgeBackend",
    "JudgeClient", "JudgeError", "Messages", "OpenAIBackend", "OpenAIClient", "Sampling", "TransformersBackend",
    "TransformersClient", "backend_registry", "build_backend", "echo_reply", "field_backend", "parse_chat_completion",
]
