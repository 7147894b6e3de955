"""Loading the math evaluation sets into one schema, and reading and writing rollout files."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import datasets
import pytest

from rewardlab.data import (
    SHIPPED_DATA_DIR,
    answer_text,
    default_data_dirs,
    load_math_dataset,
    read_rollouts,
    rollouts_to_batch,
    write_rollouts,
)
from rewardlab.data.rows import normalise_records

REPO = Path(__file__).resolve().parents[1]
DATA = SHIPPED_DATA_DIR
COLUMNS = ["prompt", "answer", "id", "source"]
NUMBER = re.compile(r"-?\d+(\.\d+)?")
# The published sizes of the test splits that ship with rewardlab.
SHIPPED_ROWS = {"math500": 500, "aime24": 30, "amc23": 83, "gsm8k": 1319}


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read the shipped sets, whatever ``$REWARDLAB_DATA_DIR`` the tests were started with."""
    monkeypatch.delenv("REWARDLAB_DATA_DIR", raising=False)


def _gsm8k_like(path: Path, n: int, split: str) -> None:
    """``n`` rows in GSM8K's layout (question; worked answer ending in ``#### N``) as JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"question": f"{split} question {i}?", "answer": f"{i} + 1000 = {i + 1000}\n#### {i + 1000:,}"}
            for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace ``datasets.load_dataset`` by one that records its calls and serves hub-shaped rows."""
    calls: list[dict[str, Any]] = []
    tables = {
        "HuggingFaceH4/MATH-500": {
            "problem": ["What is $1+1$?", "Simplify $\\frac{4}{6}$."],
            "solution": ["$1+1=\\boxed{2}$.", "Divide by 2: $\\boxed{\\frac{2}{3}}$."],
            "answer": ["2", "\\frac{2}{3}"],
            "subject": ["Prealgebra", "Algebra"],
            "level": [1, 2],
            "unique_id": ["test/prealgebra/1.json", "test/algebra/2.json"],
        },
        "openai/gsm8k": {"question": ["How many?"], "answer": ["2 + 2 = 4, so 1,004 in all.\n#### 1,004"]},
        "Maxwell-Jia/AIME_2024": {"ID": ["2024-I-1"], "Problem": ["Find $x$."], "Solution": ["So $x=204$."],
                                  "Answer": [204]},
    }

    def load_dataset(path: str, name: str | None = None, *, split: str | None = None, **kwargs: Any):
        calls.append({"path": path, "name": name, "split": split, **kwargs})
        return datasets.Dataset.from_dict(tables[path])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


# ------------------------------------------------------------------------------- the shipped sets


def test_math500_has_500_rows_with_the_four_columns_and_nonempty_prompts_and_answers() -> None:
    ds = load_math_dataset("math500")
    assert len(ds) == 500
    assert ds.column_names == COLUMNS
    assert all(p.strip() for p in ds["prompt"]) and all(a.strip() for a in ds["answer"])
    assert set(ds["source"]) == {"math500"}
    assert len(set(ds["id"])) == 500 and ds[0]["id"].startswith("test/")


def test_aime24_has_30_rows_and_keeps_answers_as_written() -> None:
    ds = load_math_dataset("aime24")
    assert len(ds) == 30
    assert ds.column_names == COLUMNS
    assert "025" in ds["answer"]  # leading zeros are kept; the checker compares values


def test_amc23_has_83_rows_with_parseable_answers_and_integral_floats_shortened() -> None:
    ds = load_math_dataset("amc23")
    assert len(ds) == 83
    for answer in ds["answer"]:
        float(answer)
    assert ds[0]["answer"] == "142"
    assert not any(a.endswith(".0") for a in ds["answer"])


def test_gsm8k_test_has_1319_rows_whose_answers_are_plain_numbers() -> None:
    ds = load_math_dataset("gsm8k")
    assert len(ds) == 1319
    assert ds.column_names == [*COLUMNS, "solution"]
    assert all(NUMBER.fullmatch(a) for a in ds["answer"])
    assert "####" in ds[0]["solution"]
    assert ds[0]["id"] == "gsm8k/test/0"


