"""Test doubles for judges: a scripted OpenAI-compatible server on 127.0.0.1, and an in-process backend.

:class:`ScriptedServer`: a real ``http.server.ThreadingHTTPServer`` that answers
``POST /v1/chat/completions`` by calling a handler with each recorded request; the handler returns a
:class:`ScriptedReply` (a status, a body, a delay, or a dropped connection), so good answers, garbage,
5xx errors and slow replies can be scripted per request. ``GET /health`` answers ``{"status": "ok"}``.
Every request is recorded (headers included) so tests can check what was sent::

    with ScriptedServer(fixed_reply("Score: \\\\boxed{7}")) as server:
        judge = JudgeReward(backend=OpenAIBackend(model="m", base_url=server.url))

:class:`FunctionBackend`: a judge backend whose reply to each request is ``rule(request)``, in process,
for tests of everything above the transport (parsing, voting, tournaments); its client records the
requests it answered.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar

from rewardlab.judge.backends.base import ChatRequest, Completion, JudgeBackend, JudgeClient, OnDone

CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received, in arrival order (``number`` counts from 0)."""

    number: int
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    received: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class ScriptedReply:
    """What the server does with a request: wait ``delay`` seconds, then send ``status`` and ``body``
    (a mapping is sent as JSON), or, with ``drop``, close the connection without a reply."""

    status: int = 200
    body: bytes | Mapping[str, Any] = b""
    delay: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)
    drop: bool = False


Handler = Callable[[RecordedRequest], ScriptedReply]


def chat_reply(text: str, *, prompt_tokens: int | None = 50, completion_tokens: int | None = 10,
               delay: float = 0.0, finish_reason: str = "stop") -> ScriptedReply:
    """A well-formed chat completion whose message is ``text`` (usage omitted when both counts are ``None``);
    ``finish_reason`` ``length`` says it ran out of tokens."""
    body: dict[str, Any] = {"id": "scripted", "object": "chat.completion", "model": "scripted",
                            "choices": [{"index": 0, "finish_reason": finish_reason,
                                         "message": {"role": "assistant", "content": text}}]}
    if prompt_tokens is not None or completion_tokens is not None:
        body["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": (prompt_tokens or 0) + (completion_tokens or 0)}
    return ScriptedReply(body=body, delay=delay)


def fixed_reply(text: str, *, delay: float = 0.0) -> Handler:
    """A handler that answers every chat request with ``text`` after ``delay`` seconds."""
    return lambda request: chat_reply(text, delay=delay)


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 resets connections when many clients connect at once
    daemon_threads = True
    block_on_close = False


class ScriptedServer:
    """A threading HTTP server on a free port of 127.0.0.1 that answers as ``handler`` says."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), self._request_handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="scripted-judge-server", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The API root to give a client: ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """The chat requests received so far (``/health`` checks are not recorded)."""
        with self._lock:
            return list(self._requests)

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _record(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> RecordedRequest:
        with self._lock:
            request = RecordedRequest(len(self._requests), method, path, dict(headers), body, time.monotonic())
            self._requests.append(request)
        return request

    def _request_handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/health":
                    self._send(ScriptedReply(body={"status": "ok"}))
                else:
                    self._send(ScriptedReply(status=404, body={"error": f"no route {self.path}"}))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != CHAT_PATH:
                    self._send(ScriptedReply(status=404, body={"error": f"no route {self.path}"}))
                    return
                request = owner._record("POST", self.path, dict(self.headers.items()), body)
                try:
                    reply = owner.handler(request)
                except Exception as exc:  # a broken script is a 500, as a broken server's would be
                    reply = ScriptedReply(status=500, body={"error": f"handler failed: {exc!r}"})
                if reply.delay and owner._stop.wait(reply.delay):
                    return
                self._send(reply)

            def _send(self, reply: ScriptedReply) -> None:
                try:
                    if reply.drop:
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (e.g. its timeout passed): nothing to answer
                    pass

        return _Handler


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released), for connection-refused tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class FunctionBackend(JudgeBackend):
    """An in-process judge whose reply to a request is ``rule(request)``; not buildable from a config."""

    type_name: ClassVar[str] = "function"

    rule: Callable[[ChatRequest], str] = field(metadata={"help": "reply = rule(request)"})
    name: str = field(default="function", metadata={"help": "model name in the cache key"})

    def connect(self) -> FunctionClient:
        return FunctionClient(self.rule)

    def cache_identity(self) -> Mapping[str, Any]:
        return {"type": self.type_name, "model": self.name}


class FunctionClient(JudgeClient):
    """Answers with the rule and records every request (``calls`` holds one list per ``complete`` call)."""

    def __init__(self, rule: Callable[[ChatRequest], str]) -> None:
        self.rule = rule
        self.calls: list[list[ChatRequest]] = []

    @property
    def requests(self) -> list[ChatRequest]:
        return [r for call in self.calls for r in call]

    def complete(self, requests: Sequence[ChatRequest], on_done: OnDone | None = None) -> list[Completion]:
        self.calls.append(list(requests))
        out = []
        for i, request in enumerate(requests):
            out.append(Completion(text=self.rule(request)))
            if on_done is not None:
                on_done(i, out[-1])
        return out
