"""What a running grid tells its user: one line per event, and a status of the running work with ETAs.

Events (an organism ready, a cell finished) are lines, said always. The status (each organism's
pretraining step, loss and ETA; the cells running and finished, with an ETA) goes to ``status``
where the caller can redraw a line in place (a terminal); without one, pretraining is said as a
line at each quarter of its steps instead.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 05 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d} min"


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
    of ``jobs`` cells still to run; the pretraining ETA extrapolates the seconds per step so far.
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

    def pretrain_step(self, name: str, step: int, total: int, loss: float) -> None:
        """Organism ``name`` has taken ``step`` of its ``total`` pretraining steps; its loss is ``loss``."""
        now = self.clock()
        state = self.pretraining.setdefault(name, _Pretraining(started=now, first_step=step))
        quarter_before = state.step * 4 // total if state.total else 0
        state.step, state.total, state.loss = step, total, loss
        if step > state.first_step:
            state.eta = (now - state.started) / (step - state.first_step) * (total - step)
        if step >= total:
            del self.pretraining[name]
            self.say(f"pretrained {name}: {total} steps, loss {loss:.3f}, {duration(now - state.started)}")
        elif self.status is None and step * 4 // total > quarter_before:
            self.say(f"pretraining {self._pretraining_text(name, state)}")
        self._show()

    def set_running(self, cell_ids: list[str]) -> None:
        if cell_ids != self.running:
            self.running = list(cell_ids)
            self._show()

    def cell_finished(self, row: dict[str, Any]) -> str:
        """Count ``row``'s cell as finished; returns the counts and the ETA, for the line that says so."""
        self.finished += 1
        self.seconds.append(row["seconds"])
        self.running = [cell for cell in self.running if cell != row["id"]]
        self._show()
        return self.cells_text()

    def eta(self) -> float | None:
        """Seconds until the grid ends, from the cells measured so far (``None`` before the first)."""
        if not self.seconds:
            return None
        return statistics.mean(self.seconds) * math.ceil((self.cells - self.finished) / self.jobs)

    def cells_text(self) -> str:
        eta = self.eta()
        return (f"{self.finished}/{self.cells} cells finished, {len(self.running)} running"
                + (f", ETA {duration(eta)}" if eta is not None and self.finished < self.cells else ""))

    def _pretraining_text(self, name: str, state: _Pretraining) -> str:
        eta = f", ETA {duration(state.eta)}" if state.eta is not None else ""
        return f"{name} step {state.step}/{state.total}, loss {state.loss:.3f}{eta}"

    def _show(self) -> None:
        if self.status is not None:
            # Pretraining first: while it runs no cell has, and it is the long silence this line breaks.
            self.status([*(f"pretraining {self._pretraining_text(name, state)}"
                           for name, state in self.pretraining.items()), self.cells_text()])
