"""scripts/reproducibility.py: runs of a grid under other settings, compared figure by figure with its kept rows."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import yaml

from rewardlab.bench.config import load_bench_config

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("reproducibility", REPO / "scripts" / "reproducibility.py")
reproducibility = importlib.util.module_from_spec(_spec)
sys.modules["reproducibility"] = reproducibility  # its dataclass looks itself up there
_spec.loader.exec_module(reproducibility)

GRID = {  # four cells, never run here: only their ids matter
    "organisms": ["qwen_math_like", "llama_like"], "seeds": [0],
    "rewards": [{"name": "random", "reward": {"type": "random", "p": 0.5}},
                {"name": "ground_truth", "reward": "binary"}],
    "train": {"trl": {"max_steps": 2, "per_device_train_batch_size": 8, "steps_per_generation": 2,
                      "num_generations": 4, "max_completion_length": 24}},
    "eval": {"n": 8, "k": 2, "every": 1},
}
MARKDOWN = """# Results

<!-- reproducibility: tiny -->
typed by hand
<!-- /reproducibility -->

Prose stays.
"""


def _rows() -> list[dict]:
    rows = []
    for number, cell in enumerate(load_bench_config(GRID).cells()):
        rows.append({"id": cell["id"], "organism": cell["organism"], "reward": cell["reward"],
                     "advantage": "group_norm", "clipping": True, "seed": 0, "accuracy_before": 0.5,
                     "accuracy_after": 0.4 + number / 10, "trace_after": float("nan"), "seconds": 100.0 + number,
                     "generation_share": 0.5})
    return rows


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "docs" / "results").mkdir(parents=True)
    (tmp_path / "docs" / "results.md").write_text(MARKDOWN)
    (tmp_path / "configs" / "bench").mkdir(parents=True)
    (tmp_path / "configs" / "bench" / "tiny.yaml").write_text(yaml.safe_dump(GRID))
    (tmp_path / "docs" / "results" / "tiny.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows()))
    (tmp_path / "docs" / "results" / "tiny.source.json").write_text(json.dumps({"commit": "0123456789ab"}))
    return tmp_path


def _run(folder: Path, rows: list[dict], omp: str | None, jobs: int) -> Path:
    """A run folder as `benchmarks/bench_grid.py --out OUT` leaves OUT/out."""
    folder.mkdir(parents=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "machine.json").write_text(json.dumps({"omp_num_threads": omp, "cpu_count": 2, "cpu": "Some CPU"}))
    (folder / "timing.json").write_text(json.dumps({"wall_seconds": 300.0, "jobs": jobs}))
    return folder


def test_a_run_with_other_timings_is_bit_identical_and_a_moved_figure_is_named_with_its_spread(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    same = [{**row, "seconds": row["seconds"] * 2, "generation_share": 0.4} for row in _rows()]
    moved = _rows()
    moved[1]["accuracy_after"] += 0.0125
    for label, rows, omp, jobs in (("same", same, "1", 2), ("moved", moved, None, 1)):
        reproducibility.main(["--root", str(root), "--import", "tiny", label, str(_run(tmp_path / label, rows,
                                                                                         omp, jobs))])
    assert reproducibility.main(["--root", str(root)]) == 0
    text = (root / "docs" / "results.md").read_text()
    cell = f"{moved[1]['organism']} {moved[1]['reward']}"
    assert "| same | `OMP_NUM_THREADS=1`, `--jobs 2`, 2 CPUs (Some CPU) | 4/4 | 12/12 | none |" in text
    assert (f"| moved | `OMP_NUM_THREADS` unset, `--jobs 1`, 2 CPUs (Some CPU) | 4/4 | 11/12 | 0.0125 "
            f"(`accuracy_after`, {cell}) |") in text
    assert f"| `accuracy_after` | {cell} | 0.0125 |" in text
    assert "`trace_after`" not in text  # NaN in every run: the same figure
    assert "typed by hand" not in text and "Prose stays." in text
    assert reproducibility.main(["--root", str(root), "--check"]) == 0


def test_a_hand_edit_of_the_generated_block_fails_the_check(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    run = _run(tmp_path / "run", _rows(), "2", 2)
    reproducibility.main(["--root", str(root), "--import", "tiny", "same", str(run)])
    assert reproducibility.main(["--root", str(root), "--check"]) == 1  # the hand-typed block
    reproducibility.main(["--root", str(root)])
    docs = root / "docs" / "results.md"
    docs.write_text(docs.read_text().replace("| 4/4 | 12/12 | none |", "| 4/4 | 12/12 | 0.0 |"))
    assert reproducibility.main(["--root", str(root), "--check"]) == 1


def test_a_run_that_lacks_a_cell_or_its_timing_record_is_refused(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    partial = _run(tmp_path / "partial", _rows()[:2], "1", 2)
    with pytest.raises(SystemExit, match=r"lacks 2 of the 4 cells.*or pass --partial"):
        reproducibility.main(["--root", str(root), "--import", "tiny", "partial", str(partial)])
    bare = _run(tmp_path / "bare", _rows(), "1", 2)
    (bare / "timing.json").unlink()
    with pytest.raises(SystemExit, match=r"lacks timing.json.*bench_grid\.py --out"):
        reproducibility.main(["--root", str(root), "--import", "tiny", "bare", str(bare)])
    assert not (root / "docs" / "results" / "reproducibility").exists()


def test_a_run_without_a_machine_record_takes_its_setting_from_its_command_or_as_given(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    run = _run(tmp_path / "run", _rows(), "2", 1)
    (run / "machine.json").unlink()
    (run / "timing.json").write_text(json.dumps({"jobs": 1, "command": "OMP_NUM_THREADS=2 python bench_grid.py"}))
    reproducibility.main(["--root", str(root), "--import", "tiny", "named", str(run)])
    reproducibility.main(["--root", str(root), "--import", "tiny", "told", str(run), "--setting", "told here"])
    reproducibility.main(["--root", str(root)])
    text = (root / "docs" / "results.md").read_text()
    assert "| named | `OMP_NUM_THREADS=2 python bench_grid.py` | 4/4 | 12/12 | none |" in text
    assert "| told | told here | 4/4 | 12/12 | none |" in text
    told = json.loads((root / "docs" / "results" / "reproducibility" / "tiny" / "told.source.json").read_text())
    assert told["setting_given"] is True and told["machine"] is None


def test_an_unfinished_run_is_compared_on_the_cells_it_ran_and_the_table_says_how_many(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    rows = _rows()[:3]
    rows[2]["accuracy_before"] = 0.75
    run = _run(tmp_path / "run", rows, "2", 1)
    (run / "timing.json").unlink()  # written when a run ends
    (run / "machine.json").unlink()
    with pytest.raises(SystemExit, match=r"records no setting.*--setting"):
        reproducibility.main(["--root", str(root), "--import", "tiny", "half", str(run), "--partial"])
    reproducibility.main(["--root", str(root), "--import", "tiny", "half", str(run), "--partial",
                          "--setting", "`--jobs 1`"])
    reproducibility.main(["--root", str(root)])
    text = (root / "docs" / "results.md").read_text()
    cell = f"{rows[2]['organism']} {rows[2]['reward']}"
    assert f"| half | `--jobs 1` | 3/4 | 8/9 | 0.2500 (`accuracy_before`, {cell}) |" in text
    assert f"| `accuracy_before` | {cell} | 0.2500 |" in text


def test_the_reproducibility_tables_in_docs_results_md_are_generated_from_the_kept_runs() -> None:
    assert reproducibility.main(["--root", str(REPO), "--check"]) == 0
