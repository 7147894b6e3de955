"""An offline, deterministic judge backend for tests, dry runs and checking templates: ``{type: echo}``.

It runs no model. Each reply is derived from a SHA-256 digest of the request (messages and
sampling parameters, the seed included), so the same request always gets the same reply and the
``k`` samples of one item differ. The reply carries both a pointwise score and a pairwise verdict::

    Echo judge (offline: a digest of the request, not a judgement).
    Score: \\boxed{7}
    Verdict: [[B]]

so it drives either mode of the ``judge`` reward. ``reply`` replaces that text by a fixed one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rewardlab.configurable import config_field
from rewardlab.judge.backends.base import ChatRequest, Completion, JudgeBackend, JudgeClient, OnDone, utf8


def echo_reply(request: ChatRequest) -> str:
    """The echo backend's reply to ``request``: score ``1 + d mod 10`` and verdict A/B from digest ``d``."""
    payload = json.dumps([request.messages, request.sampling.as_dict()], ensure_ascii=False)
    digest = int(hashlib.sha256(utf8(payload)).hexdigest(), 16)
    return ("Echo judge (offline: a digest of the request, not a judgement).\n"
            f"Score: \\boxed{{{1 + digest % 10}}}\nVerdict: [[{'AB'[(digest >> 8) % 2]}]]")


@dataclass(frozen=True)
class EchoBackend(JudgeBackend):
    """Offline deterministic judge for tests and dry runs: replies with a digest of the request."""

    type_name: ClassVar[str] = "echo"

    reply: str | None = config_field(None, help="a fixed reply for every request (default: a digest-based one)")

    def connect(self) -> EchoClient:
        return EchoClient(self.reply)

    def cache_identity(self) -> Mapping[str, Any]:
        return {"type": self.type_name, "reply": self.reply}


class EchoClient(JudgeClient):
    """Replies at once, with :func:`echo_reply` or the fixed reply."""

    def __init__(self, reply: str | None = None) -> None:
        self.reply = reply

    def complete(self, requests: Sequence[ChatRequest], on_done: OnDone | None = None) -> list[Completion]:
        out = []
        for i, request in enumerate(requests):
            completion = Completion(text=self.reply if self.reply is not None else echo_reply(request))
            out.append(completion)
            if on_done is not None:
                on_done(i, completion)
        return out