def test_gsm8k_train_split_is_read_from_train_jsonl_under_the_data_dir(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _gsm8k_like(tmp_path / "gsm8k" / "train.jsonl", 7, "train")
    monkeypatch.setenv("REWARDLAB_DATA_DIR", str(tmp_path))
    ds = load_math_dataset("gsm8k", split="train")
    assert len(ds) == 7
    assert ds[5]["id"] == "gsm8k/train/5" and ds[5]["answer"] == "1005" and ds[5]["prompt"] == "train question 5?"
    assert len(load_math_dataset("gsm8k")) == SHIPPED_ROWS["gsm8k"]  # the test split still comes from the package


def test_shipped_sets_hold_test_splits_with_their_licences_and_provenance() -> None:
    for name in SHIPPED_ROWS:
        files = sorted(p.name for p in (DATA / name).iterdir())
        assert files in (["LICENSE", "test.json"], ["LICENSE", "test.jsonl"]), (name, files)
        assert "MIT License" in (DATA / name / "LICENSE").read_text()
        data_file = DATA / name / files[1]
        raw = data_file.read_text(encoding="utf-8")
        rows = json.loads(raw) if data_file.suffix == ".json" else [line for line in raw.splitlines() if line.strip()]
        assert len(rows) == SHIPPED_ROWS[name]
        assert f"| {name}/ |" in (DATA / "README.md").read_text()


@pytest.mark.parametrize("alias", ["MATH-500", "math-500", "math_500", " Math500 "])
def test_common_aliases_name_the_same_set(alias: str) -> None:
    assert len(load_math_dataset(alias)) == 500


@pytest.mark.parametrize("name", ["amc23", "gsm8k"])
def test_set_directory_file_path_and_data_root_give_the_same_rows(name: str) -> None:
    folder = DATA / name
    file = next(folder.glob("test.json*"))
    from_default = load_math_dataset(name).to_list()
    assert load_math_dataset(name, folder).to_list() == from_default
    assert load_math_dataset(name, str(file)).to_list() == from_default
    assert load_math_dataset(name, DATA).to_list() == from_default


def test_the_data_dir_comes_before_the_shipped_sets_and_a_set_it_lacks_falls_through(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "MATH-500").mkdir()
    (tmp_path / "MATH-500" / "test.json").write_text(json.dumps([{"problem": "p", "answer": "1"}]))
    monkeypatch.setenv("REWARDLAB_DATA_DIR", str(tmp_path))
    assert default_data_dirs() == (tmp_path, DATA)
    assert load_math_dataset("math500")["prompt"] == ["p"]
    assert len(load_math_dataset("aime24")) == SHIPPED_ROWS["aime24"]


def test_an_explicit_path_overrides_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDLAB_DATA_DIR", str(tmp_path / "nowhere"))
    _gsm8k_like(tmp_path / "mine" / "test.jsonl", 3, "test")
    assert load_math_dataset("gsm8k", tmp_path / "mine")["answer"] == ["1000", "1001", "1002"]


@pytest.mark.slow
def test_a_fresh_process_elsewhere_without_the_data_dir_loads_every_shipped_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REWARDLAB_DATA_DIR"} | {"PYTHONPATH": str(REPO)}
    script = ("import json, rewardlab; from rewardlab.data import load_math_dataset; "
              f"print(json.dumps({{'package': rewardlab.__file__, **{{n: len(load_math_dataset(n)) "
              f"for n in {sorted(SHIPPED_ROWS)!r}}}}}))")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(loaded.pop("package")).is_relative_to(REPO)
    assert loaded == SHIPPED_ROWS


@pytest.mark.slow
def test_a_wheel_built_from_the_repository_holds_every_shipped_file(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "rewardlab", source / "rewardlab", ignore=shutil.ignore_patterns("__pycache__"))
    isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", ".", "-w",
                           str(tmp_path / "wheel")], cwd=source, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "wheel").glob("rewardlab-*.whl")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(REPO).as_posix() for folder in ("data/sets", "organisms/shipped")
               for p in (REPO / "rewardlab" / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert {f"rewardlab/data/sets/{n}/LICENSE" for n in SHIPPED_ROWS} <= shipped
    assert {"rewardlab/organisms/shipped/manifest.json", "rewardlab/organisms/shipped/qwen_math_like/model.safetensors",
            "rewardlab/organisms/shipped/llama_like/model.safetensors"} <= shipped
    assert shipped <= in_wheel, sorted(shipped - in_wheel)


# ------------------------------------------------------------------------------- other local files


def test_parquet_and_csv_files_load_like_json(tmp_path: Path) -> None:
    rows = [{"problem": "p0", "answer": 3.0, "extra": "x"}, {"problem": "p1", "answer": 7.0, "extra": "y"}]
    datasets.Dataset.from_list(rows).to_parquet(tmp_path / "test.parquet")
    (tmp_path / "rows.csv").write_text("question,answer\np0,3.0\np1,7\n", encoding="utf-8")
    for path in (tmp_path, tmp_path / "test.parquet", tmp_path / "rows.csv"):
        ds = load_math_dataset("amc23", path)
        assert ds.to_list() == [
            {"prompt": "p0", "answer": "3", "id": "amc23/test/0", "source": "amc23"},
            {"prompt": "p1", "answer": "7", "id": "amc23/test/1", "source": "amc23"},
        ]


def test_hub_style_shards_under_data_folder_are_found(tmp_path: Path) -> None:
    shard = tmp_path / "data" / "test-00000-of-00001.parquet"
    shard.parent.mkdir()
    datasets.Dataset.from_dict({"problem": ["p"], "answer": ["1"]}).to_parquet(shard)
    assert load_math_dataset("math500", tmp_path)["prompt"] == ["p"]


def test_row_with_only_a_boxed_solution_gets_the_last_boxed_content(tmp_path: Path) -> None:
    path = tmp_path / "test.jsonl"
    row = {"problem": "p", "solution": "First \\boxed{1}, then \\boxed{\\frac{1}{2}}."}
    path.write_text(json.dumps(row) + "\n")
    row = load_math_dataset("math500", path)[0]
    assert row["answer"] == "\\frac{1}{2}"
    assert row["solution"].startswith("First")


def test_solution_without_a_boxed_answer_is_an_error_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "test.json"
    path.write_text(json.dumps([{"problem": "p", "solution": "no final answer here", "id": "q7"}]))
    with pytest.raises(ValueError, match=r"row 0 \(id 'q7'\).*boxed"):
        load_math_dataset("math500", path)


def test_rows_without_a_prompt_field_name_the_fields_present_and_accepted(tmp_path: Path) -> None:
    path = tmp_path / "test.json"
    path.write_text(json.dumps([{"text": "p", "answer": "1"}]))
    with pytest.raises(ValueError, match=r"no prompt field; fields present: text, answer; "
                                         r"accepted prompt fields: prompt, problem, question"):
        load_math_dataset("math500", path)


def test_rows_without_an_answer_field_name_the_accepted_fields(tmp_path: Path) -> None:
    path = tmp_path / "test.json"
    path.write_text(json.dumps([{"problem": "p", "target": "1"}]))
    with pytest.raises(ValueError, match=r"no answer field; fields present: problem, target; "
                                         r"accepted answer fields: answer, Answer, final_answer, solution"):
        load_math_dataset("math500", path)


def test_keep_columns_keeps_the_named_source_columns_and_their_values(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    rows = [{"problem": "p0", "answer": "3", "incorrect_answer": "4", "level": 1, "subject": "a"},
            {"problem": "p1", "answer": "7", "incorrect_answer": "9", "level": 2, "subject": "b"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = load_math_dataset("math500", path, split="train", keep_columns=("incorrect_answer", "level"))
    assert ds.column_names == [*COLUMNS, "incorrect_answer", "level"]
    assert ds["incorrect_answer"] == ["4", "9"] and ds["level"] == [1, 2]
    assert ds["answer"] == ["3", "7"]
    assert load_math_dataset("math500", path, split="train").column_names == COLUMNS  # default unchanged


def test_keep_columns_from_a_json_list_keeps_nulls_and_values_as_written(tmp_path: Path) -> None:
    path = tmp_path / "test.json"
    path.write_text(json.dumps([{"problem": "p", "answer": "1", "incorrect_answer": "025"},
                                {"problem": "q", "answer": "2", "incorrect_answer": None}]))
    assert load_math_dataset("aime24", path, keep_columns=["incorrect_answer"])["incorrect_answer"] == ["025", None]


def test_keep_columns_naming_a_missing_column_lists_the_columns_present(tmp_path: Path) -> None:
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps({"problem": "p", "answer": "1", "wrong": "2"}) + "\n")
    with pytest.raises(ValueError, match=r"keep_columns names 'incorrect_answer', which the source does not "
                                         r"have; columns present: problem, answer, wrong"):
        load_math_dataset("math500", path, keep_columns=("incorrect_answer",))


def test_keep_columns_needs_the_column_in_every_row(tmp_path: Path) -> None:
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps({"problem": "p", "answer": "1", "x": "2"}) + "\n"
                    + json.dumps({"problem": "q", "answer": "1"}) + "\n")
    with pytest.raises(ValueError, match=r"row 1 has no 'x' column"):
        load_math_dataset("math500", path, keep_columns=("x",))


@pytest.mark.parametrize(("keep", "message"), [
    (("answer",), r"'answer' is always a column"),
    (("x", "x"), r"'x' is named twice"),
    (("",), r"keep_columns holds column names"),
    ("incorrect_answer", r"write \['incorrect_answer'\]"),
])
def test_bad_keep_columns_say_what_to_write(tmp_path: Path, keep: Any, message: str) -> None:
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps({"problem": "p", "answer": "1", "x": "2"}) + "\n")
    with pytest.raises(ValueError, match=message):
        load_math_dataset("math500", path, keep_columns=keep)


def test_directory_without_a_data_file_names_what_was_searched(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path)) + r".*test\[-\*\]\.\(json\|jsonl"):
        load_math_dataset("aime24", tmp_path)


