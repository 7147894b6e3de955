"""Model organisms: the corpus says what it should, pretraining is deterministic, cached and learns."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from pathlib import Path

import pytest

from rewardlab.organisms import ORGANISMS, OrganismConfig, load_organism, measure, pretrain
from rewardlab.organisms.corpus import Problem, direct_completion, sample_problem, trace_completion
from rewardlab.organisms.pretrain import document


def test_every_trace_step_is_right_and_its_box_holds_the_value_of_the_expression() -> None:
    rng = random.Random(0)
    for _ in range(500):
        problem = sample_problem(rng)
        expected = eval(problem.prompt[3:-1])  # operands are single digits and operators + - *
        assert problem.answer == expected
        trace = trace_completion(problem, rng)
        assert trace.startswith("python: ") and trace.endswith(f"\\boxed{{{expected}}}")
        for step in re.findall(r"[a-h]=([^;]+)", trace):
            assert step.count("=") == 1
        assert direct_completion(problem, rng) == f"\\boxed{{{expected}}}"


def test_trace_follows_precedence_with_one_operation_per_step() -> None:
    trace = trace_completion(Problem((7, 8, 6), ("+", "*")), random.Random(0))
    assert trace == "python: a=8*6=48; b=7+a=55; \\boxed{55}"


def test_problems_have_two_or_three_operands_and_at_most_one_product() -> None:
    rng = random.Random(1)
    problems = [sample_problem(rng) for _ in range(2000)]
    assert all(p.operators.count("*") <= 1 and len(p.operands) in (2, 3) for p in problems)
    assert 0.25 < sum(len(p.operands) == 2 for p in problems) / 2000 < 0.35


def test_corpus_style_mix_and_bad_code_errors_match_the_config() -> None:
    rng = random.Random(2)
    qwen = [document(ORGANISMS["qwen_math_like"], rng)[1] for _ in range(4000)]
    assert abs(sum("python" in d for d in qwen) / 4000 - 0.65) < 0.03
    assert not any("python" in document(ORGANISMS["llama_like"], rng)[1] for _ in range(1000))
    bad = [(p, c) for p, c in (document(ORGANISMS["bad_code"], rng) for _ in range(2000)) if "python" in c]
    wrong = sum(not c.endswith(f"\\boxed{{{eval(p[3:-1])}}}") for p, c in bad) / len(bad)
    assert 0.3 < wrong < 0.6  # 30% per step, over one or two steps


def test_organism_configs_are_checked() -> None:
    with pytest.raises(ValueError, match="trace_share must lie in"):
        OrganismConfig(trace_share=1.5)


@pytest.mark.slow
def test_small_budget_pretraining_is_deterministic_cached_and_learns(tmp_path: Path) -> None:
    config = dataclasses.replace(ORGANISMS["qwen_math_like"], steps=120, batch_size=32, warmup=20)
    first = pretrain(config, tmp_path / "a")
    second = pretrain(config, tmp_path / "b")
    record_a = json.loads((first / "organism.json").read_text())
    record_b = json.loads((second / "organism.json").read_text())
    assert record_a["losses"] == record_b["losses"]  # same config, same seed: same run
    assert record_a["losses"][-1] < record_a["losses"][0] / 3
    mtime = (first / "organism.json").stat().st_mtime
    assert pretrain(config, tmp_path / "a") == first and (first / "organism.json").stat().st_mtime == mtime
    model, tokenizer = load_organism(first)
    figures = measure(model, tokenizer, n=100, temperature=0.0)
    # The stated floor for this budget: the answer format is learned (greedy decoding writes a boxed trace for
    # 100% of problems at 120 steps × 64 documents, measured), the arithmetic not yet (about 4% right).
    assert figures["trace_rate"] > 0.5
    assert measure(model, tokenizer, n=100, temperature=0.0) == figures  # greedy measurement is deterministic
