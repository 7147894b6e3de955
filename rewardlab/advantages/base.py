"""The advantage-transform protocol: one small interface that every transform and ``chain`` return.

A transform maps the advantages so far (the rewards at the start) to new advantages, seeing the
raw rewards and the group id of each sample. All tensors are 1-D over the whole generation batch
gathered from every process. NaN rewards mean "no signal": transforms keep them NaN and
:func:`compute_advantages` turns them into 0 at the very end, so those samples never move the policy.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rewardlab.configurable import Configurable, config_field

if TYPE_CHECKING:
    import torch  # imported where tensors are computed: listing and checking configs need no torch


@dataclass(frozen=True)
class AdvantageTransform(Configurable, abc.ABC):
    """Base of every advantage transform. Subclasses set ``type_name`` and implement :meth:`apply`."""

    @abc.abstractmethod
    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        """New advantages (length N) from the current ``advantages``, the raw ``rewards`` and ``group_ids``.

        NaN marks a sample without signal; an implementation keeps NaN where ``advantages`` is NaN.
        """

    def group_size_problem(self, num_generations: int) -> str | None:
        """Why groups of ``num_generations`` samples would leave this transform without any signal (``None``: they
        do not). Checked when a training config loads, so such a run is refused before it trains on zeros."""
        return None


@dataclass(frozen=True)
class Chain(AdvantageTransform):
    """Chain: A = t_k(… t_2(t_1(a))), each step seeing the same rewards and group ids (optax's ``chain``).

    YAML: ``{type: chain, transforms: [group_norm, {type: clip, low: -2, high: 2}]}``
    """

    type_name: ClassVar[str] = "chain"

    transforms: tuple[AdvantageTransform, ...] = config_field(help="transforms applied in order")

    def __post_init__(self) -> None:
        object.__setattr__(self, "transforms", tuple(self.transforms))
        if not self.transforms:
            raise ValueError("a chain needs at least one transform, e.g. transforms: [group_norm]")
        for t in self.transforms:
            if not isinstance(t, AdvantageTransform):
                raise TypeError(f"every step of a chain must be an AdvantageTransform, got {type(t).__name__}: {t!r}")

    def group_size_problem(self, num_generations: int) -> str | None:
        return next((p for t in self.transforms if (p := t.group_size_problem(num_generations)) is not None), None)

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        for t in self.transforms:
            advantages = t.apply(advantages, rewards, group_ids)
        return advantages


def compute_advantages(transform: AdvantageTransform, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
    """Advantages of a whole generation batch: ``transform`` applied from ``rewards.clone()``, then NaN → 0.

    ``rewards``: 1-D, NaN where a sample has no signal (integer rewards are converted to floats);
    ``group_ids``: 1-D integer ids of the same length (samples of one prompt share an id).
    """
    import torch

    if not isinstance(rewards, torch.Tensor) or not isinstance(group_ids, torch.Tensor):
        raise TypeError(f"rewards and group_ids must be torch tensors, got {type(rewards).__name__} "
                        f"and {type(group_ids).__name__}")
    if rewards.dim() != 1 or group_ids.shape != rewards.shape:
        raise ValueError(f"rewards and group_ids must be 1-D of the same length, got shapes "
                         f"{tuple(rewards.shape)} and {tuple(group_ids.shape)}")
    if group_ids.dtype.is_floating_point or group_ids.dtype.is_complex or group_ids.dtype == torch.bool:
        raise ValueError(f"group_ids must be integers (one id per prompt), got dtype {group_ids.dtype}")
    if not rewards.dtype.is_floating_point:
        rewards = rewards.to(torch.get_default_dtype())
    advantages = transform.apply(rewards.clone(), rewards, group_ids)
    if advantages.shape != rewards.shape:
        raise ValueError(f"advantage transform {transform.type_name or type(transform).__name__!r} returned shape "
                         f"{tuple(advantages.shape)}, expected {tuple(rewards.shape)}")
    return torch.where(torch.isnan(advantages), 0.0, advantages)
