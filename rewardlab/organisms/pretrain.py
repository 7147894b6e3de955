"""Model organisms: tiny causal LMs pretrained on the CPU with a controlled answer style.

An organism is a :class:`OrganismConfig`; :func:`pretrain` trains it once and caches the result on
disk under a key derived from the whole config, so every later use loads in well under a second.
:func:`rewardlab.organisms.evaluate.measure` reports what RL will act on: how often the organism
writes a trace, how accurate each style is, how often it abstains or hallucinates, and how well its
stated confidence is calibrated.

The three built-in organisms mirror the models of Spurious Rewards (Shao et al. 2025, §4):

- ``qwen_math_like``: traces are the majority style (65%) and, once learned, more accurate than direct
  answers (the corpus has no errors in either style: a small network computes one operation per step
  more reliably than a whole expression at once),
  as code reasoning is for Qwen2.5-Math-7B (65% of answers, 60.9% vs 35.0% accurate);
- ``llama_like``: no trace style at all (Llama, OLMo never write code);
- ``bad_code``: traces are frequent (75%) but carry errors (40% of steps), so they are less accurate
  than direct answers (OLMo2-7B-SFT: 98% code, 21.0% vs 40.0%). With 90% traces and 30% step errors
  the direct style was too rare to be learned: traces came out *more* accurate (0.31 against 0.15).

Every organism also meets unanswerable problems (10% of its corpus, half of them answered
``\\boxed{unknown}``) and states a confidence after half of its answers, uncorrelated with being
right (see :mod:`rewardlab.organisms.corpus`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardlab.configurable import config_field, encode_fields, key_fields
from rewardlab.models.tiny import CHARACTERS, TinyModelConfig
from rewardlab.organisms.corpus import (
    abstention_completion,
    direct_completion,
    sample_problem,
    trace_completion,
    with_confidence,
)


def _default_model() -> TinyModelConfig:
    return TinyModelConfig(hidden_size=128, num_layers=4, num_heads=4, intermediate_size=512, max_positions=96)


# Fields added after organisms were first cached: left out of the key at their default, so caches stay valid.
_LATER_DEFAULTS = {"trace_bug_share": 0.0}


@dataclass(frozen=True)
class OrganismConfig:
    """How an organism's pretraining corpus is written and how long it is trained."""

    trace_share: float = config_field(0.65, help="fraction of documents answered in the trace style")
    trace_error_rate: float = config_field(0.0, help="probability that a trace step's value is wrong")
    trace_bug_share: float = config_field(
        0.0, help="fraction of traces written by a buggy program that keeps each step modulo 10 (a systematic error)")
    direct_error_rate: float = config_field(0.0, help="probability that a direct answer is wrong")
    max_operand: int = config_field(9, help="largest operand")
    unanswerable_share: float = config_field(0.1, help="fraction of problems with an unknown operand x")
    abstain_share: float = config_field(0.5, help="fraction of unanswerable problems answered \\boxed{unknown}")
    confidence_share: float = config_field(0.5, help="fraction of answers followed by <confidence>q</confidence>")
    confidences: tuple[float, ...] = config_field(
        (0.6, 0.7, 0.8, 0.9, 1.0), help="stated confidences, drawn uniformly and independently of correctness")
    steps: int = config_field(660, help="optimiser steps of pretraining")
    batch_size: int = config_field(64, help="documents per step")
    micro_batch: int = config_field(
        8, help="documents per forward pass: a step's documents, sorted by length, are cut into groups of this many, "
                "each padded only to its own longest, so little compute goes to padding (the step's loss is the same)")
    learning_rate: float = config_field(2e-3, help="peak AdamW learning rate (cosine decay, linear warm-up)")
    warmup: int = config_field(50, help="warm-up steps")
    seed: int = config_field(0, help="seed of the corpus and the initialisation")
    model: TinyModelConfig = config_field(default_factory=_default_model, help="shape of the network")

    def __post_init__(self) -> None:
        for name in ("trace_share", "trace_error_rate", "trace_bug_share", "direct_error_rate", "unanswerable_share",
                     "abstain_share", "confidence_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if self.steps < 1 or self.batch_size < 1 or self.micro_batch < 1 or self.learning_rate <= 0 or self.warmup < 0:
            raise ValueError("need steps >= 1, batch_size >= 1, micro_batch >= 1, learning_rate > 0 and warmup >= 0")
        if not self.confidences or not all(0.0 <= q <= 1.0 for q in self.confidences):
            raise ValueError(f"confidences must be a non-empty list of values in [0, 1], got {self.confidences}")

    def key(self) -> str:
        """A short hash of the whole config and the tokenizer's alphabet: the cache folder's name."""
        payload = {**key_fields(self, _LATER_DEFAULTS), "alphabet": CHARACTERS}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


ORGANISMS: dict[str, OrganismConfig] = {
    "qwen_math_like": OrganismConfig(trace_share=0.65),
    "llama_like": OrganismConfig(trace_share=0.0),
    "bad_code": OrganismConfig(trace_share=0.75, trace_error_rate=0.4),
}


def document(config: OrganismConfig, rng: random.Random) -> tuple[str, str]:
    """One (prompt, completion) pair of the organism's corpus.

    An unanswerable problem abstains with ``abstain_share``; otherwise it is answered in the usual
    style as if ``x`` had a value (a hallucination). An answer states a confidence with
    ``confidence_share``; abstentions never do.
    """
    problem = sample_problem(rng, config.max_operand, config.unanswerable_share)
    if not problem.answerable and rng.random() < config.abstain_share:
        return problem.prompt, abstention_completion()
    if rng.random() < config.trace_share:
        # No draw at share 0, so an organism without the bug reads the same random stream (and corpus) as before.
        buggy = bool(config.trace_bug_share) and rng.random() < config.trace_bug_share
        completion = trace_completion(problem, rng, config.trace_error_rate, buggy)
    else:
        completion = direct_completion(problem, rng, config.direct_error_rate)
    if rng.random() < config.confidence_share:
        completion = with_confidence(completion, rng.choice(config.confidences))
    return problem.prompt, completion


def _batch(tokenizer: Any, texts: list[str]) -> dict[str, Any]:
    import torch

    # No BOS: prompts are tokenised without one at generation time (by TRL too), so documents match them.
    ids = [[*tokenizer.convert_tokens_to_ids(list(t)), tokenizer.eos_token_id] for t in texts]
    width = max(map(len, ids))
    input_ids = torch.full((len(ids), width), tokenizer.pad_token_id)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq)
    attention = (input_ids != tokenizer.pad_token_id).long()
    labels = input_ids.masked_fill(attention == 0, -100)
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def accumulate_loss(model: Any, tokenizer: Any, texts: list[str], micro_batch: int) -> float:
    """Back-propagate the mean next-token loss over every token of ``texts``; returns that loss.

    The texts are sorted by length and cut into groups of ``micro_batch``, each padded to its own
    longest text, so the padding one long document would force on the whole step is not computed.
    Each group adds its summed token loss over the step's token count, so the gradient is the one of
    a single padded batch up to rounding.
    """
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    groups = [_batch(tokenizer, [texts[i] for i in order[start:start + micro_batch]])
              for start in range(0, len(order), micro_batch)]
    tokens = sum(int((group["labels"][:, 1:] != -100).sum()) for group in groups)
    total = 0.0
    for group in groups:
        logits = model(input_ids=group["input_ids"], attention_mask=group["attention_mask"]).logits
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].flatten(0, 1), group["labels"][:, 1:].flatten(),
                                                 ignore_index=-100, reduction="sum") / tokens
        loss.backward()
        total += loss.item()
    return total


