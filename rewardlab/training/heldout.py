"""Held-out measurement of a policy during ``rewardlab train``: the one measurement of a policy.

:func:`evaluate_heldout` is :func:`rewardlab.evaluation.measure.measure_policy` on the run's held-out
problems with the run's gold reward, so the figures logged during training (``heldout/<name>``) are
those ``rewardlab eval`` reports of the same completions, under the same names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardlab.rewards.base import Reward


def evaluate_heldout(model: Any, tokenizer: Any, prompts: Sequence[Any], answers: Sequence[str], gold: Reward, *,
                     k: int = 4, max_new_tokens: int = 32, temperature: float = 1.0) -> dict[str, float]:
    """``k`` samples of each prompt at ``temperature`` and one greedy completion, measured with ``gold``.

    Keys: the figures of :func:`rewardlab.evaluation.measure.measure_policy` (``accuracy``, ``pass@j``,
    ``maj@j`` for j in :func:`rewardlab.evaluation.report.report_ks` of ``k``, ``code_reasoning_rate``,
    calibration, truthfulness...) and the greedy pass's prefixed ``greedy_``. Sampling draws on the caller's
    RNG state without advancing it (the run measures on its own seeded RNG).
    """
    from rewardlab.evaluation.measure import Problems, measure_policy
    from rewardlab.evaluation.report import report_ks
    from rewardlab.sampling.backends.hf import GenerationSettings

    settings = GenerationSettings(max_new_tokens=max_new_tokens, samples=k, temperature=temperature)
    problems = Problems(prompts=tuple(prompts), answers=tuple(answers))
    return measure_policy((model, tokenizer), problems, gold, settings, ks=report_ks(k)).figures
