"""Strict configs: what `validate` accepts, `train` accepts; each error names the file, the field and what to write.

Also the world-size check: a config that states the process count its recipe assumes is refused, before
anything is built, by a launch with another count.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rewardlab.cli.train import run_train, run_validate
from rewardlab.registry import ConfigError
from rewardlab.training.config import load_config
from rewardlab.training.world_size import check_world_size, launched_world_size
from rewardlab.yamlfile import read_yaml

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
ROOT = CONFIGS.parent
TINY = "run_dir: {run_dir}\nmodel: {{name: tiny}}\ntrl: {{num_generations: 4, per_device_train_batch_size: 8}}\n"


def _write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _trl_file(tmp_path: Path, field: str) -> Path:
    return _write(tmp_path, f"model: {{name: tiny}}\ntrl:\n  per_device_train_batch_size: 8\n  {field}\n")


@pytest.mark.parametrize(("field", "message"), [
    ("max_steps: thirty", r"trl\.max_steps: expected an integer, got str 'thirty'; write e\.g\. max_steps: 30"),
    ("temperature: -1", r"trl\.temperature must be > 0, got -1; write e\.g\. temperature: 1\.0"),
    ("num_generations: 1", r"trl\.num_generations must be >= 2 .*got 1; write e\.g\. num_generations: 8"),
    ("top_p: 1.5", r"trl\.top_p must be in \(0, 1\], got 1\.5"),
    ("max_completion_length: 0", r"trl\.max_completion_length must be > 0, got 0"),
    ("learning_rate: 1e-3", r"trl\.learning_rate: expected a number, got str '1e-3'"),  # YAML 1.1 reads a string
    ("gradient_checkpointing: true", r"trl\.gradient_checkpointing is transformers' deprecated name.*"
                                     r"write activation_checkpointing: true"),
])
def test_a_bad_trl_value_fails_at_load_naming_the_file_the_field_and_what_to_write(
        tmp_path: Path, field: str, message: str) -> None:
    path = _trl_file(tmp_path, field)
    with pytest.raises(ConfigError, match=rf"^{path}: {message}"):
        load_config(path)


def test_validate_and_train_refuse_the_same_value_before_train_builds_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.training import sources

    path = _trl_file(tmp_path, "max_steps: thirty")
    assert run_validate([str(path)]) == 1
    assert "trl.max_steps: expected an integer" in capsys.readouterr().out
    monkeypatch.setattr(sources, "build_model", lambda config: pytest.fail("built the model"))
    with pytest.raises(ConfigError, match=r"trl\.max_steps: expected an integer"):
        run_train(str(path))


def test_validate_runs_trls_own_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _trl_file(tmp_path, "save_strategy: sometimes")
    assert run_validate([str(path)]) == 1
    assert f"FAILED  {path}: trl: TRL refuses this section: sometimes is not a valid SaveStrategy" in \
        capsys.readouterr().out


def test_a_repeated_key_is_refused_with_the_file_and_both_lines(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "model: {name: tiny}\ntrl:\n  max_steps: 5\n  temperature: 1.0\n  max_steps: 50\n")
    assert run_validate([str(path)]) == 1
    assert f"FAILED  {path}:5: key 'max_steps' appears twice" in capsys.readouterr().out
    with pytest.raises(ConfigError, match=rf"^{path}:5: key 'max_steps' appears twice in one mapping "
                                          r"\(lines 3 and 5\); keep the one you mean"):
        load_config(path)
    with pytest.raises(ConfigError, match=rf"^{path}:5: key 'max_steps'"):
        read_yaml(path)


def test_an_unknown_data_name_is_refused_with_the_choices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "data: {name: math5000}\n")
    assert run_validate([str(path)]) == 1
    assert f"FAILED  {path}: data: name: unknown dataset 'math5000'" in capsys.readouterr().out
    with pytest.raises(ConfigError, match=rf"^{path}\.data: name: unknown dataset 'math5000'; did you mean "
                                          r"'math500'\?.*write e\.g\. name: math500"):
        load_config(path)


def test_a_missing_local_data_path_stops_train_and_is_noted_by_validate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.training import sources

    path = _write(tmp_path, TINY.format(run_dir=tmp_path / "run") + "data: {name: math500, path: nowhere.jsonl}\n")
    assert run_validate([str(path)]) == 0  # data built on the training machine need not exist where CI validates
    assert "not trainable here yet: data.path: no file or folder at 'nowhere.jsonl'" in capsys.readouterr().out
    monkeypatch.setattr(sources, "build_model", lambda config: pytest.fail("built the model"))
    with pytest.raises(FileNotFoundError, match=r"data\.path: no file or folder at 'nowhere\.jsonl'.*build it first"):
        run_train(str(path))
    assert not (tmp_path / "run").exists()


def test_data_null_is_for_a_bench_cells_source_and_refused_by_validate_and_train(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.training import sources

    path = _write(tmp_path, TINY.format(run_dir=tmp_path / "run") + "data: null\n")
    assert load_config(path).data is None  # a bench cell's config.yaml reads back
    assert run_validate([str(path)]) == 1
    assert f"FAILED  {path}: data: null means another source supplies the prompts" in capsys.readouterr().out
    monkeypatch.setattr(sources, "build_model", lambda config: pytest.fail("built the model"))
    with pytest.raises(ConfigError, match=rf"^{path}: data: null means another source supplies the prompts"):
        run_train(str(path))
    assert not (tmp_path / "run").exists()


def test_a_hub_id_is_checked_for_its_shape_only() -> None:
    config = load_config({"data": {"name": "math500", "path": "agentica-org/DeepScaleR-Preview-Dataset"}})
    assert config.data.missing_path() is None  # no download, no network


def test_a_gpu_config_validates_on_a_cpu_machine_as_it_would_run_there(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    path = CONFIGS / "gpu" / "spurious-random.yaml"
    trl = load_config(path).trl
    assert trl["bf16"] and trl["use_vllm"] and trl["activation_checkpointing"]
    assert not torch.cuda.is_available()  # the point of the test: bf16 and vLLM checked without a GPU
    assert run_validate([str(path)]) == 0, capsys.readouterr().out


def test_no_shipped_config_uses_a_deprecated_transformers_name() -> None:
    for path in sorted(CONFIGS.rglob("*.yaml")):
        assert "gradient_checkpointing" not in path.read_text(), path


# --- world size -----------------------------------------------------------------------------------------


def test_the_launched_world_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert launched_world_size() == 1
    monkeypatch.setenv("WORLD_SIZE", "8")
    assert launched_world_size() == 8


def test_every_paper_config_states_eight_processes_and_the_cpu_configs_none() -> None:
    for path in sorted((CONFIGS / "gpu").glob("*.yaml")):
        assert load_config(path).world_size == 8, path
    for path in sorted((CONFIGS / "cpu").glob("*.yaml")):
        assert load_config(path).world_size is None, path


def test_another_process_count_is_refused_with_the_figures_it_would_train_and_the_fix() -> None:
    run = load_config(CONFIGS / "gpu" / "spurious-random.yaml").run
    check_world_size(run, 8)
    with pytest.raises(ConfigError) as caught:
        check_world_size(run, 2, where="spurious-random.yaml")
    message = str(caught.value)
    assert "assumes world_size: 8 processes but was launched with 2" in message
    assert "4 × 2 × 32 = 256 rollouts (recipe: 1024)" in message and "4 × 2 × 4 = 32 samples (recipe: 128)" in message
    assert ("--set world_size=2 with --set trl.gradient_accumulation_steps=16 --set trl.steps_per_generation=128, "
            "or with --set trl.per_device_train_batch_size=16") in message
    assert "add --set world_size=2 alone" in message


def test_the_suggested_overrides_restore_the_recipe() -> None:
    from rewardlab.cli.train import apply_overrides

    values = read_yaml(CONFIGS / "gpu" / "spurious-random.yaml")
    for fix in (["trl.gradient_accumulation_steps=16", "trl.steps_per_generation=128"],
                ["trl.per_device_train_batch_size=16"]):
        changed = apply_overrides(read_yaml(CONFIGS / "gpu" / "spurious-random.yaml"), ["world_size=2", *fix])
        trl, base = changed["trl"], values["trl"]
        assert trl["per_device_train_batch_size"] * 2 * trl.get("steps_per_generation", 0) == \
            base["per_device_train_batch_size"] * 8 * base["steps_per_generation"] == 1024
        assert trl["per_device_train_batch_size"] * 2 * trl["gradient_accumulation_steps"] == 128
        check_world_size(load_config(changed).run, 2)  # and whole groups per process still (checked at load)


def test_train_checks_the_world_size_once_after_loading_before_any_model_and_set_acknowledges_a_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.training import run as run_module
    from rewardlab.training import sources, world_size

    path = _write(tmp_path, "world_size: 4\n" + TINY.format(run_dir=tmp_path / "run"))
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(sources, "build_model", lambda config: pytest.fail("built the model before the check"))
    with pytest.raises(ConfigError, match=rf"^{path}: this recipe assumes world_size: 4 processes but was "
                                          r"launched with 2"):
        run_train(str(path))
    assert not (tmp_path / "run").exists(), "nothing is written before the check"
    monkeypatch.undo()
    monkeypatch.setenv("WORLD_SIZE", "2")
    trained = []
    monkeypatch.setattr(run_module, "train", lambda config, source, resume: trained.append(config) or {})
    assert run_train(str(path), ["world_size=2"]) == 0
    assert trained[0].world_size == 2
    monkeypatch.undo()
    checks = []
    real = world_size.check_world_size
    monkeypatch.setattr(world_size, "check_world_size", lambda *a, **k: checks.append(a) or real(*a, **k))
    assert run_train(str(path), ["world_size=1", "trl.max_steps=1", "data.limit=8", "heldout.n=2",
                                 "heldout.max_new_tokens=2", "trl.max_completion_length=4"]) == 0
    assert len(checks) == 1, f"check_world_size ran {len(checks)} times in one train"


def test_validate_does_not_check_the_world_size(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WORLD_SIZE", "3")
    assert run_validate([str(CONFIGS / "gpu" / "nsr.yaml")]) == 0, capsys.readouterr().out


def test_a_real_launch_with_the_wrong_count_stops_before_building_a_model(tmp_path: Path) -> None:
    config = CONFIGS / "gpu" / "spurious-random.yaml"
    code = ("import sys; from rewardlab.cli.main import main; code = main(sys.argv[1:]); "
            "assert 'rewardlab.training.trainer' not in sys.modules, 'trainer imported'; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code, "train", str(config), "--set", f"run_dir={tmp_path / 'run'}"],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "WORLD_SIZE": "4"},
                          timeout=120)
    assert done.returncode != 0
    assert f"{config}: this recipe assumes" in done.stderr, done.stderr
    assert "launched with 4" in done.stderr and "--set world_size=4" in done.stderr, done.stderr
    assert "trainer imported" not in done.stderr and not (tmp_path / "run").exists()


@pytest.mark.slow
def test_with_a_gpu_the_defaults_turn_activation_checkpointing_on_under_its_current_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    import torch

    from rewardlab.training.run import trl_values
    from rewardlab.training.trl_section import check_with_trl

    config = load_config({"model": {"name": "tiny"}, "trl": {"per_device_train_batch_size": 8}})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    values = trl_values(config, tmp_path)
    monkeypatch.undo()
    assert values["activation_checkpointing"] is True and "use_cpu" not in values  # TRL's own default, renamed
    assert not {"gradient_checkpointing", "gradient_checkpointing_kwargs"} & set(values)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        check_with_trl(values)


def test_a_fixed_generation_batch_keeps_its_rollouts_and_only_the_mini_batch_needs_restoring() -> None:
    run = load_config({"world_size": 8, "trl": {"per_device_train_batch_size": 4, "generation_batch_size": 1024,
                                                "gradient_accumulation_steps": 4, "num_generations": 16}}).run
    with pytest.raises(ConfigError) as caught:
        check_world_size(run, 2)
    message = str(caught.value)
    assert "generation_batch_size = 1024 rollouts (recipe: 1024)" in message
    assert "4 × 2 × 4 = 32 samples (recipe: 128)" in message
    assert "--set world_size=2 with --set trl.gradient_accumulation_steps=16, or with" in message
    with pytest.raises(ConfigError, match="No integer batch fields keep both figures on 3 processes"):
        check_world_size(run, 3)


def test_an_override_written_1e_3_is_the_number_not_yaml_11s_string() -> None:
    from rewardlab.cli.train import apply_overrides

    values = apply_overrides({}, ["trl.learning_rate=1e-3", "trl.max_steps=5", 'note="1e-3"', "name=abc"])
    assert values == {"trl": {"learning_rate": 0.001, "max_steps": 5}, "note": "1e-3", "name": "abc"}
