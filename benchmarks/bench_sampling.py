"""Throughput of ``rewardlab sample``'s backends against the naive way of doing the same.

- ``local``: SmolLM2-135M-Instruct (greedy, ``--new-tokens`` per prompt, chat template) through the local
  backend, ``--batch`` prompts per ``generate`` call, against a loop calling ``generate`` on one prompt at a
  time. Both use the same loaded model, prompts and options; the model's load is not timed.
- ``endpoint``: ``sample_to_file`` through the endpoint backend with ``--concurrency`` requests in flight,
  against the same with one request at a time (sequential), to a scripted OpenAI-compatible server on
  127.0.0.1 answering each request after ``--latency`` seconds (as a remote API would).

Prints prompts/s (and generated tokens/s for ``local``) and the ratios::

    python benchmarks/bench_sampling.py                      # both, 64 prompts x 64 tokens, batch 64, conc. 16
    python benchmarks/bench_sampling.py --only endpoint --requests 256
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from rewardlab.judge.testing import ScriptedServer, fixed_reply
from rewardlab.sampling import SampleSettings, sample_to_file
from rewardlab.sampling.problems import Problem
from rewardlab.sampling.requests import build_requests


def problems(n: int) -> list[Problem]:
    """``n`` distinct word problems whose worked answers run past 64 tokens."""
    return [Problem(prompt=f"A shop sells {i + 3} boxes of {2 * i + 5} pencils each. Explain step by step how many "
                           f"pencils it sells.", answer=str((i + 3) * (2 * i + 5)), id=str(i)) for i in range(n)]


def bench_local(n_prompts: int, new_tokens: int, batch: int, threads: int | None) -> None:
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    from rewardlab.sampling.backends.local import LocalSampler, generation_options

    settings = SampleSettings(model="smollm2", data="-", temperature=0.0, max_new_tokens=new_tokens, concurrency=batch)
    sampler = LocalSampler(settings)
    requests = build_requests(problems(n_prompts), n=1, template="{prompt}", seed=0)
    model, tokenizer = sampler.model, sampler.tokenizer
    print(f"local: SmolLM2-135M on {model.device} ({model.dtype}), torch threads {torch.get_num_threads()}, "
          f"{n_prompts} prompts x up to {new_tokens} new tokens, greedy")

    options = generation_options(settings, tokenizer.pad_token_id)
    sampler.generate(requests[:1])  # warm-up, untimed
    started = time.perf_counter()
    loop_tokens = 0
    for request in requests:  # the naive way: one prompt per generate call
        encoded = tokenizer(sampler.input_text(request.prompt), return_tensors="pt",
                            add_special_tokens=False).to(model.device)
        with torch.inference_mode():
            output = model.generate(**encoded, **options)
        new = output[0, encoded["input_ids"].shape[1]:].tolist()
        loop_tokens += len(new[:new.index(tokenizer.eos_token_id)] if tokenizer.eos_token_id in new else new)
    loop_s = time.perf_counter() - started

    started = time.perf_counter()
    outputs = [output for _, output in sampler.complete(requests)]
    batched_s = time.perf_counter() - started
    batched_tokens = sum(o.completion_tokens or 0 for o in outputs)

    for name, seconds, tokens in (("one prompt per generate", loop_s, loop_tokens),
                                  (f"local backend, batch {batch}", batched_s, batched_tokens)):
        print(f"  {name:>26}: {seconds:8.1f} s  {n_prompts / seconds:7.2f} prompts/s  {tokens / seconds:8.1f} "
              f"tokens/s  ({tokens} tokens)")
    print(f"  batched vs one at a time: {loop_s / batched_s:.1f}x prompts/s")


def bench_endpoint(n_requests: int, concurrency: int, latency: float) -> None:
    print(f"endpoint: scripted server, {latency * 1000:.0f} ms per request, {n_requests} requests")
    with tempfile.TemporaryDirectory(prefix="bench-sampling-") as folder:
        data = Path(folder) / "problems.jsonl"
        data.write_text("".join(json.dumps({"prompt": p.prompt, "answer": p.answer}) + "\n"
                                for p in problems(n_requests)), encoding="utf-8")
        rates = {}
        with ScriptedServer(fixed_reply("So it sells \\boxed{42} pencils.", delay=latency)) as server:
            for width in (1, concurrency):
                settings = SampleSettings(model="scripted", data=str(data), endpoint=server.url, concurrency=width)
                started = time.perf_counter()
                sample_to_file(settings, Path(folder) / f"out-{width}.jsonl", progress=False)
                rate = rates[width] = n_requests / (time.perf_counter() - started)
                print(f"  concurrency {width:>3}: {rate:8.1f} requests/s  {1000 / rate:6.1f} ms/request")
            if len(server.requests) != 2 * n_requests:
                raise SystemExit(f"expected {2 * n_requests} requests, the server saw {len(server.requests)}")
    print(f"  concurrency {concurrency} vs sequential: {rates[concurrency] / rates[1]:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["local", "endpoint"], help="run one of the two (default both)")
    parser.add_argument("--prompts", type=int, default=64, help="local: prompts")
    parser.add_argument("--new-tokens", type=int, default=64, help="local: most new tokens per prompt")
    parser.add_argument("--batch", type=int, default=64, help="local: prompts per generate call")
    parser.add_argument("--threads", type=int, help="local: torch threads (default torch's own choice)")
    parser.add_argument("--requests", type=int, default=128, help="endpoint: requests (one sample per problem)")
    parser.add_argument("--concurrency", type=int, default=16, help="endpoint: requests in flight")
    parser.add_argument("--latency", type=float, default=0.05, help="endpoint: server seconds per request")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.only in (None, "endpoint"):
        bench_endpoint(args.requests, args.concurrency, args.latency)
    if args.only in (None, "local"):
        bench_local(args.prompts, args.new_tokens, args.batch, args.threads)
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
