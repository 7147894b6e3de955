"""A randomly initialised model of a real model's shape: checks of speed and memory without its weights.

Weights are what cannot travel to a machine with no network; a config and a tokenizer (a few MB) can.
:func:`random_like` saves a folder that every loader of rewardlab reads like the real model.
"""

from __future__ import annotations

from pathlib import Path


def random_like(source: str, out_dir: str | Path, *, dtype: str = "bfloat16", seed: int = 0) -> Path:
    """Save to ``out_dir`` a model with ``source``'s config and tokenizer and random weights.

    ``source`` is anything ``model.name`` accepts (``smollm2``, a local folder, a hub id that is cached).
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from rewardlab.models.smollm2 import resolve_model_path

    path = resolve_model_path(source)
    config = AutoConfig.from_pretrained(path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    out = Path(out_dir)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
