"""Combinators: rewards built from rewards. Each returns a :class:`Reward`, so they nest.

``weighted_sum`` mixes terms, ``gate`` lets a reward count only where a condition holds, and the
element-wise transforms (``inverse``, ``clip``, ``scale``, ``affine``) map each score. ``None``
(no signal) is respected everywhere: transforms pass it through, a sum skips it by default.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from rewardlab.rewards.base import Reward, config_field
from rewardlab.types import RewardResult, RolloutBatch, Score


@dataclass(frozen=True)
class Term:
    """One term of a weighted sum: a reward and its weight."""

    reward: Reward = config_field(help="the reward (a name or a {type: ...} mapping)")
    weight: float = config_field(1.0, help="multiplier of this reward's score")


def _prefixes(names: list[str]) -> list[str]:
    """The names of terms as their diagnostics are keyed: repeated names get ``#2``, ``#3``."""
    seen: dict[str, int] = {}
    prefixes = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        prefixes.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return prefixes


def _namespaced(results: list[tuple[str, RewardResult]]) -> dict[str, tuple[Any, ...]]:
    """Each term's score and diagnostics under ``name/key``; repeated names get ``#2``, ``#3``."""
    out: dict[str, tuple[Any, ...]] = {}
    for prefix, (_, result) in zip(_prefixes([name for name, _ in results]), results, strict=True):
        out[f"{prefix}/score"] = result.scores
        out.update({f"{prefix}/{key}": values for key, values in result.diagnostics.items()})
    return out


@dataclass(frozen=True)
class WeightedSum(Reward):
    """Weighted sum: r = Σ_i w_i r_i over the terms that give a signal.

    With ``missing: skip`` (default, TRL's own rule for several reward functions) a term that
    returns ``None`` is left out of the sum and the sample is ``None`` only when every term is;
    with ``missing: none`` any missing term makes the sample ``None``. Each term's scores and
    diagnostics are kept under ``<term name>/<key>``.

    YAML: ``{type: weighted_sum, terms: [{reward: binary, weight: 1.0}, {reward: format, weight: 0.1}]}``
    """

    type_name: ClassVar[str] = "weighted_sum"

    terms: tuple[Term, ...] = config_field(help="list of {reward: ..., weight: ...}")
    missing: Literal["skip", "none"] = config_field("skip", help="'skip' a term without signal, or give 'none'")

    def __post_init__(self) -> None:
        if not self.terms:
            raise ValueError("weighted_sum needs at least one term, e.g. terms: [{reward: binary, weight: 1.0}]")

    def score(self, batch: RolloutBatch) -> RewardResult:
        results = [(t.reward.__name__, t.reward.score(batch)) for t in self.terms]
        scores = [self._combine([(t.weight, r.scores[i]) for t, (_, r) in zip(self.terms, results, strict=True)])
                  for i in range(len(batch))]
        return RewardResult(scores=tuple(scores), diagnostics=_namespaced(results))

    def components(self, result: RewardResult) -> dict[str, tuple[float | None, ...]]:
        """Each term's weighted scores (w_i r_i), by the term's name (none for a result without the terms' scores,
        such as a failed batch's)."""
        prefixes = _prefixes([t.reward.__name__ for t in self.terms])
        if any(f"{prefix}/score" not in result.diagnostics for prefix in prefixes):
            return {}
        return {prefix: tuple(None if s is None else t.weight * s for s in result.diagnostics[f"{prefix}/score"])
                for prefix, t in zip(prefixes, self.terms, strict=True)}

    def _combine(self, weighted: list[tuple[float, Score]]) -> Score:
        present = [w * s for w, s in weighted if s is not None]
        if not present or (self.missing == "none" and len(present) < len(weighted)):
            return None
        return sum(present)


@dataclass(frozen=True)
class Gate(Reward):
    """Gate: r = r_reward where r_condition ≥ threshold, else ``otherwise``.

    For example, pay correctness only for well-formatted answers, or a format reward only for
    correct ones. A condition without signal (``None``) counts as closed. Diagnostics: ``gate_open``,
    plus both rewards' own under ``reward/`` and ``condition/``.
    """

    type_name: ClassVar[str] = "gate"

    reward: Reward = config_field(help="the reward that counts where the gate is open")
    condition: Reward = config_field(help="the reward that opens the gate")
    threshold: float = config_field(0.5, help="the gate is open where condition score >= threshold")
    otherwise: float | None = config_field(0.0, help="score where the gate is closed (null = no signal)")

    def score(self, batch: RolloutBatch) -> RewardResult:
        inner, cond = self.reward.score(batch), self.condition.score(batch)
        open_ = tuple(c is not None and c >= self.threshold for c in cond.scores)
        diagnostics = {"gate_open": open_, **_namespaced([("reward", inner), ("condition", cond)])}
        scores = tuple(s if o else self.otherwise for s, o in zip(inner.scores, open_, strict=True))
        return RewardResult(scores=scores, diagnostics=diagnostics)

    def components(self, result: RewardResult) -> dict[str, tuple[float | None, ...]]:
        """The gated reward's and the condition's scores (none for a result without them)."""
        keys = {"reward": "reward/score", "condition": "condition/score"}
        if any(key not in result.diagnostics for key in keys.values()):
            return {}
        return {name: result.diagnostics[key] for name, key in keys.items()}


@dataclass(frozen=True)
class _Elementwise(Reward):
    """A transform of each score of one reward; ``None`` stays ``None`` and diagnostics pass through."""

    reward: Reward = config_field(help="the reward whose scores are transformed")

    @abc.abstractmethod
    def apply(self, x: float) -> float:
        """The transformed value of one score."""

    def score(self, batch: RolloutBatch) -> RewardResult:
        inner = self.reward.score(batch)
        return RewardResult(scores=tuple(None if s is None else self.apply(s) for s in inner.scores),
                            diagnostics=inner.diagnostics)


@dataclass(frozen=True)
class Inverse(_Elementwise):
    """Inverse: r = 1 − r_reward (Spurious Rewards' ``inverse_`` prefix, e.g. pay for *not* boxing)."""

    type_name: ClassVar[str] = "inverse"

    def apply(self, x: float) -> float:
        return 1.0 - x


@dataclass(frozen=True)
class Clip(_Elementwise):
    """Clip: r = min(max(r_reward, low), high)."""

    type_name: ClassVar[str] = "clip"

    low: float = config_field(0.0, help="smallest score kept")
    high: float = config_field(1.0, help="largest score kept")

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"clip needs low <= high, got low={self.low}, high={self.high}")

    def apply(self, x: float) -> float:
        return min(max(x, self.low), self.high)


@dataclass(frozen=True)
class Scale(_Elementwise):
    """Scale: r = factor · r_reward."""

    type_name: ClassVar[str] = "scale"

    factor: float = config_field(1.0, help="multiplier of every score")

    def apply(self, x: float) -> float:
        return self.factor * x


@dataclass(frozen=True)
class Affine(_Elementwise):
    """Affine: r = scale · r_reward + shift (e.g. scale 2, shift −1 maps {0, 1} to {−1, +1})."""

    type_name: ClassVar[str] = "affine"

    scale: float = config_field(1.0, help="multiplier of every score")
    shift: float = config_field(0.0, help="added after scaling")

    def apply(self, x: float) -> float:
        return self.scale * x + self.shift
