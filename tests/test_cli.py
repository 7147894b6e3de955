"""The ``rewardlab`` command line: list, score, and the errors a user sees."""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
import sys
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


@pytest.mark.parametrize(("columns", "width"), [(None, 100), ("72", 72)])
def test_score_table_of_the_readme_example_fits_columns_else_100_when_piped(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, columns: str | None, width: int) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert main(["score", str(EXAMPLE), "-r", "binary", "-r", "format", "-r", "random", "-r", "contains_python"]) == 0
    lines = capsys.readouterr().out.splitlines()
    shown = "\n".join(lines)
    assert all(name in shown for name in ("binary", "format", "random", "contains_python", "agreement", "auroc"))
    assert max(map(len, lines)) <= width, max(lines, key=len)


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


# --- a fast start: argument and file checks answer before torch or TRL is imported --------------------------

_LIGHT_COMMANDS = [
    ["--help"], ["list"], ["list", "judge"], ["train", "--help"], ["train", "{missing}/run.yaml"],
    ["score", "{missing}/rollouts.jsonl", "-r", "binary"], ["validate", "{missing}"], ["bench", "{missing}/grid.yaml"],
    ["bench", "--report", "{missing}"],
    ["judge-eval", "{missing}/rollouts.jsonl", "-j", "echo"], ["clip-bands", "--help"],
    ["clip-bands", "qwen_math_like", "--grid", "{missing}/grid.yaml"],
    ["clip-bands", "qwen_math_like", "--epsilon", "2"],
    ["sample", "--help"], ["sample", "smollm2", "--data", "{missing}/problems.jsonl", "-o", "{missing}/out.jsonl"],
    ["sample", "smollm2", "--data", "gsm9k", "-o", "{missing}/out.jsonl"],
]  # (a grid's organisms are checked once the grid is loaded, and loading a grid checks its TRL fields with TRL)

_PROBE = """
import json, sys
from rewardlab.cli.main import main
report = []
for argv in json.loads(sys.argv[1]):
    try:
        code = main(argv)
    except SystemExit as exit_:  # --help, and argparse's own errors
        code = exit_.code
    report.append({"argv": argv, "code": code, "heavy": [m for m in ("torch", "trl") if m in sys.modules]})
print(json.dumps(report), file=sys.stderr)
"""


def test_light_commands_answer_without_importing_torch_or_trl(tmp_path: Path) -> None:
    commands = [[arg.format(missing=tmp_path / "missing") for arg in argv] for argv in _LIGHT_COMMANDS]
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(commands)], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert [row["argv"] for row in report] == commands
    for row in report:
        assert row["heavy"] == [], f"rewardlab {' '.join(row['argv'])} imported {row['heavy']}"
    codes = {" ".join(row["argv"][:1]): row["code"] for row in report if "--help" not in row["argv"]}
    assert codes == {"list": 0, "train": 2, "score": 2, "validate": 2, "bench": 2, "judge-eval": 2, "clip-bands": 2,
                     "sample": 2}


def test_a_missing_config_is_named_before_training_starts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["train", str(tmp_path / "run.yaml")]) == 2
    assert f"no such file or folder: {tmp_path / 'run.yaml'} (the config argument)" in capsys.readouterr().err


# --- plain text on screen -----------------------------------------------------------------------------------


def rst_markup(text: str) -> list[str]:
    """reStructuredText constructs left in ``text``: literals, roles, interpreted text, directives.

    A Markdown code fence such as ```python is content, not markup, and is not reported.
    """
    text = re.sub(r"```\w*", "", text)
    patterns = (r"``[^`]+``", r":[A-Za-z][\w.+-]*:`", r"`[^`\n]+`", r"^\s*\.\. [\w-]+::", r"\S::$")
    return [match for pattern in patterns for match in re.findall(pattern, text, flags=re.M)]


def test_every_listing_shows_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    from rewardlab.advantages import default_advantage_registry

    names = default_registry().names() + default_advantage_registry().names()
    raw = [n for n in names if "``" in (inspect.getdoc(default_registry().entries.get(n)) or "")]
    assert raw, "no docstring holds RST literals any more: this test no longer checks the rendering"
    for name in names:
        assert main(["list", name]) == 0
        out = capsys.readouterr().out
        assert name in out
        assert rst_markup(out) == [], f"rewardlab list {name} shows raw reStructuredText"
    assert main(["list"]) == 0
    assert rst_markup(capsys.readouterr().out) == []


def test_list_renders_roles_and_literals_as_their_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "brier"]) == 0  # its docstring holds ``<answer>...</answer>`` and :func:`parse_confidence`
    out = capsys.readouterr().out
    assert "<answer>...</answer>" in out and "parse_confidence" in out


@pytest.mark.parametrize("command", ["list", "score", "train", "bench", "validate", "judge-eval", "clip-bands"])
def test_help_texts_are_plain(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], [command, "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert "usage: rewardlab" in out and rst_markup(out) == []
