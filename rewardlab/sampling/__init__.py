"""Sampling a model on math problems into a rollouts file that ``rewardlab score`` reads.

One job per module: ``settings`` (:class:`SampleSettings`), ``problems`` (the problems and their
prompts), ``requests`` (one :class:`~rewardlab.sampling.requests.SampleRequest` per sample), ``writer``
(the resumable output file), ``progress``, ``errors``, ``backends`` (a local transformers model, an
OpenAI-compatible endpoint, vLLM's offline engine) and ``run`` (:func:`sample_to_file`, which ties them
together). Only the settings load with the package (the command line builds its flags from them);
``sample_to_file`` and what it needs load on first use.
"""

from __future__ import annotations

from typing import Any

from rewardlab.sampling.settings import BACKENDS, SampleSettings


def __getattr__(name: str) -> Any:
    if name != "sample_to_file":
        raise AttributeError(f"module 'rewardlab.sampling' has no attribute {name!r}")
    from rewardlab.sampling.run import sample_to_file

    globals()[name] = sample_to_file  # later look-ups skip this function
    return sample_to_file


__all__ = ["BACKENDS", "SampleSettings", "sample_to_file"]
