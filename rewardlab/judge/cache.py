"""An on-disk cache of judge replies: one JSON file per request, keyed by a hash of what determines the reply.

.. math:: \\text{key} = \\operatorname{SHA256}(\\text{json}(\\text{backend identity}, \\text{messages},
          \\text{temperature}, \\text{top\\_p}, \\text{max\\_tokens}, \\text{seed}))

The backend identity is its type and model (see ``JudgeBackend.cache_identity``): never an API key,
and not the endpoint URL, so the same model served elsewhere reuses the cache (point ``cache_dir``
elsewhere to keep them apart). A file holds the reply text and token usage only. Files are written
to a temporary name and renamed into place, so concurrent processes and interrupted runs never
leave a half file; an unreadable file counts as a miss and is overwritten.

Layout: ``<directory>/<key[:2]>/<key>.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardlab.judge.backends.base import ChatRequest, Completion, utf8

_VERSION = 1


def cache_key(identity: Mapping[str, Any], request: ChatRequest) -> str:
    """The hex SHA-256 key of ``request`` sent to the backend with ``identity``."""
    material = {"version": _VERSION, "backend": dict(identity), "messages": [list(m) for m in request.messages],
                "sampling": request.sampling.as_dict()}
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(utf8(text)).hexdigest()


@dataclass(frozen=True)
class DiskCache:
    """Judge replies under ``directory``, one JSON file per key."""

    directory: Path

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        """The cached reply (``cached=True``, ``seconds=0``), or ``None`` on a miss or an unreadable file."""
        try:
            record = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("version") != _VERSION or not isinstance(record.get("text"), str):
            return None
        tokens = {k: v if isinstance(v, int) and not isinstance(v, bool) else None
                  for k, v in ((k, record.get(k)) for k in ("prompt_tokens", "completion_tokens"))}
        return Completion(text=record["text"], seconds=0.0, cached=True, **tokens)

    def put(self, key: str, completion: Completion) -> None:
        """Store ``completion`` atomically (write a temporary file, then rename it into place)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        record = {"version": _VERSION, "text": completion.text, "prompt_tokens": completion.prompt_tokens,
                  "completion_tokens": completion.completion_tokens}
        handle, temporary = tempfile.mkstemp(prefix=f".{key[:8]}-", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(record, stream)  # ASCII with \u escapes: a reply holding a lone surrogate is stored too
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
