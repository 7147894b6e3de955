"""Sampling backends: a local transformers model, an OpenAI-compatible endpoint, vLLM's offline engine.

Each module imports its heavy dependency (torch, vllm) only when its sampler is opened.
"""

from __future__ import annotations

from rewardlab.sampling.backends.base import Sampler, SamplingError
from rewardlab.sampling.settings import SampleSettings


def open_sampler(settings: SampleSettings) -> Sampler:
    """The sampler that ``settings.resolved_backend`` names, started (a model loaded, an endpoint reached).

    Raises:
        SamplingError: the model does not load, the endpoint cannot be reached, vLLM is not installed.
    """
    backend = settings.resolved_backend
    if backend == "openai":
        from rewardlab.sampling.backends.endpoint import EndpointSampler

        return EndpointSampler(settings)
    if backend == "vllm":
        from rewardlab.sampling.backends.offline_vllm import VLLMSampler

        return VLLMSampler(settings)
    from rewardlab.sampling.backends.local import LocalSampler

    return LocalSampler(settings)


__all__ = ["Sampler", "SamplingError", "open_sampler"]
