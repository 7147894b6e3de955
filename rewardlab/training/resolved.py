"""The run TRL will train, resolved once from a config's ``trl:`` section, its clipping and its process count.

TRL's batch layout follows from several fields at once: ``steps_per_generation`` defaults to
``gradient_accumulation_steps`` (or follows from ``generation_batch_size`` and the process count), and
``clipping.one_update_per_batch`` forces it there, with one pass over each batch; the clipping section
sets ``epsilon`` and ``epsilon_high``. :class:`ResolvedRun` works this out once, when a config is loaded,
and every consumer reads it: the group check (at load), the world-size check (once per ``train``, before
any model is built), the ``GRPOConfig`` arguments, the bench's prompt count and its cell ids. After
loading, nothing else reads the ``trl:`` mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from rewardlab.registry import ConfigError
from rewardlab.training.trl_section import grpo_fields


class Clipping(Protocol):
    """What the resolution reads of a config's clipping section (:class:`rewardlab.training.config.ClippingConfig`)."""

    one_update_per_batch: bool

    def grpo_fields(self) -> dict[str, Any]: ...


def grpo_default(name: str) -> Any:
    """TRL's default for a ``GRPOConfig`` field."""
    return grpo_fields()[name].default


@dataclass(frozen=True)
class ResolvedRun:
    """One run's ``GRPOConfig`` fields and batch layout, resolved from (``trl:`` section, clipping, world size).

    ``values`` are the fields the recipe sets, as TRL receives them over the run folder's and the device's
    defaults: the ``trl:`` section, then the clipping knobs, then what ``one_update_per_batch`` forces.
    The layout fields are TRL's values once its defaults fill what ``values`` leaves out.
    """

    section: Mapping[str, Any]
    clipping: Clipping
    values: Mapping[str, Any]
    world_size: int | None
    per_device_train_batch_size: int
    gradient_accumulation_steps: int
    steps_per_generation: int
    num_generations: int
    num_iterations: int
    generation_batch_size: int | None
    steps_follow_accumulation: bool
    max_steps: int

    @classmethod
    def of(cls, trl: Mapping[str, Any], clipping: Clipping, world_size: int | None) -> ResolvedRun:
        """Resolve a checked ``trl:`` section with its clipping section, for ``world_size`` processes (None: any)."""
        values = {**trl, **clipping.grpo_fields()}
        accumulation = _value(values, "gradient_accumulation_steps")
        if clipping.one_update_per_batch:
            values.update(steps_per_generation=accumulation, num_iterations=1, generation_batch_size=None)
        per_device = _value(values, "per_device_train_batch_size")
        generation_batch = values.get("generation_batch_size")
        steps = values.get("steps_per_generation")
        follows = clipping.one_update_per_batch or (steps is None and generation_batch is None)
        if generation_batch is not None:  # TRL derives the steps from it and the process count
            steps = generation_batch // (per_device * (world_size or 1))
        return cls(section=MappingProxyType(dict(trl)), clipping=clipping, values=MappingProxyType(values),
                   world_size=world_size, per_device_train_batch_size=per_device,
                   gradient_accumulation_steps=accumulation,
                   steps_per_generation=accumulation if steps is None else steps,
                   num_generations=_value(values, "num_generations"), num_iterations=_value(values, "num_iterations"),
                   generation_batch_size=generation_batch, steps_follow_accumulation=follows,
                   max_steps=_value(values, "max_steps"))

    def group_problem(self) -> str | None:
        """Why this layout would split a prompt's group across processes (:func:`group_layout_problem`), or None."""
        return group_layout_problem(self.per_device_train_batch_size, self.steps_per_generation, self.num_generations)

    def grpo_arguments(self, run_dir: Path, seed: int) -> dict[str, Any]:
        """The ``GRPOConfig`` arguments of a run in ``run_dir``: CPU-safe defaults, then :attr:`values`.

        Unless the section sets ``save_steps`` or ``save_strategy``, a checkpoint comes every quarter of
        ``max_steps``. Activation checkpointing is set under its current name (TRL's default, on, with a
        GPU; off on the CPU), so transformers warns of no deprecated alias.
        """
        import torch

        from rewardlab.training.checkpoints import default_save_steps

        arguments: dict[str, Any] = {
            "output_dir": str(run_dir / "checkpoints"), "seed": seed, "report_to": [], "logging_steps": 1,
            "save_strategy": "steps", "disable_tqdm": False,
            "activation_checkpointing": grpo_default("gradient_checkpointing")}
        save_steps = default_save_steps(self.values)
        if save_steps is not None:
            arguments["save_steps"] = save_steps
        if not torch.cuda.is_available():
            arguments.update(use_cpu=True, bf16=False, activation_checkpointing=False)
        arguments.update(self.values)
        return arguments

    def prompts_needed(self) -> int:
        """Prompts a run of ``max_steps`` optimiser steps draws: a slot per prompt of its generation batches, plus one.

        A generation batch serves ``steps_per_generation × num_iterations`` micro-batches and holds
        ``per_device_train_batch_size × processes × steps_per_generation / num_generations`` prompts.
        """
        micro_batches = self.max_steps * self.gradient_accumulation_steps
        processes = self.world_size or 1
        return micro_batches * self.per_device_train_batch_size * processes // (
            self.num_generations * self.num_iterations) + 1

    def plain(self) -> dict[str, Any]:
        """The run as plain data (what a bench cell's id hashes): the ``GRPOConfig`` values and the process count."""
        return {"grpo": dict(self.values), "world_size": self.world_size}

    def on(self, processes: int) -> ResolvedRun:
        """This run resolved for ``processes`` processes (only a fixed ``generation_batch_size`` depends on it)."""
        return self if self.generation_batch_size is None else ResolvedRun.of(self.section, self.clipping, processes)


def _value(values: Mapping[str, Any], name: str) -> Any:
    return values[name] if values.get(name) is not None else grpo_default(name)


def group_layout_problem(per_device_train_batch_size: int, steps_per_generation: int,
                         num_generations: int) -> str | None:
    """Why a batch layout would put part of a prompt's group on a process, and what to write; None when it would not.

    Each process generates ``per_device_train_batch_size × steps_per_generation`` completions per
    generation batch; group rewards (self-consistency, tournaments) and group advantages need every
    group whole there, whatever the number of processes. The one test of the layout: a config's resolved
    run is refused at load (``rewardlab validate`` and the bench too), and the trainer refuses a
    ``GRPOConfig`` it is given directly (:func:`check_group_layout`).
    """
    local = per_device_train_batch_size * steps_per_generation
    if local % num_generations == 0:
        return None
    return (f"per_device_train_batch_size × steps_per_generation = {per_device_train_batch_size} × "
            f"{steps_per_generation} = {local} completions per process is not a multiple of num_generations = "
            f"{num_generations}, so a prompt's group would be split across processes. Make it a multiple, e.g. "
            f"per_device_train_batch_size: {num_generations}")


def check_group_layout(per_device_train_batch_size: int, steps_per_generation: int, num_generations: int, *,
                       where: str = "") -> None:
    """Raise :class:`ConfigError` (after ``where``) for a layout that splits groups (:func:`group_layout_problem`)."""
    problem = group_layout_problem(per_device_train_batch_size, steps_per_generation, num_generations)
    if problem is not None:
        raise ConfigError(f"{where}{problem}")
