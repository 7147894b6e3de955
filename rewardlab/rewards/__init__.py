"""Rewards: each a frozen dataclass with ``score(batch) -> RewardResult`` and a TRL-compatible call."""

from rewardlab.judge.reward import JudgeReward
from rewardlab.rewards.abstention import AbstentionMatcher, TernaryReward
from rewardlab.rewards.base import Reward, config_field
from rewardlab.rewards.calibration import BrierReward
from rewardlab.rewards.combinators import Affine, Clip, Gate, Inverse, Scale, Term, WeightedSum
from rewardlab.rewards.consistency import SelfConsistency, majority_vote
from rewardlab.rewards.correctness import BinaryCorrectness, IncorrectLabel, incorrect_labels
from rewardlab.rewards.spurious import ContainsPython, FormatReward, RandomReward

BUILTIN_REWARDS: tuple[type[Reward], ...] = (
    BinaryCorrectness, IncorrectLabel, RandomReward, FormatReward, ContainsPython,
    WeightedSum, Gate, Inverse, Clip, Scale, Affine, SelfConsistency, BrierReward, TernaryReward,
    JudgeReward,
)

__all__ = [
    "BUILTIN_REWARDS", "AbstentionMatcher", "Affine", "BinaryCorrectness", "BrierReward", "Clip", "ContainsPython",
    "FormatReward", "Gate", "IncorrectLabel", "Inverse", "JudgeReward", "RandomReward", "Reward", "Scale",
    "SelfConsistency", "Term", "TernaryReward", "WeightedSum", "config_field", "incorrect_labels", "majority_vote",
]
