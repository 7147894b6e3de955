"""Progress of a sampling run: a rich bar with rate and ETA on a terminal, a line per event elsewhere."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

PLAIN_EVERY_S = 30.0
"""Off a terminal, a progress line at least this often (and at each tenth of the work)."""


class SampleProgress:
    """Counts samples as they are written. ``enabled=False`` prints nothing."""

    def __init__(self, total: int, done: int, *, enabled: bool = True, label: str = "sampling") -> None:
        self.total, self.done, self.enabled, self.label = total, done, enabled, label
        self._start_done, self._started = done, time.monotonic()
        self._bar: Any = None
        self._last_line = self._started
        self._last_tenth = self._tenth(done)

    def note(self, message: str) -> None:
        """One line about an event (loading the model, resuming, finishing)."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.console.print(message)
        else:
            print(message, file=sys.stderr, flush=True)

    def __enter__(self) -> SampleProgress:
        if self.enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(stderr=True))
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.done, rate="")
        return self

    def restart_clock(self) -> None:
        """Measure the rate from now (after a model has loaded, say)."""
        self._start_done, self._started = self.done, time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, rate=f"{self.rate():.2f}/s")
        elif self.enabled and (self._tenth(self.done) > self._last_tenth or
                               time.monotonic() - self._last_line >= PLAIN_EVERY_S or self.done == self.total):
            self._last_tenth, self._last_line = self._tenth(self.done), time.monotonic()
            print(self.line(), file=sys.stderr, flush=True)

    def rate(self) -> float:
        """Samples per second in this run (those found in the file at the start not counted)."""
        elapsed = time.monotonic() - self._started
        return (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        rate = self.rate()
        eta = f"{(self.total - self.done) / rate:.0f} s" if rate > 0 else "?"
        return f"{self.label}: {self.done}/{self.total} samples ({rate:.2f}/s, ETA {eta})"

    def _tenth(self, done: int) -> int:
        return 10 * done // self.total if self.total else 10

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
