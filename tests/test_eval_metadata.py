"""``rewardlab eval`` writes a metadata.json beside its figures that traces them to what produced them."""

from __future__ import annotations

import hashlib
import json
import shutil
from importlib import metadata
from pathlib import Path

import pytest

from rewardlab.cli.main import main
from rewardlab.data.rollouts import read_rollouts

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rollouts.jsonl"


@pytest.mark.slow
def test_eval_records_command_grader_checksum_counts_and_machine(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    rollouts = Path(shutil.copy(EXAMPLE, tmp_path / "rollouts.jsonl"))
    argv = ["eval", str(rollouts), "-r", "format", "--json", "--out", str(tmp_path), "--bootstrap-seed", "3"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert [report[f"pass^{k}"] <= report[f"pass@{k}"] for k in (1, 2, 4)] == [True] * 3
    assert report["pass^1"] == pytest.approx(report["pass@1"])
    record = json.loads(Path(report["files"]["metadata"]).read_text())
    assert Path(report["files"]["metadata"]).name == "rollouts.metadata.json"
    assert record["command"] == "rewardlab " + " ".join(argv)
    assert record["seeds"]["bootstrap"] == 3 and record["rewards"] == ["format"]
    assert record["grader"]["extraction"] == "math_verify" and record["grader"]["timeout"] == 5.0
    assert record["grader"]["math_verify_version"] == metadata.version("math-verify")
    assert record["machine"]["packages"]["trl"] == metadata.version("trl") and record["machine"]["cpu"]
    (entry,) = record["inputs"]
    assert entry["sha256"] == hashlib.sha256(rollouts.read_bytes()).hexdigest()
    rows = read_rollouts(rollouts)
    counts = entry["counts"]
    assert counts["samples"] == len(rows) == sum(p["samples"] for p in counts["per_problem"])
    assert counts["problems"] == len({row["prompt"] for row in rows}) == len(counts["per_problem"])
    correct = sum(p["correct"] for p in counts["per_problem"])
    assert correct / sum(p["scorable"] for p in counts["per_problem"]) == pytest.approx(report["accuracy"])


@pytest.mark.slow
def test_the_model_mode_records_the_sampling_settings(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import rewardlab.sampling

    monkeypatch.setattr(rewardlab.sampling, "sample_to_file",
                        lambda settings, out_path, progress=True: Path(shutil.copy(EXAMPLE, out_path)))
    assert main(["eval", "org/model-7b", "--data", "math500", "-n", "4", "--temperature", "0.6", "--seed", "7",
                 "--json", "--out", str(tmp_path)]) == 0
    record = json.loads(Path(json.loads(capsys.readouterr().out)["files"]["metadata"]).read_text())
    sampling = record["inputs"][0]["sampling"]
    assert (sampling["model"], sampling["data"], sampling["n"], sampling["temperature"], sampling["seed"]) == \
        ("org/model-7b", "math500", 4, 0.6, 7)
    assert record["seeds"]["sampling"] == 7 and record["inputs"][0]["model"] == "org/model-7b"
