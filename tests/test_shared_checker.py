"""One checker per process: rewards share its pool and cache, leases are counted, workers start warm."""

from __future__ import annotations

import multiprocessing as mp
import pickle
import random
import time
from collections.abc import Sequence
from typing import Any

import pytest

from rewardlab import RolloutBatch, build_reward
from rewardlab.answers import checker as checker_module
from rewardlab.answers.pool import SKIPPED, TIMED_OUT, DeadlinePool
from rewardlab.answers.shared import shared_checkers


def _fresh_batch(n: int) -> tuple[RolloutBatch, int]:
    """Completions both ``binary`` and ``brier`` read the same answers from, with labels no other test uses."""
    rng = random.Random()
    references = [f"\\frac{{{rng.randint(10**6, 10**7)}}}{{{k + 3}}}" for k in range(n)]
    answers = [ref if k % 3 else str(k) for k, ref in enumerate(references)]
    completions = [f"So \\boxed{{{a}}}. <answer>{a}</answer><confidence>0.7</confidence>" for a in answers]
    batch = RolloutBatch(prompts=("q",) * n, completions=tuple(completions), answers=tuple(references))
    return batch, len(set(zip(answers, references, strict=True)))


def test_two_rewards_scoring_one_batch_verify_each_pair_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str | None, str]] = []
    real = checker_module.verify_pair

    def counting(answer: str | None, reference: str, timeout: float | None = 5.0) -> int:
        calls.append((answer, reference))
        return real(answer, reference, timeout)

    monkeypatch.setattr(checker_module, "verify_pair", counting)
    binary, brier = build_reward({"type": "binary", "workers": 0}), build_reward({"type": "brier", "workers": 0})
    try:
        batch, distinct = _fresh_batch(12)
        assert binary.checker is brier.checker
        gold = binary.score(batch).diagnostics["correct"]
        assert brier.score(batch).diagnostics["correct"] == gold
        assert len(calls) == distinct and len(set(calls)) == distinct
    finally:
        binary.close()
        brier.close()


def test_leases_are_counted_and_the_last_close_stops_the_checker() -> None:
    first, second = (build_reward({"type": t, "workers": 1, "timeout": 4.5}) for t in ("binary", "ternary"))
    assert first.checker is second.checker and shared_checkers()[(4.5, 1)] == 2
    assert first(prompts=["q"], completions=["\\boxed{0.5}"], answer=["1/2"]) == [1.0]
    pool = first.checker._pool
    first.close()
    first.close()  # safe twice
    assert shared_checkers()[(4.5, 1)] == 1 and second.checker._pool is pool
    second.close()
    assert (4.5, 1) not in shared_checkers() and pool._workers == []
    assert first(prompts=["q"], completions=["\\boxed{3}"], answer=["3"]) == [1.0]  # leases again after close
    first.close()


def test_a_pickled_reward_leases_its_own_checker_and_scores_the_same() -> None:
    reward = build_reward({"type": "binary", "workers": 0})
    before = reward(prompts=["q"] * 2, completions=["\\boxed{1/2}", "\\boxed{2}"], answer=["0.5", "3"])
    clone = pickle.loads(pickle.dumps(reward))
    assert "_checker_lease" not in clone.__dict__ and clone == reward
    assert clone(prompts=["q"] * 2, completions=["\\boxed{1/2}", "\\boxed{2}"], answer=["0.5", "3"]) == before
    reward.close()
    clone.close()


def _score_in_child(reward: Any, conn: Any) -> None:
    conn.send(reward(prompts=["q"] * 2, completions=["\\boxed{\\frac{1}{4}}", "\\boxed{5}"], answer=["0.25"] * 2))


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="fork is a POSIX start method")
def test_a_forked_child_scores_with_its_own_workers_and_leaves_the_parents_alone() -> None:
    reward = build_reward({"type": "binary", "workers": 1, "timeout": 4.0})
    try:
        assert reward(prompts=["q"], completions=["\\boxed{2}"], answer=["2"]) == [1.0]  # the parent's pool runs
        parent_end, child_end = mp.Pipe()
        child = mp.get_context("fork").Process(target=_score_in_child, args=(reward, child_end))
        child.start()
        assert parent_end.poll(120) and parent_end.recv() == [1.0, 0.0]
        child.join(30)
        assert reward(prompts=["q"], completions=["\\boxed{0.5}"], answer=["1/2"]) == [1.0]
        assert all(w.process.is_alive() for w in reward.checker._pool._workers)
    finally:
        reward.close()


_WARMED = False


def _warm_slowly() -> None:
    global _WARMED
    time.sleep(0.6)
    _WARMED = True


def _report_warmed(_key: object, items: Sequence[Any], report: Any) -> None:
    for position, _ in enumerate(items):
        report(position, _WARMED)


def test_a_worker_warms_up_before_it_takes_work_and_off_the_deadline() -> None:
    pool = DeadlinePool(_report_warmed, n_workers=1, deadline=0.3, warm=_warm_slowly)
    try:
        assert pool.run([(None, [1, 2])]) == [[True, True]]  # warmed first; the 0.6 s warm-up was not timed
    finally:
        pool.close()


def test_the_checkers_workers_parse_the_warm_up_expressions(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = checker_module.parse_answer
    monkeypatch.setattr(checker_module, "parse_answer",
                        lambda text, timeout: parsed.append(text) or real(text, timeout))
    monkeypatch.setattr(checker_module, "_PARSED", type(checker_module._PARSED)())
    checker_module.warm_parser()
    assert parsed == list(checker_module.WARM_UP_TEXTS)
    checker = checker_module.AnswerChecker(workers=1)
    try:
        checker.check([("1", "1/1")])
        assert checker._pool.warm is checker_module.warm_parser
    finally:
        checker.close()


def _sleep_each(_key: object, items: Sequence[float], report: Any) -> None:
    for position, seconds in enumerate(items):
        time.sleep(seconds)
        report(position, seconds)


def test_a_key_budget_skips_what_is_left_of_a_key_once_its_time_is_spent() -> None:
    pool = DeadlinePool(_sleep_each, n_workers=1, deadline=5.0)
    try:
        started = time.monotonic()
        results = pool.run([("slow", [0.2] * 3), ("slow", [0.2] * 3), ("fast", [0.01])], key_budget=0.5)
        elapsed = time.monotonic() - started
    finally:
        pool.close()
    slow = results[0] + results[1]
    assert slow[:2] == [0.2, 0.2] and slow[-1] is SKIPPED and all(r in (0.2, TIMED_OUT, SKIPPED) for r in slow)
    assert results[2] == [0.01]  # another key keeps its own budget
    assert elapsed < 0.5 + 5.0 + 60.0  # the budget, one deadline, and the worker's start-up at most


def _report_pid(_key: object, items: Sequence[float], report: Any) -> None:
    import os

    for position, seconds in enumerate(items):
        time.sleep(seconds)
        report(position, os.getpid())


def test_tasks_given_one_lane_go_to_one_worker_from_call_to_call_and_the_pool_tells_which() -> None:
    pool = DeadlinePool(_report_pid, n_workers=2, deadline=5.0)
    try:
        pool.run([(0, [0.0]), (1, [0.0])])  # both workers started and ready: each takes its own lane's task first
        first = pool.run([("a", [0.1]), ("b", [0.1])], lanes=[5, 2])
        assert pool.last_lanes == [1, 0]
        again = pool.run([("b", [0.1]), ("a", [0.1])], lanes=[2, 5])
    finally:
        pool.close()
    assert first[0] != first[1]  # two lanes, two workers
    assert again == [first[1], first[0]]  # a lane's work goes to its worker again, whatever the order
