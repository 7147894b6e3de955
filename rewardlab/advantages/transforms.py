"""Baselines and normalisations: group_norm (GRPO), dr_grpo, rloo, batch_scale, and element-wise clip and scale.

Each maps the incoming advantages ``a`` (the rewards at the start of a chain) with statistics of
``a`` itself, ignoring NaN (no signal), which stays NaN. ``batch_scale`` may instead divide by the
spread of the raw rewards, as TRL's ``scale_rewards="batch"`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

from rewardlab.advantages.base import AdvantageTransform
from rewardlab.advantages.stats import batch_stats, group_stats
from rewardlab.configurable import config_field

if TYPE_CHECKING:
    import torch  # imported where tensors are computed: listing and checking configs need no torch

_EPS_HELP = "added to the std before dividing (TRL 1e-4; Spurious Rewards' OpenRLHF 1e-9); must be > 0"


def _check_eps(eps: float) -> None:
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0 (TRL uses 1e-4), got {eps}")


@dataclass(frozen=True)
class GroupNorm(AdvantageTransform):
    """GRPO's group normalisation: A_i = (a_i − mean_g) / (std_g + eps), over the samples of i's group g.

    Shao et al. 2024, "DeepSeekMath" (arXiv 2402.03300). std_g is unbiased (Bessel), as TRL's
    ``nanstd``, so with the default ``eps = 1e-4`` this equals stock TRL's advantages
    (``scale_rewards="group"``). NaN entries are left out of mean_g and std_g; a group with fewer
    than two signals gets A = 0. ``scale: false`` keeps the centring only: A_i = a_i − mean_g
    (Dr. GRPO, see :class:`DrGRPO`; TRL's ``scale_rewards="none"``).
    """

    type_name: ClassVar[str] = "group_norm"

    scale: bool = config_field(True, help="divide by the group std (false: Dr. GRPO, centring only)")
    eps: float = config_field(1e-4, help=_EPS_HELP)

    def __post_init__(self) -> None:
        _check_eps(self.eps)

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        stats = group_stats(advantages, group_ids)
        centred = advantages - stats.mean
        return centred / (stats.std + self.eps) if self.scale else centred


@dataclass(frozen=True)
class DrGRPO(GroupNorm):
    """Dr. GRPO's advantage: A_i = a_i − mean_g, no division by the group std.

    Liu et al. 2025, "Understanding R1-Zero-Like Training: A Critical Perspective" (arXiv 2503.20783).
    Exactly ``{type: group_norm, scale: false}`` under its own name, with no fields. The other half of
    Dr. GRPO is the loss normalised by a constant instead of each completion's length: set
    ``loss_type: dr_grpo`` in the ``trl:`` section.
    """

    type_name: ClassVar[str] = "dr_grpo"

    scale: bool = field(default=False, init=False)
    eps: float = field(default=1e-4, init=False)


@dataclass(frozen=True)
class RLOO(AdvantageTransform):
    """REINFORCE leave-one-out: A_i = a_i − mean_{j∈g, j≠i} a_j = n_g / (n_g − 1) · (a_i − mean_g).

    Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style Optimization for Learning from
    Human Feedback in LLMs" (arXiv 2402.14740); SRT (Shafayat et al. 2025) trains with it. n_g counts
    the samples of the group with a signal; a group with fewer than two gets A = 0.
    """

    type_name: ClassVar[str] = "rloo"

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        import torch

        stats = group_stats(advantages, group_ids)
        factor = torch.where(stats.count > 1, stats.count / (stats.count - 1.0).clamp(min=1.0), 0.0)
        return factor * (advantages - stats.mean)


@dataclass(frozen=True)
class BatchScale(AdvantageTransform):
    """Batch scaling: A = a / (std_batch + eps), one std over every sample of the batch with a signal.

    With ``std_of: rewards`` (default) std_batch is the spread of the raw rewards, so
    ``chain [dr_grpo, batch_scale]`` equals TRL's ``scale_rewards="batch"`` (group mean, batch std;
    Liu et al. 2025, "Tricks or Traps? A Deep Dive into RL for LLM Reasoning", arXiv 2508.08221).
    ``std_of: advantages`` uses the spread of the incoming advantages instead. A batch with fewer
    than two signals gets A = 0.
    """

    type_name: ClassVar[str] = "batch_scale"

    std_of: Literal["rewards", "advantages"] = config_field(
        "rewards", help="the std of the raw 'rewards' (TRL) or of the incoming 'advantages'")
    eps: float = config_field(1e-4, help=_EPS_HELP)

    def __post_init__(self) -> None:
        _check_eps(self.eps)

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        import torch

        stats = batch_stats(rewards if self.std_of == "rewards" else advantages)
        scaled = advantages / (stats.std + self.eps)
        return torch.where(stats.count > 1, scaled, scaled * 0.0)  # `* 0.0` keeps NaN (no signal) as NaN


@dataclass(frozen=True)
class Clip(AdvantageTransform):
    """Clip: A = min(max(a, low), high), e.g. after group_norm to bound the weight of rare outcomes."""

    type_name: ClassVar[str] = "clip"

    low: float = config_field(help="smallest advantage kept")
    high: float = config_field(help="largest advantage kept")

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"low must be <= high, got low={self.low}, high={self.high}")

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        return advantages.clamp(min=self.low, max=self.high)


@dataclass(frozen=True)
class Scale(AdvantageTransform):
    """Scale: A = factor · a."""

    type_name: ClassVar[str] = "scale"

    factor: float = config_field(help="multiplier of every advantage")

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        return self.factor * advantages
