"""plain_text: reStructuredText docstrings and help texts as a terminal shows them."""

from __future__ import annotations

import pytest

from rewardlab.cli.console import plain_text


@pytest.mark.parametrize(("rst", "plain"), [
    ("the last ``\\boxed{}``", "the last \\boxed{}"),
    ("see :func:`parse_confidence` and :py:class:`Reward`", "see parse_confidence and Reward"),
    ("a :class:`~rewardlab.judge.reward.JudgeReward`", "a JudgeReward"),
    ("the :ref:`judge page <judge>`; `the paper <https://arxiv.org>`_", "the judge page; the paper"),
    ("default role `x`, **strong** and *emphasis*", "default role x, strong and emphasis"),
    ("backends: ``{type: openai,\nmodel: m}``", "backends: {type: openai,\nmodel: m}"),
    ("YAML::\n\n    reward: binary", "YAML:\n\n    reward: binary"),
    ("as follows ::\n\n    x\n::", "as follows\n\n    x\n"),
    (".. note:: careful ``here``", "Note: careful here"),
])
def test_markup_becomes_its_text(rst: str, plain: str) -> None:
    assert plain_text(rst) == plain


def test_directive_lines_go_and_their_content_stays() -> None:
    rst = "Before.\n\n.. code-block:: yaml\n   :caption: a config\n\n   reward: binary\n\n.. math:: S = \\sum_j s_j\n"
    assert plain_text(rst) == "Before.\n\n\n   reward: binary\n\n    S = \\sum_j s_j"


@pytest.mark.parametrize("text", [
    'a fenced block, "```python"', "2 * 3 * 4 and a*b", "r = 1 − r_reward", "x[::2] and std::vector",
    "``unclosed", "``\n\nacross a blank line``",
])
def test_plain_text_and_code_are_kept_as_they_are(text: str) -> None:
    assert plain_text(text) == text
