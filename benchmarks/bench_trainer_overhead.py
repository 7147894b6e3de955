"""Step time of rewardlab's GRPO trainer against stock ``trl.GRPOTrainer``, alternating, in one run.

Both train the same freshly initialised model on the same prompts with the same reward
(``binary``: stock TRL receives it in ``reward_funcs``, rewardlab as its reward, with gold
tracking and the advantage swap on). Runs alternate stock / rewardlab ``--rounds`` times; the
first step of each run is warm-up and left out. Prints the median seconds per step of each, their
ratio, and the floor that the machine's measured matmul throughput sets for one step.

    python benchmarks/bench_trainer_overhead.py                      # tiny model
    python benchmarks/bench_trainer_overhead.py --model smollm2 --steps 3 --rounds 2 --completion 64 --group 4
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

import torch
from transformers import TrainerCallback
from trl import GRPOConfig
from trl import GRPOTrainer as StockGRPOTrainer

from rewardlab import build_reward
from rewardlab.data.synthetic import arithmetic_problems
from rewardlab.training.trainer import GRPOTrainer


class StepTimer(TrainerCallback):
    def __init__(self) -> None:
        self.times: list[float] = []
        self._start = 0.0

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._start = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.times.append(time.perf_counter() - self._start)


def matmul_gflops(n: int = 1024, repeats: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def load(model_name: str) -> tuple[Any, Any]:
    if model_name == "tiny":
        from rewardlab.models.tiny import TinyModelConfig, char_tokenizer, tiny_model

        tokenizer = char_tokenizer()
        return tiny_model(tokenizer, TinyModelConfig(hidden_size=128, num_layers=4, intermediate_size=512)), tokenizer
    from rewardlab.models.smollm2 import load_smollm2

    return load_smollm2()


def one_run(kind: str, args: argparse.Namespace) -> list[float]:
    model, tokenizer = load(args.model)
    reward = build_reward({"type": "binary", "workers": 1})
    config = GRPOConfig(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=args.batch, max_steps=args.steps,
                        num_generations=args.group, max_completion_length=args.completion, learning_rate=1e-5,
                        use_cpu=True, bf16=False, activation_checkpointing=False, report_to=[], save_strategy="no",
                        logging_steps=1, seed=0, disable_tqdm=True)
    timer = StepTimer()
    data = arithmetic_problems(256)
    common = dict(model=model, args=config, train_dataset=data, processing_class=tokenizer, callbacks=[timer])
    if kind == "stock":
        trainer = StockGRPOTrainer(reward_funcs=[reward], **common)
    else:
        trainer = GRPOTrainer(reward=reward, gold=build_reward({"type": "binary", "workers": 1}), **common)
    trainer.train()
    reward.close()
    return timer.times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny", choices=["tiny", "smollm2"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32, help="completions per step")
    parser.add_argument("--group", type=int, default=8, help="num_generations")
    parser.add_argument("--completion", type=int, default=16, help="max_completion_length in tokens")
    args = parser.parse_args()

    times: dict[str, list[float]] = {"stock": [], "rewardlab": []}
    for round_ in range(args.rounds):
        for kind in ("stock", "rewardlab") if round_ % 2 == 0 else ("rewardlab", "stock"):
            times[kind].extend(one_run(kind, args))
    stock, ours = statistics.median(times["stock"]), statistics.median(times["rewardlab"])
    model, _ = load(args.model)
    params = sum(p.numel() for p in model.parameters())
    gflops = matmul_gflops()
    # Generation (2 N per token), the old-policy pass when several updates reuse a batch, and training (6 N per
    # token), over prompt + completion tokens; prompts here are ~8 tokens.
    tokens = args.batch * (args.completion + 8)
    floor = (2 * params * tokens + 6 * params * tokens) / (gflops * 1e9)
    print(f"model {args.model}: {params / 1e6:.2f} M parameters; {args.batch} completions × ≤{args.completion} "
          f"tokens per step; {len(times['stock'])} timed steps each")
    print(f"stock trl.GRPOTrainer : {stock:.3f} s/step (median)")
    print(f"rewardlab GRPOTrainer : {ours:.3f} s/step (median)")
    print(f"ratio rewardlab / stock: {ours / stock:.3f}")
    print(f"matmul throughput {gflops:.0f} GFLOP/s → compute floor {floor:.4f} s/step "
          f"({stock / floor:.0f}× above it for stock TRL)")


if __name__ == "__main__":
    main()
