"""Organism pretraining: length-sorted micro-batches against one padded batch per step.

Pretrains an organism (``qwen_math_like`` by default) for ``--steps`` steps twice on one thread, from the
same initialisation and the same documents: once with ``micro_batch`` equal to the batch (the whole
step's documents padded to the longest, as pretraining was before micro-batches) and once with the
organism's own ``micro_batch``. Prints, for each, the seconds per step and the share of the tokens
computed that are padding, then the speed-up. Alternates the two ``--repeats`` times so that a load
change on the machine hits both.

    python benchmarks/bench_pretrain.py                          # qwen_math_like, 20 steps, 2 repeats
    python benchmarks/bench_pretrain.py --organism llama_like
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import time

import torch

from rewardlab.models.tiny import char_tokenizer, tiny_model
from rewardlab.organisms.pretrain import ORGANISMS, accumulate_loss, document


def padding_share(texts: list[str], micro_batch: int) -> float:
    """The share of the token positions computed that are padding (each group padded to its longest + eos)."""
    lengths = sorted(len(t) + 1 for t in texts)
    groups = [lengths[i:i + micro_batch] for i in range(0, len(lengths), micro_batch)]
    computed = sum(max(group) * len(group) for group in groups)
    return 1 - sum(lengths) / computed


def run(config, micro_batch: int, steps: int) -> tuple[float, float]:
    """(seconds per step, padding share) of ``steps`` pretraining steps with ``micro_batch``."""
    tokenizer = char_tokenizer()
    model = tiny_model(tokenizer, dataclasses.replace(config.model, seed=config.seed))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    rng = random.Random(config.seed)
    shares = []
    started = time.perf_counter()
    for _ in range(steps):
        texts = ["".join(document(config, rng)) for _ in range(config.batch_size)]
        shares.append(padding_share(texts, micro_batch))
        optimizer.zero_grad()
        accumulate_loss(model, tokenizer, texts, micro_batch)
        optimizer.step()
    return (time.perf_counter() - started) / steps, statistics.mean(shares)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organism", default="qwen_math_like", choices=sorted(ORGANISMS))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = ORGANISMS[args.organism]
    layouts = {"one padded batch": config.batch_size, f"micro-batches of {config.micro_batch}": config.micro_batch}
    times: dict[str, list[float]] = {name: [] for name in layouts}
    for repeat in range(args.repeats):
        for name, micro_batch in layouts.items():
            seconds, share = run(config, micro_batch, args.steps)
            times[name].append(seconds)
            print(f"repeat {repeat + 1}: {name:>20}: {seconds * 1000:6.0f} ms per step, padding {share:.0%}")
    baseline, ours = (statistics.median(values) for values in times.values())
    print(f"{args.organism}, batch {config.batch_size}, {args.steps} steps on 1 thread: "
          f"micro-batches take {ours / baseline:.2f}× the time of one padded batch ({baseline / ours:.2f}× faster)")


if __name__ == "__main__":
    main()
