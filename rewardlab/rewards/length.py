"""Length shaping: DAPO's soft overlong punishment and the cosine length-scaled correctness reward of Yeo et al.

Lengths are counted in tokens (the ``completion_tokens`` column, which rewardlab's trainer adds and
``rewardlab sample`` writes) or in characters (``unit: chars``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

from rewardlab.rewards.base import Reward, config_field
from rewardlab.rewards.correctness import BinaryCorrectness
from rewardlab.types import COMPLETION_TOKENS, RewardResult, RolloutBatch, gold_correct

Unit = Literal["tokens", "chars"]
_UNIT_HELP = "count length in tokens (the completion_tokens column) or in characters"


def completion_lengths(batch: RolloutBatch, unit: Unit) -> tuple[int, ...]:
    """Each completion's length in ``unit``; tokens come from the ``completion_tokens`` column."""
    if unit == "chars":
        return tuple(len(c) for c in batch.completions)
    if COMPLETION_TOKENS not in batch.columns:
        raise ValueError("lengths in tokens need a 'completion_tokens' column (rewardlab's trainer adds it; "
                         "`rewardlab sample` writes it); this batch has none: set unit: chars to count characters")
    return tuple(int(n) for n in batch.column(COMPLETION_TOKENS))


@dataclass(frozen=True)
class Overlong(Reward):
    """DAPO's soft overlong punishment: 0 up to L_max − L_cache, then linearly down to −factor at L_max.

    Yu et al. 2025, arXiv 2503.14476, eq. 13; a term to add to any reward:

    r = 0 if L ≤ L_max − L_cache;  r = −factor · (L − (L_max − L_cache)) / L_cache if L_max − L_cache < L ≤ L_max;
    r = −factor beyond L_max.

    ``L_max = max_length``, ``L_cache = buffer``. Compose it: ``{type: sum, terms: [binary, {type: overlong, ...}]}``.
    Diagnostics: ``length``, ``overlong`` (L > L_max − L_cache).
    """

    type_name: ClassVar[str] = "overlong"

    max_length: int = config_field(help="L_max: the length at and beyond which the full penalty applies")
    buffer: int = config_field(help="L_cache: the soft zone before max_length where the penalty grows linearly")
    factor: float = config_field(1.0, help="the full penalty's size (verl's overlong_buffer.penalty_factor)")
    unit: Unit = config_field("tokens", help=_UNIT_HELP)

    def __post_init__(self) -> None:
        if not 0 < self.buffer <= self.max_length:
            raise ValueError(f"buffer must be in (0, max_length = {self.max_length}], got {self.buffer}")
        if self.factor < 0:
            raise ValueError(f"factor must be >= 0 (it is the size of a penalty), got {self.factor}")

    def score(self, batch: RolloutBatch) -> RewardResult:
        lengths = completion_lengths(batch, self.unit)
        free = self.max_length - self.buffer
        scores = tuple(-self.factor * min(1.0, max(0, n - free) / self.buffer) for n in lengths)
        return RewardResult(scores, {"length": lengths, "overlong": tuple(n > free for n in lengths)})


@dataclass(frozen=True)
class LengthCosine(Reward):
    """Cosine length-scaled correctness (Yeo et al. 2025): r = η_min + ½ (η_max − η_min)(1 + cos(π L / L_max)).

    "Demystifying Long Chain-of-Thought Reasoning in LLMs", arXiv 2502.03373, eq. 1.

    A correct completion (by ``verifier``) runs from ``correct_short`` at L = 0 down to ``correct_long`` at L_max
    (shorter right answers pay more); a wrong one from ``wrong_short`` up to ``wrong_long`` (a long wrong attempt is
    punished less than a short guess); L ≥ L_max scores ``exceed``. No signal from the verifier gives ``None``.
    Defaults are the paper's (r_0^c = 2, r_L^c = 1, r_0^w = −10, r_L^w = 0, r_e = −10). Diagnostics: ``length``,
    ``correct``.
    """

    type_name: ClassVar[str] = "length_cosine"

    max_length: int = config_field(help="L_max: the length budget")
    correct_short: float = config_field(2.0, help="reward of a correct completion of length 0 (r_0^c)")
    correct_long: float = config_field(1.0, help="reward of a correct completion of length max_length (r_L^c)")
    wrong_short: float = config_field(-10.0, help="reward of a wrong completion of length 0 (r_0^w)")
    wrong_long: float = config_field(0.0, help="reward of a wrong completion of length max_length (r_L^w)")
    exceed: float = config_field(-10.0, help="reward of a completion of length >= max_length (r_e)")
    verifier: Reward = config_field(default_factory=BinaryCorrectness, help="the reward that decides correctness")
    unit: Unit = config_field("tokens", help=_UNIT_HELP)

    def __post_init__(self) -> None:
        if self.max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {self.max_length}")

    def score(self, batch: RolloutBatch) -> RewardResult:
        lengths = completion_lengths(batch, self.unit)
        correct = gold_correct(self.verifier.score(batch))
        scores: list[float | None] = []
        for n, right in zip(lengths, correct, strict=True):
            if right is None:
                scores.append(None)
            elif n >= self.max_length:
                scores.append(self.exceed)
            else:
                at_zero, at_max = (self.correct_short, self.correct_long) if right else (self.wrong_short,
                                                                                       self.wrong_long)
                scores.append(at_max + 0.5 * (at_zero - at_max) * (1.0 + math.cos(math.pi * n / self.max_length)))
        return RewardResult(tuple(scores), {"length": lengths, "correct": correct})
