"""Any OpenAI-compatible ``/v1/chat/completions`` endpoint as the judge, through the standard library only.

Works with ``transformers serve``, vLLM, llama.cpp's server, SGLang, Ollama and hosted APIs. The
transport (requests, concurrency, the failure policy, secrets and well-formed text) is
:mod:`rewardlab.openai_client`, shared with ``rewardlab sample --endpoint``; this module turns chat
requests into its posts and its failures into :class:`~rewardlab.judge.backends.base.JudgeError`.

Failure policy (that of :mod:`rewardlab.openai_client`). A request is tried ``1 + retries`` times.
Connection errors, timeouts, HTTP 408/409/425/429/5xx and replies that are not a chat completion are
retried after ``backoff · 2^attempt`` seconds (HTTP ``Retry-After`` is honoured up to 30 s); other HTTP
errors (400, 401, 404, ...) fail at once. A request that fails for good raises ``JudgeError`` naming the
endpoint and the last failure, and the requests still queued are cancelled: a judge that cannot answer
never scores.

Secrets. The API key is read from the environment variable named by ``api_key_env`` at each request,
sent only in the ``Authorization`` header, never stored on an object, and scrubbed by ``redact`` from
every error, log message and reply text (so it cannot leak into ``judge_raw`` or the cache).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rewardlab.configurable import config_field
from rewardlab.judge.backends.base import ChatRequest, Completion, JudgeBackend, JudgeClient, JudgeError, OnDone
from rewardlab.openai_client import (
    Endpoint,
    EndpointError,
    check_base_url,
    completed_concurrently,
    parse_chat_reply,
    redact,
)

__all__ = ["CHAT_ROUTE", "OpenAIBackend", "OpenAIClient", "parse_chat_completion", "redact"]

CHAT_ROUTE = "chat/completions"


@dataclass(frozen=True)
class OpenAIBackend(JudgeBackend):
    """An OpenAI-compatible chat endpoint: ``{type: openai, model: NAME, base_url: http://host:port/v1}``.

    ``base_url`` is the API root as the ``openai`` client takes it (``.../v1``); requests go to
    ``{base_url}/chat/completions``. The key comes only from the environment variable ``api_key_env``.
    """

    type_name: ClassVar[str] = "openai"

    model: str = config_field(help="model name sent with each request (for transformers serve: the model folder)")
    base_url: str = config_field("http://127.0.0.1:8000/v1",
                                 help="API root; requests go to {base_url}/chat/completions")
    api_key_env: str = config_field("OPENAI_API_KEY", help="environment variable holding the API key (may be unset)")
    concurrency: int = config_field(8, help="requests in flight at once (a thread pool)")
    timeout: float = config_field(120.0, help="seconds to wait for the server on connect and on each read")
    retries: int = config_field(3, help="retries after a failed attempt (connection, timeout, 5xx, 429, garbage)")
    backoff: float = config_field(1.0, help="seconds before the first retry; doubles at each further retry")

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("model must name the model to ask, e.g. 'gpt-4o-mini' or the folder transformers "
                             "serve was started on")
        check_base_url(self.base_url)
        if not self.api_key_env.strip():
            raise ValueError("api_key_env must name an environment variable, e.g. OPENAI_API_KEY")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout}")
        if self.retries < 0:
            raise ValueError(f"retries must be >= 0, got {self.retries}")
        if self.backoff < 0:
            raise ValueError(f"backoff must be >= 0 seconds, got {self.backoff}")

    @property
    def endpoint(self) -> str:
        """The URL requests are posted to."""
        return self.http().url(CHAT_ROUTE)

    def http(self) -> Endpoint:
        """The shared HTTP client's view of this endpoint."""
        return Endpoint(base_url=self.base_url, api_key_env=self.api_key_env, timeout=self.timeout,
                        retries=self.retries, backoff=self.backoff, label="judge endpoint")

    def connect(self) -> OpenAIClient:
        return OpenAIClient(self)

    def cache_identity(self) -> Mapping[str, Any]:
        return {"type": self.type_name, "model": self.model}


def parse_chat_completion(data: bytes) -> Completion:
    """The reply text and token usage of a ``/v1/chat/completions`` JSON body.

    Raises:
        ValueError: the body is not JSON or not a chat completion (no ``choices[0].message``).
    """
    reply = parse_chat_reply(data)
    return Completion(text=reply.text, prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)


class OpenAIClient(JudgeClient):
    """Sends chat requests to one endpoint, ``concurrency`` at a time, with retries and backoff."""

    def __init__(self, config: OpenAIBackend) -> None:
        self.config = config
        self._http = config.http()

    def __repr__(self) -> str:
        return f"OpenAIClient(endpoint={self.config.endpoint!r}, model={self.config.model!r})"

    def complete(self, requests: Sequence[ChatRequest], on_done: OnDone | None = None) -> list[Completion]:
        results: list[Completion | None] = [None] * len(requests)
        finished = completed_concurrently(lambda i: self.complete_one(requests[i]), len(requests),
                                          self.config.concurrency, thread_name="rewardlab-judge")
        for i, completion in finished:
            results[i] = completion
            if on_done is not None:
                on_done(i, completion)
        return [r for r in results if r is not None]

    def complete_one(self, request: ChatRequest) -> Completion:
        """One request, retried as the module docstring says.

        Raises:
            JudgeError: naming the endpoint, the number of attempts and the last failure.
        """
        payload = {"model": self.config.model, "messages": request.message_dicts(), "stream": False,
                   **request.sampling.as_dict()}
        started = time.perf_counter()
        try:
            completion = self._http.post(CHAT_ROUTE, payload, parse_chat_completion)
        except EndpointError as exc:
            failure = str(exc)
        else:
            return Completion(text=self._http.redact(completion.text), prompt_tokens=completion.prompt_tokens,
                              completion_tokens=completion.completion_tokens, seconds=time.perf_counter() - started)
        raise JudgeError(failure)  # outside the except block: no chained context that could hold the server's words
