"""The base of rewards that read the policy: the view, or a clear error naming how to provide it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rewardlab.policy.view import CLI_HINT, TRAINER_HINT, PolicyRequired, PolicyView
from rewardlab.rewards.base import Reward
from rewardlab.types import RolloutBatch


@dataclass(frozen=True)
class PolicyReward(Reward):
    """A reward scored from the policy's view of each completion (:mod:`rewardlab.policy`)."""

    needs_policy: ClassVar[bool] = True

    def view(self, batch: RolloutBatch) -> PolicyView:
        """The batch's policy view; raises :class:`PolicyRequired` when the batch carries none."""
        if batch.policy is None:
            raise PolicyRequired(f"reward {self.__name__!r} reads the policy, but this batch carries no policy view: "
                                 f"{CLI_HINT}, or {TRAINER_HINT}")
        return batch.policy


def mean(values: tuple[float, ...]) -> float | None:
    """The mean, ``None`` for no values (an empty completion gives no signal)."""
    return sum(values) / len(values) if values else None
