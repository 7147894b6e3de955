"""An OpenAI-compatible endpoint as the sampler, through the shared client :mod:`rewardlab.openai_client`.

With ``chat`` each prompt is sent as one user message to ``/chat/completions``; without, as raw text to
``/completions``. Up to ``concurrency`` requests are in flight; each carries its sample's own seed (servers
that honour ``seed`` then draw reproducibly). The API key is read from ``$OPENAI_API_KEY`` at each request
and never logged.
"""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import Any

from rewardlab.openai_client import (
    Endpoint,
    EndpointError,
    completed_concurrently,
    parse_chat_reply,
    parse_text_reply,
    well_formed,
)
from rewardlab.sampling.errors import SamplingError
from rewardlab.sampling.requests import SampleOutput, SampleRequest, ran_out
from rewardlab.sampling.settings import SampleSettings

TIMEOUT_S = 600.0
"""Seconds to wait for one completion (a long reasoning trace on a busy server takes minutes)."""
RETRIES = 3
CONNECT_TIMEOUT_S = 10.0


def check_reachable(base_url: str) -> None:
    """Raises SamplingError at once when nothing listens at ``base_url``'s host and port."""
    parts = urllib.parse.urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "", port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise SamplingError(f"cannot reach the endpoint {base_url} ({exc.strerror or exc}); start the server "
                            "(e.g. transformers serve, vllm serve) or correct --endpoint") from None


class EndpointSampler:
    """Samples through ``settings.endpoint``, ``settings.concurrency`` requests at a time."""

    def __init__(self, settings: SampleSettings, *, retries: int = RETRIES, backoff: float = 1.0) -> None:
        if settings.endpoint is None:
            raise ValueError("the openai backend needs an endpoint (--endpoint http://HOST:PORT/v1)")
        check_reachable(settings.endpoint)
        self.settings = settings
        self.http = Endpoint(base_url=settings.endpoint, timeout=TIMEOUT_S, retries=retries, backoff=backoff,
                             label="sampling endpoint")

    def _payload(self, request: SampleRequest) -> dict[str, Any]:
        s = self.settings
        text = well_formed(request.prompt)
        body = {"messages": [{"role": "user", "content": text}]} if s.chat else {"prompt": text}
        return {"model": s.model, **body, "temperature": s.temperature, "top_p": s.top_p,
                "max_tokens": s.max_new_tokens, "seed": request.seed, "stream": False}

    def complete_one(self, request: SampleRequest) -> SampleOutput:
        route, parse = ("chat/completions", parse_chat_reply) if self.settings.chat else ("completions",
                                                                                           parse_text_reply)
        try:
            reply = self.http.post(route, self._payload(request), parse)
        except EndpointError as exc:
            failure = str(exc)
        else:
            return SampleOutput(text=self.http.redact(reply.text), completion_tokens=reply.completion_tokens,
                                truncated=ran_out(reply.finish_reason))
        raise SamplingError(failure)  # outside the except block: no chained context holding the server's words

    def complete(self, requests: Sequence[SampleRequest]) -> Iterator[tuple[SampleRequest, SampleOutput]]:
        finished = completed_concurrently(lambda i: self.complete_one(requests[i]), len(requests),
                                          self.settings.concurrency, thread_name="rewardlab-sample")
        for i, output in finished:
            yield requests[i], output

    def close(self) -> None:
        pass
