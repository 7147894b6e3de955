"""rewardlab: compose reward signals for RLVR, train GRPO with them, and see what each one does.

The names below are imported on first use (PEP 562), so that ``import rewardlab.<module>`` runs only
what that module needs: the command line answers ``rewardlab list`` without loading every reward,
and no module of the package reaches back up through this one.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rewardlab.catalogue import build_reward, default_registry
    from rewardlab.registry import ConfigError, Registry
    from rewardlab.rewards.base import Reward
    from rewardlab.types import RewardResult, RolloutBatch

_HOMES = {
    "ConfigError": "rewardlab.registry", "Registry": "rewardlab.registry", "Reward": "rewardlab.rewards.base",
    "RewardResult": "rewardlab.types", "RolloutBatch": "rewardlab.types",
    "build_reward": "rewardlab.catalogue", "default_registry": "rewardlab.catalogue",
}

__all__ = ["ConfigError", "Registry", "Reward", "RewardResult", "RolloutBatch", "build_reward", "default_registry"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'rewardlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
