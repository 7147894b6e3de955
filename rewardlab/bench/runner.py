"""Run the cells of a bench grid: pretrain or load each organism, measure, train, measure again.

Finished cells are appended to ``results.jsonl`` as they end; running the grid again skips them,
so an interrupted bench resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from rewardlab.bench.config import BenchConfig
from rewardlab.organisms.pretrain import heldout_problems, load_organism, measure, pretrain
from rewardlab.training.tracking import read_metrics

UNCLIPPED_EPSILON = 1.0e6


def finished_cells(results_path: Path) -> dict[str, dict[str, Any]]:
    if not results_path.is_file():
        return {}
    return {row["id"]: row for row in map(json.loads, results_path.read_text().splitlines()) if row}


def _organism_baseline(config: BenchConfig, name: str, cache_dir: Path | None, out_dir: Path) -> dict[str, float]:
    """The organism measured before any RL (computed once per organism and kept in the out folder)."""
    organism = config.organism(name)
    path = out_dir / "organisms" / f"{name}-{organism.key()}-n{config.eval.n}-k{config.eval.k}.json"
    if path.is_file():
        return json.loads(path.read_text())
    model, tokenizer = load_organism(pretrain(organism, cache_dir))
    values = measure(model, tokenizer, n=config.eval.n, samples=config.eval.k)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    return values


def _training_args(config: BenchConfig, cell: dict[str, Any], run_dir: Path) -> Any:
    from trl import GRPOConfig

    rl = config.rl
    batch = rl.prompts_per_step * rl.num_generations // rl.updates_per_batch
    epsilon = 0.2 if cell["clipping"] else UNCLIPPED_EPSILON
    return GRPOConfig(
        output_dir=str(run_dir / "checkpoints"), per_device_train_batch_size=batch,
        steps_per_generation=rl.updates_per_batch, num_generations=rl.num_generations, max_steps=rl.steps,
        learning_rate=rl.learning_rate, lr_scheduler_type="constant", warmup_steps=0, beta=0.0, epsilon=epsilon,
        epsilon_high=epsilon, temperature=rl.temperature, loss_type=rl.loss_type,
        max_completion_length=rl.max_completion_length, use_cpu=True, bf16=False, gradient_checkpointing=False,
        report_to=[], save_strategy="no", logging_steps=1, seed=cell["seed"], disable_tqdm=True)


def run_cell(config: BenchConfig, cell: dict[str, Any], cache_dir: Path | None, out_dir: Path) -> dict[str, Any]:
    """Train one cell and return its result row."""
    from datasets import Dataset
    from transformers import TrainerCallback

    from rewardlab.advantages import build_advantage
    from rewardlab.rewards import BinaryCorrectness
    from rewardlab.training.trainer import GRPOTrainer

    started = time.perf_counter()
    before = _organism_baseline(config, cell["organism"], cache_dir, out_dir)
    model, tokenizer = load_organism(pretrain(config.organism(cell["organism"]), cache_dir))
    run_dir = out_dir / "cells" / cell["id"]
    (run_dir / "metrics.jsonl").unlink(missing_ok=True)
    n_prompts = config.rl.steps * config.rl.prompts_per_step // config.rl.updates_per_batch + 1
    prompts, answers = heldout_problems(n_prompts, seed=1000 + cell["seed"])
    reward = config.reward(cell["reward"])
    gold = BinaryCorrectness(workers=1)
    trainer = GRPOTrainer(model=model, reward=reward, args=_training_args(config, cell, run_dir),
                          advantage=build_advantage(cell["advantage"]), gold=gold,
                          train_dataset=Dataset.from_dict({"prompt": prompts, "answer": answers}),
                          processing_class=tokenizer, metrics_path=run_dir / "metrics.jsonl")

    class Curve(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if config.eval.every and state.global_step % config.eval.every == 0:
                point = measure(trainer.model, tokenizer, n=config.eval.n)
                trainer.log({f"heldout/{k}": v for k, v in point.items()})

    trainer.add_callback(Curve())
    try:
        trainer.train()
    finally:
        reward.close()
        gold.close()
    after = measure(trainer.model, tokenizer, n=config.eval.n, samples=config.eval.k)
    return _row(cell, before, after, read_metrics(run_dir / "metrics.jsonl"), config.eval.k,
                time.perf_counter() - started)


def _first_last(records: list[dict[str, Any]], key: str) -> tuple[float, float]:
    values = [r[key] for r in records if r.get(key) is not None]
    return (values[0], values[-1]) if values else (math.nan, math.nan)


def _row(cell: dict[str, Any], before: dict[str, float], after: dict[str, float], records: list[dict[str, Any]],
         k: int, seconds: float) -> dict[str, Any]:
    agreement = _first_last(records, "rewardlab/agreement")
    clipped = [r.get("clip_ratio/region_mean") for r in records if r.get("clip_ratio/region_mean") is not None]
    return {
        **cell,
        "accuracy_before": before["accuracy"], "accuracy_after": after["accuracy"],
        "accuracy_delta": after["accuracy"] - before["accuracy"],
        "trace_before": before["trace_rate"], "trace_after": after["trace_rate"],
        f"pass@{k}_before": before.get(f"pass@{k}", math.nan), f"pass@{k}_after": after.get(f"pass@{k}", math.nan),
        "trace_accuracy_after": after["trace_accuracy"], "direct_accuracy_after": after["direct_accuracy"],
        "agreement_start": agreement[0], "agreement_end": agreement[1],
        "clipped_fraction": sum(clipped) / len(clipped) if clipped else math.nan,
        "seconds": round(seconds, 1),
    }


def run_grid(config: BenchConfig, cache_dir: Path | None = None, progress: Any = None) -> list[dict[str, Any]]:
    """Every cell's row, running only the cells not already in ``results.jsonl``."""
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    done = finished_cells(results_path)
    rows = []
    for cell in config.cells():
        if cell["id"] not in done:
            if progress is not None:
                progress(cell, len(rows))
            row = run_cell(config, cell, cache_dir, out_dir)
            with results_path.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            done[cell["id"]] = row
        rows.append(done[cell["id"]])
    return rows
