"""Two CPU processes under ``accelerate launch``: groups stay whole and the same metrics are written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rewardlab.training.tracking import read_metrics


def _launch(config: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    accelerate = shutil.which("accelerate") or str(Path(sys.executable).parent / "accelerate")
    command = [accelerate, "launch", "--cpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision",
               "no", "--dynamo_backend", "no", "-m", "rewardlab.cli.main", "train", str(path)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)


def _config(run_dir: Path, per_device: int) -> dict:
    return {"run_dir": str(run_dir), "model": {"name": "tiny"}, "data": {"limit": 64},
            "heldout": {"n": 8, "k": 2, "max_new_tokens": 4}, "reward": {"type": "random", "seed": 0},
            "trl": {"num_generations": 4, "per_device_train_batch_size": per_device, "max_completion_length": 6,
                    "max_steps": 2, "learning_rate": 1.0e-2}}


@pytest.mark.slow
def test_two_process_run_trains_with_whole_groups_and_writes_metrics(tmp_path: Path) -> None:
    done = _launch(_config(tmp_path / "run", per_device=4), tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    records = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert [r["step"] for r in records if "loss" in r] == [1, 2]  # one writer: the main process
    assert {"rewardlab/proxy_reward", "rewardlab/gold_accuracy", "rewardlab/agreement"} <= set(records[0])
    assert (tmp_path / "run" / "summary.json").is_file()


@pytest.mark.slow
def test_two_process_run_that_would_split_groups_is_refused(tmp_path: Path) -> None:
    done = _launch(_config(tmp_path / "run", per_device=2), tmp_path)
    assert done.returncode != 0
    # The config loader refuses it before anything is built (`check_group_layout`, tested in test_trainer.py).
    assert "rewardlab train: error:" in done.stderr and "not a multiple of num_generations = 4" in done.stderr
