"""vLLM's offline engine as the sampler, when vLLM is installed (``pip install 'rewardlab[vllm]'``).

Requests go to ``LLM.chat`` (with ``chat``) or ``LLM.generate`` in chunks of :data:`CHUNK`, each with
its sample's own seed; a chunk's samples are written when the chunk finishes, so a kill loses at most
one chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rewardlab.sampling.errors import SamplingError, first_line
from rewardlab.sampling.requests import SampleOutput, SampleRequest, ran_out
from rewardlab.sampling.settings import SampleSettings

CHUNK = 256
"""Requests handed to the engine at once (it schedules them itself)."""


class VLLMSampler:
    """Holds a ``vllm.LLM``; samples in chunks of :data:`CHUNK` requests."""

    def __init__(self, settings: SampleSettings) -> None:
        try:
            import vllm
        except ImportError:
            raise SamplingError("the vllm backend needs vLLM: pip install 'rewardlab[vllm]' (on a GPU machine), "
                                "or choose --backend transformers") from None
        from rewardlab.models.smollm2 import resolve_model_path

        self.settings, self._vllm = settings, vllm
        try:
            self.llm = vllm.LLM(model=resolve_model_path(settings.model), seed=settings.seed)
        except Exception as exc:  # vLLM raises many kinds when a model does not load
            raise SamplingError(f"vLLM could not load {settings.model!r} ({first_line(exc)}); give a model folder "
                                "or hub id that vLLM supports") from None

    def _params(self, request: SampleRequest) -> Any:
        s = self.settings
        return self._vllm.SamplingParams(temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_new_tokens,
                                         seed=request.seed)

    def complete(self, requests: Sequence[SampleRequest]) -> Iterator[tuple[SampleRequest, SampleOutput]]:
        for start in range(0, len(requests), CHUNK):
            chunk = requests[start:start + CHUNK]
            params = [self._params(r) for r in chunk]
            if self.settings.chat:
                results = self.llm.chat([[{"role": "user", "content": r.prompt}] for r in chunk], params,
                                        use_tqdm=False)
            else:
                results = self.llm.generate([r.prompt for r in chunk], params, use_tqdm=False)
            for request, result in zip(chunk, results, strict=True):
                completion = result.outputs[0]
                yield request, SampleOutput(text=completion.text, completion_tokens=len(completion.token_ids),
                                            truncated=ran_out(completion.finish_reason))

    def close(self) -> None:
        self.llm = None
