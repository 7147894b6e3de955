"""The ``rewardlab`` command line: list, score, and the errors a user sees."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from rewardlab import default_registry
from rewardlab.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rollouts.jsonl"


def test_list_shows_every_reward_with_its_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in default_registry().names():
        assert name in out
    assert "probability of reward 1" in out  # random.p's help text


def test_list_of_an_unknown_reward_suggests_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "brinary"]) == 2
    assert "did you mean 'binary'?" in capsys.readouterr().err


def test_score_json_compares_each_reward_with_gold(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["score", str(EXAMPLE), "-r", "binary", "-r", "{type: random, p: 0.5, seed: 1}", "-r", "format",
                 "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    rows = {row["reward"]: row for row in report["rows"]}
    assert report["n"] == 24
    assert rows["binary"]["agreement"] == 1.0 and rows["binary"]["correlation"] == pytest.approx(1.0)
    assert rows["binary"]["precision"] == 1.0 and rows["binary"]["recall"] == 1.0
    assert 0.0 <= rows["{type: random, p: 0.5, seed: 1}"]["agreement"] <= 1.0
    # The example holds stated confidences, so every row carries calibration.
    assert all(0.0 <= row["ece"] <= 1.0 and 0.0 <= row["brier"] <= 1.0 for row in rows.values())


def test_score_table_prints_one_row_per_reward(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(EXAMPLE), "-r", "binary", "-r", "contains_python"]) == 0
    out = capsys.readouterr().out
    assert "binary" in out and "contains_python" in out and "agreement" in out


def test_score_with_a_misspelled_reward_fails_before_scoring(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(EXAMPLE), "-r", "{type: random, pp: 0.5}"]) == 2
    assert "unknown field 'pp'; did you mean 'p'?" in capsys.readouterr().err


def test_score_of_a_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["score", str(tmp_path / "nope.jsonl"), "-r", "binary"]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    exe = shutil.which("rewardlab")
    assert exe is not None, "the rewardlab console script is not on PATH; install with pip install -e ."
    done = subprocess.run([exe, "list"], capture_output=True, text=True, timeout=120, check=True)
    assert "weighted_sum" in done.stdout