def test_a_split_found_nowhere_names_where_it_looked_and_the_hub_id(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDLAB_DATA_DIR", str(tmp_path / "nowhere"))
    expected = (r"no 'train' split of 'gsm8k' found; searched: \S*nowhere \(missing\); "
                + re.escape(str(DATA)) + r".*REWARDLAB_DATA_DIR.*'openai/gsm8k'")
    with pytest.raises(FileNotFoundError, match=expected):
        load_math_dataset("gsm8k", split="train")
    monkeypatch.delenv("REWARDLAB_DATA_DIR")
    with pytest.raises(FileNotFoundError, match=r"searched: " + re.escape(str(DATA))):
        load_math_dataset("gsm8k", split="train")


def test_nonexistent_local_looking_path_fails_without_asking_the_hub(tmp_path: Path,
                                                                     fake_hub: list[dict[str, Any]]) -> None:
    for path in (tmp_path / "missing.json", "./missing", "a/b/c"):
        with pytest.raises(FileNotFoundError, match="no such file or directory"):
            load_math_dataset("math500", path)
    assert fake_hub == []


# ------------------------------------------------------------------------------- the hub


def test_hub_id_is_loaded_with_datasets_and_normalised(fake_hub: list[dict[str, Any]]) -> None:
    ds = load_math_dataset("MATH-500", "HuggingFaceH4/MATH-500")
    assert fake_hub == [{"path": "HuggingFaceH4/MATH-500", "name": None, "split": "test"}]
    assert ds.column_names == [*COLUMNS, "solution"]
    assert ds.to_list()[1] == {"prompt": "Simplify $\\frac{4}{6}$.", "answer": "\\frac{2}{3}",
                               "id": "test/algebra/2.json", "source": "math500",
                               "solution": "Divide by 2: $\\boxed{\\frac{2}{3}}$."}


def test_hub_gsm8k_gets_config_main_and_its_number_without_commas(fake_hub: list[dict[str, Any]]) -> None:
    row = load_math_dataset("gsm8k", "openai/gsm8k")[0]
    assert fake_hub[0]["name"] == "main"
    assert row["answer"] == "1004" and row["solution"].endswith("#### 1,004")


def test_hub_aime_reads_its_only_split_and_capitalised_fields(fake_hub: list[dict[str, Any]]) -> None:
    row = load_math_dataset("aime24", "Maxwell-Jia/AIME_2024")[0]
    assert fake_hub[0]["split"] == "train"
    assert row == {"prompt": "Find $x$.", "answer": "204", "id": "2024-I-1", "source": "aime24",
                   "solution": "So $x=204$."}


# ------------------------------------------------------------------------------- names and answers


def test_unknown_name_lists_the_choices_with_did_you_mean() -> None:
    expected = "unknown dataset 'mat500'; did you mean 'math500'? available: aime24, amc23, gsm8k, math500"
    with pytest.raises(ValueError, match=re.escape(expected)):
        load_math_dataset("mat500")


def test_unknown_name_far_from_any_choice_lists_the_choices_only() -> None:
    with pytest.raises(ValueError, match=r"unknown dataset 'imagenet'; available: aime24, amc23"):
        load_math_dataset("imagenet")


@pytest.mark.parametrize(("value", "expected"), [
    (142.0, "142"), ("142.0", "142"), ("-4.0", "-4"), (0.5, "0.5"), ("025", "025"), (7, "7"),
    ("Janet... #### 1,234", "1234"), ("so \\boxed{\\frac{1}{2}}", "\\frac{1}{2}"), ("  \\pi ", "\\pi"),
    (None, None), ("", None), (float("nan"), None),
])
def test_answer_text_keeps_the_final_answer_only(value: Any, expected: str | None) -> None:
    assert answer_text(value) == expected


# ------------------------------------------------------------------------------- rollouts


def test_rollouts_round_trip_through_jsonl(tmp_path: Path) -> None:
    rows = [
        {"prompt": "q1", "completion": "\\boxed{2}", "answer": "2", "group_id": "a", "confidence": 0.9},
        {"prompt": "q1", "completion": "é 3", "answer": "2", "group_id": "a", "confidence": None, "tag": [1]},
    ]
    path = tmp_path / "out" / "rollouts.jsonl"
    assert write_rollouts(path, rows) == 2
    assert read_rollouts(path) == rows
    assert read_rollouts(str(path)) == rows


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('\n{"prompt": "q", "completion": "c"}\n   \n\n{"prompt": "q", "completion": "d"}\n')
    assert [r["completion"] for r in read_rollouts(path)] == ["c", "d"]


def test_malformed_line_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"prompt": "q", "completion": "c"}\n\n{"prompt": "q", "completion": \n')
    with pytest.raises(ValueError, match=re.escape(f"{path}:3: not valid JSON")):
        read_rollouts(path)


def test_line_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('["q", "c"]\n')
    with pytest.raises(ValueError, match=r"r\.jsonl:1: expected a JSON object, got list"):
        read_rollouts(path)


def test_missing_required_field_error_names_the_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"prompt": "q", "completion": "c"}\n{"prompt": "q", "answer": "1"}\n')
    with pytest.raises(ValueError, match=r"r\.jsonl:2: missing required field\(s\) completion; "
                                         r"fields present: prompt, answer"):
        read_rollouts(path)


