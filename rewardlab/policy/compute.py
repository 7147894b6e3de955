"""The policy's view computed from a transformers causal LM: no gradient, chunked over tokens.

One forward pass of the decoder per ``batch_size`` sequences gives the hidden states; the output layer is then
applied ``chunk_tokens`` positions at a time, so at most ``chunk_tokens × |V|`` logits exist at once (never a
whole sequence × vocabulary tensor). Logits are divided by ``temperature`` (as TRL does for its log-probabilities)
and read in float64 (a self-certainty of tens of nats keeps its 1e-5). A model whose config scales its logits
(``logit_scale``, ``logits_scaling``, ...) or caps them (``final_logit_softcapping``) has them scaled and capped as
its own forward does (the same list TRL 1.16's fused LM head reads).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from rewardlab.policy.view import TokenStats

# Statistics of one target token: (log p(token), entropy, self-certainty KL(U || p)).
_Triple = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def logit_scale(config: Any) -> float:
    """The factor a model's own forward multiplies its logits by before any soft-capping (1 for most models):
    ``logit_scale`` / ``output_multiplier`` / ``lm_head_multiplier``, or 1 / ``logits_scaling`` (Granite)."""
    for name in ("logit_scale", "output_multiplier", "lm_head_multiplier"):
        if getattr(config, name, None) is not None:
            return float(getattr(config, name))
    scaling = getattr(config, "logits_scaling", None)
    if scaling is None:
        return 1.0
    return float(scaling) if getattr(config, "model_type", "") == "hyperclovax" else 1.0 / float(scaling)


def _head_statistics(model: Any, hidden: torch.Tensor, targets: torch.Tensor, temperature: float,
                     chunk_tokens: int) -> _Triple:
    """Per row of ``hidden`` (N × H), the statistics of predicting ``targets`` (N), ``chunk_tokens`` rows at a time."""
    head = model.get_output_embeddings()
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    scale, cap = logit_scale(config), getattr(config, "final_logit_softcapping", None)
    parts: list[_Triple] = []
    for start in range(0, hidden.shape[0], chunk_tokens):
        logits = head(hidden[start:start + chunk_tokens]).double() * scale
        if cap:
            logits = torch.tanh(logits / cap) * cap
        logits = logits / temperature
        log_z = torch.logsumexp(logits, dim=-1)
        picked = logits.gather(-1, targets[start:start + chunk_tokens, None]).squeeze(-1) - log_z
        probs = torch.softmax(logits, dim=-1)
        entropy = log_z - (probs * logits).sum(-1)
        certainty = log_z - logits.mean(-1) - math.log(logits.shape[-1])
        parts.append((picked, entropy, certainty))
    return tuple(torch.cat([p[k] for p in parts]) if parts else hidden.new_zeros(0) for k in range(3))  # type: ignore[return-value]


Pairs = Sequence[tuple[Sequence[int], Sequence[int]]]


def _hidden_rows(model: Any, sequences: Pairs) -> tuple[torch.Tensor, torch.Tensor]:
    """Hidden states predicting each target token of each ``(prefix, target)`` pair, and the targets, flattened."""
    device = model.get_output_embeddings().weight.device
    rows = [list(prefix) + list(target) for prefix, target in sequences]
    width = max(len(r) for r in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long, device=device)
    mask = torch.zeros_like(ids)
    for b, row in enumerate(rows):
        ids[b, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[b, :len(row)] = 1
    hidden = model.get_decoder()(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
    picked, targets = [], []
    for b, (prefix, target) in enumerate(sequences):
        if not target:
            continue
        start = len(prefix) - 1  # the state after the prefix's last token predicts the first target token
        picked.append(hidden[b, start:start + len(target)])
        targets.append(torch.tensor(list(target), dtype=torch.long, device=device))
    if not picked:
        return hidden.new_zeros((0, hidden.shape[-1])), torch.zeros(0, dtype=torch.long, device=device)
    return torch.cat(picked), torch.cat(targets)


@torch.no_grad()
def target_statistics(model: Any, sequences: Sequence[tuple[Sequence[int], Sequence[int]]], *,
                      temperature: float = 1.0, batch_size: int = 8, chunk_tokens: int = 256) -> list[TokenStats]:
    """For each ``(prefix_ids, target_ids)``: the policy's :class:`TokenStats` of the target tokens after the prefix.

    Every prefix must hold at least one token (a prompt does). Sequences are right-padded in batches of
    ``batch_size``; causal attention makes the padding invisible to the real tokens.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    for prefix, _ in sequences:
        if not prefix:
            raise ValueError("every sequence needs a non-empty prefix (the prompt) before its target tokens")
    out: list[TokenStats] = []
    for start in range(0, len(sequences), batch_size):
        part = sequences[start:start + batch_size]
        hidden, targets = _hidden_rows(model, part)
        picked, entropy, certainty = (t.double().cpu().tolist() for t in
                                      _head_statistics(model, hidden, targets, temperature, chunk_tokens))
        offset = 0
        for _, target in part:
            end = offset + len(target)
            out.append(TokenStats(tuple(picked[offset:end]), tuple(entropy[offset:end]), tuple(certainty[offset:end])))
            offset = end
    return out


class ModelPolicySource:
    """A :class:`~rewardlab.policy.view.PolicySource` over one batch of tokenized prompts and completions.

    ``prompt_ids`` and ``completion_ids`` hold one list of token ids per sample (the completion without
    padding). The token statistics are computed on first use and kept; continuations are computed when asked.
    """

    def __init__(self, model: Any, tokenizer: Any, prompt_ids: Sequence[Sequence[int]],
                 completion_ids: Sequence[Sequence[int]], *, temperature: float = 1.0, batch_size: int = 8,
                 chunk_tokens: int = 256) -> None:
        if len(prompt_ids) != len(completion_ids):
            raise ValueError(f"{len(prompt_ids)} prompts but {len(completion_ids)} completions")
        self.model, self.tokenizer = model, tokenizer
        self.prompt_ids = [list(p) for p in prompt_ids]
        self.completion_ids = [list(c) for c in completion_ids]
        self.options = {"temperature": temperature, "batch_size": batch_size, "chunk_tokens": chunk_tokens}
        self._stats: tuple[TokenStats, ...] | None = None

    def token_stats(self) -> tuple[TokenStats, ...]:
        if self._stats is None:
            pairs = list(zip(self.prompt_ids, self.completion_ids, strict=True))
            self._stats = tuple(target_statistics(self.model, pairs, **self.options))
        return self._stats

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []

    def continuations(self, requests: Sequence[tuple[int, str, str]]) -> list[tuple[float, ...]]:
        pairs = [(self.prompt_ids[i] + self._encode(text), self._encode(cont)) for i, text, cont in requests]
        return [s.logprobs for s in target_statistics(self.model, pairs, **self.options)]

    def token_index(self, sample: int, char: int) -> int:
        ids = self.completion_ids[sample]
        low, high = 0, len(ids)  # the answer lies in [low, high]: the smallest m with len(decode(ids[:m+1])) > char
        while low < high:
            middle = (low + high) // 2
            if len(self.tokenizer.decode(ids[:middle + 1], skip_special_tokens=True)) > char:
                high = middle
            else:
                low = middle + 1
        return low
