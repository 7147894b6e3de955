"""Behaviours as data: detectors that say, for each completion, whether it shows a behaviour.

A detector is a frozen dataclass with one method, ``detect(batch) -> tuple[bool, ...]``, built from
``{type: name, ...fields}`` by a :class:`~rewardlab.registry.Registry` like a reward:
``build_detector("code")``, ``build_detector({"type": "reward", "reward": "format", "threshold": 0.5})``,
or a detector of your own by import path, ``build_detector({"type": "my_package.detectors:UsesTables"})``
(a :class:`Detector` subclass). ``rewardlab eval`` splits accuracy by each one
(:mod:`rewardlab.evaluation.conditional`).

The built-in detectors, :data:`DEFAULT_BEHAVIOURS` the first four:

- ``code``: Spurious Rewards' code-reasoning indicator, ``"python"`` in the lower-cased completion (the
  ``contains_python`` reward's rule);
- ``boxed``: the last ``\\boxed{}`` exists, closes and is not empty (the ``format`` reward's rule);
- ``abstain``: the final answer abstains ("I don't know", ``\\boxed{unknown}``; the ``ternary`` reward's
  :class:`~rewardlab.rewards.abstention.AbstentionMatcher`);
- ``long``: longer, in characters, than the median completion of the batch;
- ``reward``: any reward or combinator, scored against the batch's gold answers, above a threshold.

This module sits on the catalogue's floor (a ``reward`` detector builds its reward through it).
"""

from __future__ import annotations

import abc
import statistics
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from rewardlab.answers.extraction import DEFAULT_EXTRACTION, has_boxed_answer
from rewardlab.answers.shared import acquire_checker, release_checker
from rewardlab.catalogue import build_reward
from rewardlab.configurable import Configurable, config_field
from rewardlab.registry import ConfigError, Registry
from rewardlab.rewards import ContainsPython, Reward
from rewardlab.rewards.abstention import (
    DEFAULT_ABSTAIN_ANSWERS,
    DEFAULT_ABSTAIN_PHRASES,
    AbstentionMatcher,
    stated_answer_text,
)
from rewardlab.rewards.verified import EXTRACTION_HELP, VerifiedReward, check_extraction
from rewardlab.types import RolloutBatch

DEFAULT_BEHAVIOURS: tuple[str, ...] = ("code", "boxed", "abstain", "long")
"""The detectors ``rewardlab eval`` reports when no ``--behaviour`` is given."""


@dataclass(frozen=True)
class Detector(Configurable, abc.ABC):
    """Base of every behaviour detector. Subclasses set ``type_name`` and implement :meth:`detect`."""

    @abc.abstractmethod
    def detect(self, batch: RolloutBatch) -> tuple[bool, ...]:
        """Whether each completion of ``batch`` shows the behaviour (a malformed completion: ``False``)."""

    def report_name(self) -> str:
        """The name the behaviour is reported under (its ``type_name``, else its class's name)."""
        return self.type_name or type(self).__name__

    def close(self) -> None:
        """Release worker processes held by this detector (a ``reward`` detector's reward)."""


@dataclass(frozen=True)
class CodeDetector(Detector):
    """Code reasoning: ``"python"`` occurs in the lower-cased completion (Spurious Rewards §4.2; 65% of
    Qwen2.5-Math-7B's MATH-500 answers, 60.9% accurate against 35.0% for the others)."""

    type_name: ClassVar[str] = "code"

    backticks: bool = config_field(False, help="require a fenced '```python' block, not just the word")

    def detect(self, batch: RolloutBatch) -> tuple[bool, ...]:
        return tuple(s == 1.0 for s in ContainsPython(backticks=self.backticks).score(batch).scores)


@dataclass(frozen=True)
class BoxedDetector(Detector):
    """A boxed answer: the last ``\\boxed{}`` exists, closes and is not empty (the ``format`` reward's rule)."""

    type_name: ClassVar[str] = "boxed"

    def detect(self, batch: RolloutBatch) -> tuple[bool, ...]:
        return tuple(isinstance(c, str) and has_boxed_answer(c) for c in batch.completions)


