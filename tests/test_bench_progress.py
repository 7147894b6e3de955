"""A running bench says where it is: pretraining steps with loss and ETA, cells running and finished with an ETA."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import pytest

from rewardlab.bench.progress import GridProgress, duration
from rewardlab.organisms.pretrain import ORGANISMS

TINY = dataclasses.replace(ORGANISMS["qwen_math_like"], steps=6, batch_size=4, warmup=2)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.slow
def test_pretraining_progress_hears_every_step_and_leaves_the_weights_as_they_were(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from rewardlab.models.tiny import TinyModelConfig
    from rewardlab.organisms.pretrain import pretrain

    config = dataclasses.replace(TINY, model=TinyModelConfig(hidden_size=32, num_layers=1, num_heads=2,
                                                             intermediate_size=64, max_positions=96))
    heard: list[tuple[int, int, float]] = []
    with_progress = pretrain(config, tmp_path / "a", progress=lambda *args: heard.append(args))
    without = pretrain(config, tmp_path / "b")
    assert [step for step, _, _ in heard] == list(range(1, config.steps + 1))
    assert {total for _, total, _ in heard} == {config.steps} and all(math.isfinite(loss) for *_, loss in heard)
    records = [json.loads((folder / "organism.json").read_text()) for folder in (with_progress, without)]
    assert records[0]["losses"] == records[1]["losses"] and records[0]["losses"][-1] == round(heard[-1][2], 4)
    weights = [load_file(folder / "model.safetensors") for folder in (with_progress, without)]
    assert weights[0].keys() == weights[1].keys()
    assert all(weights[0][name].equal(weights[1][name]) for name in weights[0])
    heard.clear()
    pretrain(config, tmp_path / "a", progress=lambda *args: heard.append(args))
    assert heard == []  # a cached organism is loaded, not trained


def test_off_a_terminal_pretraining_is_said_at_each_quarter_with_its_eta() -> None:
    said: list[str] = []
    clock = Clock()
    progress = GridProgress(cells=4, finished=0, jobs=2, say=said.append, clock=clock)
    for step in range(1, 9):
        clock.now = 2.0 * step  # two seconds a step
        progress.pretrain_step("qwen_math_like", step, 8, 1.0 / step)
    assert said == ["pretraining qwen_math_like step 2/8, loss 0.500, ETA 12 s",
                    "pretraining qwen_math_like step 4/8, loss 0.250, ETA 8 s",
                    "pretraining qwen_math_like step 6/8, loss 0.167, ETA 4 s",
                    "pretrained qwen_math_like: 8 steps, loss 0.125, 14 s"]


def test_on_a_terminal_the_status_shows_each_organism_and_the_cells_and_no_quarter_lines() -> None:
    said: list[str] = []
    shown: list[list[str]] = []
    clock = Clock()
    progress = GridProgress(cells=3, finished=1, jobs=1, say=said.append, status=shown.append, clock=clock)
    for step in (1, 2, 3):
        clock.now = float(step)
        progress.pretrain_step("llama_like", step, 10, 2.0)
    assert said == [] and shown[-1] == ["pretraining llama_like step 3/10, loss 2.000, ETA 7 s",
                                        "1/3 cells finished, 0 running, ETA estimating"]
    progress.set_running(["cell-a"])
    assert shown[-1][-1] == "1/3 cells finished, 1 running, ETA estimating"


def test_the_cells_eta_is_the_mean_measured_cell_time_times_the_rounds_left() -> None:
    clock = Clock()
    progress = GridProgress(cells=6, finished=1, jobs=2, say=lambda line: None, clock=clock)
    progress.set_running(["a", "b"])
    assert progress.eta() is None and progress.cells_text().endswith("ETA estimating")  # nothing measured yet
    text = progress.cell_finished({"id": "a", "seconds": 10.0})
    assert text == "2/6 cells finished, 1 running, ETA 20 s"  # 4 cells left on 2 workers: 2 rounds of 10 s
    progress.cell_finished({"id": "b", "seconds": 30.0})
    assert progress.eta() == 40.0  # mean 20 s, 3 cells left: 2 rounds
    assert [duration(s) for s in (45, 720, 3900)] == ["45 s", "12 min", "1 h 05 min"]


def test_the_cells_eta_counts_the_time_the_running_round_has_run_already() -> None:
    clock = Clock()
    progress = GridProgress(cells=5, finished=2, jobs=2, say=lambda line: None, clock=clock)
    progress.cell_finished({"id": "x", "seconds": 100.0})
    progress.set_running(["c"])
    clock.now = 5.0
    progress.set_running(["c", "d"])
    clock.now = 65.0  # d has run 60 s of a 100 s cell, c 65 s: the grid ends when d does
    assert progress.eta() == 40.0
    clock.now = 300.0  # past the mean: no negative ETA
    assert progress.eta() == 0.0
    progress.set_running(["d"])  # one worker idles while 2 cells are left: the round has not started
    assert progress.cells_text() == "3/5 cells finished, 1 running, ETA 2 min"


def test_off_a_terminal_the_status_is_said_whenever_the_grid_was_silent_for_the_heartbeat() -> None:
    import time

    said: list[str] = []
    progress = GridProgress(cells=2, finished=0, jobs=1, say=said.append)
    progress.pretrain_step("qwen_math_like", 1, 660, 3.0)
    with progress.beating(every=0.05):
        time.sleep(0.3)
    beats = [line for line in said if line.startswith("pretraining qwen_math_like step 1/660")]
    assert len(beats) >= 3, said
    assert beats[0] == "pretraining qwen_math_like step 1/660, loss 3.000, ETA estimating; 0/2 cells finished, " \
                       "0 running, ETA estimating"
    count = len(said)
    time.sleep(0.15)
    assert len(said) == count  # stopped with the grid


ONE_CELL = {
    "organisms": ["qwen_math_like"], "organism_steps": 6, "seeds": [0, 1],
    "rewards": [{"name": "random", "reward": {"type": "random", "p": 0.5}}],
    "train": {"trl": {"max_steps": 2, "per_device_train_batch_size": 8, "steps_per_generation": 2,
                      "num_generations": 4, "max_completion_length": 24}},
    "eval": {"n": 8, "k": 2, "every": 1},
}


@pytest.mark.slow
def test_one_job_says_pretraining_steps_and_finished_running_counts_with_an_eta(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.bench import runner
    from rewardlab.bench.config import load_bench_config

    def fake_cell(config, cell, cache_dir, out_dir, pretrain_progress=None):
        if cell["seed"] == 0:  # the first cell of the organism pretrains it
            for step in range(1, 7):
                pretrain_progress(step, 6, 1.0)
        return {**cell, "seconds": 5.0, **{f"{k}_{w}": 0.5 for k in ("accuracy", "trace") for w in ("before", "after")}}

    monkeypatch.setattr(runner, "run_cell", fake_cell)
    said: list[str] = []
    runner.run_grid(load_bench_config({**ONE_CELL, "out_dir": str(tmp_path / "out")}), progress=said.append)
    assert [line for line in said if line.startswith("pretraining ")] == [
        f"pretraining qwen_math_like step {step}/6, loss 1.000, ETA {eta}" for step, eta in ((2, "0 s"), (3, "0 s"),
                                                                                            (5, "0 s"))]
    finished = [line for line in said if line.startswith("finished ")]
    assert finished[0].endswith("; 1/2 cells finished, 0 running, ETA 5 s")
    assert finished[1].endswith("; 2/2 cells finished, 0 running")
    assert said[0].startswith("[1/2] running qwen_math_like-random") and "[2/2] running" in said[-2]


@pytest.mark.slow
def test_workers_send_their_pretraining_steps_and_the_grid_says_finished_and_running_counts(tmp_path: Path) -> None:
    from rewardlab.bench.config import load_bench_config
    from rewardlab.bench.runner import run_grid

    grid = {**ONE_CELL, "organisms": ["qwen_math_like", "llama_like"], "seeds": [0]}
    said: list[str] = []
    run_grid(load_bench_config({**grid, "out_dir": str(tmp_path / "out")}), tmp_path / "cache", progress=said.append,
             jobs=2)
    for organism in grid["organisms"]:
        quarters = [line for line in said if line.startswith(f"pretraining {organism} step ")]
        assert len(quarters) == 3 and all(re.search(r"step \d/6, loss \d+\.\d{3}", line) for line in quarters)
        assert any(line.startswith(f"pretrained {organism}: 6 steps, loss ") for line in said)
    finished = [line for line in said if line.startswith("finished ")]
    assert len(finished) == 2
    assert re.search(r"; 1/2 cells finished, [01] running, ETA \d+ (s|min)$", finished[0]), finished[0]
    assert finished[1].endswith("; 2/2 cells finished, 0 running")
