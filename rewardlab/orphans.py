"""No orphaned helpers: a worker process ends when the process that started it dies.

A parent killed with ``kill -9`` runs no clean-up, so its workers (the answer checker's pool, the bench's
cell workers) would wait forever on a pipe whose other end they hold themselves. :func:`exit_with_parent`,
called first thing in a worker, arranges two guards:

- on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment its parent
  dies, even while the worker is stuck in C code. The signal follows the parent *thread* that forked
  the worker, so it is set only when the worker was started from the parent's main thread (a worker
  forked from a short-lived thread would otherwise die with that thread);
- everywhere, a daemon thread that checks every :data:`POLL_SECONDS` whether the parent process is
  still the worker's parent, and ends the worker when it is not.

This module imports only the standard library.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

POLL_SECONDS = 0.5
"""How often the watchdog thread checks that the parent is alive."""
_PR_SET_PDEATHSIG = 1


def exit_with_parent(parent_pid: int, *, from_main_thread: bool = True) -> None:
    """End this process when the process ``parent_pid`` (its parent, as passed by the parent) dies.

    Args:
        parent_pid: ``os.getpid()`` of the parent, taken *in the parent* before it started this process
            (read here, ``os.getppid()`` would already name the new parent if the old one died first).
        from_main_thread: whether the parent started this process from its main thread; only then is the
            kernel's parent-death signal set (see the module docstring).
    """
    if os.getppid() != parent_pid:  # the parent died before this process got here
        os._exit(1)
    if from_main_thread and sys.platform.startswith("linux"):
        _kill_on_parent_death()
    threading.Thread(target=_watch, args=(parent_pid,), name="rewardlab-parent-watch", daemon=True).start()


def _kill_on_parent_death() -> None:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: the watchdog thread still guards
        pass


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_SECONDS)
    os._exit(1)
