"""Throughput of the ``judge`` reward over HTTP: concurrency 1 vs N, and a cold vs a warm reply cache.

Two servers, both real OpenAI-compatible HTTP servers on 127.0.0.1:

- ``scripted`` (default): :class:`rewardlab.judge.testing.ScriptedServer`, answering every request
  after an artificial latency (``--latency``, default 50 ms), as a remote API would; isolates the
  client's own overhead and how well it overlaps waiting.
- ``serve``: ``transformers serve`` on SmolLM2-135M (the converted folder), a real model generating
  ``--max-tokens`` tokens per judgement on this machine's CPU.

For each server the same items are judged (pointwise) with concurrency 1, then N, each with an empty
cache (cold), then once more with the cache the last run filled (warm). Items/s and ratios are printed.

    python benchmarks/bench_judge.py                                  # scripted, 64 items, 50 ms
    python benchmarks/bench_judge.py --server serve --items 8 --concurrency 1 4
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence

from rewardlab import RolloutBatch
from rewardlab.judge import JudgeReward, OpenAIBackend
from rewardlab.judge.testing import ScriptedServer, closed_port, fixed_reply


def make_batch(n: int) -> RolloutBatch:
    """``n`` distinct judge items (distinct prompts, so no two requests are deduplicated)."""
    prompts = tuple(f"What is {i} + {i + 1}?" for i in range(n))
    completions = tuple(f"{i} + {i + 1} = {2 * i + 1 + i % 2}, so \\boxed{{{2 * i + 1 + i % 2}}}" for i in range(n))
    return RolloutBatch(prompts=prompts, completions=completions, answers=tuple(str(2 * i + 1) for i in range(n)))


@contextlib.contextmanager
def scripted(latency: float) -> Iterator[tuple[str, str]]:
    with ScriptedServer(fixed_reply("Analysis: fine.\nScore: \\boxed{7}", delay=latency)) as server:
        yield server.url, "scripted"


@contextlib.contextmanager
def served_smollm2() -> Iterator[tuple[str, str]]:
    from rewardlab.models.smollm2 import smollm2_dir

    model, port = str(smollm2_dir()), closed_port()
    command = [sys.executable, "-c", "import sys; from transformers.cli.transformers import main; sys.exit(main())",
               "serve", model, "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "HF_HUB_OFFLINE": "1"}, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("transformers serve did not become healthy (is transformers[serving] installed?)")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{port}/health",
                                                                      timeout=2) as reply:
                if json.loads(reply.read()).get("status") == "ok":
                    break
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1", model
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def timed(reward: JudgeReward, batch: RolloutBatch) -> float:
    """Items per second of one ``score`` call (the reward's client is connected before timing)."""
    _ = reward.client
    started = time.perf_counter()
    result = reward.score(batch)
    elapsed = time.perf_counter() - started
    if all(s is None for s in result.scores) and "scripted" in repr(reward.backend):
        raise SystemExit("the scripted judge's replies were not read")
    return len(batch) / elapsed


def run(url: str, model: str, batch: RolloutBatch, concurrencies: Sequence[int], max_tokens: int) -> None:
    rows: list[tuple[str, float]] = []
    for concurrency in concurrencies:
        with tempfile.TemporaryDirectory(prefix="judge-cache-") as cache:
            def judge(cache_dir: str = cache, concurrency: int = concurrency) -> JudgeReward:
                backend = OpenAIBackend(model=model, base_url=url, concurrency=concurrency, timeout=600, retries=1)
                return JudgeReward(backend=backend, max_tokens=max_tokens, cache_dir=cache_dir)

            rows.append((f"concurrency {concurrency:>2}, cold cache", timed(judge(), batch)))
            rows.append((f"concurrency {concurrency:>2}, warm cache", timed(judge(), batch)))
    base = rows[0][1]
    for name, rate in rows:
        print(f"  {name}: {rate:11.3f} items/s  {1000 / rate:10.2f} ms/item  "
              f"({rate / base:9.1f}x concurrency {concurrencies[0]} cold)")
    cold = [rate for name, rate in rows if "cold" in name]
    warm = [rate for name, rate in rows if "warm" in name]
    print(f"  concurrency {concurrencies[-1]} vs {concurrencies[0]} (cold): {cold[-1] / cold[0]:.1f}x;  "
          f"warm vs cold at concurrency {concurrencies[-1]}: {warm[-1] / cold[-1]:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["scripted", "serve"], default="scripted")
    parser.add_argument("--items", type=int, default=64)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--latency", type=float, default=0.05, help="scripted server: seconds per request")
    parser.add_argument("--max-tokens", type=int, default=16, help="judge reply length (matters for serve)")
    args = parser.parse_args()
    batch = make_batch(args.items)
    print(f"{os.cpu_count()} CPUs; {args.items} pointwise items; server: {args.server}"
          + (f" with {args.latency * 1000:.0f} ms per request" if args.server == "scripted" else
             f" (SmolLM2-135M, {args.max_tokens} tokens per judgement)"))
    server = scripted(args.latency) if args.server == "scripted" else served_smollm2()
    with server as (url, model):
        run(url, model, batch, args.concurrency, args.max_tokens)


if __name__ == "__main__":
    main()
