"""`configs/cpu/tiny-binary.yaml` does what its comment says: the tiny model learns its arithmetic.

The run is the shipped file as `rewardlab train` runs it (only `run_dir` moved), read back from the
run directory's `summary.json` and `metrics.jsonl`.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from rewardlab.cli.main import main

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "cpu" / "tiny-binary.yaml"

# Margins well inside what seeds 0, 1 and 2 measured (held-out sampled accuracy 0.01-0.02 -> 0.49-0.54, greedy
# accuracy 0 -> 0.52-0.56, per-step gold accuracy of the first quarter 0.07-0.13 against 0.48-0.53 of the last).
RISE = 0.25
OVER_CONSTANT = 0.1


def best_constant_accuracy(max_operand: int) -> float:
    """Accuracy of always giving the commonest answer, over the uniform draw of `a op b` the data makes."""
    values = Counter(a + b if op == "+" else a - b if op == "-" else a * b
                     for a, b, op in itertools.product(range(max_operand + 1), range(max_operand + 1), "+-*"))
    return values.most_common(1)[0][1] / sum(values.values())


def test_best_constant_accuracy_counts_the_commonest_answer() -> None:
    # operands 0-1: 0+0, 0-0, 1-1, 0*0, 0*1, 1*0 give 0, six of the twelve problems
    assert best_constant_accuracy(1) == 0.5


@pytest.fixture(scope="module")
def tiny_binary_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("tiny-binary") / "run"
    assert main(["train", str(CONFIG), "--set", f"run_dir={run_dir}"]) == 0
    return run_dir


@pytest.mark.slow
def test_tiny_binary_held_out_accuracy_rises_clearly_over_its_start(tiny_binary_run: Path) -> None:
    summary = json.loads((tiny_binary_run / "summary.json").read_text())
    before, after = summary["heldout_before"], summary["heldout_after"]
    assert after["accuracy"] >= before["accuracy"] + RISE, (before, after)
    assert after["greedy_accuracy"] >= before["greedy_accuracy"] + RISE, (before, after)


@pytest.mark.slow
def test_tiny_binary_answers_better_than_any_constant_so_it_reads_the_problem(tiny_binary_run: Path) -> None:
    max_operand = yaml.safe_load(CONFIG.read_text())["data"]["max_operand"]
    after = json.loads((tiny_binary_run / "summary.json").read_text())["heldout_after"]
    assert after["greedy_accuracy"] >= best_constant_accuracy(max_operand) + OVER_CONSTANT, after


@pytest.mark.slow
def test_tiny_binary_training_reward_rises_from_the_first_quarter_of_steps_to_the_last(
        tiny_binary_run: Path) -> None:
    records = [json.loads(line) for line in (tiny_binary_run / "metrics.jsonl").read_text().splitlines()]
    gold = [r["rewardlab/gold_accuracy"] for r in records if "rewardlab/gold_accuracy" in r]
    quarter = len(gold) // 4
    assert quarter >= 10, len(gold)
    first, last = sum(gold[:quarter]) / quarter, sum(gold[-quarter:]) / quarter
    assert last >= first + RISE, (first, last)