@dataclass(frozen=True)
class AbstainDetector(Detector):
    """Abstention: the final answer (read by the ``extraction`` policy, as the rewards read it) abstains by the
    ``ternary`` reward's :class:`~rewardlab.rewards.abstention.AbstentionMatcher`."""

    type_name: ClassVar[str] = "abstain"

    extraction: str = config_field(DEFAULT_EXTRACTION, help=EXTRACTION_HELP)
    phrases: tuple[str, ...] = config_field(
        DEFAULT_ABSTAIN_PHRASES, help="phrases that abstain wherever they occur in the answer as whole words")
    answers: tuple[str, ...] = config_field(
        DEFAULT_ABSTAIN_ANSWERS, help="answers that abstain only when they are the whole answer")

    def __post_init__(self) -> None:
        check_extraction(self.extraction)

    def detect(self, batch: RolloutBatch) -> tuple[bool, ...]:
        matcher = AbstentionMatcher(self.phrases, self.answers)
        # The checker the answer-checking rewards share at their defaults: its readings are theirs.
        checker = acquire_checker(VerifiedReward.timeout, VerifiedReward.workers)
        try:
            readings = checker.extract(batch.completions, self.extraction)
        finally:
            release_checker(checker)
        return tuple(matcher(stated_answer_text(text, r.answer, self.extraction))
                     for text, r in zip(batch.completions, readings, strict=True))


@dataclass(frozen=True)
class LongDetector(Detector):
    """A long completion: more characters than the median completion of the batch evaluated (so, of a file,
    at most half; none when every completion has the same length)."""

    type_name: ClassVar[str] = "long"

    def detect(self, batch: RolloutBatch) -> tuple[bool, ...]:
        lengths = [len(c) if isinstance(c, str) else 0 for c in batch.completions]
        median = statistics.median(lengths) if lengths else 0
        return tuple(length > median for length in lengths)


@dataclass(frozen=True)
class RewardDetector(Detector):
    """Any reward or combinator as a behaviour: a sample shows it when its score is *strictly above*
    ``threshold`` (a sample the reward gives no score shows it not). The reward is scored against the
    batch's gold answers, as ``rewardlab eval -r`` scores it.

    >>> RewardDetector("format").detect(RolloutBatch(prompts=("q", "q"), completions=("\\\\boxed{7}", "7")))
    (True, False)
    """

    type_name: ClassVar[str] = "reward"

    reward: Any = config_field(help="the reward: a name, or a mapping such as {type: format} or a combinator")
    threshold: float = config_field(0.5, help="a sample shows the behaviour when its score is > threshold")
    name: str = config_field("", help="the name it is reported under (default: the reward's type, e.g. format)")
    _built: Reward = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            built = build_reward(self.reward)
        except ConfigError as exc:
            raise ConfigError(f"reward detector: {exc}") from exc
        object.__setattr__(self, "_built", built)

    def report_name(self) -> str:
        return self.name or self._built.type_name or type(self._built).__name__

    def detect(self, batch: RolloutBatch) -> tuple[bool, ...]:
        return tuple(s is not None and s > self.threshold for s in self._built.score(batch).scores)

    def close(self) -> None:
        self._built.close()


DetectorSpec = str | Mapping[str, Any] | Detector

BUILTIN_DETECTORS: tuple[type[Detector], ...] = (CodeDetector, BoxedDetector, AbstainDetector, LongDetector,
                                                 RewardDetector)


@lru_cache(maxsize=1)
def detector_registry() -> Registry:
    """Every detector that ships with rewardlab (``.with_rewards(MyDetector)`` gives one holding yours too)."""
    return Registry.of(*BUILTIN_DETECTORS, base=Detector, kind="behaviour detector")


def build_detector(spec: DetectorSpec, registry: Registry | None = None) -> Detector:
    """A detector from a name, a ``{type: name, ...}`` mapping or an import path, or a detector as is.

    >>> build_detector({"type": "reward", "reward": "format"}).report_name()
    'format'
    """
    return (registry or detector_registry()).build(spec)


@contextmanager
def built_detectors(specs: Sequence[DetectorSpec], registry: Registry | None = None) -> Iterator[list[Detector]]:
    """Each detector of ``specs``, closed after use.

    Raises:
        ConfigError: a spec names no detector, or two detectors are reported under one name.
    """
    detectors: list[Detector] = []
    try:
        for spec in specs:
            detectors.append(build_detector(spec, registry))
        names = [d.report_name() for d in detectors]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ConfigError(f"two behaviours are reported as {', '.join(map(repr, twice))}; give one a name, "
                              f"e.g. {{type: reward, reward: ..., name: {twice[0]}_2}}, or drop the repeat")
        yield detectors
    finally:
        for detector in detectors:
            detector.close()


def detect_all(detectors: Sequence[Detector], batch: RolloutBatch) -> dict[str, tuple[bool, ...]]:
    """Each detector's verdicts on ``batch``, by its report name.

    Raises:
        ValueError: a detector gave a number of verdicts other than the batch's size.
    """
    out = {}
    for detector in detectors:
        verdicts = tuple(bool(v) for v in detector.detect(batch))
        if len(verdicts) != len(batch.completions):
            raise ValueError(f"behaviour detector {detector.report_name()!r} gave {len(verdicts)} verdicts for "
                             f"{len(batch.completions)} completions; return one bool per completion")
        out[detector.report_name()] = verdicts
    return out
