"""The rewards that ship with rewardlab, and building a reward from its config.

``build_reward("binary")``, ``build_reward({"type": "random", "p": 0.5, "seed": 0})`` or, for a
reward outside rewardlab, ``build_reward({"type": "my_package.rewards:LengthPenalty", ...})``.
``default_registry().with_rewards(MyReward)`` gives a new registry holding one more.

This module sits on the top floor of the package: it is the one place that gathers the rule-based
rewards of :mod:`rewardlab.rewards` and the model-based :class:`~rewardlab.judge.reward.JudgeReward`,
so that neither package needs to import the other's list.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rewardlab.judge.reward import JudgeReward
from rewardlab.judge.rubric import RubricReward
from rewardlab.registry import Registry
from rewardlab.rewards import RULE_REWARDS, Reward

RewardSpec = str | Mapping[str, Any] | Reward

BUILTIN_REWARDS: tuple[type[Reward], ...] = (*RULE_REWARDS, JudgeReward, RubricReward)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """Every reward that ships with rewardlab."""
    return Registry.of(*BUILTIN_REWARDS, base=Reward)


def build_reward(spec: RewardSpec, registry: Registry | None = None) -> Reward:
    """Build a reward from a name, a ``{type: name, ...}`` mapping, or return a reward as is.

    >>> build_reward({"type": "random", "p": 0.5, "seed": 0})
    RandomReward(p=0.5, seed=0)
    """
    return (registry or default_registry()).build(spec)
