"""Two CPU processes under the documented launch: two ranks, disjoint whole groups, one metrics writer.

The run uses ``configs/accelerate/cpu-2proc.yaml`` exactly as docs/training.md tells a user to, with a
reward that records, in each process, the world size and the sample indices and groups it scored.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from rewardlab.training.tracking import read_metrics

REPO = Path(__file__).resolve().parents[1]
LAUNCH_CONFIG = REPO / "configs" / "accelerate" / "cpu-2proc.yaml"


def _config(tmp_path: Path, name: str, per_device: int) -> Path:
    values = {"run_dir": str(tmp_path / name), "model": {"name": "tiny"}, "data": {"limit": 64},
              "heldout": {"n": 8, "k": 2, "max_new_tokens": 4},
              "reward": {"type": "tests.recording_reward:RecordCalls", "log_dir": str(tmp_path / name / "calls")},
              "trl": {"num_generations": 4, "per_device_train_batch_size": per_device, "max_completion_length": 6,
                      "max_steps": 2, "learning_rate": 1.0e-2}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def _run(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run(command, capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path)


def _calls(run_dir: Path) -> dict[int, list[dict]]:
    return {int(path.stem.split("-")[1]): [json.loads(line) for line in path.read_text().splitlines()]
            for path in sorted((run_dir / "calls").glob("rank-*.jsonl"))}


def _layout(calls: dict[int, list[dict]]) -> dict[int, set[tuple[int, int]]]:
    """Per step, the (global sample index, group id) pairs scored by all processes together."""
    steps: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for records in calls.values():
        for record in records:
            steps[record["step"]] |= set(zip(record["indices"], record["group_ids"], strict=True))
    return dict(steps)


@pytest.mark.slow
def test_the_documented_two_process_launch_scores_disjoint_whole_groups_in_two_ranks(tmp_path: Path) -> None:
    accelerate = shutil.which("accelerate") or str(Path(sys.executable).parent / "accelerate")
    two = _run([accelerate, "launch", "--config_file", str(LAUNCH_CONFIG), "-m", "rewardlab.cli.main", "train",
                str(_config(tmp_path, "two", per_device=4))], tmp_path)
    assert two.returncode == 0, two.stderr[-3000:]
    calls = _calls(tmp_path / "two")
    assert sorted(calls) == [0, 1], "both ranks scored"
    assert {r["world_size"] for records in calls.values() for r in records} == {2}
    by_step: dict[int, list[dict]] = defaultdict(list)
    for records in calls.values():
        for record in records:
            by_step[record["step"]].append(record)
    for step, records in by_step.items():
        assert len(records) == 2, f"step {step}: each rank scores its slice once"
        first, second = (set(r["indices"]) for r in records)
        assert not first & second, f"step {step}: the ranks' indices overlap"
        assert first | second == set(range(8)), f"step {step}: the union does not cover the batch"
        for record in records:  # every group a rank holds, it holds whole: 4 samples of each of its groups
            sizes = {g: record["group_ids"].count(g) for g in record["group_ids"]}
            assert set(sizes.values()) == {4}, f"step {step}, rank {record['rank']}: split group {sizes}"
        assert not {*records[0]["group_ids"]} & {*records[1]["group_ids"]}, "a group is shared by both ranks"
    metrics = read_metrics(tmp_path / "two" / "metrics.jsonl")
    assert [r["step"] for r in metrics if "loss" in r] == [1, 2]  # one writer: the main process
    assert json.loads((tmp_path / "two" / "summary.json").read_text())["world_size"] == 2

    one = _run([sys.executable, "-m", "rewardlab.cli.main", "train", str(_config(tmp_path, "one", per_device=8))],
               tmp_path)
    assert one.returncode == 0, one.stderr[-3000:]
    assert json.loads((tmp_path / "one" / "summary.json").read_text())["world_size"] == 1
    assert _layout(_calls(tmp_path / "one")) == _layout(calls), "the batch layout differs from one process's"


def test_a_two_process_layout_that_would_split_groups_fails_at_load(tmp_path: Path) -> None:
    done = _run([sys.executable, "-m", "rewardlab.cli.main", "train", str(_config(tmp_path, "run", per_device=2))],
                tmp_path)
    assert done.returncode != 0
    assert "rewardlab train: error:" in done.stderr and "not a multiple of num_generations = 4" in done.stderr
    assert not (tmp_path / "run").exists(), "nothing is built before the layout is checked"