def test_write_rollouts_refuses_rows_without_a_completion(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"rollout 1: missing required field\(s\) completion"):
        write_rollouts(tmp_path / "r.jsonl", [{"prompt": "q", "completion": "c"}, {"prompt": "q"}])
    assert not (tmp_path / "r.jsonl").exists()


def test_group_ids_from_strings_are_numbered_by_first_appearance() -> None:
    rows = [{"prompt": p, "completion": "c", "group_id": g} for p, g in
            [("x", "beta"), ("y", "alpha"), ("x", "beta"), ("z", "gamma"), ("y", "alpha")]]
    assert rollouts_to_batch(rows).group_ids == (0, 1, 0, 2, 1)


def test_group_ids_from_integers_are_renumbered_too() -> None:
    rows = [{"prompt": "q", "completion": "c", "group_id": g} for g in (7, 7, 3, 7)]
    assert rollouts_to_batch(rows).group_ids == (0, 0, 1, 0)


def test_group_ids_without_group_id_come_from_adjacent_identical_prompts() -> None:
    rows = [{"prompt": p, "completion": "c"} for p in ("a", "a", "b", "b", "b", "a")]
    assert rollouts_to_batch(rows).group_ids == (0, 0, 1, 1, 1, 2)


def test_group_id_on_only_some_rows_is_an_error() -> None:
    rows = [{"prompt": "a", "completion": "c", "group_id": 1}, {"prompt": "a", "completion": "c"}]
    with pytest.raises(ValueError, match="rollout 1 has no group_id but others do"):
        rollouts_to_batch(rows)


