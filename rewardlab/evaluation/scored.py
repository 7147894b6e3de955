"""One scored batch as evaluators read it: completions, the evaluated reward's result, gold correctness.

:class:`ScoredBatch` is what an :class:`~rewardlab.evaluation.collection.EvaluatorCollection` hands each
of its members; a member takes from it what it needs (:meth:`Evaluator.feed`). The evaluated reward is
called the *proxy* (a spurious reward, a judge, majority vote, or the gold reward itself); the gold
reward only says which samples are correct (:func:`rewardlab.types.gold_correct`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rewardlab.types import RewardResult, gold_correct


@dataclass(frozen=True)
class ScoredBatch:
    """A batch of completions scored by a proxy reward and, optionally, a gold reward.

    Attributes:
        proxy: the evaluated reward's result; its ``abstained``, ``pseudo_label_correct`` and
            ``confidence`` diagnostics are read where present (nested ones too, see ``RewardResult.find``).
        gold: the gold reward's result (``None``: no gold, so nothing that needs correctness is fed).
        completions: completion texts (``None``: not given, so behaviour is not fed).
        group_ids: prompt group of each sample (``None``: not given, so accuracy over groups is not fed).
        stated_confidence: a confidence per sample that overrides the proxy's ``confidence`` diagnostic
            (for example a dataset column, or one parsed from the text).
    """

    proxy: RewardResult
    gold: RewardResult | None = None
    completions: tuple[str | None, ...] | None = None
    group_ids: tuple[Hashable, ...] | None = None
    stated_confidence: tuple[float | None, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.proxy)
        for name in ("completions", "group_ids", "stated_confidence"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ValueError(f"{name} must be a sequence with one value per sample, not one string")
            if value is not None:
                object.__setattr__(self, name, tuple(value))
        lengths = {"gold": None if self.gold is None else len(self.gold),
                   **{name: None if getattr(self, name) is None else len(getattr(self, name))
                      for name in ("completions", "group_ids", "stated_confidence")}}
        wrong = {name: length for name, length in lengths.items() if length is not None and length != n}
        if wrong:
            raise ValueError(f"the proxy result holds {n} samples but {wrong}; give one value per sample")

    def __len__(self) -> int:
        return len(self.proxy)

    @cached_property
    def correct(self) -> tuple[bool | None, ...] | None:
        """Gold correctness per sample (``None`` without a gold result)."""
        return None if self.gold is None else gold_correct(self.gold)

    @cached_property
    def confidence(self) -> tuple[float | None, ...] | None:
        """The stated confidence, else the proxy's ``confidence``; ``None`` when no sample states one."""
        found = self.stated_confidence if self.stated_confidence is not None else self.proxy.find("confidence")
        return None if found is None or all(q is None for q in found) else found

    @property
    def abstained(self) -> tuple[bool | None, ...] | None:
        return self.proxy.find("abstained")

    @property
    def pseudo_label_correct(self) -> tuple[bool | None, ...] | None:
        return self.proxy.find("pseudo_label_correct")

    @property
    def answers(self) -> tuple[Any, ...] | None:
        """The gold reward's ``parsed_answer`` per sample, the votes of maj@k (``None`` without one)."""
        return None if self.gold is None else self.gold.find("parsed_answer")
