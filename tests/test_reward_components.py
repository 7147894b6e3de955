"""A composite reward's components in the logs: means and variance shares, with stock TRL and rewardlab's trainer."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardlab import RolloutBatch, build_reward
from rewardlab.rewards.components import component_metrics


def test_component_metrics_by_hand() -> None:
    # a: values 0, 1, 0, 1 (mean 0.5, variance 0.25); b: 0, 0, 0, 2 (mean 0.5, variance 0.75); c: nothing available
    metrics = component_metrics({"a": [0.0, 1.0, 0.0, 1.0], "b": [0.0, 0.0, 0.0, 2.0], "c": [None] * 4})
    assert metrics == pytest.approx({"component/a/mean": 0.5, "component/b/mean": 0.5,
                                     "component/a/variance_share": 0.25, "component/b/variance_share": 0.75})


def test_components_that_never_vary_get_no_share() -> None:
    assert component_metrics({"a": [1.0, 1.0], "b": [0.0, None]}) == {"component/a/mean": 1.0, "component/b/mean": 0.0}


def test_weighted_sum_components_are_its_weighted_terms_and_a_gate_its_two_parts() -> None:
    batch = RolloutBatch(prompts=("q",) * 2, completions=("\\boxed{2}", "2"), answers=("2", "2"))
    total = build_reward({"type": "weighted_sum", "terms": [{"reward": "format", "weight": 0.5},
                                                            {"reward": "format", "weight": 2.0}]})
    result = total.score(batch)
    assert total.components(result) == {"format": (0.5, 0.0), "format#2": (2.0, 0.0)}
    gate = build_reward({"type": "gate", "reward": "format", "condition": "format"})
    assert set(gate.components(gate.score(batch))) == {"reward", "condition"}
    assert build_reward("format").components(result) == {}


def test_a_composite_called_as_a_trl_reward_function_logs_through_the_hooks() -> None:
    metrics: dict[str, float] = {}
    extra: dict[str, list] = {}
    total = build_reward({"type": "weighted_sum", "terms": [{"reward": "format"}, {"reward": "contains_python"}]})
    scores = total(prompts=["q"] * 3, completions=["\\boxed{1}", "```python\nx\n```", "1"], answer=["1"] * 3,
                   log_metric=metrics.__setitem__, log_extra=extra.__setitem__)
    assert scores == [1.0, 1.0, 0.0]
    assert extra == {"component/format": [1.0, 0.0, 0.0], "component/contains_python": [0.0, 1.0, 0.0]}
    assert metrics["component/format/variance_share"] == pytest.approx(0.5)
    assert metrics["component/contains_python/mean"] == pytest.approx(1 / 3)


@pytest.mark.slow
def test_stock_trl_logs_each_component_of_a_weighted_sum_and_feeds_the_monitor(tmp_path: Path) -> None:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from rewardlab.models.tiny import char_tokenizer, tiny_model
    from rewardlab.training.monitor import RewardMonitor
    from rewardlab.training.tracking import read_metrics

    tokenizer = char_tokenizer()
    data = Dataset.from_dict({"prompt": [f"q: {a}+{b}=" for a in range(4) for b in range(4)],
                              "answer": [str(a + b) for a in range(4) for b in range(4)]})
    reward = build_reward({"type": "weighted_sum", "terms": [{"reward": {"type": "random", "seed": 0}},
                                                             {"reward": {"type": "random", "p": 0.2, "seed": 1},
                                                              "weight": 0.5}]})
    config = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=8, num_generations=4,
                        max_completion_length=8, max_steps=2, learning_rate=1e-2, use_cpu=True, bf16=False,
                        activation_checkpointing=False, logging_steps=1, report_to=[], save_strategy="no", seed=0,
                        log_completions=True)
    monitor = RewardMonitor(metrics_path=tmp_path / "events.jsonl")
    trainer = GRPOTrainer(model=tiny_model(tokenizer), reward_funcs=[reward], args=config, train_dataset=data,
                          processing_class=tokenizer, callbacks=[monitor])
    trainer.train()
    steps = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert len(steps) == 2
    for entry in steps:
        for name in ("random", "random#2"):
            assert 0.0 <= entry[f"component/{name}/mean"] <= 1.0
        assert entry["component/random/variance_share"] + entry["component/random#2/variance_share"] == \
            pytest.approx(1.0)
    assert {"component/random", "component/random#2"} <= set(trainer._logs["extra"])
    assert len(monitor.monitor.history["component/random/variance_share"]) == 2
    assert len(monitor.monitor.history["reward"]) == 2
    assert not (tmp_path / "events.jsonl").exists() or read_metrics(tmp_path / "events.jsonl") == []


@pytest.mark.slow
def test_rewardlab_trainer_logs_the_components_under_its_prefix(tmp_path: Path) -> None:
    from rewardlab.training.tracking import read_metrics
    from tests.test_trainer import _trainer

    reward = build_reward({"type": "weighted_sum", "terms": [{"reward": {"type": "random", "seed": 0}},
                                                             {"reward": "format", "weight": 0.1}]})
    _trainer(tmp_path, reward).train()
    records = [r for r in read_metrics(tmp_path / "metrics.jsonl") if "loss" in r]
    assert len(records) == 2
    assert all({"rewardlab/component/random/mean", "rewardlab/component/format/mean"} <= set(r) for r in records)
