"""A local transformers model as the sampler: the one generate loop (:mod:`rewardlab.sampling.backends.hf`), on the
GPU in bfloat16 when there is one.

The model is a folder (a run's ``final/`` included), a hub id, or ``smollm2`` (converted once, see
:mod:`rewardlab.models.smollm2`). Requests are generated ``concurrency`` at a time, left-padded; with
``chat`` each prompt goes through the tokenizer's chat template as one user message. A batch draws
with ``torch`` seeded by its first request's seed on its own RNG (:func:`rewardlab.models.rng.own_rng`: the
global RNG is left alone), so a run from an empty file is reproducible; a sample may still depend on the batch it
shares (padding, RNG order). Temperature 0 is greedy decoding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rewardlab.models.loading import load_causal_lm
from rewardlab.sampling.backends.hf import GenerationSettings, Prompt, generate
from rewardlab.sampling.errors import SamplingError, first_line
from rewardlab.sampling.requests import SampleOutput, SampleRequest
from rewardlab.sampling.settings import SampleSettings

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

WHAT_TO_GIVE = "give a model folder holding config.json and weights (e.g. a run's final/), a hub id, or smollm2"


def load_model(spec: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A causal LM and its tokenizer (:func:`~rewardlab.models.loading.load_causal_lm`), on the GPU in
    bfloat16 when there is one, else on the CPU in float32.

    Raises:
        SamplingError: the model does not load (the reason and what to give instead, in one line).
    """
    import torch

    from rewardlab.models.smollm2 import SmolLM2NotInstalledError, resolve_model_path

    try:
        path = resolve_model_path(spec)
    except SmolLM2NotInstalledError as exc:
        raise SamplingError(first_line(exc)) from None
    if not Path(path).exists() and (path.startswith((".", "/", "~")) or path.count("/") > 1):
        raise SamplingError(f"no model folder at {path}; {WHAT_TO_GIVE}")
    cuda = torch.cuda.is_available()
    try:
        return load_causal_lm(path, dtype=torch.bfloat16 if cuda else torch.float32, device="cuda" if cuda else "cpu")
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise SamplingError(f"model {spec!r} does not load ({first_line(exc)}); {WHAT_TO_GIVE}") from None


def generation_settings(settings: SampleSettings, seed: int) -> GenerationSettings:
    """The one generate loop's settings for a batch of these sample settings (one completion per request)."""
    return GenerationSettings(max_new_tokens=settings.max_new_tokens, temperature=settings.temperature,
                              top_p=settings.top_p, seed=seed, batch_size=settings.concurrency,
                              max_sequences=settings.concurrency)


class LocalSampler:
    """Holds the loaded model and tokenizer; generates batches of ``settings.concurrency`` prompts."""

    def __init__(self, settings: SampleSettings) -> None:
        self.settings = settings
        self.model, self.tokenizer = load_model(settings.model)
        if settings.chat and not getattr(self.tokenizer, "chat_template", None):
            raise SamplingError(f"model {settings.model!r} has no chat template; pass --no-chat to send the "
                                "prompt as raw text")

    def model_prompt(self, prompt: str) -> Prompt:
        """What the model is given: the prompt as one user message (through the chat template), or as text."""
        return [{"role": "user", "content": prompt}] if self.settings.chat else prompt

    def generate_batch(self, batch: Sequence[SampleRequest]) -> list[SampleOutput]:
        """One batch, generated together, on an RNG seeded with its first request's seed."""
        try:
            generations = generate((self.model, self.tokenizer), [self.model_prompt(r.prompt) for r in batch],
                                   generation_settings(self.settings, batch[0].seed))
        except (RuntimeError, ValueError) as exc:
            raise SamplingError(f"model {self.settings.model!r} failed to generate ({first_line(exc)})") from None
        return [SampleOutput(text=g.text, completion_tokens=len(g.token_ids), truncated=not g.ended)
                for g in generations]

    def complete(self, requests: Sequence[SampleRequest]) -> Iterator[tuple[SampleRequest, SampleOutput]]:
        size = self.settings.concurrency
        for start in range(0, len(requests), size):
            batch = requests[start:start + size]
            yield from zip(batch, self.generate_batch(batch), strict=True)

    def close(self) -> None:
        self.model = self.tokenizer = None  # type: ignore[assignment]
