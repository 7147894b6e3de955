"""Progress of a sampling run: a rich bar with rate and ETA on a terminal, lines elsewhere.

Off a terminal a line is said at the start, at each tenth of the work, and at least every
:data:`rewardlab.progress.PLAIN_EVERY_S` seconds (model loading included); its ETA is measured from
this run's throughput once a tenth of the samples to draw are in, and reads "estimating" before.
"""

from __future__ import annotations

import math
import sys
import time
from types import TracebackType
from typing import Any

from rewardlab.progress import PLAIN_EVERY_S, Heartbeat, eta_seconds, eta_text

__all__ = ["PLAIN_EVERY_S", "SampleProgress"]


class SampleProgress:
    """Counts samples as they are written. ``enabled=False`` prints nothing."""

    def __init__(self, total: int, done: int, *, enabled: bool = True, label: str = "sampling") -> None:
        self.total, self.done, self.enabled, self.label = total, done, enabled, label
        self._start_done, self._started = done, time.monotonic()
        self._bar: Any = None
        self._heartbeat: Heartbeat | None = None
        self._last_tenth = self._tenth(done)

    def note(self, message: str) -> None:
        """One line about an event (loading the model, resuming, finishing)."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.console.print(message)
        else:
            self._say(message)

    def _say(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)
        if self._heartbeat is not None:
            self._heartbeat.said()

    def __enter__(self) -> SampleProgress:
        if self.enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(stderr=True))
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.done, rate="")
        elif self.enabled:
            # The caller's first note (starting the backend, resuming) is the first line; this fills the silences.
            self._heartbeat = Heartbeat(self.line, self._say, PLAIN_EVERY_S).__enter__()
        return self

    def restart_clock(self) -> None:
        """Measure the rate from now (after a model has loaded, say)."""
        self._start_done, self._started = self.done, time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, rate=f"{self.rate():.2f}/s")
        elif self.enabled and (self._tenth(self.done) > self._last_tenth or self.done == self.total):
            self._last_tenth = self._tenth(self.done)
            self._say(self.line())

    def rate(self) -> float:
        """Samples per second in this run (those found in the file at the start not counted)."""
        elapsed = time.monotonic() - self._started
        return (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        drawn, elapsed = self.done - self._start_done, time.monotonic() - self._started
        to_draw = self.total - self._start_done
        eta = eta_seconds(drawn, to_draw, elapsed, at_least=math.ceil(to_draw / 10)) if to_draw else 0.0
        rate = f"{self.rate():.2f}/s, " if drawn else ""
        return f"{self.label}: {self.done}/{self.total} samples ({rate}{eta_text(eta)}, {elapsed:.0f} s in)"

    def _tenth(self, done: int) -> int:
        return 10 * done // self.total if self.total else 10

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if self._heartbeat is not None:
            self._heartbeat.__exit__(kind, error, trace)
            self._heartbeat = None