# progress(step, total, loss): called after each pretraining step with the steps taken so far (1 .. total).
Progress = Callable[[int, int, float], None]


def _train(config: OrganismConfig, log_every: int = 50,
           progress: Progress | None = None) -> tuple[Any, Any, list[float]]:
    import torch

    from rewardlab.models.tiny import char_tokenizer, tiny_model

    tokenizer = char_tokenizer()
    model = tiny_model(tokenizer, dataclasses.replace(config.model, seed=config.seed))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, betas=(0.9, 0.95), weight_decay=0.1)

    def schedule(step: int) -> float:
        if step < config.warmup:
            return (step + 1) / config.warmup
        progress = (step - config.warmup) / max(1, config.steps - config.warmup)
        return 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    rng = random.Random(config.seed)
    losses: list[float] = []
    model.train()
    for step in range(config.steps):
        texts = ["".join(document(config, rng)) for _ in range(config.batch_size)]
        optimizer.zero_grad()
        loss = accumulate_loss(model, tokenizer, texts, config.micro_batch)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % log_every == 0 or step == config.steps - 1:
            losses.append(round(loss, 4))
        if progress is not None:  # reads the loss only: the run is the same with or without it
            progress(step + 1, config.steps, loss)
    model.eval()
    return model, tokenizer, losses


def default_cache() -> Path:
    return Path(os.environ.get("REWARDLAB_CACHE", Path.home() / ".cache" / "rewardlab")) / "organisms"


def pretrain(config: OrganismConfig, cache_dir: str | Path | None = None, progress: Progress | None = None) -> Path:
    """The folder of the pretrained organism, training it first if it is not cached.

    ``progress(step, total, loss)`` is called after every step of a pretraining (not for a cached organism).
    """
    import torch

    folder = Path(cache_dir or default_cache()) / config.key()
    if (folder / "organism.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    started = time.perf_counter()
    model, tokenizer, losses = _train(config, progress=progress)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{config.key()}-"))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        record = {"config": encode_fields(config), "losses": losses,
                  "seconds": round(time.perf_counter() - started, 1)}
        (staging / "organism.json").write_text(json.dumps(record, indent=2))
        try:
            staging.rename(folder)
        except OSError:  # another process finished first; its copy is as good as ours
            if not (folder / "organism.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def load_organism(folder: str | Path) -> tuple[Any, Any]:
    """(model, tokenizer) from a pretrained organism's folder, through the one model loader (float32 as saved;
    the organism's own pad token; left padding)."""
    from rewardlab.models.loading import load_causal_lm

    return load_causal_lm(str(folder), local_files_only=True)
