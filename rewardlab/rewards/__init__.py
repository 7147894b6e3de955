"""Rewards: each a frozen dataclass with ``score(batch) -> RewardResult`` and a TRL-compatible call.

This package holds the base class and the rule-based rewards; the model-based ``judge`` reward lives
in :mod:`rewardlab.judge`, a floor above, and :mod:`rewardlab.catalogue` lists both.
"""

from rewardlab.rewards.abstention import AbstentionMatcher, TernaryReward
from rewardlab.rewards.base import Reward, config_field
from rewardlab.rewards.calibration import BrierReward
from rewardlab.rewards.combinators import Affine, Clip, Gate, Inverse, Scale, Term, WeightedSum
from rewardlab.rewards.consistency import SelfConsistency, majority_vote
from rewardlab.rewards.correctness import BinaryCorrectness, IncorrectLabel, incorrect_labels
from rewardlab.rewards.length import LengthCosine, Overlong
from rewardlab.rewards.policy import POLICY_REWARDS, NegativeEntropy, ReferenceProbability, SelfCertainty
from rewardlab.rewards.spurious import ContainsPython, FormatReward, RandomReward

RULE_REWARDS: tuple[type[Reward], ...] = (
    BinaryCorrectness, IncorrectLabel, RandomReward, FormatReward, ContainsPython,
    WeightedSum, Gate, Inverse, Clip, Scale, Affine, SelfConsistency, BrierReward, TernaryReward,
    Overlong, LengthCosine, *POLICY_REWARDS,
)
"""The rewards defined in this package (``rewardlab.catalogue.BUILTIN_REWARDS`` adds the judge)."""

__all__ = [
    "RULE_REWARDS",
    "AbstentionMatcher",
    "Affine",
    "BinaryCorrectness",
    "BrierReward",
    "Clip",
    "ContainsPython",
    "FormatReward",
    "Gate",
    "IncorrectLabel",
    "Inverse",
    "LengthCosine",
    "NegativeEntropy",
    "Overlong",
    "RandomReward",
    "ReferenceProbability",
    "Reward",
    "Scale",
    "SelfCertainty",
    "SelfConsistency",
    "Term",
    "TernaryReward",
    "WeightedSum",
    "config_field",
    "incorrect_labels",
    "majority_vote",
]
