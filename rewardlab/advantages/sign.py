"""Sign weights: a fixed advantage for correct and for wrong samples, and the NSR / PSR / W-REINFORCE recipes.

Zhu et al. 2025, "The Surprising Effectiveness of Negative Reinforcement in LLM Reasoning"
(arXiv 2506.01347; code TianHongZXY/RLVR-Decomposed, ``compute_psr_nsr_outcome_advantage``).
With verifier score s ∈ {0, 1}: PSR trains on correct samples only (A = 1), NSR on wrong samples
only (A = −1), W-REINFORCE on both with the positive term down-weighted (A = λ = 0.1 or −1).
No baseline, no group mean, no std normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rewardlab.advantages.base import AdvantageTransform
from rewardlab.configurable import config_field

if TYPE_CHECKING:
    import torch  # imported where tensors are computed: listing and checking configs need no torch

_POSITIVE_HELP = "advantage of a correct sample (reward > threshold)"
_NEGATIVE_HELP = "advantage of a wrong sample (reward <= threshold)"
_THRESHOLD_HELP = "a sample is correct when its reward is strictly greater than this"


@dataclass(frozen=True)
class SignWeights(AdvantageTransform):
    """Sign weights: A_i = positive if r_i > threshold, else negative; NaN rewards stay NaN (→ 0).

    Decided by the raw rewards: the incoming advantages are replaced, so this belongs first in a
    chain (e.g. ``chain [nsr, {type: scale, factor: 0.5}]``). The named recipes ``nsr``, ``psr``
    and ``w_reinforce`` are this transform with other defaults.

    A sample given 0 contributes no gradient but, unlike the paper's code, which drops it from the
    batch, still counts in TRL's per-token loss normaliser (``loss_type``), so the step is smaller
    by about the fraction of samples kept; scale the learning rate if matching the paper matters.
    """

    type_name: ClassVar[str] = "sign_weights"

    positive: float = config_field(help=_POSITIVE_HELP)
    negative: float = config_field(help=_NEGATIVE_HELP)
    threshold: float = config_field(0.5, help=_THRESHOLD_HELP)

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        import torch

        weights = torch.where(rewards > self.threshold, rewards.new_tensor(self.positive),
                              rewards.new_tensor(self.negative))
        return torch.where(torch.isnan(rewards), rewards, weights)


@dataclass(frozen=True)
class NSR(SignWeights):
    """Negative sample reinforcement: A = 0 for correct, −1 for wrong samples (only mistakes are pushed down).

    Zhu et al. 2025, L_NSR = E_x[Σ_{y: r=−1} π_θ(y|x)]; best Pass@k at large k in their Table 1.
    """

    type_name: ClassVar[str] = "nsr"

    positive: float = config_field(0.0, help=_POSITIVE_HELP)
    negative: float = config_field(-1.0, help=_NEGATIVE_HELP)


@dataclass(frozen=True)
class PSR(SignWeights):
    """Positive sample reinforcement: A = 1 for correct, 0 for wrong samples (SFT on own correct samples).

    Zhu et al. 2025, L_PSR = −E_x[Σ_{y: r=+1} π_θ(y|x)].
    """

    type_name: ClassVar[str] = "psr"

    positive: float = config_field(1.0, help=_POSITIVE_HELP)
    negative: float = config_field(0.0, help=_NEGATIVE_HELP)


@dataclass(frozen=True)
class WReinforce(SignWeights):
    """Weighted REINFORCE: A = λ for correct, −1 for wrong samples, λ = ``positive`` = 0.1.

    Zhu et al. 2025, L = λ·L_PSR + L_NSR (λ = 1 is REINFORCE with ±1 rewards, λ = 0 is NSR).
    """

    type_name: ClassVar[str] = "w_reinforce"

    positive: float = config_field(0.1, help="λ: advantage of a correct sample (reward > threshold)")
    negative: float = config_field(-1.0, help=_NEGATIVE_HELP)
