"""A local transformers model as the sampler: batched ``generate``, on the GPU in bfloat16 when there is one.

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
from typing import TYPE_CHECKING, Any

from rewardlab.models.rng import own_rng
from rewardlab.sampling.errors import SamplingError, first_line
from rewardlab.sampling.requests import SampleOutput, SampleRequest
from rewardlab.sampling.settings import SampleSettings

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

WHAT_TO_GIVE = "give a model folder holding config.json and weights (e.g. a run's final/), a hub id, or smollm2"


def load_model(spec: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A causal LM and its tokenizer, on the GPU in bfloat16 when there is one, else on the CPU in float32.

    Raises:
        SamplingError: the model does not load (the reason and what to give instead, in one line).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rewardlab.models.smollm2 import SmolLM2NotInstalledError, resolve_model_path

    try:
        path = resolve_model_path(spec)
    except SmolLM2NotInstalledError as exc:
        raise SamplingError(first_line(exc)) from None
    if not Path(path).exists() and (path.startswith((".", "/", "~")) or path.count("/") > 1):
        raise SamplingError(f"no model folder at {path}; {WHAT_TO_GIVE}")
    cuda = torch.cuda.is_available()
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16 if cuda else torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise SamplingError(f"model {spec!r} does not load ({first_line(exc)}); {WHAT_TO_GIVE}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return model.to("cuda" if cuda else "cpu").eval(), tokenizer


def generation_options(settings: SampleSettings, pad_token_id: int) -> dict[str, Any]:
    """``generate``'s sampling keywords: greedy at temperature 0, else temperature and top-p (top-k off)."""
    options: dict[str, Any] = {"max_new_tokens": settings.max_new_tokens, "pad_token_id": pad_token_id}
    if settings.temperature == 0:
        return {**options, "do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    return {**options, "do_sample": True, "temperature": settings.temperature, "top_p": settings.top_p, "top_k": 0}


class LocalSampler:
    """Holds the loaded model and tokenizer; generates batches of ``settings.concurrency`` prompts."""

    def __init__(self, settings: SampleSettings) -> None:
        self.settings = settings
        self.model, self.tokenizer = load_model(settings.model)
        if settings.chat and not getattr(self.tokenizer, "chat_template", None):
            raise SamplingError(f"model {settings.model!r} has no chat template; pass --no-chat to send the "
                                "prompt as raw text")

    def input_text(self, prompt: str) -> str:
        """What the model reads: the prompt as one user message through the chat template, or as it is."""
        if not self.settings.chat:
            return prompt
        return self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                  add_generation_prompt=True)

    def generate(self, batch: Sequence[SampleRequest]) -> list[SampleOutput]:
        """One batch, generated together."""
        import torch

        tokenizer = self.tokenizer
        encoded = tokenizer([self.input_text(r.prompt) for r in batch], return_tensors="pt", padding=True,
                            add_special_tokens=not self.settings.chat).to(self.model.device)
        options = generation_options(self.settings, tokenizer.pad_token_id)
        try:
            with own_rng(self.model.device, batch[0].seed), torch.inference_mode():
                output = self.model.generate(**encoded, **options)
        except (RuntimeError, ValueError) as exc:
            raise SamplingError(f"model {self.settings.model!r} failed to generate ({first_line(exc)})") from None
        outputs = []
        stop = tokenizer.eos_token_id
        for row in output[:, encoded["input_ids"].shape[1]:].tolist():
            ids = row[:row.index(stop)] if stop in row else row
            outputs.append(SampleOutput(text=tokenizer.decode(ids, skip_special_tokens=True),
                                        completion_tokens=len(ids)))
        return outputs

    def complete(self, requests: Sequence[SampleRequest]) -> Iterator[tuple[SampleRequest, SampleOutput]]:
        size = self.settings.concurrency
        for start in range(0, len(requests), size):
            batch = requests[start:start + size]
            yield from zip(batch, self.generate(batch), strict=True)

    def close(self) -> None:
        self.model = self.tokenizer = None  # type: ignore[assignment]
