"""What a running grid tells its user: one line per event, and a status of the running work with ETAs.

Events (an organism ready, a cell finished) are lines, said always. The status (each organism's
pretraining step, loss and ETA; the cells running and finished, with an ETA) goes to ``status``
where the caller can redraw a line in place (a terminal); without one, pretraining is said as a
line at each quarter of its steps instead, and the status as a line whenever 30 s pass without one
(:class:`rewardlab.progress.Heartbeat`). ETAs follow :mod:`rewardlab.progress`: measured, else "estimating".
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rewardlab.progress import PLAIN_EVERY_S, Heartbeat, duration, eta_seconds, eta_text

__all__ = ["GridProgress", "duration"]


@dataclass
class _Pretraining:
    started: float  # clock at the first report
    first_step: int
    step: int = 0
    total: int = 0
    loss: float = math.nan
    eta: float | None = None


@dataclass
class GridProgress:
    """Counts and ETAs of a grid of ``cells`` cells, ``finished`` of them done before this run, on ``jobs`` workers.

    The cells' ETA is the mean measured time of the cells finished in this run, times the rounds
    of ``jobs`` cells still to run, less the time the current round has run already; the pretraining
    ETA extrapolates the seconds per step so far. Both read "estimating" until measured.
    """

    cells: int
    finished: int
    jobs: int
    say: Callable[[str], None]
    status: Callable[[list[str]], None] | None = None
    clock: Callable[[], float] = time.perf_counter
    running: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    pretraining: dict[str, _Pretraining] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)  # clock when each running cell was first seen running
    _heartbeat: Heartbeat | None = None

    def tell(self, message: str) -> None:
        """Say ``message`` (and let the heartbeat know a line was just said)."""
        self.say(message)
        if self._heartbeat is not None:
            self._heartbeat.said()

    @contextmanager
    def beating(self, every: float = PLAIN_EVERY_S) -> Iterator[None]:
        """Off a terminal (no ``status``), the status said as a line whenever ``every`` s pass without a line."""
        if self.status is not None:
            yield
            return
        with Heartbeat(lambda: "; ".join(self.status_parts()), self.say, every) as heartbeat:
            self._heartbeat = heartbeat
            try:
                yield
            finally:
                self._heartbeat = None

    def pretrain_step(self, name: str, step: int, total: int, loss: float) -> None:
        """Organism ``name`` has taken ``step`` of its ``total`` pretraining steps; its loss is ``loss``."""
        now = self.clock()
        state = self.pretraining.setdefault(name, _Pretraining(started=now, first_step=step))
        quarter_before = state.step * 4 // total if state.total else 0
        state.step, state.total, state.loss = step, total, loss
        state.eta = eta_seconds(step - state.first_step, total - state.first_step, now - state.started)
        if step >= total:
            del self.pretraining[name]
            self.tell(f"pretrained {name}: {total} steps, loss {loss:.3f}, {duration(now - state.started)}")
        elif self.status is None and step * 4 // total > quarter_before:
            self.tell(f"pretraining {self._pretraining_text(name, state)}")
        self._show()

    def set_running(self, cell_ids: list[str]) -> None:
        if cell_ids != self.running:
            self.running = list(cell_ids)
            now = self.clock()
            self.started = {cell: self.started.get(cell, now) for cell in self.running}
            self._show()

    def cell_finished(self, row: dict[str, Any]) -> str:
        """Count ``row``'s cell as finished; returns the counts and the ETA, for the line that says so."""
        self.finished += 1
        self.seconds.append(row["seconds"])
        self.running = [cell for cell in self.running if cell != row["id"]]
        self._show()
        return self.cells_text()

    def eta(self) -> float | None:
        """Seconds until the grid ends, from the cells measured so far (``None`` before the first).

        The rounds of ``jobs`` cells left, each as long as the mean cell, less what the round now
        running has done: the time since the last of its cells started (none while a worker idles).
        """
        if not self.seconds:
            return None
        mean, left = statistics.mean(self.seconds), self.cells - self.finished
        done = 0.0
        if self.running and len(self.running) >= min(self.jobs, left):
            done = min(mean, self.clock() - max(self.started.get(cell, self.clock()) for cell in self.running))
        return max(0.0, mean * math.ceil(left / self.jobs) - done)

    def cells_text(self) -> str:
        eta = f", {eta_text(self.eta())}" if self.finished < self.cells else ""
        return f"{self.finished}/{self.cells} cells finished, {len(self.running)} running{eta}"

    def _pretraining_text(self, name: str, state: _Pretraining) -> str:
        return f"{name} step {state.step}/{state.total}, loss {state.loss:.3f}, {eta_text(state.eta)}"

    def status_parts(self) -> list[str]:
        """The running work, most important first: each organism's pretraining (the long silence), then the cells."""
        return [*(f"pretraining {self._pretraining_text(name, state)}" for name, state in self.pretraining.items()),
                self.cells_text()]

    def _show(self) -> None:
        if self.status is not None:
            self.status(self.status_parts())
