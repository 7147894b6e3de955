"""Step time of rewardlab's GRPO trainer when the reward reads the policy, against binary alone, alternating.

A bench cell's setting: the shipped ``qwen_math_like`` organism (``--model organism``; ``tiny`` for a freshly
initialised tiny Llama) trained by rewardlab's trainer on its own problems, 32 completions of at most 80 tokens
per step in groups of 8. One arm's reward is ``binary``; the other's is ``binary`` plus a policy reward (default
``self_certainty``, which costs one extra forward pass without gradient per generation batch, chunked over the
vocabulary), so the difference is what reading the policy costs. No gold tracking in either arm. Runs alternate
``--rounds`` times; the first step of each run is warm-up and left out. Prints each arm's median seconds per step
and their ratio (the target is at most 1.35), and the same ratio estimated from the scoring phase alone (the binary
step plus what reading the policy adds to scoring), which a loaded machine's swings in generation time leave alone.

    python benchmarks/bench_policy_reward.py
    python benchmarks/bench_policy_reward.py --reward '{type: reference_probability, debias: true}'
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

import yaml
from bench_trainer_overhead import StepTimer, load
from datasets import Dataset
from trl import GRPOConfig

from rewardlab import build_reward
from rewardlab.data.synthetic import arithmetic_problems
from rewardlab.training.trainer import GRPOTrainer

ORGANISM = Path(__file__).resolve().parents[1] / "rewardlab" / "organisms" / "shipped" / "qwen_math_like"


def model_and_data(name: str) -> tuple[Any, Any, Any]:
    if name == "tiny":
        return (*load("tiny"), arithmetic_problems(256))
    from rewardlab.organisms import heldout_problems, load_organism

    prompts, labels = heldout_problems(256)
    return (*load_organism(ORGANISM), Dataset.from_dict({"prompt": prompts, "answer": labels}))


def one_run(spec: Any, args: argparse.Namespace) -> tuple[list[float], float]:
    """The seconds of each timed step, and the scoring phase's seconds per step (all steps)."""
    model, tokenizer, data = model_and_data(args.model)
    reward = build_reward(spec)
    config = GRPOConfig(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=args.batch, max_steps=args.steps,
                        num_generations=args.group, max_completion_length=args.completion, learning_rate=3e-5,
                        use_cpu=True, bf16=False, activation_checkpointing=False, report_to=[], save_strategy="no",
                        logging_steps=1, seed=0, disable_tqdm=True, log_level="warning")
    timer = StepTimer()
    trainer = GRPOTrainer(model=model, reward=reward, args=config, train_dataset=data, processing_class=tokenizer,
                          callbacks=[timer])
    trainer.train()
    reward.close()
    return timer.times[1:], trainer.phase_seconds.get("scoring", 0.0) / args.steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reward", default="self_certainty", help="the policy reward (a name or an inline mapping)")
    parser.add_argument("--model", default="organism", choices=["organism", "tiny"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=32, help="completions per step (a bench cell's 32)")
    parser.add_argument("--group", type=int, default=8, help="num_generations (a bench cell's 8)")
    parser.add_argument("--completion", type=int, default=80, help="max_completion_length (a bench cell's 80)")
    args = parser.parse_args()

    binary = {"type": "binary", "workers": 1}
    arms = {"binary": binary, "policy": {"type": "weighted_sum", "terms": [
        {"reward": binary}, {"reward": yaml.safe_load(args.reward)}]}}
    times: dict[str, list[float]] = {name: [] for name in arms}
    scoring: dict[str, list[float]] = {name: [] for name in arms}
    for round_ in range(args.rounds):
        for name in ("binary", "policy") if round_ % 2 == 0 else ("policy", "binary"):
            steps, scored = one_run(arms[name], args)
            times[name].extend(steps)
            scoring[name].append(scored)
    alone, with_policy = statistics.median(times["binary"]), statistics.median(times["policy"])
    extra = statistics.median(scoring["policy"]) - statistics.median(scoring["binary"])
    print(f"model {args.model}; {args.batch} completions × ≤{args.completion} tokens per step, group "
          f"{args.group}; {len(times['binary'])} timed steps each")
    print(f"binary alone             : {alone:.3f} s/step (median)")
    print(f"binary + {args.reward:<16}: {with_policy:.3f} s/step (median)")
    print(f"ratio                    : {with_policy / alone:.3f}")
    # Generation dominates a step and swings with the machine's load; the scoring phase holds all that reading
    # the policy adds, so the binary step plus that difference is a steadier estimate of the same ratio.
    print(f"scoring phase            : {statistics.median(scoring['binary']):.3f} s/step binary, "
          f"{statistics.median(scoring['policy']):.3f} s/step with {args.reward}")
    print(f"ratio from the scoring phase: {(alone + extra) / alone:.3f}")


if __name__ == "__main__":
    main()
