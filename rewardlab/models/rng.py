"""Sampling that leaves the caller's random state alone.

:func:`own_rng` runs a block on a fork of torch's CPU generator (and the model's CUDA device's), seeded
when a seed is given. Everything that samples on the side (the local sampler and judge, the held-out
measurement during training) goes through it, so what it draws never shifts what the caller draws
next: a training run takes the same steps however often it is measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def own_rng(device: Any = None, seed: int | None = None) -> Iterator[None]:
    """Run the block on a forked copy of torch's RNG (seeded with ``seed`` if given); restore it after.

    ``device`` is the model's device (a ``torch.device``, or ``None`` for the CPU only); a CUDA device's
    generator is forked too, and only the generators forked are seeded (other GPUs are left alone).
    """
    import torch

    cuda = []
    if getattr(device, "type", None) == "cuda":
        cuda = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda):
        if seed is not None:
            torch.random.default_generator.manual_seed(seed)
            for index in cuda:
                with torch.cuda.device(index):
                    torch.cuda.manual_seed(seed)
        yield
