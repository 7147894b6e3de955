"""Nan-aware statistics of each group of samples: the pure, vectorised core that the transforms wrap.

Groups are given by arbitrary int64 ids: samples of one prompt share an id, groups need not be
contiguous and may differ in size. NaN means "no signal" and is left out of every statistic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch  # imported where tensors are computed: listing and checking configs need no torch


@dataclass(frozen=True)
class GroupStats:
    """Per-sample statistics of the sample's group (each tensor has the length of the batch).

    ``count`` is the number of non-NaN values in the group, ``mean`` their mean and ``std`` their
    standard deviation with Bessel's correction (TRL's ``nanstd``). A group with fewer than two
    values has no spread: its ``std`` is 0 here where TRL's is NaN; both give advantage 0 in the end.
    """

    count: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor


def group_index(group_ids: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Dense indices ``0..G-1`` for arbitrary group ids, and the number of groups ``G``."""
    import torch

    unique, inverse = torch.unique(group_ids, return_inverse=True)
    return inverse, unique.numel()


def group_stats(values: torch.Tensor, group_ids: torch.Tensor) -> GroupStats:
    """Count, mean and Bessel-corrected std of the non-NaN ``values`` of each sample's group.

    mean_g = Σ_{i∈g, valid} x_i / n_g,  std_g = sqrt(Σ_{i∈g, valid} (x_i − mean_g)² / (n_g − 1)), 0 when n_g < 2.

    Two passes (mean first, then squared deviations), as TRL's ``nanstd`` does.
    """
    import torch

    index, n_groups = group_index(group_ids)
    valid = ~torch.isnan(values)
    zeros = values.new_zeros(n_groups)
    count = zeros.index_add(0, index, valid.to(values.dtype))
    total = zeros.index_add(0, index, torch.where(valid, values, 0.0))
    mean = total / count.clamp(min=1.0)
    deviation = torch.where(valid, values - mean[index], 0.0)
    squares = zeros.index_add(0, index, deviation * deviation)
    std = torch.where(count > 1, squares / (count - 1.0).clamp(min=1.0), 0.0).sqrt()
    return GroupStats(count=count[index], mean=mean[index], std=std[index])


def batch_stats(values: torch.Tensor) -> GroupStats:
    """:func:`group_stats` with the whole batch as one group."""
    import torch

    return group_stats(values, torch.zeros(values.shape, dtype=torch.int64, device=values.device))