def test_batch_holds_answers_and_every_other_column() -> None:
    rows = [{"prompt": "q", "completion": "\\boxed{142}", "answer": 142.0, "confidence": 0.8},
            {"prompt": "q", "completion": "no", "step_seen": 3}]
    batch = rollouts_to_batch(rows, step=5)
    assert batch.answers == ("142", None)
    assert batch.columns == {"confidence": (0.8, None), "step_seen": (None, 3)}
    assert batch.completions == ("\\boxed{142}", "no") and batch.step == 5 and len(batch) == 2


def test_conversational_prompts_and_completions_become_text() -> None:
    rows = [{"prompt": [{"role": "user", "content": "q"}],
             "completion": [{"role": "assistant", "content": "a"}]}]
    batch = rollouts_to_batch(rows)
    assert batch.completions == ("a",) and batch.prompts[0].endswith("q")



@pytest.mark.parametrize("label", ["#### ", "Janet sold them all.\n####", "Answer is forty two.", "   "])
def test_a_label_that_is_not_an_answer_normalises_to_none(label: str) -> None:
    assert answer_text(label) is None


@pytest.mark.parametrize("label", ["\\text{Evelyn}", "5.4 \\text{ cents}", "864 \\mbox{ inches}^2", "10 inches",
                                   "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "yes"])
def test_word_answers_written_as_math_writes_them_are_kept(label: str) -> None:
    assert answer_text(label) == label


def test_a_row_whose_answer_is_prose_is_refused_naming_the_row() -> None:
    with pytest.raises(ValueError, match=r"row 0 .*'answer' 'Answer is forty two\.' is not an answer"):
        normalise_records([{"problem": "q", "answer": "Answer is forty two."}], name="x", split="test", origin="x")
