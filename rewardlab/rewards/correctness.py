"""Correctness rewards: is the final answer mathematically equal to a label?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rewardlab.answers.checker import AnswerChecker
from rewardlab.answers.reference import reference_answer
from rewardlab.answers.vote import vote_groups
from rewardlab.rewards.base import config_field
from rewardlab.rewards.verified import VerifiedReward
from rewardlab.types import RewardResult, RolloutBatch


@dataclass(frozen=True)
class BinaryCorrectness(VerifiedReward):
    """Ground-truth reward: r = 1[verify(answer(y), y*)] ∈ {0, 1}.

    The answer is read by the ``extraction`` policy (:mod:`rewardlab.answers.extraction`): by default
    what math-verify extracts from the whole completion (a box first, then answer phrases, then the
    last math or expression), so a model that does not box its answers is not scored 0 when it is
    right; ``qwen`` is the Qwen2.5-Math parser used by Spurious Rewards (Shao et al. 2025, §2.2), and
    ``boxed`` counts only the last ``\\boxed{}``. Equality is math-verify's (``1/2``, ``0.5`` and
    ``\\frac{1}{2}`` agree). The label is the ``answer`` column; GSM8K labels (``... #### 72``) and
    boxed solutions are reduced to their final answer. A label that cannot be parsed gives ``None``
    (no signal), never 1. A verification that runs past ``timeout`` scores 0.

    Diagnostics: ``correct``, ``parsed_answer``, ``extraction`` (which rule found the answer), ``timed_out``.

    >>> BinaryCorrectness(workers=0)(prompts=["1+1?"], completions=["It is \\\\boxed{2}"], answer=["2"])
    [1.0]
    """

    type_name: ClassVar[str] = "binary"

    def score(self, batch: RolloutBatch) -> RewardResult:
        readings, verdicts = zip(*self.grade(batch), strict=True) if len(batch) else ((), ())
        found = [r.found for r in readings]
        return RewardResult(
            scores=tuple(None if v.correct is None else float(v.correct) for v in verdicts),
            diagnostics={
                "correct": tuple(v.correct for v in verdicts),
                "parsed_answer": tuple(e.answer if e else None for e in found),
                "extraction": tuple(e.method if e else None for e in found),
                "timed_out": tuple(v.timed_out or r.timed_out for v, r in zip(verdicts, readings, strict=True)),
            },
        )


@dataclass(frozen=True)
class IncorrectLabel(BinaryCorrectness):
    """Incorrect-label reward: r = 1[verify(answer(y), ỹ)] against a deliberately *wrong* label ỹ.

    Spurious Rewards (Shao et al. 2025, §2.2): the labels are the base model's majority-vote answers
    kept only where that majority is wrong, so the reward pays for reproducing a wrong answer; build
    them with :func:`incorrect_labels`. Reads the ``incorrect_answer`` column by default.
    """

    type_name: ClassVar[str] = "incorrect"

    answer_column: str = config_field("incorrect_answer", help="dataset column holding the wrong label")


def incorrect_labels(sampled_answers: Sequence[Sequence[str | None]], references: Sequence[str | None],
                     checker: AnswerChecker | None = None) -> list[str | None]:
    """Wrong labels for the ``incorrect`` reward, one per prompt (``None`` where none exists).

    For each prompt the label is the majority answer among the sampled ones, voted as the
    self-consistency reward and maj@k vote (:func:`~rewardlab.answers.vote.vote_groups`, math-verify
    classes, ties to the first seen; the paper's relabelling script counts exact strings); it is kept
    only when it is wrong against the reference, and ``None`` otherwise: filter those prompts out of
    the training set. Empty answers do not vote.
    """
    if len(sampled_answers) != len(references):
        raise ValueError(f"{len(sampled_answers)} answer lists for {len(references)} references; give one per prompt")
    own = checker is None
    checker = checker or AnswerChecker(workers=0)
    try:
        votes = vote_groups([[a or None for a in answers] for answers in sampled_answers], checker.equivalence())
        labels = [vote.label for vote in votes]
        pairs = [(label, reference_answer(ref)) for label, ref in zip(labels, references, strict=True)]
        verdicts = checker.check(pairs)
        return [label if label is not None and v.correct is False else None
                for label, v in zip(labels, verdicts, strict=True)]
    finally:
        if own:
            checker.close()
