"""Rewards that read the policy: self-certainty, negative entropy, reference-answer probability.

Each is a :class:`~rewardlab.rewards.policy.base.PolicyReward`: scored from the batch's policy view, which
rewardlab's trainer provides from the policy being trained and ``rewardlab score/eval --policy MODEL`` from a
loaded model (see :mod:`rewardlab.policy`).
"""

from rewardlab.rewards.policy.base import PolicyReward
from rewardlab.rewards.policy.certainty import NegativeEntropy, SelfCertainty
from rewardlab.rewards.policy.reference import ReferenceProbability

POLICY_REWARDS = (SelfCertainty, NegativeEntropy, ReferenceProbability)

__all__ = ["POLICY_REWARDS", "NegativeEntropy", "PolicyReward", "ReferenceProbability", "SelfCertainty"]
