"""The reward protocol: one small interface that every reward and every combinator returns.

A reward is a frozen dataclass with one method, ``score(batch) -> RewardResult``. Because
combinators (weighted sums, gates, transforms) are rewards too, pieces nest without limit, as
optax's gradient transformations do. Every reward is also a TRL reward function as it stands:
``reward(prompts=..., completions=..., answer=[...], **columns)`` returns one float or ``None``
per completion, it has a stable ``__name__``, and it pickles.
"""

from __future__ import annotations

import abc
import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from rewardlab.configurable import Configurable, config_field  # noqa: F401  (re-exported)
from rewardlab.rewards.components import log_components
from rewardlab.types import RewardResult, RolloutBatch


@dataclass(frozen=True)
class Reward(Configurable, abc.ABC):
    """Base of every reward. Subclasses set ``type_name`` and implement :meth:`score`.

    A reward that reads the policy (:mod:`rewardlab.rewards.policy`) sets ``needs_policy``; it is then scored
    only where the batch carries the policy's view (rewardlab's trainer, ``--policy MODEL``).
    """

    needs_policy: ClassVar[bool] = False

    @abc.abstractmethod
    def score(self, batch: RolloutBatch) -> RewardResult:
        """Score every sample of ``batch``; ``None`` means no signal for that sample."""

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> list[float | None]:
        """TRL's reward-function contract: one float or ``None`` per completion. A composite also logs its
        components through TRL's ``log_metric`` and ``log_extra`` hooks where TRL passes them. A reward that
        reads the policy refuses this path: a TRL reward function is given text only."""
        readers = policy_readers(self)
        if readers:
            from rewardlab.policy.view import TRAINER_HINT, PolicyRequired

            raise PolicyRequired(f"reward {readers[0]!r} reads the policy (its per-token probabilities), which "
                                 f"a TRL reward function is not given: {TRAINER_HINT}")
        result = self.score(RolloutBatch.from_trl(prompts, completions, **kwargs))
        components = self.components(result)
        if components:
            log_components(components, kwargs.get("log_metric"), kwargs.get("log_extra"))
        return list(result.scores)

    def components(self, result: RewardResult) -> dict[str, tuple[float | None, ...]]:
        """The per-sample scores of this reward's parts in ``result`` (a composite's; none for a plain reward)."""
        return {}

    @property
    def __name__(self) -> str:  # TRL names each reward's logged columns after this
        return self.type_name or type(self).__name__

    def close(self) -> None:
        """Release worker processes or connections held by this reward and its children."""
        for f in dataclasses.fields(self):
            for child in _children(getattr(self, f.name)):
                child.close()


def policy_readers(reward: Reward) -> list[str]:
    """Names of the rewards in ``reward`` (itself and every nested one) that read the policy."""
    return [r.__name__ for r in walk(reward) if r.needs_policy]


def walk(reward: Reward) -> list[Reward]:
    """``reward`` and every reward nested in it (terms of sums, gated and transformed rewards), depth first."""
    found = [reward]
    for f in dataclasses.fields(reward):
        for child in _children(getattr(reward, f.name)):
            found.extend(walk(child))
    return found


def _children(value: Any) -> list[Reward]:
    if isinstance(value, Reward):
        return [value]
    if isinstance(value, tuple):
        return [r for v in value for r in _children(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [r for f in dataclasses.fields(value) for r in _children(getattr(value, f.name))]
    return []
