"""Rewards that carry little or no information about correctness (Spurious Rewards, Shao et al. 2025).

They are the controls of every reward-design experiment: if a model gains as much from these as
from ground truth, the gain was elicited, not taught.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from rewardlab.answers.extraction import has_boxed_answer
from rewardlab.metrics.behaviour import has_code_reasoning
from rewardlab.rewards.base import Reward, config_field
from rewardlab.types import RewardResult, RolloutBatch


def bernoulli_draws(p: float, seed: int, step: int, indices: tuple[int, ...]) -> list[bool]:
    """1[u < p] with u a pure function of (seed, step, sample index): replays exactly, agrees across processes."""
    return [np.random.default_rng([seed, step, index]).random() < p for index in indices]


@dataclass(frozen=True)
class RandomReward(Reward):
    """Random reward: r ~ Bernoulli(p), independent of the completion.

    Spurious Rewards (Shao et al. 2025, §2.2) uses p = γ = 0.5; its ablation γ ∈ {0.7, 0.5, 0.3,
    0.001} all gain on Qwen2.5-Math-7B, γ = 0 gives no learning (constant reward, zero advantage).
    The draw is a pure function of (seed, training step, global sample index), so a run replays
    exactly and every process draws the same value for the same sample.

    >>> RandomReward(p=1.0)(prompts=["q"], completions=["anything"])
    [1.0]
    """

    type_name: ClassVar[str] = "random"

    p: float = config_field(0.5, help="probability of reward 1 (the paper's γ)")
    seed: int = config_field(0, help="seed of the draws; with the step and sample index it fixes each draw")

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"p is a probability and must lie in [0, 1], got {self.p}")

    def score(self, batch: RolloutBatch) -> RewardResult:
        draws = bernoulli_draws(self.p, self.seed, batch.step, batch.indices)
        return RewardResult(scores=tuple(float(d) for d in draws))


@dataclass(frozen=True)
class FormatReward(Reward):
    """Format-only reward: r = 1 iff the completion's last ``\\boxed{}`` closes and is not empty.

    Spurious Rewards (Shao et al. 2025, §2.2, ``box_only_format``): "at least one non-empty
    \\boxed{}", read from the last ``boxed`` with brace matching; the content is never checked.
    Diagnostic: ``boxed``.

    >>> FormatReward()(prompts=["q", "q"], completions=["\\\\boxed{7}", "\\\\boxed{}"])
    [1.0, 0.0]
    """

    type_name: ClassVar[str] = "format"

    def score(self, batch: RolloutBatch) -> RewardResult:
        boxed = tuple(has_boxed_answer(c) for c in batch.completions)
        return RewardResult(scores=tuple(float(b) for b in boxed), diagnostics={"boxed": boxed})


@dataclass(frozen=True)
class ContainsPython(Reward):
    """Code-reasoning indicator: r = 1 iff ``"python"`` occurs in the lower-cased completion.

    Spurious Rewards (Shao et al. 2025, §4.2) measures Qwen2.5-Math's "code reasoning" this way
    (65% of MATH-500 answers before RL, >90% after spurious-reward RL) and trains on it as a reward
    (``contain_python_wo_backticks``); ``backticks=True`` asks for a fenced block, "```python".
    """

    type_name: ClassVar[str] = "contains_python"

    backticks: bool = config_field(False, help="require a fenced '```python' block, not just the word")

    def score(self, batch: RolloutBatch) -> RewardResult:
        if self.backticks:
            hits = tuple("```python" in c.lower() for c in batch.completions)
        else:
            hits = tuple(has_code_reasoning(c) for c in batch.completions)
        return RewardResult(scores=tuple(float(h) for h in hits))
