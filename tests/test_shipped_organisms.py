"""The organisms shipped in the package: their checksums, their fingerprints, and the bench's use of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rewardlab.bench.config import DEFAULT_GRID, load_bench_config
from rewardlab.organisms import shipped
from rewardlab.organisms.pretrain import ORGANISMS

SHIPPED = shipped.manifest()
REPO = Path(__file__).resolve().parents[1]


def current_key(name: str, entry: dict) -> str:
    """The config key organism ``name`` has now: a built-in one's, or the variant's of the grid its entry names."""
    if "grid" in entry:
        return load_bench_config(REPO / entry["grid"]).organism(name).key()
    return ORGANISMS[name].key()


def test_every_organism_of_the_default_grid_is_shipped_for_its_current_config() -> None:
    keys = {entry["key"] for entry in SHIPPED.values()}
    missing = [name for name in DEFAULT_GRID["organisms"] if ORGANISMS[name].key() not in keys]
    assert not missing, f"not shipped for their current configs: {missing}; run `{shipped.REGENERATE}`"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_shipped_organism_has_its_checksums_and_its_fingerprint(name: str) -> None:
    import torch

    from rewardlab.organisms.pretrain import load_organism

    entry = SHIPPED[name]
    assert entry["key"] == current_key(name, entry), (
        f"the shipped {name} was pretrained from another config than the current one; run "
        f"`{shipped.REGENERATE} {name}` and rerun the bench grids")
    folder = shipped.check_files(name, entry)
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= set(entry["files"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model, tokenizer = load_organism(folder)
        answers = shipped.fingerprint_answers(model, tokenizer)
    finally:
        torch.set_num_threads(threads)
    assert entry["prompts"] == list(shipped.FINGERPRINT_PROMPTS)
    assert answers == entry["answers"]


def _copy_shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    name = sorted(SHIPPED)[0]
    target = tmp_path / "shipped"
    shutil.copytree(shipped.SHIPPED_DIR, target)
    monkeypatch.setattr(shipped, "SHIPPED_DIR", target)
    monkeypatch.setattr(shipped, "MANIFEST", target / "manifest.json")
    return name, target


def test_a_changed_shipped_file_is_refused_with_the_command_that_rebuilds_it(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    name, target = _copy_shipped(tmp_path, monkeypatch)
    weights = target / name / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(shipped.ShippedOrganismError, match=f"model.safetensors does not match .*{shipped.REGENERATE}"):
        shipped.shipped_folder(ORGANISMS[name])
    weights.unlink()
    with pytest.raises(shipped.ShippedOrganismError, match="is missing"):
        shipped.shipped_folder(ORGANISMS[name])


def test_the_bench_starts_from_the_shipped_organism_unless_the_grid_says_pretrain_always(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.bench import source

    name = DEFAULT_GRID["organisms"][0]
    pretrained = []

    def pretrain_here(config, cache_dir=None, progress=None):
        pretrained.append(config.key())
        return tmp_path / config.key()

    monkeypatch.setattr(shipped, "pretrain", pretrain_here)
    grid = load_bench_config()
    assert grid.pretrain == "shipped"
    assert source.organism_path(grid, name, tmp_path) == shipped.SHIPPED_DIR / name
    assert pretrained == []
    here = load_bench_config({**DEFAULT_GRID, "pretrain": "always"})
    assert source.organism_path(here, name, tmp_path) == tmp_path / ORGANISMS[name].key()
    assert pretrained == [ORGANISMS[name].key()]
    # Cells of organisms pretrained here are kept apart from those of the shipped ones.
    assert not {c["id"] for c in here.cells()} & {c["id"] for c in grid.cells()}


def test_an_organism_rewardlab_does_not_ship_is_pretrained_here(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    monkeypatch.setattr(shipped, "pretrain", lambda config, cache_dir=None, progress=None: tmp_path)
    other = dataclasses.replace(ORGANISMS["qwen_math_like"], steps=7)
    assert shipped.shipped_folder(other) is None
    assert shipped.organism_folder(other, tmp_path) == tmp_path


def test_a_mistyped_pretrain_setting_fails_at_load_with_the_choices() -> None:
    from rewardlab.registry import ConfigError

    with pytest.raises(ConfigError, match="unknown pretrain 'alway'; did you mean 'always'"):
        load_bench_config({**DEFAULT_GRID, "pretrain": "alway"})


def test_the_manifest_names_the_command_that_regenerates_the_shipped_organisms() -> None:
    command = json.loads(shipped.MANIFEST.read_text())["command"]
    assert command == shipped.REGENERATE
    script = REPO / command.split()[1]
    assert script.is_file()


def test_bench_pretrain_runs_the_grid_with_its_organisms_pretrained_here(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.bench import runner
    from rewardlab.cli.main import main

    seen = []

    def fake_grid(config, cache_dir=None, progress=None, jobs=1, status=None):
        seen.append(config.pretrain)
        Path(config.out_dir).mkdir(parents=True)
        return [{**cell, "seconds": 1.0, "accuracy_before": 0.5, "accuracy_after": 0.5, "trace_before": 0.5,
                 "trace_after": 0.5} for cell in config.cells()]

    monkeypatch.setattr(runner, "run_grid", fake_grid)
    assert main(["bench", "--out", str(tmp_path / "a")]) == 0
    assert main(["bench", "--pretrain", "--out", str(tmp_path / "b")]) == 0
    assert seen == ["shipped", "always"]
