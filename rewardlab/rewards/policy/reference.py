"""Reference-answer probability (RLPR, Yu et al. 2025, arXiv 2506.18254; VeriFree, Zhou et al. 2025, arXiv 2505.21493).

The completion's own answer is replaced by the reference answer, written after the completion's reasoning, and
the policy's mean per-token probability of the reference's tokens is the reward: no verifier, only the label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from rewardlab.answers.reference import reference_answer
from rewardlab.rewards.base import config_field
from rewardlab.rewards.policy.base import PolicyReward
from rewardlab.types import RewardResult, RolloutBatch


def _mean_probability(logprobs: tuple[float, ...]) -> float | None:
    return sum(math.exp(lp) for lp in logprobs) / len(logprobs) if logprobs else None


@dataclass(frozen=True)
class ReferenceProbability(PolicyReward):
    """RLPR's probability reward: r = (1/|y*|) Σ_j p_θ(y*_j | q, z, a, y*_<j).

    ``z`` is the completion's reasoning: its text before the last ``answer_prefix`` (default ``\\boxed{``), or the
    whole completion followed by a newline when it writes none; ``a`` is ``answer_prefix``; ``y*`` the reference
    answer (the ``answer_column`` label, read as ``binary`` reads it). With ``debias`` the same probability with no
    reasoning (``q, a`` only) is subtracted and the difference clipped to [0, 1] (RLPR's debiasing). A sample with
    no readable label gives ``None``. Diagnostics: ``reference_probability`` (with reasoning),
    ``reference_probability_alone`` (without; ``None`` unless ``debias``).

    YAML: ``{type: reference_probability, debias: true}``
    """

    type_name: ClassVar[str] = "reference_probability"

    answer_column: str = config_field("answer", help="dataset column holding the reference answer")
    answer_prefix: str = config_field("\\boxed{", help="text written before the reference answer; the completion's "
                                                       "reasoning ends where it last writes this")
    debias: bool = config_field(False, help="subtract the probability without the reasoning and clip to [0, 1] "
                                            "(RLPR's debiased reward)")

    def __post_init__(self) -> None:
        if not self.answer_column:
            raise ValueError("answer_column must name a dataset column, e.g. 'answer'")

    def _reasoning(self, completion: str) -> str:
        cut = completion.rfind(self.answer_prefix) if self.answer_prefix else -1
        return completion[:cut] if cut >= 0 else completion + "\n"

    def score(self, batch: RolloutBatch) -> RewardResult:
        view = self.view(batch)
        labels = [reference_answer(a) for a in batch.column(self.answer_column)]
        rows = [i for i, label in enumerate(labels) if label]
        requests = [(i, self._reasoning(batch.completions[i]) + self.answer_prefix, labels[i]) for i in rows]
        if self.debias:
            requests += [(i, self.answer_prefix, labels[i]) for i in rows]
        found = view.continuation(requests) if requests else []
        with_reasoning: list[float | None] = [None] * len(batch)
        alone: list[float | None] = [None] * len(batch)
        for k, i in enumerate(rows):
            with_reasoning[i] = _mean_probability(found[k])
            if self.debias:
                alone[i] = _mean_probability(found[len(rows) + k])
        scores = [p if not self.debias or p is None or q is None else min(1.0, max(0.0, p - q))
                  for p, q in zip(with_reasoning, alone, strict=True)]
        return RewardResult(tuple(scores), {"reference_probability": tuple(with_reasoning),
                                            "reference_probability_alone": tuple(alone)})
