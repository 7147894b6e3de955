"""Pass@k-objective advantages: train for the best of k samples instead of the mean sample.

Chen et al. 2025, "Pass@k Training for Adaptively Balancing Exploration and Exploitation" (arXiv 2508.10751;
code RUCAIBox/Passk_Training ``code/passk_adv.py``, ``calc_adv``, lines 10–19). For a group of N samples of which
N_neg are wrong, the group reward of a k-subset is 1 when any of its samples is right; its mean over the subsets is
the unbiased pass@k estimate, and each sample's advantage is what the subsets holding it score above that mean:

    R̄ = 1 − C(N_neg, k) / C(N, k),   σ = √(R̄ (1 − R̄)),
    Â_pos = (1 − R̄) / σ,   Â_neg = (1 − R̄ − C(N_neg − 1, k − 1) / C(N − 1, k − 1)) / σ.

With k = 1 this is GRPO's group normalisation with the population std. PKPO (Walder and Karkhanis 2025, arXiv
2505.15201) derives the same objective's unbiased estimators for continuous rewards as well; this transform is the
binary case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rewardlab.advantages.base import AdvantageTransform
from rewardlab.configurable import config_field

if TYPE_CHECKING:
    import torch  # imported where tensors are computed: listing and checking configs need no torch


def passk_advantages(n: int, n_wrong: int, k: int, eps: float) -> tuple[float, float]:
    """(Â_pos, Â_neg) of a group of ``n`` samples with ``n_wrong`` wrong, for pass@``k`` (see the module docstring)."""
    mean = 1.0 - math.comb(n_wrong, k) / math.comb(n, k)
    sigma = math.sqrt(mean * (1.0 - mean))
    miss_with = math.comb(n_wrong - 1, k - 1) / math.comb(n - 1, k - 1) if n_wrong >= 1 else 0.0
    return (1.0 - mean) / (sigma + eps), (1.0 - mean - miss_with) / (sigma + eps)


@dataclass(frozen=True)
class PassAtK(AdvantageTransform):
    """Pass@k advantages (Chen et al. 2025): Â_pos = (1 − R̄)/σ, Â_neg = (1 − R̄ − C(N_neg−1, k−1)/C(N−1, k−1))/σ.

    R̄ = 1 − C(N_neg, k)/C(N, k) is the group's unbiased pass@k, σ = √(R̄(1 − R̄)). A sample is right when its
    reward exceeds ``threshold``; samples without signal (NaN) are left out of N and stay NaN, and a group with
    fewer than ``k`` signals gets NaN (advantage 0). A group all right or all wrong gets 0. Decided by the raw
    rewards, so it belongs first in a chain.

    YAML: ``advantage: {type: pass_at_k, k: 4}``
    """

    type_name: ClassVar[str] = "pass_at_k"

    k: int = config_field(4, help="the k of the pass@k objective: 1 is GRPO with the population std; below the "
                                     "group size (k = group size leaves no signal: every subset is the group)")
    threshold: float = config_field(0.5, help="a sample is right when its reward is strictly greater than this")
    eps: float = config_field(1e-6, help="added to σ before dividing (the paper's code: 1e-6)")

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if not (math.isfinite(self.eps) and self.eps > 0):
            raise ValueError(f"eps must be a finite number > 0, got {self.eps}")

    def group_size_problem(self, num_generations: int) -> str | None:
        if self.k < num_generations:
            return None
        return (f"pass_at_k with k = {self.k} needs groups larger than k, but num_generations is {num_generations}: "
                f"{'every k-subset is the whole group' if self.k == num_generations else 'no group has k samples'}, "
                f"so every advantage would be 0 and the policy would never move. "
                f"Write k: {max(1, num_generations - 1)} or less, or raise trl.num_generations above {self.k}")

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        import torch

        out = torch.full_like(rewards, math.nan)
        valid = ~torch.isnan(rewards)
        right = rewards > self.threshold
        for g in torch.unique(group_ids).tolist():
            members = (group_ids == g) & valid
            n = int(members.sum())
            if n < self.k:
                continue
            n_wrong = int((members & ~right).sum())
            positive, negative = passk_advantages(n, n_wrong, self.k, self.eps)
            out[members & right] = positive
            out[members & ~right] = negative
        return out
