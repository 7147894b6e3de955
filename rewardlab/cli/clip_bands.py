"""``rewardlab clip-bands``: where an organism's sampled tokens sit relative to PPO's clip.

The measurement is :mod:`rewardlab.organisms.clip_bands`; this command picks the organisms (built-in ones or
variants of a bench grid), samples each as the grid's cells do, prints the bands (the tables docs/results.md
shows) and, with ``--json``, writes one record per organism and clip range (with the organism's config key, so
a table made from them can tell when the code defines the organism differently).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardlab.registry import ConfigError, suggest


def run_clip_bands(organisms: Sequence[str], *, grid_path: str | None = None, epsilons: Sequence[float] = (0.2,),
                   n: int = 200, samples: int = 8, json_path: str | None = None) -> int:
    """Print the clip bands of each organism's sampled tokens (all tokens, and the digits of its arithmetic)."""
    from rewardlab.bench.config import load_bench_config
    from rewardlab.organisms.clip_bands import bands_markdown
    from rewardlab.organisms.pretrain import ORGANISMS

    grid = load_bench_config(grid_path)
    known = [*ORGANISMS, *(variant.name for variant in grid.organism_variants)]
    for organism in organisms:
        if organism not in known:
            raise ConfigError(f"unknown organism {organism!r}; {suggest(organism, known)}available: "
                              f"{', '.join(known)}{'' if grid_path else ' (or a variant of a grid given with --grid)'}")
    records = [{**record, "grid": grid_path} for organism in organisms
               for record in _measure(grid, organism, epsilons, n, samples)]
    print(bands_markdown(records), end="")
    if json_path is not None:
        Path(json_path).write_text("".join(json.dumps(record) + "\n" for record in records))
        print(f"records: {json_path}")
    return 0


def _measure(grid: Any, organism: str, epsilons: Sequence[float], n: int, samples: int) -> list[dict[str, Any]]:
    from rewardlab.organisms.clip_bands import band_records, first_token_probabilities, sampled_token_probabilities
    from rewardlab.organisms.evaluate import heldout_problems
    from rewardlab.organisms.pretrain import load_organism
    from rewardlab.organisms.shipped import organism_folder

    config = grid.organism(organism)
    model, tokenizer = load_organism(organism_folder(config, use_shipped=grid.pretrain == "shipped"))
    model.eval()
    # The grid's held-out problems and sampling settings, as its cells meet them.
    prompts, _ = heldout_problems(n, unanswerable_share=grid.unanswerable_share)
    temperature = grid.trl_value("temperature")
    probabilities, digits = sampled_token_probabilities(model, tokenizer, prompts, samples=samples,
                                                        temperature=temperature,
                                                        max_new_tokens=grid.trl_value("max_completion_length"))
    style = first_token_probabilities(model, tokenizer, prompts, "p", temperature=temperature)
    head = {"organism": organism, "organism_key": config.key(), "problems": n, "samples": samples,
            "temperature": temperature}
    return [{**head, **record} for record in band_records(probabilities, digits, style, epsilons)]
