"""Confidence rewards read from the policy: self-certainty (Intuitor) and negative entropy (RENT, EM-RL).

Both are scored by the policy being trained (rewardlab's trainer) or by a model named with ``--policy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from rewardlab.answers.extraction import last_boxed_span
from rewardlab.rewards.base import config_field
from rewardlab.rewards.policy.base import PolicyReward, mean
from rewardlab.types import RewardResult, RolloutBatch


@dataclass(frozen=True)
class SelfCertainty(PolicyReward):
    """Self-certainty (Intuitor): r = (1/|o|) Σ_i KL(U ‖ p_θ(·|q, o_<i)), the policy's mean distance from uniform.

    Zhao, Kang, Levine, Song 2025, "Learning to Reason without External Rewards", arXiv 2505.19590.

    The mean over the completion's tokens of the KL divergence from the uniform distribution over the vocabulary to
    the policy's next-token distribution: high when the policy is sure of each next token, whichever it wrote.
    Intuitor's code (``self_certainty_from_logits``: logsumexp(z) − mean(z)) adds the constant log|V|, which group
    normalisation removes. An empty completion gives ``None``. Diagnostics: ``self_certainty`` (the score),
    ``tokens``.

    YAML: ``reward: self_certainty``
    """

    type_name: ClassVar[str] = "self_certainty"

    def score(self, batch: RolloutBatch) -> RewardResult:
        stats = self.view(batch).stats()
        scores = tuple(mean(s.self_certainty) for s in stats)
        return RewardResult(scores, {"self_certainty": scores, "tokens": tuple(len(s) for s in stats)})


@dataclass(frozen=True)
class NegativeEntropy(PolicyReward):
    """Negative entropy (RENT; EM-RL): r = −(1/|S|) Σ_{i∈S} H(p_θ(·|q, o_<i)), the policy's mean token entropy.

    RENT: Prabhudesai et al. 2025, arXiv 2505.22660; EM-RL: Agarwal et al. 2025, arXiv 2505.15134.

    ``S`` is every completion token (``span: completion``) or only the tokens of the last ``\\boxed{}`` answer's
    content (``span: answer``; RENT finds the final answer's tokens matter most); a completion without a closed
    box then gives ``None``. Diagnostics: ``mean_entropy`` (H̄, nats), ``tokens`` (|S|).

    YAML: ``{type: entropy, span: answer}``
    """

    type_name: ClassVar[str] = "entropy"

    span: Literal["completion", "answer"] = config_field(
        "completion", help="tokens averaged: the whole completion, or the content of its last \\boxed{} answer")

    def score(self, batch: RolloutBatch) -> RewardResult:
        view = self.view(batch)
        stats = view.stats()
        spans: list[tuple[float, ...]] = []
        for i, s in enumerate(stats):
            if self.span == "completion":
                spans.append(s.entropies)
                continue
            chars = last_boxed_span(batch.completions[i])
            if chars is None or chars[0] == chars[1]:
                spans.append(())
                continue
            first, last = view.token_index(i, chars[0]), view.token_index(i, chars[1] - 1)
            spans.append(s.entropies[first:last + 1])
        means = tuple(mean(e) for e in spans)
        return RewardResult(tuple(None if m is None else -m for m in means),
                            {"mean_entropy": means, "tokens": tuple(len(e) for e in spans)})
