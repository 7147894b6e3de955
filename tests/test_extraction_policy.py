"""The extraction policies: the default reads what math-verify extracts; ``qwen`` is the Spurious Rewards chain
byte for byte; ``boxed`` reads the last box only. Every failure class the grader once had scores as its gold says."""

from __future__ import annotations

import pytest

from rewardlab import RolloutBatch, build_reward
from rewardlab.answers import checker as checker_module
from rewardlab.answers.checker import AnswerChecker
from rewardlab.answers.extraction import answer_region, extract_answer
from rewardlab.answers.reference import reference_answer
from rewardlab.registry import ConfigError
from rewardlab.rewards import BinaryCorrectness
from rewardlab.rewards.verified import with_extraction

PMATRIX = "\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}"

# (completion, gold, what the Qwen chain read): each once scored 0 (or, the last, 1) by today's chain.
MISREAD = [
    ("so $\\frac13$", "\\frac{1}{3}", "13"),
    ("the result is \\frac{10}{9}", "\\frac{10}{9}", "9"),
    ("Therefore $x \\geq 5$ is the solution.", "x \\geq 5", "5"),
    ("the point $(3,2)$", "(3,2)", "32"),
    ("the interval $[0,1)$", "[0,1)", "01"),
    (f"The vector is ${PMATRIX}$.", PMATRIX, "-2"),
    ("\\boxed{1} and \\boxed{2}", "1, 2", "2"),
    ("Final Answer: The largest $n$ is 34.", "34", "The largest $n$ is 34"),
    ("<answer>42</answer><confidence>0.9</confidence>", "42", "0.9"),
    ("so \u200f4\u200b2\u200f", "42", "2"),
]


def batch_of(completions: list[str], golds: list[str]) -> RolloutBatch:
    return RolloutBatch(prompts=("q",) * len(completions), completions=tuple(completions), answers=tuple(golds))


@pytest.fixture(scope="module")
def binary() -> BinaryCorrectness:
    reward = BinaryCorrectness(workers=0)
    yield reward
    reward.close()


@pytest.mark.parametrize(("completion", "gold", "_qwen"), MISREAD)
def test_the_default_reads_a_misread_answer_as_its_gold_says(binary: BinaryCorrectness, completion: str,
                                                               gold: str, _qwen: str | None) -> None:
    assert binary.score(batch_of([completion], [gold])).scores == (1.0,)


def test_letters_around_a_digit_are_no_answer_by_default(binary: BinaryCorrectness) -> None:
    result = binary.score(batch_of(["AZYUK2A"], ["2"]))
    assert result.scores == (0.0,) and result.diagnostics["parsed_answer"] == (None,)


@pytest.mark.parametrize(("completion", "gold", "qwen_read"), [*MISREAD, ("AZYUK2A", "2", "2")])
def test_qwen_reads_what_the_spurious_rewards_chain_reads(completion: str, gold: str, qwen_read: str | None) -> None:
    qwen = BinaryCorrectness(workers=0, extraction="qwen")
    result = qwen.score(batch_of([completion], [gold]))
    assert result.diagnostics["parsed_answer"] == (qwen_read,)
    found = extract_answer(completion)
    assert (found.answer if found else None) == qwen_read
    right_by_accident = completion == "AZYUK2A"
    assert result.scores == ((1.0,) if right_by_accident else (0.0,))


def test_boxed_reads_only_the_last_box() -> None:
    boxed = BinaryCorrectness(workers=0, extraction="boxed")
    result = boxed.score(batch_of(["The answer is 12.", "\\boxed{11} no, \\boxed{12}", "so $12$"], ["12"] * 3))
    assert result.scores == (0.0, 1.0, 0.0)


