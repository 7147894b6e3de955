"""One policy, one seed, one set of problems, measured three ways, gives the same completions and the same figures
under the same names.

The three ways: the held-out measurement of a ``rewardlab train`` run at step 0 (``heldout_before.json``), the
bench's measurement of an organism before RL (:func:`rewardlab.bench.runner._measure`, as
``_organism_baseline`` calls it), and ``rewardlab sample`` then ``rewardlab eval`` of the same checkpoint with
the same settings. All three generate through :func:`rewardlab.sampling.backends.hf.generate` and report
through :func:`rewardlab.evaluation.report.evaluate_samples`.

"The same seed" is the seed the one batch of completions is drawn with: the bench's ``seed``, the run's
``seed`` (its measurement draws on its own RNG seeded with it), and for ``rewardlab sample --seed S`` the
derived seed of its first request, which seeds the batch that request opens
(:func:`rewardlab.sampling.requests.sample_seed`). So the bench and the run are given ``sample_seed(S, 0, 0)``.
The problems are the bench's (:func:`rewardlab.organisms.evaluate.problem_set` of that seed), written to a
file that ``rewardlab train`` and ``rewardlab sample`` read.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

ORGANISM = "qwen_math_like"
N, K, TOKENS, TEMPERATURE = 12, 4, 40, 1.0
SAMPLE_SEED = 7


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The three measurements of the shipped organism, on one thread (as the bench measures)."""
    import torch

    from rewardlab.sampling.requests import sample_seed

    out = tmp_path_factory.mktemp("paths")
    seed = sample_seed(SAMPLE_SEED, 0, 0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        problems, folder = _problems_file(out / "problems.jsonl", seed)
        bench = _bench(out, seed)
        train = _train(out, folder, problems, seed)
        sampled = _sample_and_eval(out, folder, problems, n=K, temperature=TEMPERATURE)
        greedy = _sample_and_eval(out, folder, problems, n=1, temperature=0.0)
    finally:
        torch.set_num_threads(threads)
    return {"bench": bench, "train": train, "sampled": sampled, "greedy": greedy}


def _problems_file(path: Path, seed: int) -> tuple[Path, Path]:
    from rewardlab.organisms.evaluate import problem_set
    from rewardlab.organisms.pretrain import ORGANISMS
    from rewardlab.organisms.shipped import organism_folder

    config = ORGANISMS[ORGANISM]
    problems = problem_set(N, seed, config.max_operand)
    path.write_text("".join(json.dumps({"prompt": p.prompt, "answer": p.label, "id": f"p{i}"}) + "\n"
                            for i, p in enumerate(problems)))
    return path, organism_folder(config, None)


def _bench(out: Path, seed: int) -> dict[str, Any]:
    """The bench's before-measurement of the organism (``_organism_baseline``'s call), with its samples kept."""
    from rewardlab.bench.config import load_bench_config
    from rewardlab.bench.source import load_subject, measure_subject

    config = load_bench_config({"organisms": [ORGANISM], "unanswerable_share": 0.0,
                                "eval": {"n": N, "k": K, "pass_at": [1, 2]},
                                "train": {"trl": {"max_completion_length": TOKENS}}})
    model, tokenizer = load_subject(config, ORGANISM, None)
    rollouts = out / "bench.jsonl"
    heldout = config.heldout_settings()
    figures = measure_subject(config, ORGANISM, model, tokenizer, heldout, samples=heldout.k,
                              pass_ks=config.eval.pass_at, seed=seed, rollouts=rollouts)
    return {"figures": figures, "completions": _completions(rollouts)}


def _train(out: Path, folder: Path, problems: Path, seed: int) -> dict[str, float]:
    """A one-step ``rewardlab train`` run of the organism; its held-out measurement at step 0."""
    from rewardlab.training.config import load_config
    from rewardlab.training.run import train

    run_dir = out / "run"
    train(load_config({
        "run_dir": str(run_dir), "seed": seed, "model": {"name": str(folder)},
        "data": {"name": "math500", "path": str(problems), "split": "test"},
        "heldout": {"every": 0, "n": N, "k": K, "max_new_tokens": TOKENS, "temperature": TEMPERATURE},
        "reward": "binary", "gold": "binary", "save_final": False,
        "trl": {"num_generations": 4, "per_device_train_batch_size": 4, "max_completion_length": 8, "max_steps": 1,
                "report_to": []}}))
    return json.loads((run_dir / "heldout_before.json").read_text())


def _sample_and_eval(out: Path, folder: Path, problems: Path, *, n: int, temperature: float) -> dict[str, Any]:
    """``rewardlab sample`` of the organism into a rollouts file, then ``rewardlab eval --json`` of that file."""
    import contextlib
    import io

    from rewardlab.cli.main import main

    rollouts = out / f"sampled-n{n}-t{temperature:g}.jsonl"
    assert main(["sample", str(folder), "--data", str(problems), "-n", str(n), "--temperature", str(temperature),
                 "--max-new-tokens", str(TOKENS), "--no-chat", "--seed", str(SAMPLE_SEED),
                 "--concurrency", str(N * n), "-o", str(rollouts)]) == 0
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["eval", str(rollouts), "--json", "--out", str(out / "eval")]) == 0
    return {"report": json.loads(printed.getvalue()), "completions": _completions(rollouts)}


