"""rewardlab's GRPO trainer on a tiny model: transforms reach the loss, tracking, errors, resume."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from rewardlab import RewardResult, RolloutBatch, build_reward
from rewardlab.advantages import BUILTIN_ADVANTAGES
from rewardlab.rewards import Reward
from rewardlab.training.scoring import RewardError, score_safely

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _trl_args(tmp_path: Path, **overrides):
    from trl import GRPOConfig

    values = dict(output_dir=str(tmp_path / "out"), per_device_train_batch_size=8, num_generations=4,
                  max_completion_length=6, max_steps=2, learning_rate=1e-2, use_cpu=True, bf16=False,
                  activation_checkpointing=False, logging_steps=1, report_to=[], save_strategy="no", seed=0,
                  temperature=1.0)
    values.update(overrides)
    return GRPOConfig(**values)


def _trainer(tmp_path: Path, reward: Reward, advantage="group_norm", **overrides):
    from rewardlab.advantages import build_advantage
    from rewardlab.data.synthetic import arithmetic_problems
    from rewardlab.models.tiny import char_tokenizer, tiny_model
    from rewardlab.training.trainer import GRPOTrainer

    tokenizer = char_tokenizer()
    return GRPOTrainer(model=tiny_model(tokenizer), reward=reward, args=_trl_args(tmp_path, **overrides),
                       advantage=build_advantage(advantage), gold=build_reward({"type": "binary", "workers": 0}),
                       train_dataset=arithmetic_problems(32), processing_class=tokenizer,
                       metrics_path=tmp_path / "metrics.jsonl")


@dataclass(frozen=True)
class Explodes(Reward):
    """Raises on any completion containing the digit 7 (to test error reporting)."""

    type_name: ClassVar[str] = "explodes"

    def score(self, batch: RolloutBatch) -> RewardResult:
        if any("7" in c for c in batch.completions):
            raise ZeroDivisionError("seven")
        return RewardResult(tuple(0.0 for _ in batch.completions))


def test_trl_private_methods_rewardlab_overrides_keep_their_signatures() -> None:
    from trl import GRPOTrainer

    assert list(inspect.signature(GRPOTrainer._calculate_rewards).parameters) == [
        "self", "inputs", "prompts", "completions", "completion_ids_list"]
    assert list(inspect.signature(GRPOTrainer._generate_and_score_completions).parameters) == ["self", "inputs"]
    assert list(inspect.signature(GRPOTrainer._generate).parameters) == ["self", "prompts"]
    assert "_metrics" in inspect.getsource(GRPOTrainer.__init__) and "_logs" in inspect.getsource(GRPOTrainer.__init__)


def test_a_reward_that_raises_is_named_with_its_sample() -> None:
    batch = RolloutBatch(prompts=("a",) * 4, completions=("1", "2", "17", "3"), group_ids=(0, 0, 1, 1), step=5)
    with pytest.raises(RewardError, match=r"reward 'explodes' raised ZeroDivisionError: seven on sample 2 "
                                          r"\(group 1, step 5\); its completion begins '17'"):
        score_safely(Explodes(), batch)
    lenient = score_safely(Explodes(), batch, on_error="none")
    assert lenient.result.scores == (0.0, 0.0, None, None) and lenient.n_errors == 2


def test_nonfinite_scores_become_no_signal() -> None:
    @dataclass(frozen=True)
    class Infinite(Reward):
        type_name: ClassVar[str] = "infinite"

        def score(self, batch: RolloutBatch) -> RewardResult:
            return RewardResult((float("inf"), float("nan"), 1.0))

    scored = score_safely(Infinite(), RolloutBatch(prompts=("q",) * 3, completions=("a", "b", "c")))
    assert scored.result.scores == (None, None, 1.0) and scored.n_nonfinite == 1


def test_a_configuration_that_splits_groups_across_processes_is_refused() -> None:
    from rewardlab.training.resolved import check_group_layout

    # Two processes × 2 completions = 4 = one group of 4 per generation batch, split in halves.
    with pytest.raises(ValueError, match=r"2 × 1 = 2 completions .* not a multiple of num_generations = 4"):
        check_group_layout(2, 1, 4)
    check_group_layout(4, 2, 8)


@pytest.mark.slow
def test_training_raises_no_gradient_checkpointing_deprecation_notice(tmp_path: Path) -> None:
    import warnings

    trainer = _trainer(tmp_path, build_reward({"type": "random", "seed": 0}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.train()
    notices = [str(w.message) for w in caught if "is_gradient_checkpointing" in str(w.message)]
    assert not notices, notices


@pytest.mark.slow
def test_trl_scores_each_batch_once_through_calculate_rewards_before_its_advantages(tmp_path: Path) -> None:
    """The call order the trainer's contract with TRL rests on (see rewardlab.training.trainer)."""
    from rewardlab.training.trainer import GRPOTrainer

    calls: list[str] = []

    class Recording(GRPOTrainer):
        def _generate_and_score_completions(self, inputs):
            calls.append("batch")
            output = super()._generate_and_score_completions(inputs)
            calls.append("advantages")
            return output

        def _calculate_rewards(self, *args):
            calls.append("rewards")
            return super()._calculate_rewards(*args)

    trainer = _trainer(tmp_path, build_reward({"type": "random", "seed": 0}))
    trainer.__class__ = Recording
    trainer.train()
    assert calls == ["batch", "rewards", "advantages"] * 2, calls


