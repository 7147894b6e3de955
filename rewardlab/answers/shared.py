"""One answer checker per process and setting, shared by every reward that verifies answers.

``rewardlab score -r brier --gold binary`` scores the same completions with two rewards; with one
checker each, every (answer, reference) pair was verified twice, by two pools. Here rewards lease the
process's checker for their ``(timeout, workers)``: they share its worker pool and its verdict cache,
so a pair is verified once whatever the number of rewards.

Leases are counted: the checker stops when its last lease is returned (:func:`release_checker`, called
by a reward's ``close``) or when the process exits. A forked child starts with no shared checkers (the
parent's workers are the parent's), and a pickled reward leases its own in the process that unpickles it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from rewardlab.answers.checker import AnswerChecker

__all__ = ["acquire_checker", "release_checker", "shared_checkers"]


@dataclass
class _Lease:
    checker: AnswerChecker
    users: int


_LOCK = threading.Lock()
_SHARED: dict[tuple[float, int], _Lease] = {}


def acquire_checker(timeout: float, workers: int) -> AnswerChecker:
    """The process's checker for ``(timeout, workers)``, made on first use; return it by :func:`release_checker`."""
    with _LOCK:
        lease = _SHARED.get((timeout, workers))
        if lease is None:
            lease = _SHARED[(timeout, workers)] = _Lease(AnswerChecker(timeout=timeout, workers=workers), 0)
        lease.users += 1
        return lease.checker


def release_checker(checker: AnswerChecker) -> None:
    """Return one lease of ``checker``; the last one stops it. A checker this process does not share is ignored."""
    with _LOCK:
        key = (checker.timeout, checker.workers)
        lease = _SHARED.get(key)
        if lease is None or lease.checker is not checker:
            return
        lease.users -= 1
        if lease.users > 0:
            return
        del _SHARED[key]
    checker.close()


def shared_checkers() -> dict[tuple[float, int], int]:
    """The leases held now: ``{(timeout, workers): number of users}``."""
    with _LOCK:
        return {key: lease.users for key, lease in _SHARED.items()}


def _forget_after_fork() -> None:
    """In a forked child: drop the parent's checkers (their pools only forget the parent's workers, see
    :meth:`~rewardlab.answers.pool.DeadlinePool.close`)."""
    global _LOCK
    _LOCK = threading.Lock()
    _SHARED.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
