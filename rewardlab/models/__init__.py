"""Models rewardlab trains: tiny Llamas built in code (:mod:`rewardlab.models.tiny`) and SmolLM2-135M-Instruct
converted from a locally installed GGUF (:mod:`rewardlab.models.smollm2`).

Importing this package does not import torch or transformers.
"""

from __future__ import annotations

from rewardlab.models.smollm2 import (
    MODEL_SPEC,
    SmolLM2NotInstalledError,
    load_smollm2,
    resolve_model_path,
    smollm2_dir,
    smollm2_gguf_path,
)

__all__ = [
    "MODEL_SPEC",
    "SmolLM2NotInstalledError",
    "load_smollm2",
    "resolve_model_path",
    "smollm2_dir",
    "smollm2_gguf_path",
]
