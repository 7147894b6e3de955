"""``rewardlab eval`` and ``rewardlab score`` read a rollouts file through one reader: what would mix problems,
inflate the samples or be scored as something it is not is refused by both, with the same message naming
``file:line``, the field and what to write.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rewardlab.cli.main import main
from rewardlab.data.rollouts import load_rollouts

COMMANDS = {"eval": ["eval", "--no-behaviours", "--resamples", "10"], "score": ["score", "-r", "binary"]}


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _error(capsys: pytest.CaptureFixture[str], command: str, path: Path, *flags: str) -> str:
    name, *rest = COMMANDS[command]
    assert main([name, str(path), *rest, *flags]) == 2
    return capsys.readouterr().err.split("error: ", 1)[1].strip()


def _two_problems_under_one_id(prompt_b: str = "What is 2 + 2?", answer_b: str = "4") -> list[dict]:
    rows = []
    for sample in range(2):
        rows.append({"id": "p1", "prompt": "What is 1 + 1?", "completion": "\\boxed{2}" if sample else "\\boxed{3}",
                     "answer": "2", "sample": sample})
    for sample in range(2):
        rows.append({"id": "p1", "prompt": prompt_b, "completion": "\\boxed{5}", "answer": answer_b, "sample": sample})
    return rows


def _four_samples_written_twice() -> list[dict]:
    rows = [{"id": f"p{p}", "prompt": f"What is {p} + 1?", "completion": f"\\boxed{{{p + 1 if s % 2 else p}}}",
             "answer": str(p + 1), "sample": s} for p in range(2) for s in range(4)]
    return rows + rows


MIXED = {  # rows, the lines named, what the message says, and the way out it gives
    "two problems under one id": (_two_problems_under_one_id, "1 and {path}:3: id 'p1' has two different prompts",
                                  "give each problem its own id"),
    "a sample written twice": (_four_samples_written_twice, "1 and {path}:9: sample 0 of problem 'id:p0' appears twice",
                               "pass --dedupe to keep the first"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", MIXED)
def test_what_would_merge_problems_or_count_a_sample_twice_is_refused_naming_both_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, case: str) -> None:
    rows, named, way_out = MIXED[case]
    path = _write(tmp_path / "r.jsonl", rows())
    message = _error(capsys, command, path)
    assert message.startswith(f"{path}:" + named.format(path=path)) and way_out in message


def test_one_id_with_two_answers_is_refused_and_without_ids_one_prompt_with_two_answers(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", _two_problems_under_one_id(prompt_b="What is 1 + 1?"))
    with pytest.raises(ValueError, match=r"r.jsonl:1 and .*r.jsonl:3: id 'p1' has two different answers "
                                         r"\(field 'answer': '2' and '4'\)"):
        load_rollouts(path)
    no_ids = [{k: v for k, v in row.items() if k not in ("id", "sample")} for row in _two_problems_under_one_id(
        prompt_b="What is 1 + 1?")]
    with pytest.raises(ValueError, match=r":1 and .*:3: prompt 'What is 1 \+ 1\?' has two different answers"):
        load_rollouts(_write(tmp_path / "no_ids.jsonl", no_ids))
    same = _write(tmp_path / "same.jsonl", [{"id": 7, "prompt": "q", "completion": "x", "answer": 142},
                                            {"id": 7, "prompt": "q", "completion": "y", "answer": "142.0"}])
    assert len(load_rollouts(same).rows) == 2  # one answer, written two ways


def test_with_dedupe_repeats_are_dropped_and_counted_and_pass_at_k_stays_at_the_samples_there(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "r.jsonl", _four_samples_written_twice())
    assert main(["eval", str(path), "--no-behaviours", "--json", "--dedupe"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["duplicates_dropped"] == 8 and report["n_samples"] == 8 and report["ks"] == [1, 2, 4]
    assert report["pass@2"] == pytest.approx(1 - 1 / 6)  # 2 of 4 right: 1 - C(2,2)/C(4,2), not pass@8
    assert main(["score", str(path), "-r", "binary", "--json", "--dedupe"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["duplicates_dropped"] == 8 and scored["n"] == 8


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("answer", "kind"), [({"value": 2}, "a dict"), (True, "a boolean"), ([{"a": 1}], "a list")])
def test_an_answer_of_the_wrong_type_is_refused_naming_line_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, answer: object, kind: str) -> None:
    rows = [{"prompt": "q", "completion": "\\boxed{2}", "answer": "2"},
            {"prompt": "r", "completion": "\\boxed{2}", "answer": answer}]
    path = _write(tmp_path / "r.jsonl", rows)
    message = _error(capsys, command, path)
    assert message.startswith(f"{path}:2: field 'answer' must be text, a number or a list of them, got {kind}")
    assert 'write the reference answer as text, e.g. "answer": "42"' in message


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("confidence", [math.nan, "high", 1.5, False])
def test_a_confidence_that_is_not_a_probability_is_refused_naming_line_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, confidence: object) -> None:
    rows = [{"prompt": "q", "completion": "\\boxed{2}", "answer": "2", "confidence": 0.9},
            {"prompt": "q", "completion": "\\boxed{3}", "answer": "2", "confidence": confidence}]
    path = _write(tmp_path / "r.jsonl", rows)  # json writes NaN as the bare word NaN, which Python reads back
    message = _error(capsys, command, path)
    assert message.startswith(f"{path}:2: field 'confidence' must be a number in [0, 1] or null, got "
                              f"{confidence!r}")
    assert 'write e.g. "confidence": 0.8' in message


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("text", ["", "\n\n"])
def test_an_empty_file_is_the_same_error_in_both(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, text: str) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(text)
    assert _error(capsys, command, path).startswith(f"{path} holds no rollouts; write one JSON object per line")
