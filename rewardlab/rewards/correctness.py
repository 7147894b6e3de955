"""Correctness rewards: is the final answer mathematically equal to a label?"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rewardlab.answers.checker import AnswerChecker
from rewardlab.answers.extraction import Extraction, extract_answer, reference_answer
from rewardlab.rewards.base import Reward, config_field
from rewardlab.types import RewardResult, RolloutBatch


def _safe_extract(text: str, fallback: bool) -> Extraction | None:
    try:
        return extract_answer(text, fallback=fallback)
    except Exception:  # a completion must never crash training; an unreadable one states no answer
        return None


@dataclass(frozen=True)
class BinaryCorrectness(Reward):
    """Ground-truth reward: r = 1[verify(answer(y), y*)] ∈ {0, 1}.

    The answer is the last brace-matched ``\\boxed{}``; with ``fallback`` (default) a completion
    that boxes nothing is read by "the answer is X", then by its last number, so a model that does
    not box its answers is not scored 0 when it is right (the Qwen2.5-Math parser used by Spurious
    Rewards, Shao et al. 2025, §2.2). Equality is math-verify's (``1/2``, ``0.5`` and
    ``\\frac{1}{2}`` agree). The label is the ``answer`` column; GSM8K labels (``... #### 72``) and
    boxed solutions are reduced to their final answer. A label that cannot be parsed gives ``None``
    (no signal), never 1. A verification that runs past ``timeout`` scores 0.

    Diagnostics: ``correct``, ``parsed_answer``, ``extraction`` (which rule found the answer), ``timed_out``.

    >>> BinaryCorrectness(workers=0)(prompts=["1+1?"], completions=["It is \\\\boxed{2}"], answer=["2"])
    [1.0]
    """

    type_name: ClassVar[str] = "binary"

    answer_column: str = config_field("answer", help="dataset column holding the label to check against")
    fallback: bool = config_field(True, help="when nothing is boxed, read 'the answer is X', then the last number")
    timeout: float = config_field(5.0, help="seconds allowed per sample; past it the sample scores 0")
    workers: int = config_field(2, help="verifier processes (0 = verify in this process)")

    def __post_init__(self) -> None:
        if not self.answer_column:
            raise ValueError("answer_column must name a dataset column, e.g. 'answer'")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0 (0 verifies in this process), got {self.workers}")

    @property
    def checker(self) -> AnswerChecker:
        """The answer checker, started on first use and kept for the reward's lifetime."""
        checker = self.__dict__.get("_checker")
        if checker is None:
            checker = AnswerChecker(timeout=self.timeout, workers=self.workers)
            object.__setattr__(self, "_checker", checker)
        return checker

    def score(self, batch: RolloutBatch) -> RewardResult:
        references = [reference_answer(r) for r in batch.column(self.answer_column)]
        found = [_safe_extract(c, self.fallback) for c in batch.completions]
        verdicts = self.checker.check([(e.answer if e else None, r) for e, r in zip(found, references, strict=True)])
        return RewardResult(
            scores=tuple(None if v.correct is None else float(v.correct) for v in verdicts),
            diagnostics={
                "correct": tuple(v.correct for v in verdicts),
                "parsed_answer": tuple(e.answer if e else None for e in found),
                "extraction": tuple(e.method if e else None for e in found),
                "timed_out": tuple(v.timed_out for v in verdicts),
            },
        )

    def close(self) -> None:
        checker = self.__dict__.pop("_checker", None)
        if checker is not None:
            checker.close()


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

    For each prompt the label is the most common extracted answer among the sampled ones
    (``Counter.most_common``, as the paper's relabelling script); it is kept only when it is wrong
    against the reference, and ``None`` otherwise: filter those prompts out of the training set.
    """
    if len(sampled_answers) != len(references):
        raise ValueError(f"{len(sampled_answers)} answer lists for {len(references)} references; give one per prompt")
    own = checker is None
    checker = checker or AnswerChecker(workers=0)
    try:
        majority = [Counter(a for a in answers if a).most_common(1) for answers in sampled_answers]
        labels = [m[0][0] if m else None for m in majority]
        pairs = [(label, reference_answer(ref)) for label, ref in zip(labels, references, strict=True)]
        verdicts = checker.check(pairs)
        return [label if label is not None and v.correct is False else None
                for label, v in zip(labels, verdicts, strict=True)]
    finally:
        if own:
            checker.close()
