"""Where a policy's sampled tokens sit relative to PPO's clip: what the clipping bias can act on.

Spurious Rewards (Shao et al. 2025, App. B) explains the random-reward gain by a bias of the clipped
objective. With i.i.d. random rewards the unclipped expected gradient is 0, but the clip cuts pushes
asymmetrically. A token whose old probability π exceeds 1/(1+ε) can never reach the upper clip (its
ratio π_θ/π_old ≤ 1/π < 1+ε), so pushes up always count, while a push down stops once the ratio falls
below 1−ε. The net effect raises such tokens further: it sharpens the policy where it is already
confident. A token with π ≥ ``saturated`` (0.99) has almost nothing left to gain; one below 1/(1+ε) is
clipped on both sides. So the bias can only sharpen tokens with π in [1/(1+ε), saturated).

:func:`band_shares` is the pure measurement; :func:`sampled_token_probabilities` samples a policy's
completions and returns π_old of every sampled token; :func:`band_records` gathers one organism's figures per
clip range and :func:`bands_markdown` tables them. ``rewardlab clip-bands ORGANISM`` prints the bands of an
organism (:mod:`rewardlab.cli.clip_bands`) and, with ``--json``, keeps the records that
``scripts/results_tables.py`` tables in docs/results.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SATURATED = 0.99


def band_shares(probabilities: Sequence[float], epsilon: float = 0.2,
                saturated: float = SATURATED) -> dict[str, float]:
    """Shares of tokens by old probability π: ``saturated`` (π ≥ saturated), ``biased``
    (1/(1+ε) ≤ π < saturated: pushed up by the clipping bias) and ``two_sided`` (π < 1/(1+ε))."""
    if not 0.0 < epsilon < 1.0:
        raise ValueError(f"epsilon must be in (0, 1), got {epsilon}")
    if not probabilities:
        raise ValueError("band_shares needs at least one token probability")
    floor = 1.0 / (1.0 + epsilon)
    n = len(probabilities)
    top = sum(p >= saturated for p in probabilities)
    biased = sum(floor <= p < saturated for p in probabilities)
    return {"saturated": top / n, "biased": biased / n, "two_sided": (n - top - biased) / n}


def sampled_token_probabilities(model: Any, tokenizer: Any, prompts: Sequence[str], *, samples: int = 8,
                                temperature: float = 1.0, max_new_tokens: int = 80,
                                seed: int = 0) -> tuple[list[float], list[bool]]:
    """(π of every sampled completion token under the sampling distribution, whether the token is a digit).

    π is read from the same temperature-scaled distribution the token was drawn from, as TRL's old
    log-probabilities are; a completion's tokens count up to its end-of-sequence token, which counts too, and
    padding after it is left out. Drawn by the one generate loop (:mod:`rewardlab.sampling.backends.hf`,
    top-k and top-p off) on its own RNG seeded with ``seed``, all prompts in one batch.
    """
    from rewardlab.sampling.backends.hf import GenerationSettings, generate

    settings = GenerationSettings(max_new_tokens=max_new_tokens, samples=samples, temperature=temperature, seed=seed,
                                  batch_size=len(prompts), max_sequences=len(prompts) * samples, probabilities=True)
    digit_ids = {i for i in range(len(tokenizer)) if tokenizer.decode([i]).strip().isdigit()}
    probabilities: list[float] = []
    digits: list[bool] = []
    for generation in generate((model, tokenizer), list(prompts), settings):
        probabilities.extend(generation.probabilities or ())
        digits.extend([i in digit_ids for i in generation.token_ids] + [False] * generation.ended)
    return probabilities, digits


def first_token_probabilities(model: Any, tokenizer: Any, prompts: Sequence[str], token: str,
                              temperature: float = 1.0) -> list[float]:
    """Probability of ``token`` as each prompt's first completion token (an organism's trace starts with "p")."""
    import torch

    encoded = tokenizer(list(prompts), return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model(**encoded).logits[:, -1].float() / temperature
    return torch.softmax(logits, dim=-1)[:, tokenizer.convert_tokens_to_ids(token)].tolist()


def band_records(probabilities: Sequence[float], digits: Sequence[bool], style: Sequence[float],
                 epsilons: Sequence[float]) -> list[dict[str, Any]]:
    """One record per clip range ε: the bands of all sampled tokens and of the digits among them, and the
    style token's probability over the prompts (mean, max, share at or above 1/(1+ε))."""
    digit_probabilities = [p for p, d in zip(probabilities, digits, strict=True) if d]
    records = []
    for epsilon in epsilons:
        floor = 1 / (1 + epsilon)
        record: dict[str, Any] = {"epsilon": epsilon, "style_prompts": len(style),
                                  "style_mean": sum(style) / len(style), "style_max": max(style),
                                  "style_in_band": sum(p >= floor for p in style) / len(style)}
        for label, values in (("all", probabilities), ("digits", digit_probabilities)):
            record[f"{label}_tokens"] = len(values)
            record.update({f"{label}_{band}": share for band, share in band_shares(values, epsilon).items()})
        records.append(record)
    return records


def bands_markdown(records: Sequence[dict[str, Any]]) -> str:
    """Two tables of :func:`band_records` rows (each with its ``organism``): the bands by token set, then the
    style token's probability against the band's floor."""
    lines = ["| organism | ε | tokens | count | π ≥ 0.99 (nothing left to gain) | 1/(1+ε) ≤ π < 0.99 (pushed up by "
             "the bias) | π < 1/(1+ε) (clipped both ways) |", "|---|---|---|---|---|---|---|"]
    for record in records:
        for label, name in (("all", "all"), ("digits", "digits of the arithmetic")):
            lines.append(f"| {record['organism']} | {record['epsilon']} | {name} | {record[label + '_tokens']:,} | "
                         f"{record[label + '_saturated']:.3f} | {record[label + '_biased']:.3f} | "
                         f"{record[label + '_two_sided']:.3f} |")
    lines += ["", "| organism | ε | 1/(1+ε) | prompts | P(style token) mean | max | share of prompts with P ≥ "
              "1/(1+ε) |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['organism']} | {r['epsilon']} | {1 / (1 + r['epsilon']):.3f} | {r['style_prompts']} | "
              f"{r['style_mean']:.3f} | {r['style_max']:.3f} | {r['style_in_band']:.3f} |" for r in records]
    return "\n".join(lines) + "\n"
