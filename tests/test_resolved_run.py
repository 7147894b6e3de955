"""One resolved run per config: the batch layout, the clipping and the process count, worked out once at load.

Every consumer reads it: the group check, the world-size check, TRL's ``GRPOConfig`` arguments, the bench's
prompt count and its cell ids. After loading, nothing else reads the ``trl:`` mapping.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from rewardlab.bench.config import load_bench_config
from rewardlab.registry import ConfigError
from rewardlab.training.config import load_config

# A cell of the bench's own layout (32 completions × 4 steps per generation batch, groups of 8), shortened.
GRID = {"organisms": ["qwen_math_like"], "seeds": [0], "rewards": [{"name": "random", "reward": {"type": "random"}}],
        "train": {"trl": {"max_steps": 6, "num_iterations": 4}}, "eval": {"n": 8, "k": 2, "every": 0}}


def _one_update(grid: dict[str, Any]) -> dict[str, Any]:
    return {**grid, "train": {**grid["train"], "clipping": {"one_update_per_batch": True}}}


def test_one_update_per_batch_forces_one_pass_with_the_steps_following_accumulation() -> None:
    config = load_config({"trl": {"per_device_train_batch_size": 8, "num_generations": 4, "steps_per_generation": 4,
                                  "num_iterations": 3, "gradient_accumulation_steps": 2},
                          "clipping": {"one_update_per_batch": True}})
    run = config.run
    assert (run.steps_per_generation, run.num_iterations, run.gradient_accumulation_steps) == (2, 1, 2)
    assert run.values["steps_per_generation"] == 2 and run.values["num_iterations"] == 1


def test_the_grpo_arguments_are_the_resolved_runs(tmp_path: Path) -> None:
    from rewardlab.training.run import grpo_args

    config = load_config({"trl": {"per_device_train_batch_size": 8, "num_generations": 4, "num_iterations": 3},
                          "clipping": {"one_update_per_batch": True, "epsilon": 0.1}})
    args = grpo_args(config, tmp_path)
    run = config.run
    assert (args.steps_per_generation, args.num_iterations) == (run.steps_per_generation, run.num_iterations) == (1, 1)
    assert (args.epsilon, args.epsilon_high) == (0.1, 0.1)


def test_prompts_needed_counts_one_pass_when_one_update_per_batch_forces_it(tmp_path: Path) -> None:
    from rewardlab.training.run import grpo_args

    several = load_bench_config(GRID)
    once = load_bench_config(_one_update(GRID))
    # 6 steps × 32 completions / 8 per group / 4 passes over each batch, plus one: 7 prompts.
    assert several.prompts_needed() == 6 * 32 // (8 * 4) + 1 == 7
    # One update per batch: the trl section's num_iterations: 4 is overridden to 1, so each step takes fresh prompts
    # (the raw section read 4 passes, and gave 7).
    args = grpo_args(once.train_config(once.cells()[0], subject="tiny"), tmp_path)
    assert args.num_iterations == 1
    prompts_per_generation = args.per_device_train_batch_size * args.steps_per_generation // args.num_generations
    generations = args.max_steps * args.gradient_accumulation_steps // (args.steps_per_generation * args.num_iterations)
    assert once.prompts_needed() == generations * prompts_per_generation + 1 == 25


def test_a_cells_id_follows_every_field_of_its_resolved_run() -> None:
    base = load_bench_config(GRID).cells()[0]["id"]
    # No key to extend by hand: a GRPOConfig field no grid set before, and a clipping knob, each give new cells.
    top_k = load_bench_config({**GRID, "train": {"trl": {**GRID["train"]["trl"], "top_k": 5}}}).cells()[0]["id"]
    once = load_bench_config(_one_update(GRID)).cells()[0]["id"]
    assert len({base, top_k, once}) == 3
    # The same run written another way (a bench default stated explicitly) is the same cell.
    stated = load_bench_config({**GRID, "train": {"trl": {**GRID["train"]["trl"], "beta": 0.0}}}).cells()[0]["id"]
    assert stated == base


def test_a_split_group_layout_is_refused_at_load_naming_the_file_and_the_fields(tmp_path: Path) -> None:
    path = tmp_path / "split.yaml"
    path.write_text("model: {name: tiny}\ntrl: {num_generations: 4, per_device_train_batch_size: 2}\n")
    with pytest.raises(ConfigError, match=rf"^{path}: trl: per_device_train_batch_size × steps_per_generation = "
                                          r"2 × 1 = 2 completions per process is not a multiple of num_generations"):
        load_config(path)


def test_a_fixed_generation_batch_launched_on_more_processes_than_it_splits_into_whole_groups_is_refused() -> None:
    from rewardlab.training.world_size import check_world_size

    # 64 rollouts of groups of 16: whole groups on 1, 2 or 4 processes, not on 8 (8 completions each).
    run = load_config({"trl": {"per_device_train_batch_size": 8, "generation_batch_size": 64,
                               "num_generations": 16}}).run
    for processes in (1, 2):
        check_world_size(run, processes, where="c.yaml")
    with pytest.raises(ConfigError, match=r"^c\.yaml: on 8 processes, trl: per_device_train_batch_size × "
                                          r"steps_per_generation = 8 × 1 = 8 completions"):
        check_world_size(run, 8, where="c.yaml")


class _Tripwire(Mapping[str, Any]):
    """A ``trl:`` mapping that fails any read."""

    def __getitem__(self, key: str) -> Any:
        raise AssertionError(f"read trl[{key!r}] after loading")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("iterated over the trl mapping after loading")

    def __len__(self) -> int:
        raise AssertionError("took the trl mapping's length after loading")


@pytest.mark.slow
def test_after_loading_only_the_resolved_run_reads_the_trl_section(tmp_path: Path) -> None:
    from rewardlab.training.run import train

    values = {"run_dir": str(tmp_path / "run"), "model": {"name": "tiny"}, "data": {"limit": 8},
              "heldout": {"n": 2, "k": 2, "max_new_tokens": 2},
              "trl": {"num_generations": 4, "per_device_train_batch_size": 8, "max_steps": 1,
                      "max_completion_length": 4}}
    config = load_config(values)
    object.__setattr__(config, "trl", _Tripwire())  # what loading read is in config.run
    summary = train(config)
    assert summary["steps"] == 1
    again = load_config(values)  # a rerun reads the snapshot back and compares (resume check), then returns
    object.__setattr__(again, "trl", _Tripwire())
    assert train(again)["steps"] == 1


def test_the_bench_reads_its_cells_trl_section_only_to_resolve_a_run_or_write_a_cells_config(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.bench import config as bench_config

    grid = load_bench_config(GRID)
    readers = []
    real = bench_config.CellTraining.trl_values

    def recorded(self: Any) -> dict[str, Any]:
        readers.append(inspect.stack()[1].function)
        return real(self)

    monkeypatch.setattr(bench_config.CellTraining, "trl_values", recorded)
    grid.cells()
    grid.prompts_needed()
    grid.trl_value("max_completion_length")
    grid.heldout_settings()
    grid.train_config(grid.cells()[0], subject="tiny")
    assert readers and set(readers) <= {"resolved", "train_config"}, readers
