"""What the rewards that check answers against labels share: a lazily started checker and its label.

:class:`VerifiedReward` is the base of the self-consistency, Brier and ternary rewards: it holds the
label column and the checker's time limit and worker count, starts the shared
:class:`~rewardlab.answers.checker.AnswerChecker` on first use, and stops it in :meth:`close`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rewardlab.answers.checker import AnswerChecker, Verdict
from rewardlab.answers.extraction import Extraction, extract_answer
from rewardlab.answers.reference import reference_answer
from rewardlab.rewards.base import Reward, config_field
from rewardlab.types import RolloutBatch

__all__ = ["VerifiedReward", "safe_extract"]


def safe_extract(text: str, fallback: bool) -> Extraction | None:
    """The final answer of ``text``, or ``None``: an unreadable completion states no answer, never crashes."""
    try:
        return extract_answer(text, fallback=fallback)
    except Exception:  # a completion must never crash training
        return None


@dataclass(frozen=True)
class VerifiedReward(Reward):
    """A reward that verifies extracted answers with math-verify through one shared checker."""

    answer_column: str = config_field("answer", help="dataset column holding the label to check against")
    timeout: float = config_field(5.0, help="seconds allowed per verification; past it the pair counts as unequal")
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

    def references(self, batch: RolloutBatch) -> list[str | None]:
        """The label of each sample, reduced to its final answer (``None`` where there is none)."""
        return [reference_answer(r) for r in batch.column(self.answer_column)]

    def verify(self, answers: Sequence[str | None], references: Sequence[str | None]) -> list[Verdict]:
        """One verdict per (answer, label) pair: ``correct`` is ``None`` where the label is missing or unparseable."""
        return self.checker.check(list(zip(answers, references, strict=True)))

    def close(self) -> None:
        checker = self.__dict__.pop("_checker", None)
        if checker is not None:
            checker.close()
