"""Advantage transforms: how rewards become advantages, as composable, configurable objects.

A transform maps the advantages so far (the rewards at the start) of the whole generation batch to
new ones, seeing the raw rewards and each sample's group id; ``chain`` composes them and is a
transform itself. :func:`compute_advantages` runs one and sends NaN (no signal) to 0.

>>> import torch
>>> transform = build_advantage({"type": "chain", "transforms": ["group_norm", {"type": "clip", "low": -2, "high": 2}]})
>>> compute_advantages(transform, torch.tensor([1.0, 0.0, 1.0, float("nan")]), torch.tensor([0, 0, 1, 1]))
tensor([ 0.7070, -0.7070,  0.0000,  0.0000])

Built in: ``group_norm`` (GRPO), ``dr_grpo``, ``rloo``, ``batch_scale``, ``sign_weights`` with the
recipes ``nsr``, ``psr`` and ``w_reinforce``, ``pass_at_k``, ``clip``, ``scale`` and ``chain``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rewardlab.advantages.base import AdvantageTransform, Chain, compute_advantages
from rewardlab.advantages.passk import PassAtK
from rewardlab.advantages.sign import NSR, PSR, SignWeights, WReinforce
from rewardlab.advantages.stats import GroupStats, batch_stats, group_index, group_stats
from rewardlab.advantages.transforms import RLOO, BatchScale, Clip, DrGRPO, GroupNorm, Scale
from rewardlab.registry import Registry

AdvantageSpec = str | Mapping[str, Any] | AdvantageTransform

BUILTIN_ADVANTAGES: tuple[type[AdvantageTransform], ...] = (
    GroupNorm, DrGRPO, RLOO, BatchScale, SignWeights, NSR, PSR, WReinforce, PassAtK, Clip, Scale, Chain,
)


@lru_cache(maxsize=1)
def default_advantage_registry() -> Registry:
    """Every advantage transform that ships with rewardlab."""
    return Registry.of(*BUILTIN_ADVANTAGES, base=AdvantageTransform, kind="advantage transform")


def build_advantage(spec: AdvantageSpec, registry: Registry | None = None) -> AdvantageTransform:
    """Build a transform from a name, a ``{type: name, ...}`` mapping, or return a transform as is.

    >>> build_advantage("nsr")
    NSR(positive=0.0, negative=-1.0, threshold=0.5)
    """
    return (registry or default_advantage_registry()).build(spec)


__all__ = [
    "BUILTIN_ADVANTAGES", "NSR", "PSR", "RLOO", "AdvantageSpec", "AdvantageTransform", "BatchScale", "Chain", "Clip",
    "DrGRPO", "GroupNorm", "GroupStats", "PassAtK", "Scale", "SignWeights", "WReinforce", "batch_stats",
    "build_advantage",
    "compute_advantages", "default_advantage_registry", "group_index", "group_stats",
]
