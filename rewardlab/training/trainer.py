"""rewardlab's GRPO trainer: TRL's ``GRPOTrainer`` with rewardlab rewards, advantage transforms and tracking.

A thin subclass; with :mod:`rewardlab.training.config` and :mod:`rewardlab.training.run`, the only
place in the package that imports TRL (a test scans the package for it).

The contract with TRL. TRL 1.16 has no hook for rewards or advantages, so two private methods are
overridden; ``tests/test_trainer.py`` fails loudly on a TRL whose signatures or call order differ,
and TRL is pinned to a minor version in ``pyproject.toml``:

1. ``_calculate_rewards(inputs, prompts, completions, completion_ids_list)``, which TRL calls once
   per generation batch from inside ``_generate_and_score_completions`` to get the rewards it turns
   into advantages. Here each process scores its slice *once* with the rewardlab reward, as a
   :class:`RolloutBatch` built by the one adapter :meth:`RolloutBatch.from_trl` (explicit group ids
   ``global index // G``, since TRL keeps a prompt's G generations adjacent; global sample indices;
   the training step). A reward that raises is named with the sample it failed on. The gold reward
   is scored beside it and the per-step drift metrics are logged. The gathered rewards are kept with
   the token of the batch they belong to.
2. ``_generate_and_score_completions(inputs)``: a fresh token is issued, TRL's own pass runs, and
   the rewards kept under *that* token are turned into advantages by the rewardlab advantage
   transform, replacing the advantages the loss reads (``output["advantages"]``) and the ones TRL
   logs (``_logs["advantages"]``). If TRL did not score this batch through ``_calculate_rewards``
   (a moved computation), the token does not match and the step raises: a stale batch never trains.

3. ``_generate(prompts)`` runs as TRL's own; the prompt token ids it returns are kept so that a reward that reads
   the policy gets the trained policy's view of the batch it scores (:mod:`rewardlab.training.policy_view`).

Every logged record is also appended to ``metrics.jsonl`` in the run directory, and a
:class:`~rewardlab.training.phases.PhaseTimer` callback keeps where a step's time goes.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from pathlib import Path
from typing import Any

import torch
from accelerate.utils import gather_object
from trl import GRPOConfig
from trl import GRPOTrainer as TRLGRPOTrainer

from rewardlab.advantages import AdvantageTransform, build_advantage, compute_advantages
from rewardlab.rewards.base import Reward, policy_readers
from rewardlab.rewards.components import component_metrics
from rewardlab.training.phases import PhaseTimer
from rewardlab.training.policy_view import training_view
from rewardlab.training.resolved import check_group_layout
from rewardlab.training.scoring import OnError, score_safely
from rewardlab.training.tracking import MetricsWriter, step_metrics
from rewardlab.types import COMPLETION_TOKENS, RewardResult, RolloutBatch, gold_correct

# Keys of TRL's per-sample inputs that are not dataset columns.
_TRL_KEYS = ("prompt", "completion", "completion_ids")
# Diagnostics gathered across processes for the step metrics.
_TRACKED = ("confidence", "abstained", "pseudo_label_correct")


class StaleBatchError(RuntimeError):
    """The advantages of a batch would have come from rewards scored for another batch."""


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
        check_layout: refuse a batch layout that splits a prompt's group across processes (on for direct use;
            ``train`` passes false, its config's resolved run having checked the layout at load).
        **kwargs: everything else ``trl.GRPOTrainer`` takes (``train_dataset``, ``processing_class``, ...).
    """

    def __init__(self, model: Any, reward: Reward, args: GRPOConfig, *, advantage: AdvantageTransform | None = None,
                 gold: Reward | None = None, on_reward_error: OnError = "raise",
                 metrics_path: str | Path | None = None, check_layout: bool = True, **kwargs: Any) -> None:
        if check_layout:
            check_group_layout(args.per_device_train_batch_size, args.steps_per_generation, args.num_generations)
        self.reward = reward
        self.advantage = advantage if advantage is not None else build_advantage("group_norm")
        self.gold = gold
        self.on_reward_error: OnError = on_reward_error
        self._batch_token: object | None = None
        self._scored: tuple[object, torch.Tensor] | None = None
        self.phases = PhaseTimer()
        self._step_log: dict[str, float] = {}
        self._reads_policy = bool(policy_readers(reward))
        self._prompt_ids: list[list[int]] = []
        super().__init__(model=model, reward_funcs=[reward], args=args, **kwargs)
        self.add_callback(self.phases)
        self.metrics_writer = MetricsWriter(metrics_path) if metrics_path and self.accelerator.is_main_process else None

    @property
    def phase_seconds(self) -> dict[str, float]:
        """Seconds spent in each phase of the training steps so far (see :mod:`rewardlab.training.phases`)."""
        return self.phases.seconds

    def phase_shares(self) -> dict[str, float]:
        """Each phase's share of the time spent in training steps so far (they sum to 1)."""
        return self.phases.shares()

    def _group_size(self) -> int:
        return self.num_generations if self.model.training else self.num_generations_eval

    # 1. Scoring ---------------------------------------------------------------------------------
    def _rollout_batch(self, inputs: list[dict[str, Any]], prompts: list[Any], completions: list[Any],
                       completion_ids: list[list[int]]) -> RolloutBatch:
        """This process's slice as a batch, through the one adapter from TRL's reward arguments, with each
        completion's length in tokens (``completion_tokens``) and, for a reward that reads the policy, its view."""
        offset = self.accelerator.process_index * len(prompts)
        indices = range(offset, offset + len(prompts))
        columns = {key: [x.get(key) for x in inputs] for key in inputs[0] if key not in _TRL_KEYS}
        columns.setdefault(COMPLETION_TOKENS, [len(ids) for ids in completion_ids])
        batch = RolloutBatch.from_trl(prompts, completions, **columns, trainer_state=self.state,
                                      group_id=[i // self._group_size() for i in indices], sample_index=list(indices))
        if self._reads_policy:
            batch = dataclasses.replace(batch, policy=training_view(self, self._prompt_ids, completion_ids))
        return batch

    def _generate(self, prompts: list[Any]) -> tuple[Any, ...]:
        """TRL's generation; the prompts' token ids are kept for the policy view of the batch being scored."""
        output = super()._generate(prompts)
        self._prompt_ids = [list(ids) for ids in output[0]]
        return output

    def _calculate_rewards(self, inputs: list[dict[str, Any]], prompts: list[Any], completions: list[Any],
                           completion_ids_list: list[list[int]]) -> torch.Tensor:
        mode = "train" if self.model.training else "eval"
        batch = self._rollout_batch(inputs, prompts, completions, completion_ids_list)
        with self.phases.span("scoring"):
            scored = score_safely(self.reward, batch, self.on_reward_error)
        with self.phases.span("tracking"):
            gold = None
            if self.gold is not None and any(a is not None for a in batch.answers):
                gold = scored.result if self.gold == self.reward else self.gold.score(batch)
            rows = gather_object(self._tracking_rows(batch, scored.result, gold, self.reward.components(scored.result)))
            counts = self.accelerator.gather(torch.tensor([[scored.n_errors, scored.n_nonfinite]],
                                                          device=self.accelerator.device)).sum(dim=0).tolist()
            self._log_step_metrics(mode, rows, has_gold=gold is not None, errors=counts[0], nonfinite=counts[1])
        rewards = torch.tensor([math.nan if r["score"] is None else r["score"] for r in rows], dtype=torch.float32)
        self._scored = (self._batch_token, rewards)
        return rewards.to(self.accelerator.device).unsqueeze(1)

    @staticmethod
    def _tracking_rows(batch: RolloutBatch, result: RewardResult, gold: RewardResult | None,
                       components: dict[str, tuple[float | None, ...]]) -> list[dict[str, Any]]:
        """Per sample: what the step metrics need (a composite's component scores included), as plain rows to
        gather across processes."""
        correct = gold_correct(gold) if gold is not None else (None,) * len(batch)
        tracked = {key: values for key in _TRACKED if (values := result.find(key)) is not None}
        return [{"completion": batch.completions[i], "score": result.scores[i], "gold": correct[i],
                 "components": {name: values[i] for name, values in components.items()},
                 **{key: values[i] for key, values in tracked.items()}} for i in range(len(batch))]

    def _log_step_metrics(self, mode: str, rows: list[dict[str, Any]], *, has_gold: bool, errors: float,
                          nonfinite: float) -> None:
        proxy = RewardResult(tuple(r["score"] for r in rows),
                             {k: tuple(r.get(k) for r in rows) for k in _TRACKED if k in rows[0]})
        gold = RewardResult(tuple(None if r["gold"] is None else float(r["gold"]) for r in rows),
                            {"correct": tuple(r["gold"] for r in rows)}) if has_gold else None
        metrics = step_metrics([r["completion"] for r in rows], proxy, gold)
        metrics.update(reward_errors=errors, nonfinite_rewards=nonfinite)
        components = {name: [r["components"][name] for r in rows] for name in rows[0]["components"]}
        metrics.update(component_metrics(components))
        for key, value in metrics.items():
            self._metrics[mode][f"rewardlab/{key}"].append(float(value))

    # 2. Advantages ------------------------------------------------------------------------------
    def _rewards_of_this_batch(self) -> torch.Tensor:
        """The gathered rewards scored for the current batch; raises if TRL did not score it here."""
        scored, self._scored = self._scored, None
        if scored is None or scored[0] is not self._batch_token:
            raise StaleBatchError(
                "TRL's _generate_and_score_completions returned without scoring this batch through "
                "_calculate_rewards, so its advantages would come from another batch's rewards. The installed "
                "TRL's call order differs from the one rewardlab's trainer is written for (see the module "
                "docstring of rewardlab.training.trainer); install the TRL version pyproject.toml pins.")
        return scored[1]

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        self._batch_token = object()
        with self.phases.span("generation"), warnings.catch_warnings():
            # TRL 1.16 reads transformers' deprecated `model.is_gradient_checkpointing` around every generation
            # (trl/models/utils.py); no setting of ours avoids it, so that one notice is hidden where it is raised.
            warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated",
                                    category=FutureWarning)
            output = super()._generate_and_score_completions(inputs)
        rewards = self._rewards_of_this_batch()
        mode = "train" if self.model.training else "eval"
        group_ids = torch.arange(len(rewards)) // self._group_size()
        advantages = compute_advantages(self.advantage, rewards, group_ids)
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
    def log_with_step(self, values: dict[str, float], control: Any) -> None:
        """Log ``values`` (e.g. a held-out measurement) from a callback's ``on_step_end``, in the step's own record.

        The step becomes a logging step if it was not one, and its one record carries the loss, TRL's
        metrics and ``values``. (Calling ``log`` from the callback would clear ``control.should_log`` and
        drop the step's loss, or split TRL's averages over two records.)
        """
        self._step_log.update(values)
        control.should_log = True

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        logs.update(self._step_log)
        self._step_log = {}
        super().log(logs, start_time)  # TRL merges its averaged metrics into `logs`
        if self.metrics_writer is not None:
            self.metrics_writer.write(self.state.global_step, logs)