def test_a_batch_trl_did_not_score_through_calculate_rewards_never_trains(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    import trl

    from rewardlab.training.trainer import StaleBatchError

    trainer = _trainer(tmp_path, build_reward({"type": "random", "seed": 0}))
    # A TRL whose rollout pass no longer asks _calculate_rewards for this batch's rewards.
    monkeypatch.setattr(trl.GRPOTrainer, "_generate_and_score_completions",
                        lambda self, inputs: {"advantages": torch.zeros(len(inputs))})
    inputs = [{"prompt": "Q: 1+1=", "answer": "2"}] * 8
    with pytest.raises(StaleBatchError, match="without scoring this batch"):
        trainer._generate_and_score_completions(inputs)
    trainer._scored = (object(), torch.ones(8))  # the rewards of an earlier batch, still held
    with pytest.raises(StaleBatchError):
        trainer._generate_and_score_completions(inputs)


# Every built-in transform; those with required fields get them.
ADVANTAGE_SPECS = {cls.type_name: cls.type_name for cls in BUILTIN_ADVANTAGES} | {
    "sign_weights": {"type": "sign_weights", "positive": 0.5, "negative": -1.0},
    "clip": {"type": "clip", "low": -0.5, "high": 0.5},
    "pass_at_k": {"type": "pass_at_k", "k": 2},  # below the group of 4: k = 4 is refused at load
    "scale": {"type": "scale", "factor": 2.0},
    "chain": {"type": "chain", "transforms": ["rloo", {"type": "clip", "low": -1.0, "high": 1.0}]},
}


@pytest.mark.slow
@pytest.mark.parametrize("advantage", sorted(ADVANTAGE_SPECS))
def test_tiny_model_trains_under_each_advantage_transform(tmp_path: Path, advantage: str) -> None:
    import torch

    trainer = _trainer(tmp_path, build_reward({"type": "random", "seed": 1}), advantage=ADVANTAGE_SPECS[advantage])
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    assert any(not torch.equal(before[n], p) for n, p in trainer.model.named_parameters())
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "loss" in r] == [1, 2]
    assert {"rewardlab/proxy_reward", "rewardlab/gold_accuracy", "rewardlab/agreement",
            "rewardlab/code_reasoning_rate", "rewardlab/boxed_rate", "entropy"} <= set(records[0])


@pytest.mark.slow
def test_a_step_is_split_into_generation_scoring_tracking_and_update_times(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, build_reward("binary"))
    trainer.train()
    assert all(seconds > 0 for seconds in trainer.phase_seconds.values()), trainer.phase_seconds
    shares = trainer.phase_shares()
    assert set(shares) == {"generation", "scoring", "tracking", "update"}
    assert abs(sum(shares.values()) - 1.0) < 1e-9


@pytest.mark.slow
def test_nsr_gives_correct_samples_exactly_zero_advantage(tmp_path: Path) -> None:
    # A Bernoulli(0.5) reward makes both right (1) and wrong (0) samples in every batch.
    reward = build_reward({"type": "random", "p": 0.5, "seed": 3})
    trainer = _trainer(tmp_path, reward, advantage="nsr", max_steps=3)
    trainer.train()
    rewards = list(trainer._logs["rewards"]["random"])
    advantages = list(trainer._logs["advantages"])
    assert len(rewards) == len(advantages) > 0
    assert {a for r, a in zip(rewards, advantages, strict=True) if r == 1.0} == {0.0}
    assert {a for r, a in zip(rewards, advantages, strict=True) if r == 0.0} == {-1.0}


@pytest.mark.slow
def test_random_reward_gives_near_zero_mean_advantage_over_many_groups(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, build_reward({"type": "random", "p": 0.5, "seed": 0}), max_steps=6,
                       per_device_train_batch_size=32, num_generations=8)
    trainer.train()
    advantages = list(trainer._logs["advantages"])  # the last generation batch
    assert len(advantages) == 32
    assert abs(sum(advantages) / len(advantages)) < 1e-4  # group-normalised: each group sums to zero


@pytest.mark.slow
def test_reward_error_stops_training_with_the_sample_named(tmp_path: Path) -> None:
    digits = build_reward({"type": "weighted_sum", "terms": [{"reward": "tests.test_trainer:Explodes"}]})
    trainer = _trainer(tmp_path, digits, max_steps=20, temperature=2.0)
    with pytest.raises(RewardError, match=r"reward 'weighted_sum' raised ZeroDivisionError: seven on sample \d+"):
        trainer.train()