def test_eval_of_rlcr_answers_without_a_box_counts_them_right(tmp_path, capsys) -> None:
    """RLCR's own format without a box: ``eval`` once reported accuracy 0.000 on eight right answers."""
    import json

    from rewardlab.cli.main import main

    path = tmp_path / "rlcr.jsonl"
    rows = [{"prompt": f"q{i}", "completion": f"<answer>{40 + i}</answer><confidence>0.9</confidence>",
             "answer": str(40 + i)} for i in range(8)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["eval", str(path), "--json", "--out", str(tmp_path / "out"), "--no-behaviours",
                 "--resamples", "100"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["accuracy"] == 1.0
    assert printed["grader"]["extraction"] == "math_verify" and printed["grader"]["math_verify_version"]
    assert main(["eval", str(path), "--json", "--out", str(tmp_path / "out"), "--no-behaviours",
                 "--resamples", "100", "--extraction", "qwen"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == 0.0  # the chain reads the confidence 0.9


@pytest.mark.parametrize("text", [
    "The total is 42.\nConfidence: 0.9",
    "The total is 42.\n**Confidence:** 90%",
    "The total is 42.\nSteps: 7",
    "The total is 42.\n— Math Helper, 2024",
    "The total is 42. <confidence>0.3</confidence>",
])
def test_a_structured_tail_never_passes_for_the_answer(binary: BinaryCorrectness, text: str) -> None:
    assert "42" in answer_region(text)
    result = binary.score(batch_of([text], ["42"]))
    assert result.scores == (1.0,) and result.diagnostics["parsed_answer"] == ("42",)


@pytest.mark.parametrize("mark", ["\u200b", "\u200e", "\u200f", "\u202b", "\u2066", "\ufeff", "\u00ad"])
def test_invisible_marks_are_removed_on_both_sides(binary: BinaryCorrectness, mark: str) -> None:
    assert binary.score(batch_of([f"so {mark}42{mark}"], [f"{mark}42"])).scores == (1.0,)


@pytest.mark.parametrize(("label", "read"), [
    ("\\boxed{1} and \\boxed{2}", "1, 2"),
    ("1,22", "1.22"),
    ("58,500", "58500"),
    ("1,-2", "1,-2"),
    ("-2,1", "-2,1"),
    ("We add them: $3+4=7$, so the answer is $\\boxed{7}$.", "7"),
    ("Answer is forty two.", None),
])
def test_a_label_reads_as_the_answer_it_states(label: str, read: str | None) -> None:
    assert reference_answer(label) == read


def test_a_label_that_states_no_answer_gives_no_signal_never_zero(binary: BinaryCorrectness) -> None:
    result = binary.score(batch_of(["\\boxed{42}", "so 42"], ["The answer is not given.", ""]))
    assert result.scores == (None, None)


@pytest.mark.parametrize(("gold", "right", "wrong"), [
    ("x^5 - x^4 + x^3 - x^2 + x - 1", "$x^5 - x^4 + x^3 - x^2 + x - 1$", "so $x^5 + x^4 + 1$"),
    ("1,-2", "The roots are $1, -2$.", "The root is $1$."),
    ("1,22", "It comes to 1.22.", "It comes to 122."),
])
def test_a_plain_gold_is_read_as_the_answer_it_is_not_its_last_number(binary: BinaryCorrectness, gold: str,
                                                                      right: str, wrong: str) -> None:
    assert binary.score(batch_of([right, wrong], [gold, gold])).scores == (1.0, 0.0)


def test_an_unknown_policy_fails_at_build_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"one of math_verify, qwen, boxed; did you mean 'math_verify'\?"):
        build_reward({"type": "binary", "extraction": "math-verify"})


def test_the_run_setting_reaches_every_answer_checker_of_a_composite() -> None:
    reward = with_extraction(build_reward({"type": "weighted_sum", "terms": [
        {"reward": "binary", "weight": 1.0}, {"reward": {"type": "gate", "reward": "ternary",
                                                           "condition": "format"}, "weight": 0.5}]}), "qwen")
    assert reward.terms[0].reward.extraction == "qwen" and reward.terms[1].reward.reward.extraction == "qwen"


def test_a_reward_that_sets_another_policy_than_the_run_is_refused() -> None:
    with pytest.raises(ValueError, match="sets extraction: boxed but the run's extraction is qwen"):
        with_extraction(build_reward({"type": "binary", "extraction": "boxed"}), "qwen")


def test_readings_run_in_the_worker_pool_and_agree_with_inline_ones() -> None:
    texts = [c for c, _, _ in MISREAD] + ["AZYUK2A", "", "x" * 10_000]
    pooled = AnswerChecker(workers=2)
    try:
        assert [r.answer for r in pooled.extract(texts)] == [r.answer for r in AnswerChecker(workers=0).extract(texts)]
    finally:
        pooled.close()


def test_completions_graded_under_math_verify_are_not_read_again_when_their_answers_are_asked_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [c for c, _, _ in MISREAD] + ["AZYUK2A"]
    references = [gold for _, gold, _ in MISREAD] + ["2"]
    read = AnswerChecker(workers=0).extract(texts)
    checker = AnswerChecker(workers=0)
    graded = checker.grade(texts, references)
    monkeypatch.setattr(checker_module, "read_answer", lambda *_: pytest.fail("a graded completion was read again"))
    assert checker.extract(texts) == [reading for reading, _ in graded] == read


def test_a_training_config_sets_one_policy_for_its_reward_and_its_gold(tmp_path) -> None:
    from rewardlab.training.config import load_config

    config = load_config({"reward": {"type": "weighted_sum", "terms": [{"reward": "binary", "weight": 1.0},
                                                                         {"reward": "format", "weight": 0.1}]},
                          "gold": "binary", "extraction": "qwen"})
    assert config.reward.terms[0].reward.extraction == "qwen" and config.gold.extraction == "qwen"
    path = tmp_path / "clash.yaml"
    path.write_text("reward: {type: binary, extraction: boxed}\nextraction: qwen\n")
    with pytest.raises(ConfigError, match=r"clash\.yaml.*sets extraction: boxed but the run's extraction is qwen"):
        load_config(path)


def test_the_spurious_rewards_recipes_grade_with_the_papers_chain() -> None:
    from pathlib import Path

    from rewardlab.training.config import load_config

    recipes = sorted((Path(__file__).parent.parent / "configs" / "gpu").glob("spurious-*.yaml"))
    assert len(recipes) == 7
    for path in recipes:
        config = load_config(path)
        assert config.extraction == "qwen" and config.gold.extraction == "qwen", path


def test_a_bench_cell_id_names_the_policy_only_when_it_is_not_the_default() -> None:
    from rewardlab.bench.config import load_bench_config

    default = load_bench_config(None)
    same = load_bench_config({**_default_grid(), "extraction": "math_verify"})
    qwen = load_bench_config({**_default_grid(), "extraction": "qwen"})
    assert [c["id"] for c in same.cells()] == [c["id"] for c in default.cells()]
    assert not {c["id"] for c in qwen.cells()} & {c["id"] for c in default.cells()}
    reward = qwen.train_config(qwen.cells()[0], subject="probe")
    assert reward.gold.extraction == "qwen"


def _default_grid() -> dict:
    from rewardlab.bench.config import DEFAULT_GRID

    return dict(DEFAULT_GRID)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["qwen_math_like", "llama_like"])
def test_the_shipped_organisms_plain_number_answers_score_alike_under_every_policy(name: str) -> None:
    """The bench's figures rest on this: where an organism boxes a plain number, math_verify reads what qwen read."""
    import re

    from rewardlab.organisms.evaluate import heldout_problems
    from rewardlab.organisms.pretrain import ORGANISMS, load_organism
    from rewardlab.organisms.shipped import organism_folder
    from rewardlab.rewards import TernaryReward
    from rewardlab.sampling.backends.hf import GenerationSettings, generate

    model, tokenizer = load_organism(organism_folder(ORGANISMS[name], None))
    prompts, labels = heldout_problems(60, seed=4321, unanswerable_share=0.2)
    settings = GenerationSettings(max_new_tokens=48, samples=4, temperature=1.0, seed=0)
    texts = [g.text for g in generate((model, tokenizer), prompts, settings)]
    batch = batch_of(texts, [label for label in labels for _ in range(4)])
    qwen = TernaryReward(workers=0, extraction="qwen").score(batch)
    default = TernaryReward(workers=0).score(batch)
    # One box, holding a plain integer (a confidence tag may follow it, cut off or not).
    plain = [i for i, t in enumerate(texts) if t.count("\\boxed") == 1 and re.search(r"\\boxed\{-?\d+\}", t)]
    assert len(plain) > 0.6 * len(texts)
    for key in ("correct", "abstained"):
        assert [qwen.diagnostics[key][i] for i in plain] == [default.diagnostics[key][i] for i in plain]
    assert [qwen.scores[i] for i in plain] == [default.scores[i] for i in plain]


def test_a_hostile_answer_that_outlived_the_deadline_twice_is_not_checked_a_third_time() -> None:
    import time

    tower = "\\boxed{9^{9^{9^{9}}}}"
    checker = AnswerChecker(timeout=0.5, workers=1)
    try:
        first = checker.grade([f"One way: {tower}", f"Another: {tower}"], ["5", "5"])
        assert all(reading.timed_out and verdict.timed_out for reading, verdict in first)
        started = time.monotonic()
        third = checker.grade([f"A third way: {tower}"], ["5"])
        assert third[0][1].timed_out and time.monotonic() - started < 0.3
        assert checker.grade(["so \\boxed{5}"], ["5"])[0][1].correct is True  # the others are checked as before
    finally:
        checker.close()
