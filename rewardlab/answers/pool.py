"""A small process pool with a hard per-item deadline, for verifiers that may hang.

math-verify bounds its own time with ``signal.alarm``, which only works in a main thread and
cannot interrupt C code (a big-integer power such as ``9^{9^{9^9}}``). Here every item runs in a
worker process that reports after each item; a worker that stays silent past the deadline is
killed and replaced, the item it held is reported as timed out, and the rest of its task is
handed to another worker. Nothing is lost and nothing hangs. With a ``key_budget``, the items of
one key (a group of samples) share a time limit too: past it, the key's pending items are skipped.
A worker whose parent dies, even by ``kill -9``, ends too (:mod:`rewardlab.orphans`).

A worker first runs the pool's ``warm`` function (for the checker: parsing a few representative
expressions, so the LaTeX parser has built its tables) and reports ready; only then does it take
work, so a cold worker's set-up is never charged to an item's deadline.

Neighbouring tasks go to the same worker: the task list is cut into one contiguous lane per
worker, each worker works through its own lane from the front, and a worker whose lane is empty
takes from the back of the longest other lane. Callers that order similar work together (as the
answer checker does) thus let each worker warm its per-process caches (the LaTeX parser's
prediction tables, sympy's lazily built state) on one kind of expression instead of every kind.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from rewardlab.orphans import exit_with_parent

# A task: a key shared by its items (for example a reference answer) and the items themselves.
Task = tuple[Any, Sequence[Any]]
# The worker function: (key, items, report) where report(position, result) is called per item.
WorkFn = Callable[[Any, Sequence[Any], Callable[[int, Any], None]], None]

TIMED_OUT = object()
# An item never run because its key's time budget was spent first.
SKIPPED = object()
# The task id of a worker's "warmed up, ready for work" message.
_READY = -1


def _worker_loop(conn: Connection, work: WorkFn, warm: Callable[[], None] | None, parent_pid: int,
                 from_main_thread: bool) -> None:
    exit_with_parent(parent_pid, from_main_thread=from_main_thread)  # a parent killed with -9 leaves no worker
    if warm is not None:
        with contextlib.suppress(Exception):  # a failed warm-up leaves the worker cold, not dead
            warm()
    conn.send((_READY, None, None))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        task_id, key, items = message
        work(key, items, lambda position, result, task=task_id: conn.send((task, position, result)))
        conn.send((task_id, None, None))


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Freeze the garbage collector's objects while a worker forks, so the worker's collections skip them.

    A forked worker would otherwise traverse every object it inherited (sympy, the LaTeX parser)
    on each full collection, spending time and copying the pages it touches. The parent's objects
    are unfrozen again right after; when the program has frozen objects itself, nothing is done.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@dataclass
class _Worker:
    process: Any
    conn: Connection
    lane: int = 0
    task: tuple[int, int] | None = None  # (task id, offset of the task's first item in the original task)
    last_heard: float = 0.0
    ready: bool = False


class _Lanes:
    """Pending (task id, offset) pairs in lanes, one per worker, with stealing from the back.

    The lanes are contiguous runs of the task list, or, with ``lane_of`` (a lane number per task), the tasks
    of each number in their order.
    """

    def __init__(self, task_ids: Sequence[int], n_lanes: int, lane_of: Sequence[int] | None = None) -> None:
        n_lanes = max(1, n_lanes)
        self._lanes: list[deque[tuple[int, int]]] = [deque() for _ in range(n_lanes)]
        if lane_of is not None:
            for task_id, lane in zip(task_ids, lane_of, strict=True):
                self._lanes[lane % n_lanes].append((task_id, 0))
            return
        size, extra = divmod(len(task_ids), n_lanes)
        start = 0
        for lane in range(n_lanes):
            stop = start + size + (lane < extra)
            self._lanes[lane].extend((task_id, 0) for task_id in task_ids[start:stop])
            start = stop

    def __bool__(self) -> bool:
        return any(self._lanes)

    def take(self, lane: int) -> tuple[int, int] | None:
        """The next task of ``lane``, else the last task of the longest lane; ``None`` when all are empty."""
        own = self._lanes[lane % len(self._lanes)]
        if own:
            return own.popleft()
        longest = max(self._lanes, key=len)
        return longest.pop() if longest else None

    def put_front(self, lane: int, item: tuple[int, int]) -> None:
        """Put ``item`` back at the front of ``lane``, to be taken next."""
        self._lanes[lane % len(self._lanes)].appendleft(item)


class _Budget:
    """Seconds spent per task key, against an optional budget per key."""

    def __init__(self, per_key: float | None, deadline: float) -> None:
        self.per_key, self.deadline = per_key, deadline
        self._spent: dict[Any, float] = {}

    def spend(self, key: Any, seconds: float) -> None:
        self._spent[key] = self._spent.get(key, 0.0) + seconds

    def spent_up(self, key: Any) -> bool:
        return self.per_key is not None and self._spent.get(key, 0.0) >= self.per_key

    def limit(self, key: Any) -> float:
        """How long the current item of a task with ``key`` may run: the deadline, or less when the budget is short."""
        if self.per_key is None:
            return self.deadline
        return min(self.deadline, max(0.0, self.per_key - self._spent.get(key, 0.0)))


@dataclass
class DeadlinePool:
    """Run ``work`` over tasks in ``n_workers`` processes, each item within ``deadline`` seconds.

    Each worker runs ``warm`` once before it takes work; one that is not ready after ``warm_limit``
    seconds is given work all the same.
    """

    work: WorkFn
    n_workers: int = 2
    deadline: float = 10.0
    warm: Callable[[], None] | None = None
    warm_limit: float = 60.0
    _workers: list[_Worker] = field(default_factory=list, init=False, repr=False)
    _context: Any = field(default=None, init=False, repr=False)
    _owner: int = field(default_factory=os.getpid, init=False, repr=False)
    _warmed_here: bool = field(default=False, init=False, repr=False)
    last_lanes: list[int | None] = field(default_factory=list, init=False, repr=False)

    def _own_workers(self) -> None:
        """In a process forked from the owner, forget the owner's workers (they are not this process's to use)."""
        if self._owner != os.getpid():
            self._workers, self._owner = [], os.getpid()

    def _spawn(self, lane: int) -> _Worker:
        if self._context is None:
            methods = mp.get_all_start_methods()
            self._context = mp.get_context("fork" if "fork" in methods else "spawn")
        parent, child = self._context.Pipe()
        in_main = threading.current_thread() is threading.main_thread()
        process = self._context.Process(target=_worker_loop, daemon=True,
                                        args=(child, self.work, self.warm, os.getpid(), in_main))
        with _frozen_heap():
            process.start()
        child.close()
        return _Worker(process, parent, lane, last_heard=time.monotonic())

    def _kill(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        self._workers.remove(worker)

    def run(self, tasks: Sequence[Task], key_budget: float | None = None,
            lanes: Sequence[int] | None = None) -> list[list[Any]]:
        """Results per task, item by item; an item past its deadline gives ``TIMED_OUT``.

        With ``key_budget``, the items of tasks sharing a key get that many seconds in all (summed over
        workers); an item running when it is spent gives ``TIMED_OUT``, and those not yet run ``SKIPPED``.
        With ``lanes`` (a number per task), each task goes to the worker of its number's lane (modulo the
        workers) instead of its place in the list: work given one number goes to one worker from call to call,
        whose per-process caches hold what it parsed before (a worker with nothing left still takes from
        another's lane). :attr:`last_lanes` tells, per task of the last call, the lane of the worker that
        finished it (``None``: none did).
        """
        self._own_workers()
        results: list[list[Any]] = [[TIMED_OUT] * len(items) for _, items in tasks]
        task_ids = [i for i, (_, items) in enumerate(tasks) if items]
        while len(self._workers) < min(self.n_workers, len(task_ids)):
            self._workers.append(self._spawn(len(self._workers)))
        for lane, worker in enumerate(self._workers):
            worker.lane = lane
        pending = _Lanes(task_ids, len(self._workers), None if lanes is None else [lanes[i] for i in task_ids])
        self.last_lanes = [None] * len(tasks)
        budget = _Budget(key_budget, self.deadline)
        busy: dict[Connection, _Worker] = {}
        while pending or busy:
            now = time.monotonic()
            for worker in self._workers:
                worker.ready = worker.ready or now - worker.last_heard > self.warm_limit
            for worker in [w for w in self._workers if w.ready and w.task is None]:
                if not self._start_next(worker, tasks, pending, budget, results):
                    break
                busy[worker.conn] = worker
            warming = {w.conn: w for w in self._workers if not w.ready}
            limits = [w.last_heard + budget.limit(tasks[w.task[0]][0]) for w in busy.values()]
            limits += [w.last_heard + self.warm_limit for w in warming.values()]
            if not limits:
                break  # nothing runs and nothing can start: every pending item was skipped
            ready = wait([*busy, *warming], timeout=max(0.0, min(limits) - time.monotonic()))
            for conn in ready:
                worker = busy.get(conn) or warming[conn]
                try:
                    task_id, position, result = conn.recv()
                except (EOFError, OSError):
                    self._fail_current(worker, results, pending, busy, budget, tasks)
                    continue
                if task_id == _READY:
                    worker.ready, worker.last_heard = True, time.monotonic()
                    continue
                budget.spend(tasks[task_id][0], time.monotonic() - worker.last_heard)
                worker.last_heard = time.monotonic()
                if position is None:
                    self.last_lanes[task_id] = worker.lane
                    worker.task = None
                    del busy[conn]
                else:
                    results[task_id][worker.task[1] + position] = result
            now = time.monotonic()
            for worker in [w for w in busy.values() if now - w.last_heard > budget.limit(tasks[w.task[0]][0])]:
                self._fail_current(worker, results, pending, busy, budget, tasks)
        return results

    @staticmethod
    def _start_next(worker: _Worker, tasks: Sequence[Task], pending: _Lanes, budget: _Budget,
                    results: list[list[Any]]) -> bool:
        """Send ``worker`` its next task whose key has time left; ``False`` when nothing is pending."""
        while (taken := pending.take(worker.lane)) is not None:
            task_id, offset = taken
            key, items = tasks[task_id]
            if budget.spent_up(key):
                results[task_id][offset:] = [SKIPPED] * (len(items) - offset)
                continue
            worker.conn.send((task_id, key, list(items[offset:])))
            worker.task, worker.last_heard = taken, time.monotonic()
            return True
        return False

    def _fail_current(self, worker: _Worker, results: list[list[Any]], pending: _Lanes, busy: dict,
                      budget: _Budget, tasks: Sequence[Task]) -> None:
        """Kill a silent or dead worker; its current item times out and the rest of its task is requeued."""
        if worker.task is None:  # died while warming up: its replacement takes work at once (no endless retries)
            self._kill(worker)
            self._workers.append(self._spawn(worker.lane))
            self._workers[-1].ready = True
            return
        task_id, offset = worker.task
        budget.spend(tasks[task_id][0], time.monotonic() - worker.last_heard)
        done = offset
        while done < len(results[task_id]) and results[task_id][done] is not TIMED_OUT:
            done += 1
        # `done` is the item it was stuck on (it stays TIMED_OUT); the items after it go back in the queue.
        if done + 1 < len(results[task_id]):
            pending.put_front(worker.lane, (task_id, done + 1))
        del busy[worker.conn]
        self._kill(worker)
        self._warm_here()
        self._workers.append(self._spawn(worker.lane))

    def _warm_here(self) -> None:
        """Run ``warm`` once in this process (main thread only) before the first replacement is forked.

        Replacements then inherit warm state instead of warming from cold after every kill; the first
        workers warm themselves in parallel, so a cold start does not wait on a serial warm-up here.
        """
        if self.warm is None or self._warmed_here or threading.current_thread() is not threading.main_thread():
            return
        self._warmed_here = True
        with contextlib.suppress(Exception):
            self.warm()

    def close(self) -> None:
        """Stop every worker (in a forked child, only forget them: they are the parent's)."""
        self._own_workers()
        for worker in list(self._workers):
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            worker.process.join(timeout=1)
            if worker.process.is_alive():
                worker.process.kill()
            worker.conn.close()
        self._workers.clear()
