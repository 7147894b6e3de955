"""rewardlab: compose reward signals for RLVR, train GRPO with them, and see what each one does."""

from rewardlab.registry import ConfigError, Registry, build_reward, default_registry
from rewardlab.rewards import Reward
from rewardlab.types import RewardResult, RolloutBatch

__all__ = ["ConfigError", "Registry", "Reward", "RewardResult", "RolloutBatch", "build_reward", "default_registry"]
__version__ = "0.1.0"
