"""``rewardlab eval``: the table, JSON, Markdown and CSV, two inputs side by side, and the MODEL mode."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rewardlab.cli.eval_tables import print_table
from rewardlab.cli.main import main
from rewardlab.evaluation.comparison import compare_reports
from rewardlab.evaluation.report import Samples, evaluate_samples
from rewardlab.types import RewardResult

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rollouts.jsonl"
LONG_REWARD = "{type: weighted_sum, terms: [{reward: format, weight: 0.5}, {reward: binary, weight: 0.5}]}"


def wide_samples(shift: int = 0) -> Samples:
    """20 problems × 8 samples with confidences, abstention and two rewards, one with a long name."""
    n = 160
    correct = tuple((i * 7 + shift) % 3 == 0 for i in range(n))
    return Samples(
        problems=tuple(f"problem {i // 8}" for i in range(n)),
        completions=tuple("python " * (i % 5) + f"\\boxed{{{i % 4}}}" for i in range(n)),
        correct=correct, answers=tuple(str(i % 4) for i in range(n)),
        confidence=tuple(((i * 37) % 100) / 100 for i in range(n)),
        abstained=tuple(i % 11 == 0 for i in range(n)),
        rewards={"format": RewardResult(scores=(1.0,) * n),
                 LONG_REWARD: RewardResult(scores=tuple(((i * 13) % 10) / 10 for i in range(n)))})


def shown(value: float, name: str, signed: bool = False) -> str:
    digits = 1 if name == "mean_length" else 3
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


@pytest.mark.slow  # the ECE imports netcal
def test_the_table_fits_100_columns_and_shows_every_number(capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    report = evaluate_samples(wide_samples(), source="a/long/path/" + "x" * 120 + ".jsonl")
    comparison = compare_reports(report, evaluate_samples(wide_samples(shift=1)), resamples=200)
    for subject in (report, comparison):
        print_table(subject)
        out = capsys.readouterr().out
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= 100
        if subject is report:
            expected = [shown(f.value, f.name) for f in report.figures]
        else:
            expected = [shown(v, f.name) for f in comparison.figures for v in (f.a, f.b)]
            expected += [shown(f.difference, f.name, signed=True) for f in comparison.figures]
            expected += [f"[{shown(f.interval.low, f.name, True)}, {shown(f.interval.high, f.name, True)}]"
                         for f in comparison.figures if f.interval is not None]
        for number in expected:
            assert number in out, f"{number} is missing or cut"
        assert "truthfulness" in out and "pass@8" in out and "maj@8" in out


@pytest.mark.slow
def test_json_prints_only_json_with_the_keys_and_writes_markdown_and_csv(tmp_path: Path) -> None:
    exe = shutil.which("rewardlab")
    assert exe is not None, "the rewardlab console script is not on PATH; install with pip install -e ."
    done = subprocess.run([exe, "eval", str(EXAMPLE), "-r", "format", "--json", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=True)
    report = json.loads(done.stdout)  # the whole of standard output (checker workers' too) is one JSON document
    assert report["n_samples"] == 24 and report["ks"] == [1, 2, 4]
    for key in ("accuracy", "pass@1", "pass@2", "pass@4", "maj@1", "maj@2", "maj@4", "ece", "code_reasoning_rate"):
        assert isinstance(report[key], float), key
    assert set(report["rewards"]["format"]) == {"mean", "agreement", "precision", "recall"}
    rows = list(csv.DictReader(Path(report["files"]["csv"]).read_text().splitlines()))
    assert {row["figure"] for row in rows} >= {"accuracy", "pass@4", "maj@4", "format/recall"}
    assert float(next(r for r in rows if r["figure"] == "accuracy")["value"]) == report["accuracy"]
    assert "| pass@4 |" in Path(report["files"]["markdown"]).read_text()
    assert Path(report["files"]["reliability"]).stat().st_size > 0  # the example states confidences


@pytest.mark.slow
def test_two_files_are_compared_side_by_side(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    copy = shutil.copy(EXAMPLE, tmp_path / "after.jsonl")
    assert main(["eval", str(EXAMPLE), str(copy), "--json", "--out", str(tmp_path), "--resamples", "500"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["A"]["accuracy"] == report["B"]["accuracy"] and report["n_shared_problems"] == 6
    accuracy = report["difference"]["accuracy"]
    assert accuracy["difference"] == 0.0 and accuracy["low"] <= 0.0 <= accuracy["high"]
    assert Path(report["files"]["markdown"]).name == "rollouts-vs-after.eval.md"


@pytest.mark.slow
def test_the_model_mode_samples_then_evaluates_and_keeps_the_rollouts(capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    import rewardlab.sampling
    from rewardlab.sampling import SampleSettings

    asked = []

    def fake_sample_to_file(settings: SampleSettings, out_path: Path, progress: bool = True) -> Path:
        asked.append(settings)
        shutil.copy(EXAMPLE, out_path)
        return Path(out_path)

    monkeypatch.setattr(rewardlab.sampling, "sample_to_file", fake_sample_to_file)
    code = main(["eval", "org/model-7b", "--data", "math500", "-n", "4", "--temperature", "0.6", "--json",
                 "--out", str(tmp_path)])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [(s.model, s.data, s.n, s.temperature) for s in asked] == [("org/model-7b", "math500", 4, 0.6)]
    kept = list(tmp_path.glob("*.jsonl"))
    assert len(kept) == 1 and "org/model-7b" in report["source"] and str(kept[0]) in report["source"]
    assert report["n_samples"] == 24


@pytest.mark.slow
def test_the_model_mode_names_its_default_output_folder_in_its_first_line(capsys: pytest.CaptureFixture[str],
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    import rewardlab.sampling
    from rewardlab.sampling import SampleSettings

    def fake_sample_to_file(settings: SampleSettings, out_path: Path, progress: bool = True) -> Path:
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLE, out_path)
        return Path(out_path)

    monkeypatch.setattr(rewardlab.sampling, "sample_to_file", fake_sample_to_file)
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "org/model-7b", "--data", "math500", "-n", "4"]) == 0
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("rewardlab eval: rollouts and reports go to evaluations"), first
    assert list((tmp_path / "evaluations").glob("*.eval.md"))


def test_the_default_output_folders_of_eval_and_bench_are_ignored_by_git() -> None:
    ignored = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().split()
    assert {"evaluations/", "runs/"} <= set(ignored)


def test_more_than_two_inputs_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(EXAMPLE), str(EXAMPLE), str(EXAMPLE)]) == 2
    assert "one input to report on or two to compare" in capsys.readouterr().err


def test_a_confidence_that_is_not_a_probability_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rollouts = tmp_path / "bad.jsonl"
    rollouts.write_text(json.dumps({"prompt": "q", "completion": "\\boxed{1}", "answer": "1", "confidence": "high"}))
    assert main(["eval", str(rollouts)]) == 2
    assert f"{rollouts}:1: field 'confidence' must be a number in [0, 1] or null, got 'high'" in capsys.readouterr().err


_PROBE = """
import json, sys
from rewardlab.cli.main import main
report = []
for argv in json.loads(sys.argv[1]):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    report.append({"code": code, "heavy": [m for m in ("torch", "trl") if m in sys.modules]})
print(json.dumps(report), file=sys.stderr)
"""


def test_argument_and_file_errors_answer_without_importing_torch(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.jsonl")
    commands = [["eval", "--help"], ["eval", missing], ["eval", missing, "-r", "format", "--json"],
                ["eval", str(EXAMPLE), str(EXAMPLE), str(EXAMPLE)]]
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(commands)], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert [row["code"] for row in report] == [0, 2, 2, 2]
    assert all(row["heavy"] == [] for row in report), report
    assert f"no such rollouts file: {missing}" in done.stderr
