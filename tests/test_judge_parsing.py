"""Reading judge replies (pointwise scores, pairwise verdicts) and the editable prompt templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardlab.judge.parsing import normalise_score, parse_score, parse_verdict
from rewardlab.judge.templates import default_template_text, load_template, parse_template

# --- pointwise scores -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("reply", "score"), [
    ("Specific Criteria: ...\nAnalysis: ...\nScore: \\boxed{8}", 8.0),
    ("Score: \\boxed{ 10 }", 10.0),
    ("Score: \\boxed{1}", 1.0),
    ("Score: \\boxed{7.5}", 7.5),
    ("Score: \\boxed{7/10}", 7.0),
    ("Score: \\boxed{\\text{6}}", 6.0),
    ("Score: \\boxed{**9**}", 9.0),
    ("First I thought \\boxed{3}, but on reflection \\boxed{9}", 9.0),
])
def test_the_last_boxed_score_from_1_to_10_is_read(reply: str, score: float) -> None:
    assert parse_score(reply) == score


@pytest.mark.parametrize("reply", [
    "Score: \\boxed{0}", "Score: \\boxed{11}", "Score: \\boxed{-3}", "Score: \\boxed{100}",
])
def test_an_out_of_range_score_is_no_score(reply: str) -> None:
    assert parse_score(reply) is None


@pytest.mark.parametrize("reply", [
    "", "Score: 8", "The response is great, 10/10.", "Score: \\boxed{}", "Score: \\boxed{eight}",
    "Score: \\boxed{8", "\\boxed{8} then an unclosed \\boxed{9", "\x00\\boxed{", "Score: \\boxed{__import__('os')}",
])
def test_a_missing_or_unreadable_score_is_no_score(reply: str) -> None:
    assert parse_score(reply) is None


def test_scores_are_normalised_to_the_unit_interval() -> None:
    assert normalise_score(1.0) == 0.0
    assert normalise_score(10.0) == 1.0
    assert normalise_score(5.5) == pytest.approx(0.5)


# --- pairwise verdicts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("reply", "verdict"), [
    ("Reasoning... \\boxed{Assistant 1}", 1),
    ("Reasoning... \\boxed{Assistant 2}", 2),
    ("\\boxed{\\text{Assistant 2}}", 2),
    ("\\boxed{ assistant 1 }", 1),
    ("<answer>[[A]]</answer>", 1),
    ("<answer>[[B]]</answer>", 2),
    ("[[ b ]]", 2),
    ("I must answer \\boxed{Assistant 1} or \\boxed{Assistant 2}. Having compared them: \\boxed{Assistant 1}", 1),
    ("The format is [[A]] or [[B]]; my verdict: [[B]]", 2),
])
def test_the_last_verdict_marker_decides(reply: str, verdict: int) -> None:
    assert parse_verdict(reply) == verdict


@pytest.mark.parametrize("reply", ["", "Both are equally good.", "\\boxed{3}", "Assistant 1 is better", "[[C]]",
                                   "\\boxed{Assistant 3}"])
def test_a_reply_without_a_verdict_is_no_verdict(reply: str) -> None:
    assert parse_verdict(reply) is None


# --- templates ------------------------------------------------------------------------------------------------


VALUES = {"problem": "What is 1+1?", "reference": "2", "reference_block": "Reference answer:\n2\n\n"}


@pytest.mark.parametrize("mode", ["pointwise", "pairwise"])
def test_the_shipped_templates_render_every_placeholder(mode: str) -> None:
    template = load_template(None, mode)  # type: ignore[arg-type]
    responses = {"response": "R0"} if mode == "pointwise" else {"response_1": "R1", "response_2": "R2"}
    messages = template.render({**VALUES, **responses})
    assert [role for role, _ in messages] == ["system", "user"]
    text = "\n".join(content for _, content in messages)
    assert "$" not in text and "What is 1+1?" in text and "Reference answer:\n2" in text
    assert all(r in text for r in responses.values())
    assert "rewardlab judge" not in text  # the comment header is not sent


def test_a_template_file_without_section_markers_is_one_user_message(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    path.write_text("Rate $response for $problem; it costs $$5. Answer \\boxed{N}.\n", encoding="utf-8")
    messages = load_template(path, "pointwise").render({**VALUES, "response": "x = {1}"})
    assert messages == (("user", "Rate x = {1} for What is 1+1?; it costs $5. Answer \\boxed{N}."),)


def test_values_with_dollars_and_braces_are_inserted_verbatim() -> None:
    template = parse_template("[user]\n$response", "pointwise")
    assert template.render({**VALUES, "response": "$x$ and ${y} and {z}"}) == (("user", "$x$ and ${y} and {z}"),)


def test_a_template_may_script_a_few_shot_exchange() -> None:
    text = "[system]\nBe fair.\n[user]\nExample\n[assistant]\n\\boxed{5}\n[user]\n${problem}: $response"
    messages = parse_template(text, "pointwise").render({**VALUES, "response": "2"})
    assert [role for role, _ in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1] == ("user", "What is 1+1?: 2")


def test_an_unknown_placeholder_is_refused_with_the_valid_ones(tmp_path: Path) -> None:
    path = tmp_path / "typo.txt"
    path.write_text("[user]\n$problem $respnse $response\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"typo\.txt uses unknown placeholder\(s\) \$respnse.*\$response"):
        load_template(path, "pointwise")


def test_a_template_that_never_shows_the_response_is_refused() -> None:
    with pytest.raises(ValueError, match=r"never shows \$response_2"):
        parse_template("[user]\n$response_1", "pairwise")
    with pytest.raises(ValueError, match="unknown placeholder"):  # pointwise placeholders do not fit pairwise
        parse_template("[user]\n$response $response_1 $response_2", "pairwise")


def test_a_stray_dollar_is_refused_with_its_line() -> None:
    with pytest.raises(ValueError, match=r"\[user\] section, line 2: .*write \$\$"):
        parse_template("[user]\n$response\ncosts $5", "pointwise")


def test_a_template_without_a_user_section_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no \[user\] section"):
        parse_template("[system]\n$response", "pointwise")


def test_a_missing_template_file_names_the_defaults(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.txt.*templates"):
        load_template(tmp_path / "nope.txt", "pointwise")


def test_the_default_templates_are_package_data() -> None:
    assert "$response_1" in default_template_text("pairwise")
    assert "$response" in default_template_text("pointwise")
