"""A resumed run is the run it was: a changed config is refused, a larger max_steps continues it, and a broken
checkpoint is moved aside instead of stopping the run with a traceback.

One tiny 4-step run (checkpoints at steps 2 and 4) is trained once; each test works on a copy of its folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from rewardlab.cli.main import main
from rewardlab.registry import ConfigError
from rewardlab.training.checkpoints import BROKEN_FOLDER, checkpoint_problem, sound_checkpoint
from rewardlab.training.config import load_config

pytestmark = pytest.mark.slow


def _values(run_dir: Path, **trl: object) -> dict:
    return {"run_dir": str(run_dir), "seed": 3, "model": {"name": "tiny"}, "data": {"limit": 64},
            "heldout": {"n": 4, "k": 2, "max_new_tokens": 4},
            "trl": {"num_generations": 4, "per_device_train_batch_size": 8, "max_completion_length": 6,
                    "max_steps": 4, "save_steps": 2, "learning_rate": 1e-2, **trl}}


def _train(run_dir: Path, **trl: object) -> dict:
    from rewardlab.training.run import train

    return train(load_config(_values(run_dir, **trl)))


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    _train(run_dir)
    return run_dir


@pytest.fixture
def run(finished_run: Path, tmp_path: Path) -> Path:
    """A copy of the finished run, its config pointing at the copy."""
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    config = yaml.safe_load((copy / "config.yaml").read_text())
    (copy / "config.yaml").write_text(yaml.safe_dump({**config, "run_dir": str(copy)}, sort_keys=False))
    return copy


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def _loss_steps(run_dir: Path) -> list[int]:
    return [r["step"] for r in _records(run_dir) if "loss" in r]


def _markers(run_dir: Path) -> list[dict]:
    return [r for r in _records(run_dir) if "resumed_from" in r]


def test_resuming_with_a_changed_reward_or_learning_rate_is_refused_naming_each_field(
        run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = (run / "config.yaml").read_text()
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(_values(run)))
    assert main(["train", str(path), "--set", "reward=random", "--set", "trl.learning_rate=0.5"]) == 2
    err = capsys.readouterr().err
    assert f"{run} was started with another config" in err
    assert "  reward: {\"type\": \"binary\"" in err and "-> {\"type\": \"random\"" in err
    assert "  trl.learning_rate: 0.01 -> 0.5" in err
    assert "--no-resume" in err and "another run_dir" in err
    assert (run / "config.yaml").read_text() == snapshot  # never rewritten
    assert not (run / "resumes.jsonl").exists()


def test_logging_saving_and_evaluation_cadence_may_change_on_resume(run: Path) -> None:
    from rewardlab.training.resume import check_resume
    from rewardlab.training.run import trl_values

    def check(config: object) -> list:
        return check_resume(config, run, lambda c: trl_values(c, run))

    config = load_config({**_values(run, logging_steps=2, save_steps=1, eval_steps=3), "heldout": {
        "n": 4, "k": 2, "max_new_tokens": 4, "every": 2}, "checkpoint_minutes": 5})
    changed = {c.field for c in check(config)}
    assert changed == {"trl.logging_steps", "trl.save_steps", "trl.eval_steps", "heldout.every", "checkpoint_minutes"}
    with pytest.raises(ConfigError, match=r"heldout.k: 2 -> 3"):
        check(load_config({**_values(run), "heldout": {"n": 4, "k": 3, "max_new_tokens": 4}}))


def test_a_larger_max_steps_continues_a_finished_run_from_its_last_checkpoint_and_says_so(
        run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = (run / "config.yaml").read_text()
    summary = _train(run, max_steps=6)
    assert "finished at step 4; max_steps 6 extends it" in capsys.readouterr().out
    assert summary["steps"] == 6 and summary["resumed_from"].endswith("checkpoint-4")
    assert summary["extended"]["from_steps"] == 4 and summary["extended"]["continued_from"].endswith("checkpoint-4")
    assert json.loads((run / "summary.json").read_text())["steps"] == 6
    assert _loss_steps(run) == [1, 2, 3, 4, 5, 6]
    assert [m["step"] for m in _markers(run)] == [4]
    assert (run / "config.yaml").read_text() == snapshot  # still the config the run started with
    records = [json.loads(line) for line in (run / "resumes.jsonl").read_text().splitlines()]
    assert len(records) == 1 and records[0]["checkpoint"].endswith("checkpoint-4")
    assert records[0]["changed"]["trl.max_steps"] == {"old": 4, "new": 6}


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


@pytest.mark.parametrize("name", ["model.safetensors", "optimizer.pt", "trainer_state.json"])
def test_a_broken_latest_checkpoint_is_moved_aside_and_the_run_resumes_from_the_one_before(
        run: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    (run / "summary.json").unlink()  # as if killed after its last checkpoint
    _truncate(run / "checkpoints" / "checkpoint-4" / name)
    with (run / "metrics.jsonl").open("a") as handle:
        handle.write('{"step": 5, "loss": 0.1, "rew')  # a line cut off by the kill
    summary = _train(run)
    out = capsys.readouterr().out
    assert f"checkpoint {run / 'checkpoints' / 'checkpoint-4'} cannot be resumed from: " \
           f"{run / 'checkpoints' / 'checkpoint-4' / name} is broken" in out
    assert f"moved it aside to {run / BROKEN_FOLDER / 'checkpoint-4'}" in out
    assert (run / BROKEN_FOLDER / "checkpoint-4" / name).is_file()
    assert summary["steps"] == 4 and summary["resumed_from"].endswith("checkpoint-2")
    assert _loss_steps(run) == [1, 2, 3, 4]
    assert [m["step"] for m in _markers(run)] == [2]


def test_with_every_checkpoint_broken_nothing_is_resumed_and_the_message_says_so(
        run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rewardlab.training.run import _resume_point

    for step in (2, 4):
        _truncate(run / "checkpoints" / f"checkpoint-{step}" / "model.safetensors")
    assert checkpoint_problem(run / "checkpoints" / "checkpoint-2") is not None
    assert _resume_point(str(run / "checkpoints"), True) is None
    out = capsys.readouterr().out
    assert "no checkpoint is left: starting over" in out and "no sound checkpoint is left" in out
    assert sorted(p.name for p in (run / BROKEN_FOLDER).iterdir()) == ["checkpoint-2", "checkpoint-4"]
    assert sound_checkpoint(run / "checkpoints") is None


def test_a_failed_resume_writes_no_marker_and_the_next_one_writes_one(
        run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.training.trainer import GRPOTrainer

    (run / "summary.json").unlink()
    original = GRPOTrainer._load_optimizer_and_scheduler

    def fail(self: GRPOTrainer, checkpoint: str | None) -> None:
        raise RuntimeError("the optimizer state could not be loaded")

    monkeypatch.setattr(GRPOTrainer, "_load_optimizer_and_scheduler", fail)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="could not be loaded"):
            _train(run)
    assert _markers(run) == [] and not (run / "resumes.jsonl").exists()
    monkeypatch.setattr(GRPOTrainer, "_load_optimizer_and_scheduler", original)
    _train(run)
    assert [m["step"] for m in _markers(run)] == [4]
    assert len((run / "resumes.jsonl").read_text().splitlines()) == 1
