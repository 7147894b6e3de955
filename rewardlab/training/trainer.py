"""rewardlab's GRPO trainer: TRL's ``GRPOTrainer`` with rewardlab rewards, advantage transforms and tracking.

A thin subclass; the only module that imports TRL. It changes three things and nothing else:

1. ``_calculate_rewards``: each process scores its slice of the generation batch *once* with the
   rewardlab reward, as a :class:`RolloutBatch` with explicit group ids (``global index // G``,
   TRL keeps a prompt's G generations adjacent), global sample indices and the training step; a
   reward that raises is named with the sample it failed on. The gold reward (``binary`` against
   the ``answer`` column) is scored beside it, and the per-step drift metrics are logged.
2. ``_generate_and_score_completions``: after TRL's own pass, the advantages are recomputed from
   the gathered rewards by the rewardlab advantage transform, and the advantages the loss reads
   and the ones TRL logs are replaced by them.
3. ``log``: every logged record is also appended to ``metrics.jsonl`` in the run directory.

It also times where a step goes (:attr:`GRPOTrainer.phase_seconds`): generation (sampling and the
old-policy log-probs, TRL's rollout pass without the rewards), scoring (the training reward),
tracking (the gold reward and drift metrics) and the update (loss, backward, optimiser step).

TRL's private methods overridden here are guarded by ``tests/test_trainer.py``, and TRL is pinned
to a minor version in ``pyproject.toml``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from accelerate.utils import gather_object
from trl import GRPOConfig
from trl import GRPOTrainer as TRLGRPOTrainer

from rewardlab.advantages import AdvantageTransform, build_advantage, compute_advantages
from rewardlab.rewards.base import Reward
from rewardlab.training.scoring import OnError, score_safely
from rewardlab.training.tracking import MetricsWriter, step_metrics
from rewardlab.types import RewardResult, RolloutBatch, completion_text, prompt_key

_TRL_COLUMNS = ("prompt", "completion", "completion_ids", "answer")
# Diagnostics gathered across processes for the step metrics.
_TRACKED = ("confidence", "abstained", "pseudo_label_correct")
PHASES = ("generation", "scoring", "tracking", "update")


def check_group_integrity(args: GRPOConfig, num_processes: int) -> None:
    """Refuse a configuration in which a process would hold part of a prompt's group.

    Each process generates ``per_device_train_batch_size × steps_per_generation`` completions per
    generation batch; group rewards (self-consistency, tournaments) need every group whole there.
    """
    local = args.per_device_train_batch_size * args.steps_per_generation
    if local % args.num_generations:
        raise ValueError(
            f"each process generates per_device_train_batch_size × steps_per_generation = "
            f"{args.per_device_train_batch_size} × {args.steps_per_generation} = {local} completions per batch, "
            f"which is not a multiple of num_generations = {args.num_generations}, so a prompt's group would be "
            f"split across processes ({num_processes}). Make per_device_train_batch_size × steps_per_generation "
            f"a multiple of num_generations, e.g. per_device_train_batch_size = {args.num_generations}.")


class GRPOTrainer(TRLGRPOTrainer):
    """GRPO with a rewardlab reward, a rewardlab advantage transform and per-step drift tracking.

    Args:
        model: a model, or a local path / hub id, as for ``trl.GRPOTrainer``.
        reward: the training reward (any rewardlab reward, combinators included).
        args: TRL's ``GRPOConfig``.
        advantage: the advantage transform (default ``group_norm``, GRPO's).
        gold: the reward that defines correctness for tracking (default: none; the run builder
            passes ``binary`` when the data has an ``answer`` column).
        on_reward_error: ``"raise"`` stops with the failing sample named; ``"none"`` gives that
            group no signal and counts it in ``rewardlab/reward_errors``.
        metrics_path: where to append ``metrics.jsonl`` (main process only).
        **kwargs: everything else ``trl.GRPOTrainer`` takes (``train_dataset``, ``processing_class``, ...).
    """

    def __init__(self, model: Any, reward: Reward, args: GRPOConfig, *, advantage: AdvantageTransform | None = None,
                 gold: Reward | None = None, on_reward_error: OnError = "raise",
                 metrics_path: str | Path | None = None, **kwargs: Any) -> None:
        self.reward = reward
        self.advantage = advantage if advantage is not None else build_advantage("group_norm")
        self.gold = gold
        self.on_reward_error: OnError = on_reward_error
        self._rewards = torch.empty(0)
        self.phase_seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        super().__init__(model=model, reward_funcs=[reward], args=args, **kwargs)
        check_group_integrity(self.args, self.accelerator.num_processes)
        self.metrics_writer = MetricsWriter(metrics_path) if metrics_path and self.accelerator.is_main_process else None

    @contextmanager
    def _timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phase_seconds[phase] += time.perf_counter() - started

    def phase_shares(self) -> dict[str, float]:
        """Each phase's share of the time spent in training steps so far (they sum to 1)."""
        total = sum(self.phase_seconds.values())
        return {phase: seconds / total if total else math.nan for phase, seconds in self.phase_seconds.items()}

    def training_step(self, model: Any, inputs: Any, num_items_in_batch: Any = None) -> torch.Tensor:
        """TRL's step, timed: whatever the rollout phases did not claim is the update."""
        claimed = sum(self.phase_seconds[p] for p in PHASES if p != "update")
        started = time.perf_counter()
        loss = super().training_step(model, inputs, num_items_in_batch)
        rollout = sum(self.phase_seconds[p] for p in PHASES if p != "update") - claimed
        self.phase_seconds["update"] += time.perf_counter() - started - rollout
        return loss

    # 1. Scoring ---------------------------------------------------------------------------------
    def _rollout_batch(self, inputs: list[dict[str, Any]], prompts: list[Any], completions: list[Any],
                       group_size: int) -> RolloutBatch:
        offset = self.accelerator.process_index * len(prompts)
        indices = tuple(range(offset, offset + len(prompts)))
        extra = [k for k in inputs[0] if k not in _TRL_COLUMNS]
        return RolloutBatch(
            prompts=tuple(prompt_key(p) for p in prompts),
            completions=tuple(completion_text(c) for c in completions),
            group_ids=tuple(i // group_size for i in indices),
            answers=tuple(None if x.get("answer") is None else str(x["answer"]) for x in inputs),
            step=self.state.global_step,
            indices=indices,
            columns={k: tuple(x[k] for x in inputs) for k in extra},
        )

    def _calculate_rewards(self, inputs: list[dict[str, Any]], prompts: list[Any], completions: list[Any],
                           completion_ids_list: list[list[int]]) -> torch.Tensor:
        mode = "train" if self.model.training else "eval"
        group_size = self.num_generations if mode == "train" else self.num_generations_eval
        batch = self._rollout_batch(inputs, prompts, completions, group_size)
        with self._timed("scoring"):
            scored = score_safely(self.reward, batch, self.on_reward_error)
        with self._timed("tracking"):
            gold = None
            if self.gold is not None and any(a is not None for a in batch.answers):
                gold = scored.result if self.gold == self.reward else self.gold.score(batch)
            rows = gather_object([self._tracking_row(batch, scored.result, gold, i) for i in range(len(batch))])
            counts = self.accelerator.gather(torch.tensor([[scored.n_errors, scored.n_nonfinite]],
                                                          device=self.accelerator.device)).sum(dim=0).tolist()
            self._log_step_metrics(mode, rows, has_gold=gold is not None, errors=counts[0], nonfinite=counts[1])
        self._rewards = torch.tensor([math.nan if r["score"] is None else r["score"] for r in rows],
                                     dtype=torch.float32)
        return self._rewards.to(self.accelerator.device).unsqueeze(1)

    @staticmethod
    def _tracking_row(batch: RolloutBatch, result: RewardResult, gold: RewardResult | None, i: int) -> dict[str, Any]:
        row = {"completion": batch.completions[i], "score": result.scores[i],
               "gold": None if gold is None else gold.diagnostics.get("correct", gold.scores)[i]}
        for key in _TRACKED:
            values = result.find(key)
            if values is not None:
                row[key] = values[i]
        return row

    def _log_step_metrics(self, mode: str, rows: list[dict[str, Any]], *, has_gold: bool, errors: float,
                          nonfinite: float) -> None:
        proxy = RewardResult(tuple(r["score"] for r in rows),
                             {k: tuple(r.get(k) for r in rows) for k in _TRACKED if k in rows[0]})
        gold = RewardResult(tuple(float(bool(r["gold"])) if r["gold"] is not None else None for r in rows),
                            {"correct": tuple(r["gold"] for r in rows)}) if has_gold else None
        metrics = step_metrics([r["completion"] for r in rows], proxy, gold)
        metrics.update(reward_errors=errors, nonfinite_rewards=nonfinite)
        for key, value in metrics.items():
            self._metrics[mode][f"rewardlab/{key}"].append(float(value))

    # 2. Advantages ------------------------------------------------------------------------------
    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        before = self.phase_seconds["scoring"] + self.phase_seconds["tracking"]
        started = time.perf_counter()
        output = super()._generate_and_score_completions(inputs)
        rewards = self.phase_seconds["scoring"] + self.phase_seconds["tracking"] - before
        self.phase_seconds["generation"] += time.perf_counter() - started - rewards
        mode = "train" if self.model.training else "eval"
        group_size = self.num_generations if mode == "train" else self.num_generations_eval
        group_ids = torch.arange(len(self._rewards)) // group_size
        advantages = compute_advantages(self.advantage, self._rewards, group_ids)
        local = len(inputs)
        start = self.accelerator.process_index * local
        output["advantages"] = advantages[start:start + local].to(output["advantages"].device,
                                                                   output["advantages"].dtype)
        logged = self._logs["advantages"]
        for _ in range(min(len(advantages), len(logged))):
            logged.pop()
        logged.extend(advantages.tolist())
        self._metrics[mode]["rewardlab/advantage_abs_mean"].append(advantages.abs().mean().item())
        self._metrics[mode]["rewardlab/advantage_zero_frac"].append((advantages == 0).float().mean().item())
        return output

    # 3. Logging ---------------------------------------------------------------------------------
    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        super().log(logs, start_time)  # TRL merges its averaged metrics into `logs`
        if self.metrics_writer is not None:
            self.metrics_writer.write(self.state.global_step, logs)
