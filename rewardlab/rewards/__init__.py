"""Rewards: each a frozen dataclass with ``score(batch) -> RewardResult`` and a TRL-compatible call."""

from rewardlab.rewards.base import Reward, config_field
from rewardlab.rewards.combinators import Affine, Clip, Gate, Inverse, Scale, Term, WeightedSum
from rewardlab.rewards.correctness import BinaryCorrectness, IncorrectLabel, incorrect_labels
from rewardlab.rewards.spurious import ContainsPython, FormatReward, RandomReward

BUILTIN_REWARDS: tuple[type[Reward], ...] = (
    BinaryCorrectness, IncorrectLabel, RandomReward, FormatReward, ContainsPython,
    WeightedSum, Gate, Inverse, Clip, Scale, Affine,
)

__all__ = [
    "BUILTIN_REWARDS", "Affine", "BinaryCorrectness", "Clip", "ContainsPython", "FormatReward", "Gate",
    "IncorrectLabel", "Inverse", "RandomReward", "Reward", "Scale", "Term", "WeightedSum", "config_field",
    "incorrect_labels",
]
