"""Model organisms: the corpus says what it should, pretraining is deterministic, cached and learns."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from pathlib import Path

import pytest

from rewardlab.configurable import key_fields
from rewardlab.organisms import ORGANISMS, OrganismConfig, load_organism, measure, pretrain
from rewardlab.organisms.corpus import (
    UNANSWERABLE_LABEL,
    Problem,
    abstention_completion,
    direct_completion,
    sample_problem,
    trace_completion,
)
from rewardlab.organisms.evaluate import heldout_problems
from rewardlab.organisms.pretrain import _batch, accumulate_loss, document
from rewardlab.rewards import BinaryCorrectness, BrierReward, TernaryReward


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


def test_a_buggy_trace_keeps_each_step_in_one_digit_and_carries_the_wrong_value_forward() -> None:
    problem = Problem((7, 8, 6), ("+", "*"))
    assert trace_completion(problem, random.Random(0), one_digit=True) == "python: a=8*6=8; b=7+a=5; \\boxed{5}"
    assert trace_completion(Problem((1, 3), ("-",)), random.Random(0), one_digit=True) == \
        "python: a=1-3=8; \\boxed{8}"
    small = Problem((7, 2), ("+",))  # a true value in 0-9 survives the bug
    assert trace_completion(small, random.Random(0), one_digit=True) == trace_completion(small, random.Random(0))


def test_the_cache_key_names_every_field_that_changes_the_organism_and_no_field_added_at_its_old_default() -> None:
    # The built-in organisms' keys since pretraining became length-sorted micro-batches (`micro_batch`): the
    # organisms before it were trained on whole padded batches, so their caches must not be reused.
    assert ORGANISMS["qwen_math_like"].key() == "859610c61d50b380"
    assert ORGANISMS["llama_like"].key() == "f90823eefe4ccecf"
    assert dataclasses.replace(ORGANISMS["qwen_math_like"], micro_batch=64).key() != ORGANISMS["qwen_math_like"].key()
    # `trace_bug_share` was added later with a default that changes nothing, so it joins the key only when set.
    buggy = dataclasses.replace(ORGANISMS["qwen_math_like"], trace_bug_share=0.5)
    assert buggy.key() != ORGANISMS["qwen_math_like"].key()
    assert "trace_bug_share" not in json.dumps(key_fields(ORGANISMS["qwen_math_like"], {"trace_bug_share": 0.0}))


def test_micro_batched_pretraining_gives_the_gradient_of_one_padded_batch() -> None:
    import torch

    from rewardlab.models.tiny import char_tokenizer, tiny_model

    config = ORGANISMS["qwen_math_like"]
    rng = random.Random(3)
    texts = ["".join(document(config, rng)) for _ in range(12)]
    tokenizer = char_tokenizer()
    gradients, losses = [], []
    for micro_batch in (12, 5, 1):
        model = tiny_model(tokenizer, dataclasses.replace(config.model, seed=0))
        losses.append(accumulate_loss(model, tokenizer, texts, micro_batch))
        gradients.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    whole = tiny_model(tokenizer, dataclasses.replace(config.model, seed=0))
    reference = whole(**_batch(tokenizer, texts)).loss  # the model's own loss over one right-padded batch
    reference.backward()
    expected = torch.cat([p.grad.flatten() for p in whole.parameters()])
    for loss, gradient in zip(losses, gradients, strict=True):
        assert loss == pytest.approx(reference.item(), rel=1e-5)
        torch.testing.assert_close(gradient, expected, rtol=1e-4, atol=1e-6)


def test_problems_have_two_or_three_operands_and_at_most_one_product() -> None:
    rng = random.Random(1)
    problems = [sample_problem(rng) for _ in range(2000)]
    assert all(p.operators.count("*") <= 1 and len(p.operands) in (2, 3) for p in problems)
    assert 0.25 < sum(len(p.operands) == 2 for p in problems) / 2000 < 0.35


def test_corpus_style_mix_and_bad_code_errors_match_the_config() -> None:
    rng = random.Random(2)
    answered = [c for _, c in (document(ORGANISMS["qwen_math_like"], rng) for _ in range(4000))
                if c != abstention_completion()]
    assert abs(sum("python" in c for c in answered) / len(answered) - 0.65) < 0.03
    assert not any("python" in document(ORGANISMS["llama_like"], rng)[1] for _ in range(1000))
    bad = [(p, c) for p, c in (document(ORGANISMS["bad_code"], rng) for _ in range(2000))
           if "python" in c and "x" not in p]
    wrong = sum(f"\\boxed{{{eval(p[3:-1])}}}" not in c for p, c in bad) / len(bad)
    e = ORGANISMS["bad_code"].trace_error_rate
    expected = 0.3 * e + 0.7 * (1 - (1 - e) ** 2)  # one step (30% of problems) or two; cancellations are rare
    assert abs(wrong - expected) < 0.05


def test_unanswerable_problems_hide_one_operand_and_abstain_or_hallucinate_in_the_configured_shares() -> None:
    config = dataclasses.replace(ORGANISMS["qwen_math_like"], unanswerable_share=0.5, abstain_share=0.4)
    rng = random.Random(3)
    docs = [document(config, rng) for _ in range(4000)]
    hidden = [(p, c) for p, c in docs if "x" in p]
    assert abs(len(hidden) / len(docs) - 0.5) < 0.03
    assert all(p.count("x") == 1 for p, _ in hidden)
    abstained = [c for _, c in hidden if c == abstention_completion()]
    assert abs(len(abstained) / len(hidden) - 0.4) < 0.04
    assert not any(c == abstention_completion() for p, c in docs if "x" not in p)  # only unknowns abstain


def test_stated_confidences_come_from_the_configured_values_independently_of_correctness() -> None:
    config = dataclasses.replace(ORGANISMS["bad_code"], confidence_share=0.5, confidences=(0.6, 1.0))
    rng = random.Random(4)
    docs = [document(config, rng) for _ in range(4000)]
    stated = [(p, c) for p, c in docs if "<confidence>" in c]
    answered = 1 - config.unanswerable_share * config.abstain_share  # abstentions state no confidence
    assert abs(len(stated) / len(docs) - 0.5 * answered) < 0.03
    values = [float(re.search(r"<confidence>([^<]*)</confidence>", c).group(1)) for _, c in stated]
    assert set(values) == {0.6, 1.0}
    answerable = [(p, c, v) for (p, c), v in zip(stated, values, strict=True) if "x" not in p]
    right = [v for p, c, v in answerable if f"\\boxed{{{eval(p[3:-1])}}}" in c]
    wrong = [v for p, c, v in answerable if f"\\boxed{{{eval(p[3:-1])}}}" not in c]
    assert wrong and right and abs(sum(right) / len(right) - sum(wrong) / len(wrong)) < 0.05


def test_the_problem_stream_without_unknowns_is_unchanged_by_the_unanswerable_feature() -> None:
    plain = [sample_problem(random.Random(7)) for _ in range(3)]
    assert plain == [sample_problem(random.Random(7), unanswerable_share=0.0) for _ in range(3)]
    prompts, labels = heldout_problems(200, seed=5, unanswerable_share=0.25)
    assert all((label == UNANSWERABLE_LABEL) == ("x" in prompt) for prompt, label in zip(prompts, labels, strict=True))
    assert 30 < labels.count(UNANSWERABLE_LABEL) < 70


def test_rewards_read_the_corpus_formats_as_intended() -> None:
    """An abstention is one to the ternary reward; no number answers an unanswerable problem; the
    stated confidence is what the Brier reward reads and does not disturb the binary reward."""
    completions = [abstention_completion(), "\\boxed{7}", "python: a=3+4=7; \\boxed{7} <confidence>0.8</confidence>"]
    ternary = TernaryReward(workers=0)(prompts=["q"] * 3, completions=completions, answer=[UNANSWERABLE_LABEL] * 3)
    assert ternary == [0.0, -1.0, -1.0]
    binary = BinaryCorrectness(workers=0)(prompts=["q"] * 3, completions=completions, answer=["7"] * 3)
    assert binary == [0.0, 1.0, 1.0]
    brier = BrierReward(workers=0, fallback=True)(prompts=["q"], completions=completions[2:], answer=["7"])
    assert brier == [pytest.approx(1 - 0.2**2)]


def test_organism_configs_are_checked() -> None:
    with pytest.raises(ValueError, match="trace_share must lie in"):
        OrganismConfig(trace_share=1.5)
    with pytest.raises(ValueError, match="unanswerable_share must lie in"):
        OrganismConfig(unanswerable_share=-0.1)
    with pytest.raises(ValueError, match="confidences must be"):
        OrganismConfig(confidences=(0.5, 1.2))
    with pytest.raises(ValueError, match="micro_batch >= 1"):
        OrganismConfig(micro_batch=0)


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
    figures = measure(model, tokenizer, n=100, temperature=0.0, unanswerable_share=0.2)
    # The stated floor for this budget: the answer format is learned (greedy decoding writes a boxed trace for
    # 100% of problems at 120 steps × 64 documents, measured), the arithmetic not yet (about 4% right).
    assert figures["code_reasoning_rate"] > 0.5
    # At temperature 0 the sampled pass is greedy too, so it agrees with the greedy figures.
    greedy = (figures["greedy_accuracy"], figures["greedy_code_reasoning_rate"])
    assert greedy == (figures["accuracy"], figures["code_reasoning_rate"])
    again = measure(model, tokenizer, n=100, temperature=0.0, unanswerable_share=0.2)
    assert json.dumps(again) == json.dumps(figures)  # greedy measurement is deterministic (NaN included)
    assert 0.0 <= figures["hallucination_rate"] + figures["abstention_rate"] <= 1.0
