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
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rewardlab.types import RewardResult, RolloutBatch


def config_field(default: Any = dataclasses.MISSING, *, help: str, **kwargs: Any) -> Any:
    """A dataclass field that carries its help text (shown by ``rewardlab list``)."""
    metadata = {"help": help}
    if "default_factory" in kwargs:
        return field(metadata=metadata, **kwargs)
    return field(default=default, metadata=metadata, **kwargs)


@dataclass(frozen=True)
class Reward(abc.ABC):
    """Base of every reward. Subclasses set ``type_name`` and implement :meth:`score`."""

    type_name: ClassVar[str] = ""

    @abc.abstractmethod
    def score(self, batch: RolloutBatch) -> RewardResult:
        """Score every sample of ``batch``; ``None`` means no signal for that sample."""

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> list[float | None]:
        """TRL's reward-function contract: one float or ``None`` per completion."""
        return list(self.score(RolloutBatch.from_trl(prompts, completions, **kwargs)).scores)

    @property
    def __name__(self) -> str:  # TRL names each reward's logged columns after this
        return self.type_name or type(self).__name__

    def to_config(self) -> dict[str, Any]:
        """The mapping that ``build_reward`` turns back into an equal reward."""
        return {"type": self.type_name, **_encode_fields(self)}

    def close(self) -> None:
        """Release worker processes or connections held by this reward and its children."""
        for f in dataclasses.fields(self):
            for child in _children(getattr(self, f.name)):
                child.close()


def _children(value: Any) -> list[Reward]:
    if isinstance(value, Reward):
        return [value]
    if isinstance(value, tuple):
        return [r for v in value for r in _children(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [r for f in dataclasses.fields(value) for r in _children(getattr(value, f.name))]
    return []


def _encode(value: Any) -> Any:
    if isinstance(value, Reward):
        return value.to_config()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_fields(value)
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _encode_fields(obj: Any) -> dict[str, Any]:
    return {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
