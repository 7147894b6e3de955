"""Sampling a model on math problems into a rollouts file that ``rewardlab score`` reads.

One job per module: ``settings`` (:class:`SampleSettings`), ``problems`` (the problems and their
prompts), ``requests`` (one :class:`SampleRequest` per sample), ``writer`` (the resumable output
file), ``backends`` (a local transformers model, an OpenAI-compatible endpoint, vLLM's offline
engine) and ``run`` (:func:`sample_to_file`, which ties them together).
"""

from rewardlab.sampling.run import sample_to_file
from rewardlab.sampling.settings import BACKENDS, SampleSettings

__all__ = ["BACKENDS", "SampleSettings", "sample_to_file"]