@pytest.mark.slow
def test_train_command_resumes_after_an_interruption(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import TrainerCallback

    from rewardlab.training import run as run_module
    from rewardlab.training.config import load_config
    from rewardlab.training.tracking import read_metrics

    values = {"run_dir": str(tmp_path / "run"), "model": {"name": "tiny"}, "data": {"limit": 64},
              "heldout": {"n": 8, "k": 2, "max_new_tokens": 4},
              "trl": {"num_generations": 4, "per_device_train_batch_size": 8, "max_completion_length": 6,
                      "max_steps": 4, "save_steps": 2, "learning_rate": 1e-2}}

    class Interrupt(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == 3:  # three steps finished and logged; the fourth is cut off
                raise KeyboardInterrupt

    from rewardlab.training import trainer as trainer_module

    class InterruptedTrainer(trainer_module.GRPOTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.add_callback(Interrupt())

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(trainer_module, "GRPOTrainer", InterruptedTrainer)
        run_module.train(load_config(values))
    steps_before = [r["step"] for r in read_metrics(tmp_path / "run" / "metrics.jsonl") if "loss" in r]
    assert steps_before == [1, 2, 3]  # every finished step was written before the interruption
    summary = run_module.train(load_config(values))
    assert summary["steps"] == 4 and summary["resumed_from"].endswith("checkpoint-2")
    records = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3, 4]  # step 3, after the checkpoint, once
    assert [r["step"] for r in records if "resumed_from" in r] == [2]
    assert summary["heldout_before"] is not None and "greedy_accuracy" in summary["heldout_before"]
    assert (tmp_path / "run" / "final" / "config.json").is_file()
    assert (tmp_path / "run" / "config.yaml").is_file()
    assert summary["heldout_after"]["greedy_accuracy"] >= 0.0
    again = run_module.train(load_config(values))  # a finished run is not trained again: its summary, as written
    assert json.dumps(again, sort_keys=True) == json.dumps(summary, sort_keys=True)  # (NaN figures compare equal)


def test_every_shipped_config_validates(capsys: pytest.CaptureFixture[str]) -> None:
    from rewardlab.cli.main import main

    assert main(["validate", str(CONFIGS)]) == 0
    assert "configs valid" in capsys.readouterr().out


def test_a_misspelled_config_fails_at_load_with_choices(tmp_path: Path) -> None:
    from rewardlab.registry import ConfigError
    from rewardlab.training.config import load_config

    with pytest.raises(ConfigError, match="unknown field 'rewrd'; did you mean 'reward'"):
        load_config({"rewrd": "binary"})
    with pytest.raises(ConfigError, match="unknown reward 'brinary'; did you mean 'binary'"):
        load_config({"reward": "brinary"})
    with pytest.raises(ValueError, match=r"trl.learning_rat is not a GRPOConfig field; did you mean 'learning_rate'"):
        load_config({"trl": {"learning_rat": 1e-3}})
    with pytest.raises(ConfigError, match="unknown advantage transform 'nrs'; did you mean 'nsr'"):
        load_config({"advantage": "nrs"})


def test_how_often_a_run_is_measured_leaves_what_it_trains_unchanged(tmp_path: Path) -> None:
    from rewardlab.training.config import load_config
    from rewardlab.training.run import train
    from rewardlab.training.tracking import read_metrics

    def run(every: int) -> tuple[dict, list[dict]]:
        values = {"run_dir": str(tmp_path / f"every-{every}"), "model": {"name": "tiny"}, "data": {"limit": 64},
                  "heldout": {"n": 8, "k": 2, "max_new_tokens": 4, "every": every}, "save_final": False,
                  "trl": {"num_generations": 4, "per_device_train_batch_size": 8, "max_completion_length": 6,
                          "max_steps": 3, "save_strategy": "no", "learning_rate": 1e-2, "temperature": 1.0}}
        summary = train(load_config(values))
        return summary, read_metrics(tmp_path / f"every-{every}" / "metrics.jsonl")

    (quiet, quiet_records), (measured, measured_records) = run(0), run(1)
    assert [r["step"] for r in measured_records if "heldout/accuracy" in r] == [1, 2, 3]  # each step
    trained = ("loss", "reward", "completions/mean_length", "entropy")

    def steps(records: list[dict]) -> list[dict]:
        return [{k: r[k] for k in trained} for r in records if "loss" in r]

    assert len(steps(quiet_records)) == 3 and steps(measured_records) == steps(quiet_records)
    same = json.dumps(measured["heldout_after"], sort_keys=True) == json.dumps(quiet["heldout_after"], sort_keys=True)
    assert same  # the same policy at the end (NaN figures included: no confidence is stated)
