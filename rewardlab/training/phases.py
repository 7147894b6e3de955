"""Where a training step's time goes, kept by a callback: generation, scoring, tracking, update.

The trainer marks its rollout phases with :meth:`PhaseTimer.span` (``generation`` is TRL's rollout
pass less the reward calls, ``scoring`` the training reward, ``tracking`` the gold reward and drift
metrics); whatever else an optimiser step takes, from ``on_step_begin`` to ``on_step_end``, is the
``update`` (loss, backward, optimiser step). Callbacks added later (held-out measurements) run after
``on_step_end`` here, so they are not counted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from transformers import TrainerCallback

from rewardlab.types import PHASES

_ROLLOUT = PHASES[:-1]


class PhaseTimer(TrainerCallback):
    """Seconds spent in each phase of the training steps so far (:attr:`seconds`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self._step_started: float | None = None
        self._rollout_at_start = 0.0

    def _rollout(self) -> float:
        return sum(self.seconds[phase] for phase in _ROLLOUT)

    @contextmanager
    def span(self, phase: str) -> Iterator[None]:
        """Count the time inside the block to ``phase`` (a rollout phase), less the spans nested in it."""
        if phase not in _ROLLOUT:
            raise ValueError(f"phase must be one of {', '.join(_ROLLOUT)}, got {phase!r}")
        started, nested_before = time.perf_counter(), self._rollout()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - started - (self._rollout() - nested_before)

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._step_started = time.perf_counter()
        self._rollout_at_start = self._rollout()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._step_started is None:
            return
        elapsed = time.perf_counter() - self._step_started
        self.seconds["update"] += elapsed - (self._rollout() - self._rollout_at_start)
        self._step_started = None

    def shares(self) -> dict[str, float]:
        """Each phase's share of the time spent in training steps so far (they sum to 1)."""
        total = sum(self.seconds.values())
        return {phase: seconds / total if total else math.nan for phase, seconds in self.seconds.items()}
