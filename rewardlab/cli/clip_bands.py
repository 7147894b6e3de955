"""``rewardlab clip-bands``: where an organism's sampled tokens sit relative to PPO's clip.

The measurement is :mod:`rewardlab.organisms.clip_bands`; this command picks the organism (a built-in
one or a variant of a bench grid), samples it as the grid's cells do and prints the bands.
"""

from __future__ import annotations

from collections.abc import Sequence

from rewardlab.registry import ConfigError, suggest


def run_clip_bands(organism: str, *, grid_path: str | None = None, epsilons: Sequence[float] = (0.2,),
                   n: int = 200, samples: int = 8) -> int:
    """Print the clip bands of ``organism``'s sampled tokens (all tokens, and the digits of its arithmetic)."""
    from rewardlab.bench.config import load_bench_config
    from rewardlab.organisms.pretrain import ORGANISMS

    grid = load_bench_config(grid_path)
    known = [*ORGANISMS, *(variant.name for variant in grid.organism_variants)]
    if organism not in known:
        raise ConfigError(f"unknown organism {organism!r}; {suggest(organism, known)}available: {', '.join(known)}"
                          f"{'' if grid_path else ' (or a variant of a grid given with --grid)'}")

    from rewardlab.organisms.clip_bands import (
        SATURATED,
        band_shares,
        first_token_probabilities,
        sampled_token_probabilities,
    )
    from rewardlab.organisms.evaluate import heldout_problems
    from rewardlab.organisms.pretrain import load_organism
    from rewardlab.organisms.shipped import organism_folder

    model, tokenizer = load_organism(organism_folder(grid.organism(organism), use_shipped=grid.pretrain == "shipped"))
    model.eval()
    # The grid's held-out problems and sampling settings, as its cells meet them.
    prompts, _ = heldout_problems(n, unanswerable_share=grid.unanswerable_share)
    probabilities, digits = sampled_token_probabilities(model, tokenizer, prompts, samples=samples,
                                                        temperature=grid.trl_value("temperature"),
                                                        max_new_tokens=grid.trl_value("max_completion_length"))
    digit_probabilities = [p for p, d in zip(probabilities, digits, strict=True) if d]
    style = first_token_probabilities(model, tokenizer, prompts, "p", temperature=grid.trl_value("temperature"))
    for epsilon in epsilons:
        floor = 1 / (1 + epsilon)
        inside = sum(p >= floor for p in style) / len(style)
        print(f"{organism} ε={epsilon} style token (P of 'p' for python: first, {len(style)} prompts): "
              f"mean {sum(style) / len(style):.3f}, max {max(style):.3f}, share ≥ {floor:.3f}: {inside:.3f}")
        for label, values in (("all tokens", probabilities), ("digit tokens", digit_probabilities)):
            shares = band_shares(values, epsilon)
            print(f"{organism} ε={epsilon} {label} (n={len(values)}): π ≥ {SATURATED}: {shares['saturated']:.3f}"
                  f"  biased [{floor:.3f}, {SATURATED}): {shares['biased']:.3f}"
                  f"  two-sided: {shares['two_sided']:.3f}")
    return 0
