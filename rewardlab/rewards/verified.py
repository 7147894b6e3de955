"""What the rewards that check answers against labels share: the process's checker and the label.

:class:`VerifiedReward` is the base of the binary, self-consistency, Brier and ternary rewards: it holds
the label column and the checker's time limit and worker count, leases the process's shared
:class:`~rewardlab.answers.checker.AnswerChecker` for that setting on first use (so rewards scoring the
same batch verify each pair once, see :mod:`rewardlab.answers.shared`), and returns the lease in :meth:`close`.
"""

from __future__ import annotations

import dataclasses
import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.answers.checker import AnswerChecker, Reading, Verdict
from rewardlab.answers.extraction import DEFAULT_EXTRACTION, EXTRACTION_POLICIES
from rewardlab.answers.reference import reference_answer
from rewardlab.answers.shared import acquire_checker, release_checker
from rewardlab.configurable import suggest
from rewardlab.rewards.base import Reward, config_field
from rewardlab.types import RolloutBatch

__all__ = ["EXTRACTION_HELP", "VerifiedReward", "check_extraction", "with_extraction"]

_LEASE = "_checker_lease"

EXTRACTION_HELP = ("how the final answer is read: math_verify (what math-verify extracts from the whole completion, "
                   "as lighteval reads MATH), qwen (Spurious Rewards' chain: last box, 'the answer is', last "
                   "number) or boxed (the last \\boxed{} only)")


def check_extraction(policy: str) -> None:
    """Raise a ``ValueError`` naming the choices (and the closest one) when ``policy`` is not an extraction policy."""
    if policy not in EXTRACTION_POLICIES:
        raise ValueError(f"extraction must be one of {', '.join(EXTRACTION_POLICIES)}; "
                         f"{suggest(str(policy), EXTRACTION_POLICIES)}got {policy!r}")


@dataclass(frozen=True)
class _Lease:
    """A reward's lease of the shared checker, valid in the process that took it."""

    pid: int
    checker: AnswerChecker
    release: weakref.finalize  # returns the lease once: on close, when the reward is collected, or at exit


@dataclass(frozen=True)
class VerifiedReward(Reward):
    """A reward that verifies extracted answers with math-verify through the process's shared checker."""

    answer_column: str = config_field("answer", help="dataset column holding the label to check against")
    timeout: float = config_field(5.0, help="seconds allowed per verification; past it the pair counts as unequal")
    workers: int = config_field(2, help="verifier processes (0 = verify in this process)")
    extraction: str = config_field(DEFAULT_EXTRACTION, help=EXTRACTION_HELP)

    def __post_init__(self) -> None:
        check_extraction(self.extraction)
        if not self.answer_column:
            raise ValueError("answer_column must name a dataset column, e.g. 'answer'")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0 (0 verifies in this process), got {self.workers}")

    @property
    def checker(self) -> AnswerChecker:
        """The shared checker for this reward's ``(timeout, workers)``, leased on first use in each process."""
        lease: _Lease | None = self.__dict__.get(_LEASE)
        if lease is None or lease.pid != os.getpid():
            checker = acquire_checker(self.timeout, self.workers)
            lease = _Lease(os.getpid(), checker, weakref.finalize(self, release_checker, checker))
            object.__setattr__(self, _LEASE, lease)
        return lease.checker

    def extract(self, texts: Sequence[object], groups: Sequence[object] | None = None,
                group_timeout: float | None = None) -> list[Reading]:
        """The answer each completion states under this reward's ``extraction`` policy (never raises)."""
        return self.checker.extract(texts, self.extraction, groups, group_timeout)

    def grade(self, batch: RolloutBatch) -> list[tuple[Reading, Verdict]]:
        """Each completion's reading and its verdict against its label (see :meth:`AnswerChecker.grade`)."""
        return self.checker.grade(batch.completions, self.references(batch), self.extraction)

    def answers(self, texts: Sequence[object]) -> list[str | None]:
        """:meth:`extract`'s answers alone (``None`` where a completion states none)."""
        return [reading.answer for reading in self.extract(texts)]

    def references(self, batch: RolloutBatch) -> list[str | None]:
        """The label of each sample, reduced to its final answer (``None`` where it states none)."""
        return [reference_answer(r) for r in batch.column(self.answer_column)]

    def verify(self, answers: Sequence[str | None], references: Sequence[str | None]) -> list[Verdict]:
        """One verdict per (answer, label) pair: ``correct`` is ``None`` where the label is missing or not an answer."""
        return self.checker.check(list(zip(answers, references, strict=True)))

    def close(self) -> None:
        """Return the checker's lease (safe to call twice; the reward leases it again if it scores after)."""
        lease: _Lease | None = self.__dict__.pop(_LEASE, None)
        if lease is not None and lease.pid == os.getpid():
            lease.release()

    def __getstate__(self) -> dict[str, Any]:
        """The fields only: a copy leases its own process's checker when it first scores."""
        return {k: v for k, v in self.__dict__.items() if k != _LEASE}


def with_extraction(reward: Any, policy: str | None) -> Any:
    """``reward`` with every answer-checking reward inside it (at any depth) reading answers by ``policy``.

    The run-level ``extraction`` setting of ``train``, ``bench``, ``score``, ``eval`` and ``judge-eval``: one
    policy for the training reward, each component of a combinator and the gold checker. ``None`` leaves each
    reward's own. A reward that sets another policy than its default and than ``policy`` is a conflict.
    """
    if policy is None:
        return reward
    check_extraction(policy)
    if isinstance(reward, tuple):
        return tuple(with_extraction(item, policy) for item in reward)
    if not dataclasses.is_dataclass(reward) or isinstance(reward, type):
        return reward
    if "extraction" in {f.name for f in dataclasses.fields(reward)}:  # an answer checker (or the abstain detector)
        if reward.extraction not in (policy, DEFAULT_EXTRACTION):
            raise ValueError(f"the {reward.type_name or type(reward).__name__} reward sets extraction: "
                             f"{reward.extraction} but the run's extraction is {policy}; set it in one place")
        return reward if reward.extraction == policy else dataclasses.replace(reward, extraction=policy)
    changes = {}
    for f in dataclasses.fields(reward):
        if f.init:
            value = getattr(reward, f.name)
            new = with_extraction(value, policy)
            if new is not value:
                changes[f.name] = new
    return dataclasses.replace(reward, **changes) if changes else reward
