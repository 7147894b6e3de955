"""``rewardlab validate``: every shipped config validates; broken files fail by name, with the valid choices."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from rewardlab.cli.main import main
from rewardlab.cli.train import is_bench_config, run_validate
from rewardlab.training.launch import is_launch_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SHIPPED = sorted(p for p in CONFIGS.rglob("*") if p.suffix in (".yaml", ".yml"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validation touched the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_configs_ship_the_cpu_grid_and_the_paper_scale_gpu_runs() -> None:
    names = {p.relative_to(CONFIGS).as_posix() for p in SHIPPED}
    assert {"bench/full-cpu.yaml", "bench/clipping.yaml", "bench/nsr-passk.yaml", "cpu/tiny-binary.yaml",
            "gpu/spurious-ground-truth.yaml", "gpu/spurious-random.yaml", "gpu/spurious-format.yaml",
            "gpu/spurious-incorrect.yaml", "gpu/spurious-majority-vote.yaml", "gpu/spurious-python.yaml",
            "gpu/ttrl.yaml", "gpu/rlcr.yaml", "gpu/truthrl.yaml", "gpu/nsr.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(CONFIGS).as_posix())
def test_every_file_in_configs_validates_without_the_network(path: Path, no_network: None,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert run_validate([str(path)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    kind = "accelerate launch config" if is_launch_config(path) else \
        "bench grid" if is_bench_config(path) else "training config"
    assert out.startswith(f"ok      {path}") and kind in out


def test_every_shipped_file_starts_with_a_comment_saying_what_it_is() -> None:
    for path in SHIPPED:
        text = path.read_text()
        assert text.startswith("#"), path
        if is_bench_config(path):
            assert f"rewardlab bench configs/bench/{path.name}" in text, path


def test_the_full_cpu_grid_crosses_every_reward_organism_clipping_and_three_seeds() -> None:
    from rewardlab.bench.config import load_bench_config

    grid = load_bench_config(CONFIGS / "bench" / "full-cpu.yaml")
    assert {r.name for r in grid.rewards} >= {"ground_truth", "random", "format", "incorrect", "contains_python",
                                              "self_consistency", "brier", "ternary"}
    assert set(grid.organisms) == {"qwen_math_like", "llama_like", "bad_code"}
    assert set(grid.clipping) == {True, False} and len(grid.seeds) >= 3
    assert len(grid.cells()) == len(grid.organisms) * len(grid.rewards) * 2 * len(grid.seeds)


def test_the_spurious_rewards_gpu_configs_carry_the_paper_settings() -> None:
    from rewardlab.training.config import load_config

    for path in sorted((CONFIGS / "gpu").glob("spurious-*.yaml")):
        config = load_config(path)
        trl = config.trl
        assert config.model.name == "Qwen/Qwen2.5-Math-7B", path
        assert trl["learning_rate"] == 5e-7 and trl["lr_scheduler_type"] == "constant" and trl["beta"] == 0.0
        assert trl["max_completion_length"] == 3072 and trl["temperature"] == 1.0 and trl["num_generations"] == 16
        assert trl["bf16"] is True and trl["use_vllm"] is True
        gpus = 8  # the files' stated assumption
        rollouts = trl["per_device_train_batch_size"] * gpus * trl["steps_per_generation"]
        mini_batch = trl["per_device_train_batch_size"] * gpus * trl["gradient_accumulation_steps"]
        assert (rollouts, rollouts // trl["num_generations"], mini_batch, rollouts // mini_batch) == (1024, 64, 128, 8)
        assert config.clipping.epsilon == 0.2


def test_a_broken_bench_file_fails_naming_the_file_and_the_organisms(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bench = tmp_path / "bench"
    bench.mkdir()
    broken = bench / "grid.yaml"
    broken.write_text("organisms: [qwen_math]\nrewards: [{name: gt, reward: binary}]\n")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"FAILED  {broken}: unknown organism 'qwen_math'" in out
    assert "available: qwen_math_like" in out and "0 of 1 configs valid" in out


def test_a_broken_training_file_fails_naming_the_file_and_the_rewards(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("model: {name: Qwen/Qwen2.5-Math-7B}\nreward: binary\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: {name: Qwen/Qwen2.5-Math-7B}\nreward: brinary\n")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"ok      {good}" in out
    assert f"FAILED  {broken}: unknown reward 'brinary'; did you mean 'binary'? available: " in out
    assert "1 of 2 configs valid" in out


def test_validate_reports_every_bad_file_and_exits_non_zero(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "syntax.yaml").write_text("trl: [\n")
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "grid.yaml").write_text("organisms: [qwen_math_like]\n")  # a bench grid outside bench/
    (tmp_path / "trl.yaml").write_text("trl: {learning_rat: 1.0e-3}\n")
    (tmp_path / "groups.yaml").write_text("trl: {num_generations: 8, per_device_train_batch_size: 6}\n")
    assert run_validate([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"FAILED  {tmp_path / 'syntax.yaml'}: not valid YAML: " in out and "line 2" in out
    assert f"FAILED  {tmp_path / 'empty.yaml'}: the file is empty" in out
    assert "unknown field 'organisms'" in out and "bench grids must lie in a folder named 'bench/'" in out
    assert "trl.learning_rat is not a GRPOConfig field; did you mean 'learning_rate'" in out
    assert "6 × 1 = 6 completions per process is not a multiple of num_generations = 8" in out
    assert "0 of 5 configs valid" in out


def test_validate_of_a_missing_path_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_every_gpu_config_keeps_vllm_on_says_how_to_run_without_it_and_names_a_shipped_launch_config() -> None:
    import yaml

    for path in sorted((CONFIGS / "gpu").glob("*.yaml")):
        text = path.read_text()
        assert yaml.safe_load(text)["trl"]["use_vllm"] is True, path.name
        assert "--set trl.use_vllm=false" in text, f"{path.name} does not say what to change without vLLM"
        launched = [word for word in text.split() if word.startswith("configs/accelerate/")]
        assert launched, f"{path.name} names no launch config"
        assert all((CONFIGS.parent / word).is_file() for word in launched), launched


def test_a_broken_launch_config_fails_validation_naming_the_file(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "accelerate"
    folder.mkdir()
    (folder / "typo.yaml").write_text("distributed_type: MULTI_GPU\nnum_proceses: 2\n")
    assert is_launch_config(folder / "typo.yaml")
    assert run_validate([str(folder)]) == 1
    assert "FAILED" in capsys.readouterr().out
