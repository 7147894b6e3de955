"""The one answer checker: extraction plus math-verify, fast and bounded in time.

Every reward that asks "is this answer right?" and every evaluator that reports accuracy goes
through :class:`AnswerChecker`, so training signal and reported accuracy agree by construction.

Speed comes from three things: each distinct reference is parsed once per worker, identical
(answer, reference) pairs are verified once (within a call and across calls, through a bounded
cache), and the pairs are spread over a pool of worker processes. Time is bounded per sample:
math-verify's own timeouts run in each worker's main thread, and a worker that stays silent past
``timeout`` seconds is killed and replaced (see :mod:`rewardlab.answers.pool`).
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.answers.pool import TIMED_OUT, DeadlinePool

CORRECT, WRONG, BAD_REFERENCE = 1, 0, -1


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one answer against one reference.

    ``correct`` is ``None`` when there is no signal: the reference is missing or cannot be parsed.
    A missing answer or a verification that ran out of time is simply wrong (``False``).
    """

    correct: bool | None
    timed_out: bool = False


def _extraction_config() -> list[Any]:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig

    return [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]


def _seconds(timeout: float | None) -> int | None:
    """math-verify's alarms take whole seconds (at least one); ``None`` disables them."""
    return None if timeout is None else max(1, int(timeout))


def parse_answer(answer: str, timeout: float | None) -> list[Any]:
    """math-verify's parse of an extracted answer (wrapped in a box so LaTeX and plain forms both parse)."""
    from math_verify import parse

    return parse("\\boxed{" + answer + "}",
                 parsing_timeout=_seconds(timeout))


_INTEGER = re.compile(r"[+-]?\d{1,100}")


def _exact_verdict(answer: str, reference: str) -> int | None:
    """The verdict when no parsing is needed: identical text, or two plain integers; else ``None``."""
    a, r = "".join(answer.split()), "".join(reference.split())
    if a == r:
        return CORRECT
    if _INTEGER.fullmatch(a) and _INTEGER.fullmatch(r):
        return CORRECT if int(a) == int(r) else WRONG
    return None


def _balanced(text: str) -> bool:
    """Braces close in order; a reference whose braces do not is malformed, not an answer."""
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0


def verify_group(reference: str, answers: Sequence[str | None], report: Callable[[int, int], None],
                 timeout: float | None = 5.0) -> None:
    """Verify ``answers`` against one ``reference``, calling ``report(position, code)`` per answer.

    Codes: ``CORRECT``, ``WRONG`` (also for a missing answer, ``None``), or ``BAD_REFERENCE`` when
    the reference does not parse or its braces do not balance.
    Identical texts and pairs of plain integers are decided without math-verify (same verdict, no parse).
    Runs in a worker's main thread (math-verify's timeouts need it) or inline with ``timeout=None``.
    """
    from math_verify import verify

    try:
        gold = parse_answer(reference, timeout) if _balanced(reference) else []
    except Exception:
        gold = []
    for position, answer in enumerate(answers):
        if not gold:
            report(position, BAD_REFERENCE)
            continue
        if answer is None:
            report(position, WRONG)
            continue
        exact = _exact_verdict(answer, reference)
        if exact is not None:
            report(position, exact)
            continue
        try:
            parsed = parse_answer(answer, timeout)
            ok = bool(parsed) and verify(gold, parsed, timeout_seconds=_seconds(timeout))
        except Exception:
            ok = False
        report(position, CORRECT if ok else WRONG)


class AnswerChecker:
    """Checks extracted answers against references with math-verify.

    Args:
        timeout: seconds allowed per sample; past it the sample is wrong and marked ``timed_out``.
        workers: worker processes; 0 verifies in this process (no hard deadline off the main thread).
        cache_size: (answer, reference) verdicts remembered across calls.
    """

    def __init__(self, timeout: float = 5.0, workers: int = 2, cache_size: int = 200_000) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        if workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        self.timeout, self.workers, self.cache_size = timeout, workers, cache_size
        self._cache: OrderedDict[tuple[str, str], Verdict] = OrderedDict()
        self._pool: DeadlinePool | None = None
        self._lock = threading.Lock()

    def check(self, pairs: Sequence[tuple[str | None, str | None]]) -> list[Verdict]:
        """One verdict per (extracted answer, reference answer) pair."""
        verdicts: list[Verdict | None] = [None] * len(pairs)
        todo: dict[str, dict[str, list[int]]] = {}  # reference -> answer -> positions
        for i, (answer, reference) in enumerate(pairs):
            if reference is None:
                verdicts[i] = Verdict(None)
            elif (answer, reference) in self._cache:
                verdicts[i] = self._cache[(answer, reference)]
            else:
                todo.setdefault(reference, {}).setdefault(answer, []).append(i)
        if todo:
            with self._lock:
                fresh = self._verify(todo)
            for (answer, reference), verdict in fresh.items():
                for i in todo[reference][answer]:
                    verdicts[i] = verdict
                self._remember(answer, reference, verdict)
        return verdicts  # type: ignore[return-value]

    def _verify(self, todo: dict[str, dict[str, list[int]]]) -> dict[tuple[str, str], Verdict]:
        tasks = [(reference, list(answers)) for reference, answers in todo.items()]
        if self.workers == 0:
            codes = [self._verify_inline(reference, answers) for reference, answers in tasks]
        else:
            codes = self._pool_for_use().run(tasks)
        out: dict[tuple[str, str], Verdict] = {}
        for (reference, answers), task_codes in zip(tasks, codes, strict=True):
            for answer, code in zip(answers, task_codes, strict=True):
                if code is TIMED_OUT:
                    out[(answer, reference)] = Verdict(False, timed_out=True)
                else:
                    out[(answer, reference)] = Verdict(None if code == BAD_REFERENCE else code == CORRECT)
        return out

    def _verify_inline(self, reference: str, answers: list[str]) -> list[int]:
        codes = [WRONG] * len(answers)
        in_main = threading.current_thread() is threading.main_thread()

        def report(position: int, code: int) -> None:
            codes[position] = code

        verify_group(reference, answers, report, timeout=self.timeout if in_main else None)
        return codes

    def _pool_for_use(self) -> DeadlinePool:
        if self._pool is None:
            import math_verify  # noqa: F401  (imported before forking so workers start warm)

            # math-verify's own limits get half each for parse and verify; the pool enforces the whole.
            work = functools.partial(verify_group, timeout=self.timeout / 2)
            self._pool = DeadlinePool(work, n_workers=self.workers, deadline=self.timeout)
        return self._pool

    def _remember(self, answer: str, reference: str, verdict: Verdict) -> None:
        self._cache[(answer, reference)] = verdict
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def close(self) -> None:
        """Stop the worker processes (they also stop when this process exits)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"timeout": self.timeout, "workers": self.workers, "cache_size": self.cache_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]
