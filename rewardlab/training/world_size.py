"""The number of processes a recipe assumes, checked against the launch before any model is built.

TRL's batch sizes are per process: a generation batch holds ``per_device_train_batch_size × processes ×
steps_per_generation`` rollouts and a mini-batch (one optimiser step) ``per_device_train_batch_size ×
processes × gradient_accumulation_steps`` samples. A config written for 8 GPUs therefore trains
another recipe on 4. A config states ``world_size: 8`` to say so; ``rewardlab train`` launched with
another count stops, with the figures it would train and the ``--set`` overrides that restore them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from rewardlab.registry import ConfigError

if TYPE_CHECKING:
    from rewardlab.training.resolved import ResolvedRun

# Set by torchrun and accelerate launch in every process they start.
WORLD_SIZE_ENV = "WORLD_SIZE"


def launched_world_size() -> int:
    """The number of processes this one was launched among (``$WORLD_SIZE``; 1 when unset)."""
    raw = os.environ.get(WORLD_SIZE_ENV, "1").strip() or "1"
    try:
        return max(1, int(raw))
    except ValueError as exc:
        raise ConfigError(f"${WORLD_SIZE_ENV} is {raw!r}, not a number of processes") from exc


def check_world_size(run: ResolvedRun, actual: int, *, where: str = "config") -> None:
    """Refuse to train a run whose ``world_size`` differs from ``actual``, the launched count.

    ``train`` calls it once, after the config is loaded and before any model is built. A run without
    ``world_size`` trains on any count; where its layout depends on the count (a fixed
    ``generation_batch_size``), the layout on ``actual`` processes must still keep groups whole.
    """
    assumed = run.world_size
    if assumed is None:
        problem = run.on(actual).group_problem() if actual != 1 else None
        if problem is not None:
            raise ConfigError(f"{where}: on {actual} processes, trl: {problem}")
        return
    if assumed == actual:
        return
    layout = _Layout(run)
    rollouts, mini = layout.rollouts(assumed), layout.mini_batch(assumed)
    raise ConfigError(
        f"{where}: this recipe assumes world_size: {assumed} processes but was launched with {actual} "
        f"(${WORLD_SIZE_ENV}). With {actual} a generation batch would hold {layout.rollouts_text(actual)} rollouts "
        f"(recipe: {rollouts}) and a mini-batch {layout.mini_batch_text(actual)} samples (recipe: {mini}). "
        f"{layout.remedy(assumed, actual)} To train the changed recipe on purpose, add --set world_size={actual} "
        "alone.")


class _Layout:
    """The batch fields of a resolved run that the process count multiplies."""

    def __init__(self, run: ResolvedRun) -> None:
        self.per_device, self.accumulation = run.per_device_train_batch_size, run.gradient_accumulation_steps
        self.steps, self.group = run.steps_per_generation, run.num_generations
        self.generation_batch, self.steps_follow_accumulation = run.generation_batch_size, run.steps_follow_accumulation

    def rollouts(self, processes: int) -> int:
        if self.generation_batch is not None:
            return self.generation_batch
        return self.per_device * processes * self.steps

    def mini_batch(self, processes: int) -> int:
        return self.per_device * processes * self.accumulation

    def rollouts_text(self, processes: int) -> str:
        if self.generation_batch is not None:
            return f"generation_batch_size = {self.generation_batch}"
        return f"{self.per_device} × {processes} × {self.steps} = {self.rollouts(processes)}"

    def mini_batch_text(self, processes: int) -> str:
        return f"{self.per_device} × {processes} × {self.accumulation} = {self.mini_batch(processes)}"

    def remedy(self, assumed: int, actual: int) -> str:
        """The ``--set`` overrides that keep both figures on ``actual`` processes, or why none exist.

        Either the step counts grow by ``assumed / actual`` (the per-process batch, and so the memory,
        stays), or the per-process batch does; an option must give integers and keep whole groups.
        """
        scale = assumed / actual
        options = []
        accumulation = self.accumulation * scale
        steps = accumulation if self.steps_follow_accumulation else self.steps * scale
        if accumulation.is_integer() and self._whole_groups(self.per_device, steps, actual):
            sets = [f"--set trl.gradient_accumulation_steps={int(accumulation)}"]
            if not self.steps_follow_accumulation and self.generation_batch is None:
                sets.append(f"--set trl.steps_per_generation={int(steps)}")
            options.append(" ".join(sets))
        per_device = self.per_device * scale
        if per_device.is_integer() and self._whole_groups(per_device, self.steps, actual):
            options.append(f"--set trl.per_device_train_batch_size={int(per_device)}")
        if not options:
            return (f"No integer batch fields keep both figures on {actual} processes; launch {assumed}, or a count "
                    "that divides the recipe's batch fields.")
        return (f"To keep the recipe, launch {assumed} processes, or add --set world_size={actual} with "
                + ", or with ".join(options) + ".")

    def _whole_groups(self, per_device: float, steps: float, processes: int) -> bool:
        """Whether each process would generate a whole number of whole groups."""
        if self.generation_batch is not None:
            local = self.generation_batch / processes
            return (self.generation_batch / (per_device * processes)).is_integer() and local % self.group == 0
        return float(steps).is_integer() and (per_device * steps) % self.group == 0
