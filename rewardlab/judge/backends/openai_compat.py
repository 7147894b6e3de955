"""Any OpenAI-compatible ``/v1/chat/completions`` endpoint, through the standard library only.

Works with ``transformers serve``, vLLM, llama.cpp's server, SGLang, Ollama and hosted APIs. Each
request is a plain ``urllib.request`` POST; a thread pool sends up to ``concurrency`` at once.

Failure policy. A request is tried ``1 + retries`` times. Connection errors (refused, reset, DNS),
timeouts, HTTP 408/409/425/429/5xx and replies that are not a chat completion (not JSON, no
``choices[0].message``) are retried after ``backoff · 2^attempt`` seconds (HTTP ``Retry-After`` is
honoured up to 30 s); other HTTP errors (400, 401, 404, ...) fail at once. A request that fails
for good raises :class:`~rewardlab.judge.backends.base.JudgeError` naming the endpoint and the last
failure, and the requests still queued are cancelled: a judge that cannot answer never scores.

Secrets. The API key is read from the environment variable named by ``api_key_env`` at each
request and sent only in the ``Authorization`` header. It is never stored on an object, and
:func:`redact` removes it from every error, every log message and every reply text (so a server that
echoes the header cannot leak it into ``judge_raw`` or the cache). No key (variable unset or empty)
sends no ``Authorization`` header, as local servers expect.

Text. Message contents are sent well-formed (a lone surrogate becomes U+FFFD, see
:meth:`~rewardlab.judge.backends.base.ChatRequest.message_dicts`), and so are reply texts.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, ClassVar

from rewardlab.configurable import config_field
from rewardlab.judge.backends.base import (
    ChatRequest,
    Completion,
    JudgeBackend,
    JudgeClient,
    JudgeError,
    OnDone,
    well_formed,
)

logger = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""Replies longer than this are refused as garbage (a judge reply is a few kB)."""
_RETRY_STATUS = frozenset({408, 409, 425, 429})
_MAX_RETRY_AFTER_S = 30.0
_SNIPPET = 200


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
        parsed = urllib.parse.urlsplit(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base_url must be an http(s) URL such as http://127.0.0.1:8000/v1, got {self.base_url!r}")
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
        return self.base_url.rstrip("/") + "/chat/completions"

    def connect(self) -> OpenAIClient:
        return OpenAIClient(self)

    def cache_identity(self) -> Mapping[str, Any]:
        return {"type": self.type_name, "model": self.model}


class _Failure(Exception):
    """One failed attempt: what went wrong, whether a retry may help, and how long the server asks to wait."""

    def __init__(self, description: str, *, retry: bool, wait_s: float | None = None) -> None:
        super().__init__(description)
        self.retry = retry
        self.wait_s = wait_s


def redact(text: str, secret: str) -> str:
    """``text`` with ``secret`` (as written, and as JSON escapes it) replaced by ``[redacted]``; the one
    scrub of the API key, applied to errors, log messages and replies alike."""
    if not secret:
        return text
    for spelling in {secret, json.dumps(secret)[1:-1]}:
        text = text.replace(spelling, "[redacted]")
    return text


def _snippet(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return repr(text[:_SNIPPET] + ("…" if len(text) > _SNIPPET else ""))


def _retry_after(headers: Any) -> float | None:
    try:
        return min(float(headers.get("Retry-After")), _MAX_RETRY_AFTER_S)
    except (TypeError, ValueError):
        return None


def _read_quietly(error: urllib.error.HTTPError) -> bytes:
    try:
        return error.read(_SNIPPET * 4) if error.fp is not None else b""
    except (OSError, http.client.HTTPException):
        return b""


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_chat_completion(data: bytes) -> Completion:
    """The reply text and token usage of a ``/v1/chat/completions`` JSON body.

    Raises:
        ValueError: the body is not JSON or not a chat completion (no ``choices[0].message``).
    """
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"reply is not JSON: {_snippet(data)}") from exc
    choices = body.get("choices") if isinstance(body, dict) else None
    message = choices[0].get("message") if isinstance(choices, list) and choices and isinstance(
        choices[0], dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("content", ""), (str, type(None))):
        raise ValueError(f"reply is not a chat completion (no choices[0].message.content): {_snippet(data)}")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    return Completion(text=well_formed(message.get("content") or ""),
                      prompt_tokens=_optional_int(usage.get("prompt_tokens")),
                      completion_tokens=_optional_int(usage.get("completion_tokens")))


class OpenAIClient(JudgeClient):
    """Sends chat requests to one endpoint with a thread pool, retries and backoff."""

    def __init__(self, config: OpenAIBackend) -> None:
        self.config = config
        self._opener = urllib.request.build_opener()

    def __repr__(self) -> str:
        return f"OpenAIClient(endpoint={self.config.endpoint!r}, model={self.config.model!r})"

    def complete(self, requests: Sequence[ChatRequest], on_done: OnDone | None = None) -> list[Completion]:
        results: list[Completion | None] = [None] * len(requests)
        if not requests:
            return []

        def run(i: int) -> None:
            results[i] = self.complete_one(requests[i])
            if on_done is not None:
                on_done(i, results[i])

        with ThreadPoolExecutor(max_workers=min(self.config.concurrency, len(requests)),
                                thread_name_prefix="rewardlab-judge") as pool:
            futures: list[Future[None]] = [pool.submit(run, i) for i in range(len(requests))]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in futures if f in done and f.exception() is not None]
            if failed:
                for future in futures:
                    future.cancel()
                raise failed[0].exception()  # type: ignore[misc]
        return [r for r in results if r is not None]

    def complete_one(self, request: ChatRequest) -> Completion:
        """One request, retried as the class docstring says.

        Raises:
            JudgeError: naming the endpoint, the number of attempts and the last failure.
        """
        body = json.dumps({"model": self.config.model, "messages": request.message_dicts(), "stream": False,
                           **request.sampling.as_dict()}).encode("utf-8")
        attempts = self.config.retries + 1
        for attempt in range(attempts):
            started = time.perf_counter()
            try:
                completion = self._post(body)
            except _Failure as exc:
                failure = exc
            else:
                return Completion(text=self._redact(completion.text), prompt_tokens=completion.prompt_tokens,
                                  completion_tokens=completion.completion_tokens,
                                  seconds=time.perf_counter() - started)
            # Outside the except block, so the JudgeError carries no context that could hold the server's words.
            last = self._redact(str(failure))
            if not failure.retry or attempt == attempts - 1:
                tried = f"{attempt + 1} attempt{'s' if attempt else ''}"
                raise JudgeError(f"judge endpoint {self.config.endpoint} failed after {tried}: {last}")
            delay = self.config.backoff * 2 ** attempt
            delay = max(delay, failure.wait_s) if failure.wait_s is not None else delay
            logger.warning("judge endpoint %s: %s; retry %d/%d in %.2f s", self.config.endpoint, last,
                           attempt + 1, self.config.retries, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _key(self) -> str:
        return os.environ.get(self.config.api_key_env, "").strip()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _redact(self, text: str) -> str:
        return redact(text, self._key())

    def _post(self, body: bytes) -> Completion:
        request = urllib.request.Request(self.config.endpoint, data=body, headers=self._headers(), method="POST")
        timeout = self.config.timeout
        try:
            with self._opener.open(request, timeout=timeout) as response:
                data = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            detail = _snippet(_read_quietly(exc))
            retry = exc.code in _RETRY_STATUS or exc.code >= 500
            raise _Failure(f"HTTP {exc.code} {exc.reason}: {detail}", retry=retry,
                           wait_s=_retry_after(exc.headers)) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise _Failure(f"no reply within the {timeout:g} s timeout", retry=True) from None
            raise _Failure(f"cannot connect ({reason})", retry=True) from None
        except TimeoutError:
            raise _Failure(f"no reply within the {timeout:g} s timeout", retry=True) from None
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            raise _Failure(f"connection failed ({type(exc).__name__}: {exc})", retry=True) from None
        if len(data) > MAX_RESPONSE_BYTES:
            raise _Failure(f"reply longer than {MAX_RESPONSE_BYTES} bytes", retry=True)
        try:
            return parse_chat_completion(data)
        except ValueError as exc:
            raise _Failure(str(exc), retry=True) from None
