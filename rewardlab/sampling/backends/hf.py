"""The one generate loop over a Hugging Face causal LM (loaded by :func:`rewardlab.models.loading.load_causal_lm`).

Every local generation in rewardlab goes through :func:`generate`: the held-out measurement of a
training run, the bench's measurement of an organism, ``rewardlab sample``'s local backend, the local
judge and ``rewardlab clip-bands``. So one set of :class:`GenerationSettings` means one thing
wherever it is used:

- ``temperature == 0`` is greedy decoding; otherwise sampling at ``temperature`` with ``top_p``
  (1: off) and ``top_k`` (0: off; transformers' own default of 50 is never used);
- a prompt that is a string is encoded as the tokenizer encodes text (its special tokens added, e.g.
  a BOS, when it adds any); a conversation (a list of ``{role, content}`` messages) goes through the
  chat template, which writes its own special tokens;
- prompts are left-padded; each prompt's ``samples`` completions are adjacent, and a ``generate``
  call takes ``batch_size`` prompts, fewer when their completions would exceed ``max_sequences``;
- a completion ends at its first end-of-sequence token: its text is the tokens before it, decoded
  without special tokens;
- the call draws on its own fork of torch's RNG (:func:`rewardlab.models.rng.own_rng`), seeded with
  ``seed`` when one is given, else starting from the caller's state; the caller's RNG is left as it was.

torch and transformers are imported when a model is loaded or generates, never with this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.configurable import config_field

Prompt = str | Sequence[Mapping[str, str]]
"""Raw text, or a conversation rendered through the tokenizer's chat template."""


@dataclass(frozen=True)
class GenerationSettings:
    """How to generate: the same fields mean the same thing for every caller (see the module docstring)."""

    max_new_tokens: int = config_field(help="most tokens generated per completion")
    samples: int = config_field(1, help="completions per prompt, adjacent in the output")
    temperature: float = config_field(1.0, help="sampling temperature; 0 is greedy decoding")
    top_p: float = config_field(1.0, help="nucleus sampling mass (1: off)")
    top_k: int = config_field(0, help="keep only the k likeliest tokens (0: off)")
    seed: int | None = config_field(None, help="seed of the call's own RNG; None starts it from the caller's state")
    batch_size: int = config_field(64, help="prompts per generate call")
    max_sequences: int = config_field(1024, help="most sequences (prompts × samples) per generate call")
    probabilities: bool = config_field(False, help="also return the probability of every sampled token")

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "samples", "batch_size", "max_sequences"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 is greedy), got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0 (0 is off), got {self.top_k}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def options(self, pad_token_id: int | None) -> dict[str, Any]:
        """``generate``'s keywords: every sampling option stated, so no model default applies."""
        options: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "pad_token_id": pad_token_id}
        if self.greedy:
            return {**options, "do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        return {**options, "do_sample": True, "temperature": self.temperature, "top_p": self.top_p,
                "top_k": self.top_k}


@dataclass(frozen=True)
class Generation:
    """One completion.

    Attributes:
        text: the tokens before the first end-of-sequence token, decoded without special tokens.
        token_ids: those tokens.
        ended: whether the completion ended with an end-of-sequence token (else it ran out of tokens).
        prompt_tokens: the prompt's tokens, without padding.
        probabilities: with ``GenerationSettings.probabilities``, the probability of each sampled token
            (``token_ids``, then the end-of-sequence token when ``ended``) under the distribution it was
            drawn from (after temperature, as TRL's old log-probabilities are); else ``None``.
    """

    text: str
    token_ids: tuple[int, ...]
    ended: bool
    prompt_tokens: int
    probabilities: tuple[float, ...] | None = None


def _text(tokenizer: Any, prompt: Prompt) -> tuple[str, bool]:
    """What the model reads, and whether the tokenizer adds its special tokens to it."""
    if isinstance(prompt, str):
        return prompt, True
    return tokenizer.apply_chat_template(list(prompt), tokenize=False, add_generation_prompt=True), False


def _device(model: Any) -> Any:
    return getattr(model, "device", None) or next(model.parameters()).device


def generate(policy: tuple[Any, Any], prompts: Sequence[Prompt], settings: GenerationSettings) -> list[Generation]:
    """``settings.samples`` completions of each prompt (adjacent, prompt by prompt) from ``policy``, a
    (model, tokenizer) pair; see the module docstring for what the settings mean."""
    from rewardlab.models.rng import own_rng

    model, tokenizer = policy
    if len({isinstance(p, str) for p in prompts}) > 1:
        raise ValueError("give every prompt as text or every prompt as a conversation, not a mix")
    texts = [_text(tokenizer, p) for p in prompts]
    per_call = max(1, min(settings.batch_size, settings.max_sequences // settings.samples))
    device = _device(model)
    was_training = model.training
    model.eval()
    out: list[Generation] = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        with own_rng(device, settings.seed):
            for start in range(0, len(texts), per_call):
                out.extend(_generate_batch(model, tokenizer, texts[start:start + per_call], settings, device))
    finally:
        tokenizer.padding_side = side
        model.train(was_training)
    return out


def _generate_batch(model: Any, tokenizer: Any, texts: Sequence[tuple[str, bool]], settings: GenerationSettings,
                    device: Any) -> list[Generation]:
    import torch

    rows = [text for text, _ in texts for _ in range(settings.samples)]
    encoded = tokenizer(rows, return_tensors="pt", padding=True, add_special_tokens=texts[0][1]).to(device)
    with torch.inference_mode():
        output = model.generate(**encoded, **settings.options(tokenizer.pad_token_id),
                                output_scores=settings.probabilities, return_dict_in_generate=True)
    width = encoded["input_ids"].shape[1]
    new = output.sequences[:, width:]
    chosen = None
    if settings.probabilities:
        steps = torch.stack([torch.softmax(s.float(), dim=-1) for s in output.scores], dim=1)
        chosen = steps.gather(2, new[:, :steps.shape[1], None])[:, :, 0].tolist()
    stop = tokenizer.eos_token_id
    generations = []
    for i, (row, n_prompt) in enumerate(zip(new.tolist(), encoded["attention_mask"].sum(dim=1).tolist(),
                                            strict=True)):
        ended = stop in row
        ids = row[:row.index(stop)] if ended else row
        generations.append(Generation(
            text=tokenizer.decode(ids, skip_special_tokens=True), token_ids=tuple(ids), ended=ended,
            prompt_tokens=int(n_prompt),
            probabilities=None if chosen is None else tuple(chosen[i][:len(ids) + ended])))
    return generations
