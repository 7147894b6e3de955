"""The bench's table fits the width it is given and cuts no name and no figure; ``--report`` prints it untrained."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rewardlab.bench.table import choose_columns, render, result_keys
from rewardlab.cli.main import DEFAULT_BENCH_OUT, main

ORGANISMS = ("qwen_math_like_2digit", "llama_like_without_any_trace")
REWARDS = ("ground_truth", "random", "incorrect_majority")
_MEASURED = ("accuracy", "trace", *(f"pass@{k}" for k in (1, 2, 4, 8, 16, 64, 256)), "greedy_accuracy",
             "greedy_trace", "trace_accuracy", "direct_accuracy", "ece", "brier", "hallucination", "abstention",
             "unanswerable_abstention")


def hand_made_rows() -> list[dict]:
    """Rows shaped as the runner writes them: two long organism names × three rewards × two seeds."""
    rng = random.Random(7)
    rows = []
    for organism in ORGANISMS:
        for reward in REWARDS:
            for seed in (0, 1):
                row = {"organism": organism, "reward": reward, "advantage": "group_norm", "clipping": True,
                       "seed": seed, "id": f"{organism}-{reward}-group_norm-clip-s{seed}-0123456789"}
                for name in _MEASURED:
                    row[f"{name}_before"], row[f"{name}_after"] = rng.random(), rng.random()
                row["accuracy_delta"] = row["accuracy_after"] - row["accuracy_before"]
                row.update(projected_accuracy=rng.random(), elicitation_ceiling=rng.random(),
                           agreement_start=rng.random(), agreement_end=rng.random(), entropy_start=rng.random() * 2,
                           entropy_end=rng.random(), seconds=rng.uniform(100, 2000), train_seconds=rng.uniform(50, 900),
                           generation_share=rng.random())
                rows.append(row)
    rows[0]["ece_after"] = float("nan")  # a figure one seed lacks
    return rows


def _report(run_dir: Path, columns: int, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "rewardlab.cli.main", "bench", "--report", str(run_dir), *args],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "a-run-folder-with-a-rather-long-name-to-see-that-paths-wrap" / "bench-default"
    folder.mkdir(parents=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(row) + "\n" for row in hand_made_rows()))
    (folder / "summary.md").write_text("| table |\n")
    return folder


@pytest.mark.parametrize("width", [80, 100, 200])
def test_piped_report_fits_the_columns_and_shows_every_name_and_figure_whole(run_dir: Path, width: int) -> None:
    done = _report(run_dir, width)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= width for line in lines), [line for line in lines if len(line) > width]
    assert "…" not in done.stdout
    words = set(done.stdout.split())
    assert set(ORGANISMS) | set(REWARDS) <= words
    # The figures of the ground-truth rows of the first organism, as the table computes them, appear whole.
    rows = [r for r in hand_made_rows() if r["organism"] == ORGANISMS[0] and r["reward"] == "ground_truth"]
    before = sum(r["accuracy_before"] for r in rows) / 2
    after = sum(r["accuracy_after"] for r in rows) / 2
    assert f"{before:.3f}→{after:.3f}" in done.stdout
    table_lines = [line for line in lines if line.startswith(ORGANISMS[0])]
    assert len(table_lines) == len(REWARDS)
    # Every cell of a table line is a whole figure: numbers, arrows, signs and brackets only.
    for line in table_lines:
        for cell in re.split(r"\s{2,}", line.strip())[2:]:
            assert re.fullmatch(r"[0-9.→()+\-±—]+|\S+ \([+\-][0-9.±]+\)", cell), cell
    unwrapped = re.sub(r"\n\s+", "", done.stdout)  # a path wider than the page continues on indented lines
    assert str(run_dir / "results.jsonl") in unwrapped and str(run_dir / "summary.md") in unwrapped
    if width == 200:
        assert "not shown" not in done.stdout  # the compact table fits a wide terminal whole
    else:
        assert "not shown" in done.stdout and "--wide" in done.stdout


def test_a_column_that_does_not_fit_is_left_out_and_named_not_cut() -> None:
    rows = hand_made_rows()
    compact = choose_columns(rows)
    table = render(rows, compact, width=80)
    assert all(len(line) <= 80 for line in table.lines)
    assert table.dropped and "accuracy" not in table.dropped  # the most important column stays
    assert set(table.dropped) < {c.name for c in compact}
    assert all(name not in " ".join(table.lines) for name in ("ECE after", "agreement"))
    # Names the same on every row, and the seeds when every row has as many, are said once above the table.
    assert table.lines[0] == "advantage: group_norm, clipping: on, seeds: 2"
    rows[-1] = {**rows[-1], "clipping": False}
    header = next(line for line in render(rows, compact, width=200).lines if line.startswith("organism"))
    assert "clipping" in header and "seeds" in header  # columns once they vary


def test_wide_shows_every_result_key_in_stacked_tables_that_fit(run_dir: Path) -> None:
    done = _report(run_dir, 100, "--wide")
    assert done.returncode == 0, done.stderr
    assert all(len(line) <= 100 for line in done.stdout.splitlines())
    headers = set(done.stdout.split())
    missing = [key for key in result_keys(hand_made_rows()) if key not in headers]
    assert not missing and "pass@256_after" in headers and "projected_accuracy" in headers
    assert done.stdout.count(ORGANISMS[1]) > len(REWARDS)  # the row names repeat in each block


def test_columns_picks_result_keys_and_an_unknown_one_suggests_the_closest(run_dir: Path) -> None:
    done = _report(run_dir, 100, "--columns", "accuracy,pass@8_after,elicitation_ceiling")
    assert done.returncode == 0, done.stderr
    assert "pass@8_after" in done.stdout and "elicitation_ceiling" in done.stdout and "ECE" not in done.stdout
    wrong = _report(run_dir, 100, "--columns", "pass@8_aftr")
    assert wrong.returncode == 2
    assert "unknown column 'pass@8_aftr' for --columns; did you mean 'pass@8_after'?" in wrong.stderr
    assert "available: seeds, accuracy, trace, accuracy_before" in wrong.stderr


def test_report_of_a_folder_without_results_says_what_to_run(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--report", str(tmp_path)]) == 2
    assert f"no results.jsonl in {tmp_path}" in capsys.readouterr().err
    assert main(["bench", "--report", str(tmp_path / "missing")]) == 2
    assert "(the report argument)" in capsys.readouterr().err


def test_the_bare_report_reads_the_default_grids_folder() -> None:
    from rewardlab.bench.config import DEFAULT_GRID

    assert DEFAULT_GRID["out_dir"] == DEFAULT_BENCH_OUT  # main.py names it without importing the grid


def test_report_is_a_light_command_that_loads_neither_torch_nor_trl(run_dir: Path) -> None:
    probe = ("import sys; from rewardlab.cli.main import main; code = main(['bench', '--report', sys.argv[1]]); "
             "print([m for m in ('torch', 'trl', 'transformers') if m in sys.modules], code)")
    done = subprocess.run([sys.executable, "-c", probe, str(run_dir)], capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-1] == "[] 0", done.stderr
