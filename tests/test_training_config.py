"""The training config's model dtype and data keep_columns: checked at load, and reaching the model and data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardlab.registry import ConfigError
from rewardlab.training.config import MODEL_DTYPES, DataConfig, ModelConfig, load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_model_dtype_defaults_to_auto_and_accepts_every_choice() -> None:
    assert ModelConfig().dtype == "auto"
    assert MODEL_DTYPES == ("auto", "float32", "bfloat16", "float16")
    for dtype in MODEL_DTYPES:
        assert ModelConfig(name="some/model", dtype=dtype).dtype == dtype


def test_bad_dtype_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"dtype must be one of 'auto', 'float32', 'bfloat16', 'float16', "
                                         r"got 'bf16'"):
        ModelConfig(dtype="bf16")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"model\.dtype: 'bf16' is not allowed.*'bfloat16'"):
        load_config({"model": {"name": "tiny", "dtype": "bf16"}})


def test_every_gpu_config_loads_its_model_in_bfloat16() -> None:
    paths = sorted((CONFIGS / "gpu").glob("*.yaml"))
    assert paths
    for path in paths:
        assert load_config(path).model.dtype == "bfloat16", path


def test_spurious_incorrect_keeps_the_column_its_reward_reads() -> None:
    config = load_config(CONFIGS / "gpu" / "spurious-incorrect.yaml")
    assert config.reward.answer_column in config.data.keep_columns


def test_keep_columns_round_trips_and_is_checked_at_load() -> None:
    config = load_config({"data": {"name": "math500", "keep_columns": ["incorrect_answer"]}})
    assert config.data.keep_columns == ("incorrect_answer",)
    assert load_config(config.to_dict()) == config
    assert DataConfig().keep_columns == ()
    with pytest.raises(ConfigError, match=r"'answer' is always a column"):
        load_config({"data": {"name": "math500", "keep_columns": ["answer"]}})
    with pytest.raises(ConfigError, match=r"data\.keep_columns: expected a list"):
        load_config({"data": {"name": "math500", "keep_columns": "incorrect_answer"}})
    with pytest.raises(ConfigError, match=r"not to the synthetic 'arithmetic'"):
        load_config({"data": {"name": "arithmetic", "keep_columns": ["x"]}})


def test_build_dataset_keeps_the_configured_columns(tmp_path: Path) -> None:
    from rewardlab.training.sources import build_dataset

    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"problem": f"p{i}", "answer": str(i), "incorrect_answer": str(i + 1)}) + "\n"
                            for i in range(3)))
    config = DataConfig(name="math500", path=str(path), split="train", keep_columns=("incorrect_answer",))
    dataset = build_dataset(config)
    assert dataset["incorrect_answer"] == ["1", "2", "3"]
    assert dataset["prompt"] == ["p0", "p1", "p2"]


def test_dtype_reaches_from_pretrained_for_a_local_model(tmp_path: Path) -> None:
    import torch

    from rewardlab.models.tiny import TinyModelConfig, char_tokenizer, tiny_model
    from rewardlab.training.sources import build_model

    tokenizer = char_tokenizer()
    tiny_model(tokenizer, TinyModelConfig(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32)
               ).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model, _ = build_model(ModelConfig(name=str(tmp_path), dtype="bfloat16"))
    assert model.dtype == torch.bfloat16
    model, _ = build_model(ModelConfig(name=str(tmp_path)))  # auto: the checkpoint's own (float32 here)
    assert model.dtype == torch.float32


def test_tiny_model_stays_float32_by_default_and_takes_a_dtype() -> None:
    import torch

    from rewardlab.training.sources import build_model

    assert build_model(ModelConfig())[0].dtype == torch.float32
    assert build_model(ModelConfig(dtype="bfloat16"))[0].dtype == torch.bfloat16


def test_the_vllm_extra_asks_for_the_vllm_range_trl_supports() -> None:
    from importlib.metadata import requires

    import tomllib
    from packaging.requirements import Requirement

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    extra = pyproject["project"]["optional-dependencies"]["vllm"]
    ours = {Requirement(r).name: Requirement(r).specifier for r in extra}
    trls = {}
    for text in requires("trl") or []:
        requirement = Requirement(text)
        if requirement.marker is not None and requirement.marker.evaluate({"extra": "vllm"}):
            trls[requirement.name] = requirement.specifier
    assert "vllm" in trls, "TRL no longer declares a vllm extra"
    assert ours == trls