def _completions(path: Path) -> list[tuple[str, str]]:
    """(prompt, completion) of every line, problem by problem, sample by sample."""
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [(row["prompt"], row["completion"]) for row in rows]


def _eval_figures(report: dict[str, Any]) -> dict[str, float]:
    """``rewardlab eval --json``'s figures by name, each behaviour's split of accuracy as the measurement names it
    (``accuracy_with_code``), NaN for what JSON writes as null."""
    meta = {"source", "n_samples", "n_problems", "ks", "settings", "duplicates_dropped", "rewards", "behaviours",
            "mixed_problems", "mixed_problems_ci", "elicit_to", "grader", "command"}
    figures = {k: v for k, v in report.items() if k not in meta and (v is None or isinstance(v, (int, float)))}
    for name, stats in report["behaviours"].items():
        figures[f"accuracy_with_{name}"] = stats["accuracy_with"]
        figures[f"accuracy_without_{name}"] = stats["accuracy_without"]
    return {k: math.nan if v is None else float(v) for k, v in figures.items()}


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.slow
def test_the_bench_and_rewardlab_sample_draw_the_same_completions(measured: dict[str, Any]) -> None:
    assert len(measured["bench"]["completions"]) == N * K
    assert measured["bench"]["completions"] == measured["sampled"]["completions"]


@pytest.mark.slow
def test_a_train_runs_measurement_at_step_0_gives_the_benchs_figures_under_the_same_names(
        measured: dict[str, Any]) -> None:
    bench, train = measured["bench"]["figures"], measured["train"]
    assert sorted(train) == sorted(bench)
    assert {"accuracy", f"pass@{K}", "code_reasoning_rate", "accuracy_with_code", "hallucination_rate",
            "greedy_accuracy", "greedy_code_reasoning_rate"} <= set(train)
    differ = {k: (train[k], bench[k]) for k in train if not _same(train[k], bench[k])}
    assert not differ


@pytest.mark.slow
def test_rewardlab_eval_of_the_sampled_files_gives_the_measurements_figures_under_the_same_names(
        measured: dict[str, Any]) -> None:
    bench = measured["bench"]["figures"]
    sampled = _eval_figures(measured["sampled"]["report"])
    assert {"accuracy", f"pass@{K}", f"maj@{K}", "code_reasoning_rate", "accuracy_with_code", "ece"} <= set(sampled)
    shared = {k: v for k, v in sampled.items() if k in bench}
    assert set(shared) == set(sampled) - {"accuracy_with_boxed", "accuracy_without_boxed", "accuracy_with_abstain",
                                          "accuracy_without_abstain", "accuracy_with_long", "accuracy_without_long"}
    assert not {k: (v, bench[k]) for k, v in shared.items() if not _same(v, bench[k])}
    assert {"mean_tokens", "truncation_rate"} <= set(shared)  # the file's token counts and truncation flags, read back
    greedy = _eval_figures(measured["greedy"]["report"])
    of_greedy = {k.removeprefix("greedy_"): v for k, v in bench.items() if k.startswith("greedy_")}
    assert {"accuracy", "code_reasoning_rate"} <= set(of_greedy) <= set(greedy)
    assert not {k: (v, greedy[k]) for k, v in of_greedy.items() if not _same(v, greedy[k])}
