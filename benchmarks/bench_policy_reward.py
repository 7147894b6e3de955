"""Step time of rewardlab's GRPO trainer with a reward that reads the policy against binary alone, alternating.

Both arms train the same freshly initialised model on the same prompts with rewardlab's trainer and binary gold
tracking; one scores with ``binary``, the other with a policy reward (default ``self_certainty``, which costs one
extra forward pass without gradient per generation batch, chunked over the vocabulary). Runs alternate
``--rounds`` times; the first step of each run is warm-up and left out. Prints each arm's median seconds per step
and their ratio (the target is at most 1.35).

    python benchmarks/bench_policy_reward.py                                  # tiny model, bench-cell batch
    python benchmarks/bench_policy_reward.py --reward '{type: reference_probability, debias: true}'
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from typing import Any

import yaml
from bench_trainer_overhead import StepTimer, load
from trl import GRPOConfig

from rewardlab import build_reward
from rewardlab.data.synthetic import arithmetic_problems
from rewardlab.training.trainer import GRPOTrainer


def one_run(spec: Any, args: argparse.Namespace) -> list[float]:
    model, tokenizer = load(args.model)
    reward = build_reward(spec)
    config = GRPOConfig(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=args.batch, max_steps=args.steps,
                        num_generations=args.group, max_completion_length=args.completion, learning_rate=1e-5,
                        use_cpu=True, bf16=False, activation_checkpointing=False, report_to=[], save_strategy="no",
                        logging_steps=1, seed=0, disable_tqdm=True)
    timer = StepTimer()
    gold = build_reward({"type": "binary", "workers": 1})
    trainer = GRPOTrainer(model=model, reward=reward, gold=gold, args=config, train_dataset=arithmetic_problems(256),
                          processing_class=tokenizer, callbacks=[timer])
    trainer.train()
    reward.close()
    gold.close()
    return timer.times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reward", default="self_certainty", help="the policy reward (a name or an inline mapping)")
    parser.add_argument("--model", default="tiny", choices=["tiny", "smollm2"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=32, help="completions per step (a bench cell's 32)")
    parser.add_argument("--group", type=int, default=8, help="num_generations (a bench cell's 8)")
    parser.add_argument("--completion", type=int, default=80, help="max_completion_length (a bench cell's 80)")
    args = parser.parse_args()

    arms = {"binary": {"type": "binary", "workers": 1}, "policy": yaml.safe_load(args.reward)}
    times: dict[str, list[float]] = {name: [] for name in arms}
    for round_ in range(args.rounds):
        for name in ("binary", "policy") if round_ % 2 == 0 else ("policy", "binary"):
            times[name].extend(one_run(arms[name], args))
    binary, policy = statistics.median(times["binary"]), statistics.median(times["policy"])
    print(f"model {args.model}; {args.batch} completions × ≤{args.completion} tokens per step, group "
          f"{args.group}; {len(times['binary'])} timed steps each")
    print(f"binary alone          : {binary:.3f} s/step (median)")
    print(f"{args.reward:<22}: {policy:.3f} s/step (median)")
    print(f"ratio policy / binary : {policy / binary:.3f}")


if __name__ == "__main__":
    main()
