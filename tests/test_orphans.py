"""A parent killed with ``kill -9`` leaves no worker behind: the checker's pool ends with it.

Each test starts a real parent process that starts a real checker pool, kills the parent with SIGKILL
(no clean-up runs), and watches the workers' process ids until they are gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GONE_WITHIN_S = 5.0

# Scores one batch with two checker workers (from the main thread, or from a thread that then ends), prints
# the workers' pids and sleeps until killed.
_PARENT = textwrap.dedent("""
    import json, sys, threading, time
    from rewardlab.rewards import BinaryCorrectness

    reward = BinaryCorrectness(workers=2)
    def score():
        reward(prompts=["q"] * 4, completions=["\\\\boxed{\\\\frac{1}{2}}", "\\\\boxed{0.5}", "x", "\\\\boxed{3}"],
               answer=["1/2", "1/2", "3", "3"])  # two labels: two tasks, one for each worker
    if sys.argv[1] == "thread":
        thread = threading.Thread(target=score)
        thread.start()
        thread.join()
    else:
        score()
    print(json.dumps([w.process.pid for w in reward.checker._pool._workers]), flush=True)
    time.sleep(600)
""")


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its new parent, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _wait_until_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + GONE_WITHIN_S
    while (left := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")


@pytest.mark.parametrize("started_from", ["main", "thread"])  # kernel signal and watchdog; watchdog alone
def test_checker_workers_end_when_their_parent_is_killed(started_from: str) -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, started_from], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline()
        assert line, parent.stderr.read()
        workers = json.loads(line)
        assert len(workers) == 2 and all(_alive(p) for p in workers)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert _wait_until_gone(workers) == [], f"workers still running {GONE_WITHIN_S} s after the parent was killed"


def test_a_killed_rewardlab_score_leaves_no_worker(tmp_path: Path) -> None:
    rollouts = tmp_path / "rollouts.jsonl"
    with rollouts.open("w") as handle:
        for i in range(4000):
            handle.write(json.dumps({"prompt": f"p{i // 8}", "completion": f"\\boxed{{\\frac{{{i}}}{{{i % 7 + 2}}}}}",
                                     "answer": f"\\frac{{{i // 8}}}{{3}}"}) + "\n")
    parent = subprocess.Popen([sys.executable, "-m", "rewardlab.cli.main", "score", str(rollouts), "-r", "binary"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 120
        while len(workers := _children(parent.pid)) < 2:
            assert parent.poll() is None, f"score ended before its pool was seen: {parent.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "no checker workers within 120 s"
            time.sleep(0.05)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert _wait_until_gone(workers) == [], f"workers still running {GONE_WITHIN_S} s after score was killed"
