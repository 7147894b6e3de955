"""The policy's view of its own completions, for rewards that read the policy (self-certainty, entropy, RLPR).

:mod:`rewardlab.policy.view` holds the plain data a reward reads and the protocol of its source (no torch);
:mod:`rewardlab.policy.compute` computes it from a transformers model, chunked and without gradient;
:mod:`rewardlab.policy.load` loads a model for ``rewardlab score/eval --policy MODEL``.
"""

from rewardlab.policy.view import PolicyRequired, PolicySource, PolicyView, TokenStats

__all__ = ["PolicyRequired", "PolicySource", "PolicyView", "TokenStats"]
