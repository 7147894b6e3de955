"""A local transformers causal LM as the judge: ``{type: transformers, model: smollm2 | PATH}``.

The model is loaded on the first request (``smollm2`` is the folder converted by
:func:`rewardlab.models.smollm2.smollm2_dir`; any other value is passed to ``from_pretrained``).
Requests are rendered with the tokenizer's chat template and generated in left-padded batches of
``batch_size``, grouped by sampling parameters, through the one generate loop
(:mod:`rewardlab.sampling.backends.hf`: top-k off, top-p and temperature as asked, 0 greedy). Sampling seeds
``torch`` on its own RNG with the batch's seed, so the global RNG is untouched and a batch is reproducible;
a request's reply may still depend on the batch it shares (padding, RNG order).
Usage is reported as prompt tokens (without padding) and generated tokens (up to the first EOS).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from rewardlab.configurable import config_field
from rewardlab.judge.backends.base import (
    ChatRequest,
    Completion,
    JudgeBackend,
    JudgeClient,
    JudgeError,
    OnDone,
    Sampling,
)

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass(frozen=True)
class TransformersBackend(JudgeBackend):
    """A local transformers model as the judge, generating in batches on ``device``."""

    type_name: ClassVar[str] = "transformers"

    model: str = config_field("smollm2", help="'smollm2' (converted once into the cache), a local folder or a hub id")
    batch_size: int = config_field(8, help="requests generated together")
    dtype: Literal["float32", "bfloat16", "float16"] = config_field("float32", help="weight dtype")
    device: str = config_field("cpu", help="torch device, e.g. 'cpu' or 'cuda:0'")

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("model must be 'smollm2', a local folder or a hub id")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")

    def connect(self) -> TransformersClient:
        return TransformersClient(self)

    def cache_identity(self) -> Mapping[str, Any]:
        return {"type": self.type_name, "model": self.model, "dtype": self.dtype}


class TransformersClient(JudgeClient):
    """Holds the loaded model and tokenizer; generation is serialised by a lock."""

    def __init__(self, config: TransformersBackend) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._model: PreTrainedModel | None = None
        self._tokenizer: PreTrainedTokenizerBase | None = None

    def _load(self) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
        if self._model is None or self._tokenizer is None:
            from rewardlab.models.loading import load_causal_lm
            from rewardlab.models.smollm2 import resolve_model_path

            path = resolve_model_path(self.config.model)
            try:
                self._model, self._tokenizer = load_causal_lm(path, dtype=self.config.dtype, device=self.config.device)
            except (OSError, ValueError) as exc:
                raise JudgeError(f"judge model {self.config.model!r} could not be loaded from {path}: {exc}") from exc
        return self._model, self._tokenizer

    def complete(self, requests: Sequence[ChatRequest], on_done: OnDone | None = None) -> list[Completion]:
        results: list[Completion | None] = [None] * len(requests)
        by_sampling: dict[Sampling, list[int]] = {}
        for i, request in enumerate(requests):
            by_sampling.setdefault(request.sampling, []).append(i)
        with self._lock:
            model, tokenizer = self._load()
            for sampling, positions in by_sampling.items():
                for start in range(0, len(positions), self.config.batch_size):
                    chunk = positions[start:start + self.config.batch_size]
                    started = time.perf_counter()
                    replies = self._generate(model, tokenizer, [requests[i] for i in chunk], sampling)
                    seconds = (time.perf_counter() - started) / len(chunk)
                    for i, (text, n_prompt, n_new) in zip(chunk, replies, strict=True):
                        results[i] = Completion(text=text, prompt_tokens=n_prompt, completion_tokens=n_new,
                                                seconds=seconds)
                        if on_done is not None:
                            on_done(i, results[i])
        return [r for r in results if r is not None]

    def _generate(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, requests: Sequence[ChatRequest],
                  sampling: Sampling) -> list[tuple[str, int, int]]:
        from rewardlab.sampling.backends.hf import GenerationSettings, generate

        settings = GenerationSettings(max_new_tokens=sampling.max_tokens, temperature=sampling.temperature,
                                      top_p=sampling.top_p, seed=sampling.seed, batch_size=len(requests),
                                      max_sequences=len(requests))
        try:
            generations = generate((model, tokenizer), [r.message_dicts() for r in requests], settings)
        except (RuntimeError, ValueError) as exc:
            raise JudgeError(f"judge model {self.config.model!r} failed to generate: {exc}") from exc
        return [(g.text, g.prompt_tokens, len(g.token_ids)) for g in generations]

    def close(self) -> None:
        self._model = self._tokenizer = None
