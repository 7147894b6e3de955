"""A ``rewardlab sample`` process killed with SIGKILL part-way, then rerun: every sample ends up in the file
exactly once, and the rerun asks the endpoint only for the samples the file lacked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rewardlab.data import read_rollouts
from rewardlab.judge.testing import RecordedRequest, ScriptedReply, ScriptedServer, chat_reply

pytestmark = pytest.mark.slow

PROBLEMS, SAMPLES = 12, 4
KILL_AFTER_LINES = 10


def slow_echo(request: RecordedRequest) -> ScriptedReply:
    return chat_reply(f"echo: {request.json()['messages'][0]['content']} \\boxed{{0}}", delay=0.05)


def complete_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def settled_count(server: ScriptedServer) -> int:
    """The requests the server has received, once the killed client's last ones have stopped arriving."""
    count = -1
    while count != len(server.requests):
        count = len(server.requests)
        time.sleep(0.5)
    return count


def test_a_killed_run_resumes_with_every_sample_exactly_once(tmp_path: Path) -> None:
    data, out = tmp_path / "problems.jsonl", tmp_path / "rollouts.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"What is {i} + 0?", "answer": str(i)}) + "\n"
                            for i in range(PROBLEMS)), encoding="utf-8")
    total = PROBLEMS * SAMPLES
    with ScriptedServer(slow_echo) as server:
        command = [sys.executable, "-m", "rewardlab.cli.main", "sample", "served", "--data", str(data), "-n",
                   str(SAMPLES), "--endpoint", server.url, "--concurrency", "2", "-o", str(out)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while complete_lines(out) < KILL_AFTER_LINES and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL, process.stderr.read().decode() if process.stderr else ""
        kept = complete_lines(out)
        assert KILL_AFTER_LINES <= kept < total
        asked_before = settled_count(server)

        rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        assert f"resuming, {kept} of {total} samples there already" in rerun.stderr
        assert len(server.requests) - asked_before == total - kept  # only the missing samples were asked for
    keys = [(row["group_id"], row["sample"]) for row in read_rollouts(out)]
    assert sorted(keys) == [(g, s) for g in range(PROBLEMS) for s in range(SAMPLES)]
