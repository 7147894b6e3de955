"""``rewardlab bench``: a one-cell grid runs end to end, writes its table, results and plots, and resumes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rewardlab.bench.config import DEFAULT_GRID, load_bench_config
from rewardlab.registry import ConfigError

ONE_CELL = {
    "organisms": ["qwen_math_like"], "organism_steps": 40, "seeds": [0],
    "rewards": [{"name": "random", "reward": {"type": "random", "p": 0.5}}],
    "train": {"trl": {"max_steps": 2, "per_device_train_batch_size": 8, "steps_per_generation": 2,
                      "num_generations": 4, "max_completion_length": 24}},
    "eval": {"n": 8, "k": 2, "every": 1},
}


def test_the_default_grid_and_every_shipped_bench_config_validate() -> None:
    grid = DEFAULT_GRID
    assert len(load_bench_config().cells()) == len(grid["organisms"]) * len(grid["rewards"]) * len(grid["seeds"])
    for path in sorted((Path(__file__).resolve().parents[1] / "configs" / "bench").glob("*.yaml")):
        assert load_bench_config(path).cells()


def test_bench_config_errors_name_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown organism 'qwen'; .*available: qwen_math_like"):
        load_bench_config({"organisms": ["qwen"]})
    with pytest.raises(ConfigError, match="unknown field 'reward'; did you mean 'rewards'"):
        load_bench_config({"reward": []})


def _with_trl(**fields: object) -> dict:
    return {**ONE_CELL, "train": {**ONE_CELL["train"], "trl": {**ONE_CELL["train"]["trl"], **fields}}}


def test_settings_added_later_keep_the_keys_of_cells_run_before_them(tmp_path: Path) -> None:
    from rewardlab.training.run import grpo_args

    def args_of(grid):
        cell = grid.cells()[0]
        return grpo_args(grid.train_config(cell, subject="tiny"), tmp_path)

    once = load_bench_config(ONE_CELL)
    twice = load_bench_config(_with_trl(num_iterations=2))
    explicit_once = load_bench_config(_with_trl(num_iterations=1))
    assert once.cells()[0]["id"] == explicit_once.cells()[0]["id"] != twice.cells()[0]["id"]
    # Its id, hashed from its resolved run (a grid shipped before that keeps its earlier ids: bench_cell_ids.json).
    assert once.cells()[0]["id"].endswith("-s0-d38fe12150")
    assert (args_of(twice).num_iterations, args_of(twice).steps_per_generation) == (2, 2)
    narrow = {e: load_bench_config({**ONE_CELL, "train": {**ONE_CELL["train"], "clipping": {"epsilon": e}}})
              for e in (0.2, 0.05)}
    assert narrow[0.2].cells()[0]["id"] == once.cells()[0]["id"] != narrow[0.05].cells()[0]["id"]
    assert (args_of(narrow[0.05]).epsilon, args_of(narrow[0.05]).epsilon_high) == (0.05, 0.05)
    with pytest.raises(ConfigError, match="epsilon and epsilon_high must be > 0"):
        load_bench_config({**ONE_CELL, "train": {**ONE_CELL["train"], "clipping": {"epsilon": 0.0}}})
    at = {t: load_bench_config({**ONE_CELL, "eval": {**ONE_CELL["eval"], "temperature": t}}) for t in (1.0, 0.6)}
    assert at[1.0].cells()[0]["id"] == once.cells()[0]["id"] != at[0.6].cells()[0]["id"]
    with pytest.raises(ValueError, match="temperature > 0"):
        load_bench_config({**ONE_CELL, "eval": {**ONE_CELL["eval"], "temperature": 0}})
    beta = load_bench_config(_with_trl(beta=0.04))  # a TRL field the old grids could not set: a new key
    assert beta.cells()[0]["id"] != once.cells()[0]["id"] and args_of(beta).beta == 0.04


def test_how_often_a_cell_is_measured_is_not_part_of_its_id() -> None:
    # Measurement draws on its own RNG (tests/test_trainer.py shows the training is the same at any cadence).
    ids = {every: load_bench_config({**ONE_CELL, "eval": {**ONE_CELL["eval"], "every": every}}).cells()[0]["id"]
           for every in (0, 1, 40)}
    assert len(set(ids.values())) == 1
    other_n = load_bench_config({**ONE_CELL, "eval": {**ONE_CELL["eval"], "n": 9}}).cells()[0]["id"]
    assert other_n != ids[0]
    # Cells measured only at the ends trained the same before measurement had its own RNG: they keep their ids.
    smollm2 = load_bench_config(Path(__file__).resolve().parents[1] / "configs" / "bench" / "smollm2.yaml")
    assert [cell["id"][-10:] for cell in smollm2.cells()] == ["178fcb1260", "d1705b7045"]  # its rows' ids


def test_every_shipped_grid_keeps_the_cell_ids_its_finished_cells_were_stored_under() -> None:
    pinned = json.loads((Path(__file__).parent / "data" / "bench_cell_ids.json").read_text())
    configs = Path(__file__).resolve().parents[1] / "configs" / "bench"
    for name, ids in pinned.items():
        grid = load_bench_config() if name == "default" else load_bench_config(configs / name)
        # A grid may gain cells (a seed, a reward); a cell it had keeps its id, so it is never trained again.
        missing = set(ids) - {cell["id"] for cell in grid.cells()}
        assert not missing, f"{name}: cells whose id changed: {sorted(missing)}"


def test_the_default_grids_cells_are_cells_of_the_three_seed_findings_grids() -> None:
    # docs/results.md shows the default grid's cells beside their other seeds in these grids.
    configs = Path(__file__).resolve().parents[1] / "configs" / "bench"
    findings = {cell["id"] for name in ("spurious.yaml", "organisms.yaml")
                for cell in load_bench_config(configs / name).cells()}
    default = {cell["id"] for cell in load_bench_config().cells()}
    assert default <= findings, sorted(default - findings)


def test_a_cell_is_a_training_config_that_rewardlab_train_reads_back(tmp_path: Path) -> None:
    from rewardlab.training.config import dump_config, load_config

    grid = load_bench_config({**ONE_CELL, "clipping": [True, False]})
    for cell in grid.cells():
        config = grid.train_config(cell, subject="tiny")
        dump_config(config, tmp_path / "config.yaml")
        assert load_config(tmp_path / "config.yaml") == config
        assert config.clipping.enabled is cell["clipping"] and config.seed == cell["seed"]
        assert config.run.max_steps == 2 and config.data is None  # its prompts come from its organism source


def test_a_grid_whose_cells_would_split_groups_fails_at_load() -> None:
    with pytest.raises(ConfigError, match="not a multiple of num_generations"):
        load_bench_config(_with_trl(per_device_train_batch_size=3, steps_per_generation=1))
    with pytest.raises(ConfigError, match="enabled is set per cell"):
        load_bench_config({**ONE_CELL, "train": {**ONE_CELL["train"], "clipping": {"enabled": False}}})


def test_a_grid_whose_pass_at_k_would_see_no_group_larger_than_k_fails_at_load() -> None:
    grid = {**_with_trl(per_device_train_batch_size=4, steps_per_generation=1, num_generations=4),
            "advantages": ["group_norm", "pass_at_k"]}  # pass_at_k's k is 4; the second advantage is checked too
    with pytest.raises(ConfigError, match=r"k = 4 needs groups larger than k, but num_generations is 4.*Write k: 3"):
        load_bench_config(grid)
    assert load_bench_config(_with_trl(per_device_train_batch_size=8, steps_per_generation=1, num_generations=8)
                             | {"advantages": ["group_norm", "pass_at_k"]})


def test_an_organism_variant_changes_a_built_in_one_and_gets_its_own_cache_key() -> None:
    grid = {**ONE_CELL, "organisms": ["qwen_certain"],
            "organism_variants": [{"name": "qwen_certain", "like": "qwen_math_like", "changes": {"trace_share": 0.9}}]}
    config = load_bench_config(grid)
    variant = config.organism("qwen_certain")
    certain = grid["organism_variants"][0]
    assert variant.trace_share == 0.9 and variant.trace_error_rate == 0.0  # the rest is qwen_math_like's
    assert variant.steps == ONE_CELL["organism_steps"]  # the grid's override applies to variants too
    assert config.subject_key("qwen_certain") != load_bench_config(ONE_CELL).subject_key("qwen_math_like")
    assert config.cells()[0]["id"].startswith("qwen_certain-random-")
    with pytest.raises(ConfigError, match="unknown field 'trace_shar'; did you mean 'trace_share'"):
        load_bench_config({**grid, "organism_variants": [{**certain, "changes": {"trace_shar": 1}}]})
    with pytest.raises(ConfigError, match="trace_share must lie in"):
        load_bench_config({**grid, "organism_variants": [{**certain, "changes": {"trace_share": 2}}]})
    with pytest.raises(ConfigError, match="unknown organism 'qwen_math' in `like`; did you mean 'qwen_math_like'"):
        load_bench_config({**grid, "organism_variants": [{**certain, "like": "qwen_math"}]})
    with pytest.raises(ConfigError, match="takes the name of a built-in one"):
        load_bench_config({**grid, "organism_variants": [{**certain, "name": "bad_code"}]})
    with pytest.raises(ConfigError, match=r"unknown organism 'qwen_sure'; .*available: .*qwen_certain"):
        load_bench_config({**grid, "organisms": ["qwen_sure"]})


def test_row_figures_over_training_average_the_first_and_last_tenth_of_steps() -> None:
    from rewardlab.bench.runner import _first_last

    records = [{"entropy": float(step)} for step in range(20)] + [{"loss": 0.0}]
    assert _first_last(records, "entropy") == (0.0, 19.0)
    assert _first_last(records, "entropy", share=0.1) == (0.5, 18.5)
    assert all(math.isnan(v) for v in _first_last(records, "agreement"))


@pytest.mark.slow
def test_one_cell_bench_runs_end_to_end_and_resume_skips_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from rewardlab.bench import runner
    from rewardlab.cli.main import main

    config = tmp_path / "bench.yaml"
    config.write_text(yaml.safe_dump({**ONE_CELL, "out_dir": str(tmp_path / "out")}))
    # An interrupted cell starts over, even one whose snapshot an earlier bench wrote (its prompts then named
    # `data: {name: supplied}`, which no config loads now).
    interrupted = tmp_path / "out" / "cells" / load_bench_config(config).cells()[0]["id"]
    interrupted.mkdir(parents=True)
    (interrupted / "config.yaml").write_text("data: {name: supplied}\n")
    assert main(["bench", str(config), "--cache", str(tmp_path / "cache")]) == 0
    assert "data: null" in (interrupted / "config.yaml").read_text()
    out = capsys.readouterr().out
    assert "rewardlab bench" in out and "random" in out and "accuracy" in out
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 1 and 0.0 <= rows[0]["accuracy_after"] <= 1.0 and "pass@2_after" in rows[0]
    assert rows[0]["entropy_start"] > 0.0 and rows[0]["entropy_end"] > 0.0
    assert (tmp_path / "out" / "results.csv").is_file()
    assert "| qwen_math_like | random |" in (tmp_path / "out" / "summary.md").read_text()
    assert (tmp_path / "out" / "curves-qwen_math_like.png").stat().st_size > 1000
    # The cell keeps the samples it measured after training: `rewardlab eval` reads them to the same accuracy.
    kept = [json.loads(line) for line in
            (tmp_path / "out" / "cells" / rows[0]["id"] / "heldout_after.jsonl").read_text().splitlines()]
    assert len(kept) == ONE_CELL["eval"]["n"] * ONE_CELL["eval"]["k"]
    answerable = tmp_path / "answerable.jsonl"
    answerable.write_text("".join(json.dumps(r) + "\n" for r in kept if r["answerable"]))
    assert main(["eval", str(answerable), "--json", "--no-behaviours", "--resamples", "100",
                 "--out", str(tmp_path / "eval")]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["accuracy"] == pytest.approx(rows[0]["accuracy_after"])

    def must_not_run(*args, **kwargs):
        raise AssertionError("a finished cell was run again")

    monkeypatch.setattr(runner, "run_cell", must_not_run)
    assert main(["bench", str(config), "--cache", str(tmp_path / "cache")]) == 0


@pytest.mark.slow
def test_two_jobs_give_the_rows_one_job_gives(tmp_path: Path) -> None:
    import torch

    from rewardlab.bench.runner import run_grid

    grid = {**ONE_CELL, "organisms": ["qwen_math_like", "llama_like"], "organism_steps": 20}
    threads = torch.get_num_threads()
    serial = run_grid(load_bench_config({**grid, "out_dir": str(tmp_path / "one")}), tmp_path / "cache")
    assert torch.get_num_threads() == threads  # the bench's one thread is its own, not left to the caller
    parallel = run_grid(load_bench_config({**grid, "out_dir": str(tmp_path / "two")}), tmp_path / "cache", jobs=2)
    assert [row["id"] for row in parallel] == [row["id"] for row in serial]
    measured = ("accuracy_before", "accuracy_after", "trace_after", "hallucination_after")
    assert [[row[k] for k in measured] for row in parallel] == [[row[k] for k in measured] for row in serial]
    assert all(row["generation_share"] > 0 and row["update_share"] > 0 for row in parallel)
    for row in serial:  # lengths in tokens of the 24 allowed, and the monitor's events as the cell's metrics hold them
        assert 0 < row["tokens_after"] <= 24 and 0 <= row["truncated_after"] <= 1
        lines = (tmp_path / "one" / "cells" / row["id"] / "metrics.jsonl").read_text().splitlines()
        raised = [(r["event"], r["step"]) for r in map(json.loads, lines) if "event" in r]
        assert row["events"] == {name: min(s for n, s in raised if n == name) for name, _ in raised}


@pytest.mark.slow
def test_refreshing_rows_rebuilds_figures_a_row_lacks_from_the_cells_folder_and_keeps_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rewardlab.bench.runner import run_grid
    from rewardlab.cli.main import main

    grid = {**ONE_CELL, "out_dir": str(tmp_path / "out")}
    config_path = tmp_path / "grid.yaml"
    config_path.write_text(json.dumps(grid))
    [row] = run_grid(load_bench_config(grid), tmp_path / "cache")
    assert {"events", "proxy_start", "gold_end", "correlation_end"} <= set(row)
    results = tmp_path / "out" / "results.jsonl"
    older = {k: v for k, v in row.items() if k not in ("events", "proxy_start", "gold_end", "correlation_end")}
    results.write_text(json.dumps(older) + "\n")  # a row kept by a bench that did not record these yet
    assert main(["bench", str(config_path), "--refresh-rows", "--cache", str(tmp_path / "cache")]) == 0
    assert "1 row(s)" in capsys.readouterr().out
    [refreshed] = [json.loads(line) for line in results.read_text().splitlines()]
    assert json.dumps(refreshed, sort_keys=True) == json.dumps(row, sort_keys=True)  # NaN compares as text
    results.write_text(json.dumps({**row, "accuracy_after": -1.0}) + "\n")  # a figure the folder does not give
    assert main(["bench", str(config_path), "--refresh-rows", "--cache", str(tmp_path / "cache")]) == 2
    assert "would change accuracy_after" in capsys.readouterr().err
    assert json.loads(results.read_text())["accuracy_after"] == -1.0  # refused: nothing rewritten


def test_a_cells_events_are_the_first_step_each_event_was_raised() -> None:
    from rewardlab.bench.runner import first_events

    records = [{"step": 4, "loss": 0.1}, {"step": 8, "event": "entropy_collapse", "reading": "..."},
               {"step": 12, "event": "no_signal_groups"}, {"step": 16, "event": "entropy_collapse"}]
    assert first_events(records) == {"entropy_collapse": 8, "no_signal_groups": 12}
    assert first_events(records[:1]) == {}


def test_bench_report_lists_the_rows_in_the_order_of_the_table_after_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from rewardlab.bench import runner
    from rewardlab.cli.main import main

    grid = {**ONE_CELL, "organisms": ["qwen_math_like", "llama_like"], "out_dir": str(tmp_path / "out"),
            "rewards": [{"name": "ground_truth", "reward": "binary"}, {"name": "random", "reward": "random"}]}
    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump(grid))
    cells = load_bench_config(grid).cells()

    def fake_cell(config, cell, cache_dir, out_dir, pretrain_progress=None):
        return {**cell, "seconds": 1.0, "accuracy_before": 0.5, "accuracy_after": 0.25 + 0.1 * cells.index(cell),
                "trace_before": 0.5, "trace_after": 0.5}

    # The last cell finished first, in an earlier run: results.jsonl holds it before the others.
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.jsonl").write_text(json.dumps(fake_cell(None, cells[-1], None, None)) + "\n")
    monkeypatch.setattr(runner, "run_cell", fake_cell)
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["bench", str(config), "--jobs", "1"]) == 0
    live = capsys.readouterr().out.splitlines()
    assert main(["bench", "--report", str(tmp_path / "out")]) == 0
    report = capsys.readouterr().out.splitlines()

    def table(lines: list[str]) -> list[str]:
        return [line for line in lines if line.startswith(("qwen_math_like", "llama_like"))]

    assert len(table(live)) == 4 and table(report) == table(live)
    assert [json.loads(line)["id"] for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()] == [
        cell["id"] for cell in cells]


@pytest.mark.slow
def test_a_cells_figures_are_the_same_whatever_omp_num_threads_says(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = ("import json, sys; from rewardlab.bench.config import load_bench_config; "
              "from rewardlab.bench.runner import run_grid; "
              "grid = json.loads(sys.argv[1]); "
              "print(json.dumps(run_grid(load_bench_config(grid), sys.argv[2])))")
    rows = {}
    for threads in ("1", "2"):
        grid = {**ONE_CELL, "organism_steps": 20, "out_dir": str(tmp_path / f"omp{threads}")}
        env = {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        done = subprocess.run([sys.executable, "-c", script, json.dumps(grid), str(tmp_path / f"cache{threads}")],
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        rows[threads] = json.loads(done.stdout.strip().splitlines()[-1])
    measured = [k for k in rows["1"][0] if k.endswith(("_before", "_after", "_start", "_end")) or k == "accuracy_delta"]

    def figures(threads: str) -> str:  # as text, so that NaN equals NaN
        return json.dumps([[row[k] for k in measured] for row in rows[threads]])

    assert figures("2") == figures("1")


def test_a_pretrained_model_is_benched_on_chat_prompts() -> None:
    from rewardlab.organisms.corpus import Problem
    from rewardlab.organisms.evaluate import chat_prompt, heldout_problems

    config = load_bench_config({"organisms": ["smollm2", "llama_like"]})
    assert config.is_pretrained("smollm2") and not config.is_pretrained("llama_like")
    assert [cell["id"].split("-")[0] for cell in config.cells()][:1] == ["smollm2"]
    message = chat_prompt(Problem((7, 3, 2), ("+", "*")))
    assert message == [{"role": "user", "content": "Compute 7+3*2. Give the final answer as \\boxed{N}."}]
    prompts, labels = heldout_problems(3, chat=True)
    assert all(p[0]["role"] == "user" for p in prompts) and len(labels) == 3
    with pytest.raises(ConfigError, match=r"available: .*smollm2"):
        load_bench_config({"organisms": ["smolm2"]})


def test_curves_state_their_samples_and_a_cell_measured_only_at_the_ends_has_its_points_at_its_last_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    from rewardlab.bench.report import plot_curves

    def cell(name: str, every: int) -> dict:
        folder = tmp_path / "cells" / name
        folder.mkdir(parents=True)
        records = [{"step": s, "loss": 0.0, **({"heldout/accuracy": 0.5, "heldout/trace_rate": 0.4}
                                              if every and s % every == 0 else {})} for s in range(1, 121)]
        (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        return {"id": name, "organism": "qwen_math_like", "reward": name, "advantage": "group_norm", "clipping": True,
                "seed": 0, "accuracy_before": 0.5, "accuracy_after": 0.6, "trace_before": 0.4, "trace_after": 0.7}

    figures: list[Figure] = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *args, **kwargs: figures.append(self))
    for rows in ([cell("curved", 40), cell("ends", 0)], [cell("alone", 0)]):
        plot_curves(rows, tmp_path, problems=200, samples=8)
    both, alone = (figure._suptitle.get_text() for figure in figures)
    assert "lines: 1 sample per problem on 200 held-out problems" in both
    assert "diamonds: k=8 samples per problem" in both
    assert "no measurement during training" in alone and "k=8 samples per problem" in alone
    diamonds = [line for line in figures[0].axes[0].get_lines() if line.get_marker() == "D"]
    assert [list(line.get_xdata()) for line in diamonds] == [[0, 120], [0, 120]]  # before at 0, after at the last step
    legend = [text.get_text() for text in figures[0].axes[0].get_legend().get_texts()]
    assert any(name.startswith("curved") for name in legend) and any(name.startswith("ends") for name in legend)


def test_a_cells_incorrect_labels_do_not_depend_on_what_its_worker_sampled_before() -> None:
    import torch

    from rewardlab.bench.source import training_set
    from rewardlab.models.tiny import char_tokenizer, tiny_model

    grid = load_bench_config({**ONE_CELL, "rewards": [{"name": "incorrect", "reward": "incorrect"}]})
    tokenizer = char_tokenizer()
    model = tiny_model(tokenizer)  # an untrained sampler: its majority answers are wrong, and vary with the RNG
    labels = []
    for history in (1, 2):
        torch.manual_seed(history)  # a worker whose earlier cells left its RNG elsewhere
        labels.append(list(training_set(grid, grid.cells()[0], model, tokenizer)["incorrect_answer"]))
    assert labels[0] == labels[1] and len(labels[0]) > 0


def test_a_cells_measurement_uses_the_heldout_settings_its_config_states(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    import dataclasses

    from rewardlab.bench import source

    grid = load_bench_config({**ONE_CELL, "eval": {"n": 5, "k": 3, "every": 1, "temperature": 0.7}})
    cell = grid.cells()[0]
    config = grid.train_config(cell, subject="tiny")
    assert (config.heldout.n, config.heldout.k, config.heldout.temperature, config.heldout.max_new_tokens) == \
        (5, 3, 0.7, ONE_CELL["train"]["trl"]["max_completion_length"])
    calls = []
    monkeypatch.setattr(source, "measure", lambda model, tokenizer, **kwargs: calls.append(kwargs) or {})
    other = dataclasses.replace(config.heldout, n=4, k=2, temperature=0.5)  # what the source is given, it measures
    measured = source.OrganismSource(grid, cell, other, tmp_path).measurement(tokenizer=None)
    measured(None, None, False)
    measured(None, None, True)
    for kwargs in calls:
        assert (kwargs["n"], kwargs["temperature"], kwargs["max_new_tokens"]) == (4, 0.5, 24)
    assert "samples" not in calls[0] and calls[1]["samples"] == 2  # k samples after training, one during it
