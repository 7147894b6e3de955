"""Held-out evaluation of a policy: greedy accuracy, sampled pass@k, behaviour and calibration.

The same gold reward that tracks training scores these completions, so training curves and
held-out figures read answers the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardlab.answers.vote import EXACT
from rewardlab.evaluation import AccuracyEvaluator, BehaviourEvaluator, CalibrationEvaluator, EvaluatorCollection
from rewardlab.rewards.base import Reward
from rewardlab.types import RolloutBatch


def _prompt_texts(tokenizer: Any, prompts: Sequence[Any]) -> list[str]:
    if prompts and not isinstance(prompts[0], str):  # conversational
        return [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) for p in prompts]
    return list(prompts)


def generate(model: Any, tokenizer: Any, prompts: Sequence[Any], *, max_new_tokens: int, samples: int = 1,
             temperature: float = 1.0, batch_size: int = 64, max_sequences: int = 1024) -> list[str]:
    """Completions for ``prompts`` (``samples`` each, adjacent); greedy when ``samples == 1`` and temperature 0.

    Each ``generate`` call takes ``batch_size`` prompts, fewer when their ``samples`` completions would
    exceed ``max_sequences`` (pass@256 would otherwise hold 16,384 sequences' caches at once).
    """
    import torch

    batch_size = max(1, min(batch_size, max_sequences // samples))
    texts = _prompt_texts(tokenizer, prompts)
    greedy = samples == 1 and temperature == 0
    out: list[str] = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(texts[start:start + batch_size], return_tensors="pt", padding=True,
                            add_special_tokens=False).to(model.device)
            with torch.inference_mode():
                ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=not greedy,
                                     temperature=None if greedy else temperature, top_p=None, top_k=None,
                                     num_return_sequences=samples, pad_token_id=tokenizer.pad_token_id)
            out.extend(tokenizer.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True))
    finally:
        tokenizer.padding_side = side
    return out


def evaluate_heldout(model: Any, tokenizer: Any, prompts: Sequence[Any], answers: Sequence[str], gold: Reward, *,
                     k: int = 4, max_new_tokens: int = 32, temperature: float = 1.0) -> dict[str, float]:
    """Greedy accuracy, pass@k over ``k`` samples at ``temperature``, behaviour, and calibration if exposed.

    ``gold`` scores both passes; its ``correct`` diagnostic (:func:`rewardlab.types.gold_correct`) is
    the correctness, its ``parsed_answer`` the maj@k votes and its ``confidence`` what is calibrated.
    Keys: ``greedy_accuracy`` and the sampled pass's figures prefixed ``sampled_``.
    """
    was_training = model.training
    model.eval()
    try:
        greedy = generate(model, tokenizer, prompts, max_new_tokens=max_new_tokens, temperature=0.0)
        sampled = generate(model, tokenizer, prompts, max_new_tokens=max_new_tokens, samples=k,
                           temperature=temperature)
    finally:
        model.train(was_training)
    n = len(prompts)
    greedy_batch = RolloutBatch(prompts=("",) * n, completions=tuple(greedy), answers=tuple(answers))
    greedy_result = gold.score(greedy_batch)
    greedy_evaluators = EvaluatorCollection({"accuracy": AccuracyEvaluator(ks=())}, prefix="greedy_")
    greedy_evaluators.update(greedy, greedy_result, greedy_result, group_ids=greedy_batch.group_ids)
    sampled_batch = RolloutBatch(prompts=("",) * (n * k), completions=tuple(sampled),
                                 answers=tuple(a for a in answers for _ in range(k)),
                                 group_ids=tuple(i // k for i in range(n * k)))
    sampled_result = gold.score(sampled_batch)
    # maj@k votes by math-verify classes when the gold reward verifies answers (as self_consistency votes)
    checker = getattr(gold, "checker", None)
    equivalence = checker.equivalence() if checker is not None else EXACT
    sampled_evaluators = EvaluatorCollection({"accuracy": AccuracyEvaluator(ks=tuple(sorted({1, k})),
                                                                            equivalence=equivalence),
                                              "behaviour": BehaviourEvaluator(),
                                              "calibration": CalibrationEvaluator()}, prefix="sampled_")
    sampled_evaluators.update(sampled, sampled_result, sampled_result, group_ids=sampled_batch.group_ids)
    return {**greedy_evaluators.compute(), **sampled_evaluators.compute()}
