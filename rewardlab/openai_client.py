"""An HTTP client for OpenAI-compatible endpoints, through the standard library only: the one used by the
judge's ``openai`` backend and by ``rewardlab sample --endpoint``.

Works with ``transformers serve``, vLLM, llama.cpp's server, SGLang, Ollama and hosted APIs. Each
request is a plain ``urllib.request`` POST; :func:`completed_concurrently` keeps up to ``concurrency``
in flight on a thread pool.

Failure policy. A request is tried ``1 + retries`` times. Connection errors (refused, reset, DNS),
timeouts, HTTP 408/409/425/429/5xx and replies that the caller's parser refuses (not JSON, not a
completion) are retried after ``backoff · 2^attempt`` seconds (HTTP ``Retry-After`` is honoured up to
30 s); other HTTP errors (400, 401, 404, ...) fail at once. A request that fails for good raises
:class:`EndpointError` naming the endpoint and the last failure.

Secrets. The API key is read from the environment variable named by ``api_key_env`` at each request
and sent only in the ``Authorization`` header. It is never stored on an object, and :func:`redact`
removes it from every error, every log message and every reply text (so a server that echoes the
header cannot leak it). No key (variable unset or empty) sends no ``Authorization`` header, as local
servers expect.

Text. Reply texts are made well-formed (:func:`well_formed`: a lone surrogate becomes U+FFFD), as are
the texts callers send.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import urllib.error

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""Replies longer than this are refused as garbage."""
_RETRY_STATUS = frozenset({408, 409, 425, 429})
_MAX_RETRY_AFTER_S = 30.0
_SNIPPET = 200
_CUT = "…"
MIN_SECRET_PREFIX = 6
"""A start of the API key this long or longer, left at the end of a cut text, is redacted."""
_SURROGATE = re.compile("[\ud800-\udfff]")


class EndpointError(RuntimeError):
    """A request failed for good: the message names the endpoint, the attempts and the last failure,
    and never holds the API key."""


