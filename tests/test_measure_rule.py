"""One rule for a sample that cannot be scored, whichever gold reward measures it: it is left out.

The bench measures with the ``ternary`` reward, ``rewardlab train`` and ``rewardlab eval`` with ``binary``;
through the one measurement of a policy (:func:`rewardlab.evaluation.measure.measure_policy`) a sample whose
label does not parse counts in no figure that needs correctness, as :func:`rewardlab.types.gold_correct`
leaves it out in training (the bench once counted it wrong).
"""

from __future__ import annotations

from typing import Any

import pytest

from rewardlab import build_reward

ANSWERS = ("4", "", "7")  # the second problem's label is missing: its samples cannot be scored
TEXTS = {2: ["\\boxed{4}", "\\boxed{5}", "\\boxed{4}", "\\boxed{3}", "\\boxed{7}", "\\boxed{7}"],
         1: ["\\boxed{4}", "\\boxed{1}", "\\boxed{6}"]}


@pytest.fixture
def fake_generate(monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardlab.sampling.backends import hf

    def generate(policy: Any, prompts: Any, settings: hf.GenerationSettings) -> list[hf.Generation]:
        return [hf.Generation(text=t, token_ids=(), ended=True, prompt_tokens=0) for t in TEXTS[settings.samples]]

    monkeypatch.setattr(hf, "generate", generate)


@pytest.mark.parametrize("gold", ["binary", "ternary"])
@pytest.mark.usefixtures("fake_generate")
def test_an_unscorable_sample_is_left_out_of_every_measurement(gold: str) -> None:
    from rewardlab.evaluation.measure import Problems, measure_policy
    from rewardlab.sampling.backends.hf import GenerationSettings

    problems = Problems(prompts=("a", "b", "c"), answers=ANSWERS)
    figures = measure_policy((None, None), problems, build_reward({"type": gold, "workers": 0}),
                             GenerationSettings(max_new_tokens=8, samples=2), ks=(1, 2)).figures
    assert figures["accuracy"] == 3 / 4  # 4, 5 | (unscorable) | 7, 7: counted wrong it would read 3/6
    assert figures["pass@2"] == 1.0  # two problems, each with a right sample
    assert figures["hallucination_rate"] == 1 / 4 and figures["truthfulness"] == 2 / 4
    assert figures["greedy_accuracy"] == 1 / 2  # 4 right, 6 wrong; the unscorable one left out
