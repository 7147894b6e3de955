"""Runs that survive: checkpoints often enough, an exact resume after Ctrl-C, and `--no-resume` that keeps the old run.

The end-to-end test interrupts a real `rewardlab train` process with SIGINT once its first checkpoint is
complete, reruns it, and compares the steps after the resume with an uninterrupted run of the same seed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from rewardlab.training.checkpoints import (
    SaveEveryMinutes,
    default_save_steps,
    last_complete_checkpoint,
    move_aside,
)
from rewardlab.training.config import load_config

ROOT = Path(__file__).resolve().parents[1]
MAX_STEPS = 12


def _tiny(run_dir: Path, **trl: object) -> dict:
    return {"run_dir": str(run_dir), "seed": 3, "model": {"name": "tiny"}, "data": {"limit": 64},
            "heldout": {"n": 8, "k": 2, "max_new_tokens": 4},
            "trl": {"num_generations": 4, "per_device_train_batch_size": 8, "max_completion_length": 6,
                    "max_steps": MAX_STEPS, "learning_rate": 1e-2, **trl}}


def test_a_checkpoint_comes_every_quarter_of_the_run_unless_the_config_says_otherwise(tmp_path: Path) -> None:
    from rewardlab.training.run import trl_values

    assert default_save_steps({"max_steps": 30}) == 7  # the shipped CPU configs: checkpoints at 7, 14, 21, 28
    assert default_save_steps({"max_steps": 3}) == 1
    assert default_save_steps({"max_steps": 30, "save_steps": 10}) is None
    assert default_save_steps({"max_steps": 30, "save_strategy": "no"}) is None  # the bench's cells
    for name in ("tiny-binary", "tiny-nsr"):
        config = load_config(ROOT / "configs" / "cpu" / f"{name}.yaml")
        values = trl_values(config, tmp_path)
        assert values["save_strategy"] == "steps" and values["save_steps"] < config.trl["max_steps"]
    assert trl_values(load_config(_tiny(tmp_path, save_steps=5)), tmp_path)["save_steps"] == 5


def test_checkpoint_minutes_asks_for_a_save_once_the_time_has_passed() -> None:
    from types import SimpleNamespace

    now = [0.0]
    callback = SaveEveryMinutes(2, clock=lambda: now[0])
    args, control = SimpleNamespace(world_size=1), SimpleNamespace(should_save=False)
    now[0] = 119.0
    callback.on_step_end(args, None, control)
    assert not control.should_save
    now[0] = 120.0
    callback.on_step_end(args, None, control)
    assert control.should_save
    callback.on_save(args, None, control)
    control.should_save = False
    now[0] = 200.0
    callback.on_step_end(args, None, control)
    assert not control.should_save  # 80 s since the last save


def test_a_checkpoint_cut_off_while_saving_is_passed_over(tmp_path: Path) -> None:
    for step, complete in ((2, True), (4, True), (6, False)):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    assert last_complete_checkpoint(tmp_path) == str(tmp_path / "checkpoint-4")
    assert last_complete_checkpoint(tmp_path / "none") is None


def test_no_resume_moves_the_old_run_aside(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert move_aside(run) is None
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 1}\n')
    moved = move_aside(run)
    assert moved is not None and moved.name.startswith("run.old-") and not run.exists()
    assert (moved / "metrics.jsonl").read_text() == '{"step": 1}\n'
    run.mkdir()
    (run / "x").write_text("")
    assert move_aside(run) != moved  # a second move in the same second gets its own name


def _train(config: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rewardlab.cli.main", "train", str(config), *extra], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "error::FutureWarning"},
                            # A suite started in the background (`cmd &`) inherits SIGINT ignored, and Python
                            # then installs no KeyboardInterrupt handler: give the run Ctrl-C as a terminal does.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def _steps(run_dir: Path) -> dict[int, dict]:
    return {r["step"]: r for r in _records(run_dir) if "loss" in r}


@pytest.mark.slow
def test_sigint_after_a_checkpoint_then_rerun_gives_each_step_once_matching_an_uninterrupted_run(
        tmp_path: Path) -> None:
    interrupted, straight = tmp_path / "interrupted", tmp_path / "straight"
    (tmp_path / "i.yaml").write_text(yaml.safe_dump(_tiny(interrupted)))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(_tiny(straight)))

    process = _train(tmp_path / "i.yaml")
    deadline = time.monotonic() + 300
    while last_complete_checkpoint(interrupted / "checkpoints") is None:
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "no checkpoint within 300 s"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) != 0, f"the run did not stop on SIGINT: {process.stderr.read()[-2000:]}"
    assert not (interrupted / "summary.json").exists()  # cut off before the end
    before = (interrupted / "heldout_before.json").read_text()
    cut_at = max(_steps(interrupted))

    rerun = _train(tmp_path / "i.yaml")
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()  # FutureWarnings are errors: no deprecated names
    summary = json.loads((interrupted / "summary.json").read_text())
    resumed_at = int(summary["resumed_from"].rpartition("-")[2])
    records = _records(interrupted)
    assert [r["step"] for r in records if "loss" in r] == list(range(1, MAX_STEPS + 1))
    assert [r["step"] for r in records if "resumed_from" in r] == [resumed_at]
    assert resumed_at <= cut_at
    assert (interrupted / "heldout_before.json").read_text() == before
    assert json.dumps(summary["heldout_before"]) == json.dumps(json.loads(before))  # NaN figures compare equal

    assert _train(tmp_path / "s.yaml").wait(timeout=600) == 0
    ours, theirs = _steps(interrupted), _steps(straight)
    for step in range(1, resumed_at + 1):  # before the checkpoint: the same process history
        assert ours[step]["loss"] == theirs[step]["loss"] and ours[step]["reward"] == theirs[step]["reward"]
    gaps = {key: max(abs(ours[s][key] - theirs[s][key]) for s in range(resumed_at + 1, MAX_STEPS + 1))
            for key in ("reward", "loss")}
    print(f"resumed at step {resumed_at}; largest gap after it: {gaps}")
    assert gaps == {"reward": 0.0, "loss": 0.0}


@pytest.mark.slow
def test_the_run_builder_names_activation_checkpointing_by_its_current_name(tmp_path: Path) -> None:
    import warnings

    from rewardlab.training.run import grpo_args, trl_values

    values = trl_values(load_config(_tiny(tmp_path)), tmp_path)
    assert "gradient_checkpointing" not in values and values["activation_checkpointing"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        grpo_args(load_config(_tiny(tmp_path)), tmp_path)


def test_a_run_started_without_a_checkpoint_clears_its_metrics(tmp_path: Path) -> None:
    """What a bench cell (save_strategy "no") interrupted midway gets on its rerun: a clean start."""
    from rewardlab.training.run import _keep_metrics_until

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n')
    _keep_metrics_until(path, 0)
    assert path.read_text() == ""
    path.write_text('{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n{"step": 3, "loss": 0.3}\n')
    _keep_metrics_until(path, 2)
    assert [json.loads(line)["step"] for line in path.read_text().splitlines()] == [1, 2]


@pytest.mark.slow
def test_no_resume_trains_in_a_fresh_folder_and_keeps_the_old_run(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from rewardlab.training.run import train

    run = tmp_path / "run"
    config = load_config({**_tiny(run, max_steps=1), "heldout": {"n": 2, "k": 1, "max_new_tokens": 2},
                          "save_final": False})
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 1, "loss": 9.0}\n')
    (run / "summary.json").write_text('{"steps": 1}')
    summary = train(config, resume=False)
    moved = [p for p in tmp_path.iterdir() if p.name.startswith("run.old-")]
    assert len(moved) == 1 and f"aside to {moved[0]}" in capsys.readouterr().out
    assert (moved[0] / "metrics.jsonl").read_text() == '{"step": 1, "loss": 9.0}\n'
    assert summary["steps"] == 1 and summary["resumed_from"] is None
    records = [r for r in _records(run) if "loss" in r]
    assert [r["step"] for r in records] == [1] and records[0]["loss"] != 9.0  # the new run's step alone