def well_formed(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (a complete pair becomes its character):
    what a server's JSON parser, a tokenizer or a UTF-8 file accepts."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def redact(text: str, secret: str) -> str:
    """``text`` with ``secret`` (as written, and as JSON escapes it) replaced by ``[redacted]``; the one
    scrub of the API key, applied to errors, log messages and replies alike.

    A text cut short (marked ``…``, as :func:`_snippet` cuts a server's body) may end a piece just
    inside the key: a start of the key of :data:`MIN_SECRET_PREFIX` or more characters right before
    a ``…`` is redacted too.
    """
    if not secret:
        return text
    for spelling in {secret, json.dumps(secret)[1:-1]}:
        text = text.replace(spelling, "[redacted]")
        cuts = [m.start() for m in re.finditer(_CUT, text)]
        for cut in reversed(cuts):
            text = _redact_prefix_before(text, cut, spelling)
    return text


def _redact_prefix_before(text: str, end: int, spelling: str) -> str:
    """``text`` with the longest start of ``spelling`` (at least :data:`MIN_SECRET_PREFIX` characters) that
    ends at ``end`` replaced by ``[redacted]``."""
    for n in range(len(spelling) - 1, MIN_SECRET_PREFIX - 1, -1):
        if text.endswith(spelling[:n], 0, end):
            return text[:end - n] + "[redacted]" + text[end:]
    return text


def check_base_url(base_url: str, name: str = "base_url") -> None:
    """Raises ValueError, calling it ``name``, unless ``base_url`` is an http(s) URL such as ``http://127.0.0.1:8000/v1``."""
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{name} must be an http(s) URL such as http://127.0.0.1:8000/v1, got {base_url!r}")


@dataclass(frozen=True)
class Reply:
    """The text of a completion, its token usage when the server reports it, and why it stopped."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None


def _snippet(data: bytes | str, secret: str = "") -> str:
    """The first :data:`_SNIPPET` characters of a reply, quoted, ``…`` marking a cut; ``secret`` is redacted
    before the cut, and a start of it left at the cut after (:func:`redact`)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = redact(text, secret)
    return repr(redact(text[:_SNIPPET] + (_CUT if len(text) > _SNIPPET else ""), secret))


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _first_choice(data: bytes, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON body and its ``choices[0]``; ValueError when there is none."""
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"reply is not JSON: {_snippet(data)}") from exc
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError(f"reply is not a {kind} (no choices[0]): {_snippet(data)}")
    return body, choices[0]


def _reply(body: dict[str, Any], choice: dict[str, Any], text: str | None) -> Reply:
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    reason = choice.get("finish_reason")
    return Reply(text=well_formed(text or ""), prompt_tokens=_optional_int(usage.get("prompt_tokens")),
                 completion_tokens=_optional_int(usage.get("completion_tokens")),
                 finish_reason=reason if isinstance(reason, str) else None)


def parse_chat_reply(data: bytes) -> Reply:
    """A ``/v1/chat/completions`` JSON body's ``choices[0].message.content`` and usage.

    Raises:
        ValueError: the body is not JSON or not a chat completion.
    """
    body, choice = _first_choice(data, "chat completion")
    message = choice.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("content", ""), (str, type(None))):
        raise ValueError(f"reply is not a chat completion (no choices[0].message.content): {_snippet(data)}")
    return _reply(body, choice, message.get("content"))


def parse_text_reply(data: bytes) -> Reply:
    """A ``/v1/completions`` JSON body's ``choices[0].text`` and usage.

    Raises:
        ValueError: the body is not JSON or not a text completion.
    """
    body, choice = _first_choice(data, "text completion")
    if not isinstance(choice.get("text"), str):
        raise ValueError(f"reply is not a text completion (no choices[0].text): {_snippet(data)}")
    return _reply(body, choice, choice["text"])


class _Failure(Exception):
    """One failed attempt: what went wrong, whether a retry may help, and how long the server asks to wait."""

    def __init__(self, description: str, *, retry: bool, wait_s: float | None = None) -> None:
        super().__init__(description)
        self.retry = retry
        self.wait_s = wait_s


def _retry_after(headers: Any) -> float | None:
    try:
        return min(float(headers.get("Retry-After")), _MAX_RETRY_AFTER_S)
    except (TypeError, ValueError):
        return None


def _read_quietly(error: urllib.error.HTTPError) -> bytes:
    import http.client

    try:
        return error.read(_SNIPPET * 4) if error.fp is not None else b""
    except (OSError, http.client.HTTPException):
        return b""


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and how hard to try: an API root (``.../v1``), the key's variable, the timeout,
    retries and backoff. ``label`` names the endpoint in errors and logs (``"judge endpoint"``)."""

    base_url: str
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = 120.0
    retries: int = 3
    backoff: float = 1.0
    label: str = "endpoint"

    def url(self, route: str) -> str:
        """``{base_url}/{route}``, e.g. ``url("chat/completions")``."""
        return self.base_url.rstrip("/") + "/" + route.lstrip("/")

    def key(self) -> str:
        """The API key, read from the environment now (``""`` when unset)."""
        return os.environ.get(self.api_key_env, "").strip()

    def redact(self, text: str) -> str:
        return redact(text, self.key())

    def post(self, route: str, payload: dict[str, Any], parse: Callable[[bytes], T]) -> T:
        """POST ``payload`` as JSON to ``route`` and ``parse`` the reply, retried as the module docstring says.

        Raises:
            EndpointError: naming the URL, the number of attempts and the last failure.
        """
        url = self.url(route)
        body = json.dumps(payload).encode("utf-8")
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                return parse(self._post(url, body))
            except _Failure as exc:
                failure = exc
            except ValueError as exc:  # the parser refused the reply: garbage, retried
                failure = _Failure(str(exc), retry=True)
            # Outside the except block, so the error carries no context that could hold the server's words.
            last = self.redact(str(failure))
            if not failure.retry or attempt == attempts - 1:
                tried = f"{attempt + 1} attempt{'s' if attempt else ''}"
                raise EndpointError(f"{self.label} {url} failed after {tried}: {last}")
            delay = self.backoff * 2 ** attempt
            delay = max(delay, failure.wait_s) if failure.wait_s is not None else delay
            logger.warning("%s %s: %s; retry %d/%d in %.2f s", self.label, url, last, attempt + 1, self.retries,
                           delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = self.key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _post(self, url: str, body: bytes) -> bytes:
        import http.client  # the network stack loads with the first request, not with a config that names a URL
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, data=body, headers=self._headers(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            detail = _snippet(_read_quietly(exc), self.key())
            retry = exc.code in _RETRY_STATUS or exc.code >= 500
            raise _Failure(f"HTTP {exc.code} {exc.reason}: {detail}", retry=retry,
                           wait_s=_retry_after(exc.headers)) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Failure(f"no reply within the {self.timeout:g} s timeout", retry=True) from None
            raise _Failure(f"cannot connect ({exc.reason})", retry=True) from None
        except TimeoutError:
            raise _Failure(f"no reply within the {self.timeout:g} s timeout", retry=True) from None
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            raise _Failure(f"connection failed ({type(exc).__name__}: {exc})", retry=True) from None
        if len(data) > MAX_RESPONSE_BYTES:
            raise _Failure(f"reply longer than {MAX_RESPONSE_BYTES} bytes", retry=True)
        return data


def completed_concurrently(call: Callable[[int], T], count: int, concurrency: int, *,
                           thread_name: str = "rewardlab-http") -> Iterator[tuple[int, T]]:
    """``(i, call(i))`` for each ``i < count`` as it finishes, with at most ``concurrency`` calls at once.

    The first call that raises cancels the calls still queued (those running finish) and its exception
    is raised; closing the iterator early cancels the queued calls too.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    if count == 0:
        return
    with ThreadPoolExecutor(max_workers=min(concurrency, count), thread_name_prefix=thread_name) as pool:
        futures = {pool.submit(call, i): i for i in range(count)}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()
