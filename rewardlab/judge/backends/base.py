"""What every judge backend speaks: chat requests in, completions out, and one error for failures.

A backend is two things. Its *config* is a frozen dataclass (``{type: openai, model: ..., ...}``)
that compares, pickles and round-trips through ``to_config()``; it holds no connection, no model
and no secret. Its *client*, made by :meth:`JudgeBackend.connect`, holds what a run needs (a
loaded model, an endpoint) and sends requests. The judge reward keeps one client per process and
closes it with the reward.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.configurable import Configurable
from rewardlab.openai_client import well_formed  # the one text scrub, shared with the HTTP client

Messages = tuple[tuple[str, str], ...]
"""A chat as ``((role, content), ...)``: hashable, so requests can be deduplicated and cached."""

OnDone = Callable[[int, "Completion"], None]
"""Called with ``(position in the request list, completion)`` as each request finishes."""


def utf8(text: str) -> bytes:
    """``text`` as UTF-8 bytes for hashing, lone surrogates kept as their own bytes (``surrogatepass``).

    A Python string may hold a lone surrogate (``"\\ud800"``: half of a UTF-16 pair, e.g. from text
    cut in the middle of an emoji), which plain UTF-8 refuses to encode.
    """
    return text.encode("utf-8", "surrogatepass")


class JudgeError(RuntimeError):
    """A judge backend could not produce a completion (endpoint down, too slow, garbage, model failure).

    The message names the backend (for HTTP, the endpoint URL) and the last failure; it never holds
    an API key. A judge that *answers* but gives no readable verdict is not an error: that sample
    scores ``None`` and its text is kept in the ``judge_raw`` diagnostic.
    """


@dataclass(frozen=True)
class Sampling:
    """Sampling parameters of one request; part of the cache key."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens,
                "seed": self.seed}


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion to ask of the judge."""

    messages: Messages
    sampling: Sampling = Sampling()

    def message_dicts(self) -> list[dict[str, str]]:
        """The messages as OpenAI-style ``{"role": ..., "content": ...}`` mappings, as a model receives
        them: lone surrogates replaced (:func:`well_formed`), so one malformed response cannot fail a batch."""
        return [{"role": role, "content": well_formed(content)} for role, content in self.messages]


@dataclass(frozen=True)
class Completion:
    """The judge's reply to one request.

    Attributes:
        text: the reply text (``""`` when the server sent no content).
        prompt_tokens: prompt tokens, when the backend reports usage.
        completion_tokens: generated tokens, when the backend reports usage.
        seconds: wall-clock seconds the request took (0 for a cache hit).
        cached: whether the reply came from the on-disk cache.
    """

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float = 0.0
    cached: bool = False

    @property
    def total_tokens(self) -> int | None:
        """Prompt plus completion tokens, or ``None`` when the backend reported neither."""
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


class JudgeClient(abc.ABC):
    """A live backend: sends requests, returns one completion per request, in order."""

    @abc.abstractmethod
    def complete(self, requests: Sequence[ChatRequest], on_done: OnDone | None = None) -> list[Completion]:
        """One completion per request, in request order.

        ``on_done(i, completion)`` is called as request ``i`` finishes, so that finished work (for
        example, cache writes) survives a later failure.

        Raises:
            JudgeError: a request failed for good (after the backend's own retries).
        """

    def close(self) -> None:  # noqa: B027  (a no-op default: most clients hold nothing to release)
        """Release connections, threads or models held by this client."""


@dataclass(frozen=True)
class JudgeBackend(Configurable, abc.ABC):
    """Base of judge backend configs. Subclasses set ``type_name`` and implement :meth:`connect`."""

    @abc.abstractmethod
    def connect(self) -> JudgeClient:
        """A client for this backend (loading a model, if any, happens on its first request)."""

    @abc.abstractmethod
    def cache_identity(self) -> Mapping[str, Any]:
        """What identifies this backend's replies in the cache key: the model, never a secret."""
