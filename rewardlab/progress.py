"""Progress that does not mislead, shared by ``rewardlab sample`` and ``rewardlab bench``.

Two rules: an ETA comes from throughput measured in this run, and reads "estimating" until there is
some (:func:`eta_text`); and off a terminal a line is said at least every :data:`PLAIN_EVERY_S`
seconds from the first one on, model loading and pretraining included (:class:`Heartbeat`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

PLAIN_EVERY_S = 30.0
"""Off a terminal, a progress line at least this often."""


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 05 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d} min"


def eta_seconds(done: float, total: float, elapsed: float, *, at_least: float = 1) -> float | None:
    """Seconds left at the rate measured so far (``done`` of ``total`` in ``elapsed`` s), or None before
    ``at_least`` units are done (one finished unit of a batch that finishes together says nothing of the rest)."""
    if done < max(at_least, 1e-9) or elapsed <= 0:
        return None
    return max(0.0, (total - done) * elapsed / done)


def eta_text(seconds: float | None) -> str:
    """``ETA 40 s``, or ``ETA estimating`` while nothing has been measured."""
    return "ETA estimating" if seconds is None else f"ETA {duration(seconds)}"


class Heartbeat:
    """Says ``line()`` whenever ``every`` seconds have passed without a line, from a daemon thread.

    The owner calls :meth:`said` after each line of its own, so the heartbeat only fills silences.
    Used as a context manager: it beats from entry to exit.
    """

    def __init__(self, line: Callable[[], str], say: Callable[[str], None], every: float = PLAIN_EVERY_S) -> None:
        self.line, self.say, self.every = line, say, every
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="progress-heartbeat", daemon=True)

    def said(self) -> None:
        """A line was just said by the owner."""
        with self._lock:
            self._last = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(min(1.0, self.every / 4)):
            with self._lock:
                due = time.monotonic() - self._last >= self.every
                if due:
                    self._last = time.monotonic()
            if due:
                self.say(self.line())

    def __enter__(self) -> Heartbeat:
        self.said()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
