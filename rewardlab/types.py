"""The two types every reward speaks: a batch of rollouts in, a result out.

A :class:`RolloutBatch` holds whole prompt groups with explicit group ids, so group-level rewards
(self-consistency, tournaments) and group-level advantages never guess where a group starts.
A :class:`RewardResult` holds one score per sample, where ``None`` means "no signal" (TRL turns it
into NaN and leaves the sample out of that reward), plus named per-sample diagnostics such as
``correct``, ``parsed_answer``, ``confidence`` or ``abstained``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rewardlab.policy.view import PolicyView

Score = float | None

COMPLETION_TOKENS, TRUNCATED = "completion_tokens", "truncated"
"""The per-sample columns of a completion's length in generated tokens and whether it ran out of tokens before
its end-of-sequence token: written by ``rewardlab sample`` and the bench, added by rewardlab's trainer (the length),
read by the length rewards and the measurement."""

# Keyword arguments TRL passes to every reward function that are not dataset columns.
PHASES = ("generation", "scoring", "tracking", "update")
"""The phases a training step's time is split into (:mod:`rewardlab.training.phases`); bench rows carry each one's
share as ``PHASE_share``."""

_TRL_CONTEXT_KEYS = frozenset({"trainer_state", "log_extra", "log_metric", "environments", "completion_ids"})


def completion_text(completion: Any) -> str:
    """The text of one completion: a plain string, or the last message of a conversational one."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return str(completion.get("content") or "")
    if isinstance(completion, Sequence) and completion:
        return completion_text(completion[-1])
    return "" if completion is None else str(completion)


def prompt_key(prompt: Any) -> str:
    """A hashable key for a prompt (conversational prompts are joined message by message)."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, Sequence):
        return "\x1e".join(f"{m.get('role', '')}\x1f{m.get('content', '')}" for m in prompt if isinstance(m, Mapping))
    return str(prompt)


def problem_keys(prompts: Sequence[str], ids: Sequence[Any] | None = None) -> tuple[str, ...]:
    """The problem of each sample: its ``id`` when every sample has one, else its prompt text.

    Two files evaluated on one problem set are paired by these keys.
    """
    if ids is not None and all(i is not None for i in ids):
        return tuple(f"id:{i}" for i in ids)
    return tuple(prompts)


def groups_from_prompts(prompts: Sequence[Any]) -> tuple[int, ...]:
    """Group ids for a batch whose groups are runs of identical, adjacent prompts (TRL's layout)."""
    ids: list[int] = []
    previous: str | None = None
    for prompt in prompts:
        key = prompt_key(prompt)
        ids.append(0 if not ids else ids[-1] + (key != previous))
        previous = key
    return tuple(ids)


@dataclass(frozen=True)
class RolloutBatch:
    """A batch of scored-to-be rollouts.

    Attributes:
        prompts: prompt texts, one per sample (a group's prompt repeated for each of its samples).
        completions: completion texts, one per sample.
        group_ids: explicit group of each sample; samples of one prompt share an id.
        answers: reference answer per sample (``None`` where there is none).
        step: training step the batch was generated at (0 outside training).
        indices: global index of each sample within the step, shared by all processes; rewards that
            draw randomness use it so that every process agrees.
        columns: every other dataset column, one value per sample.
        policy: the policy's view of each completion (:mod:`rewardlab.policy`), for rewards that read the
            policy; ``None`` where no policy is at hand (stock TRL, ``rewardlab score`` without ``--policy``).
    """

    prompts: tuple[str, ...]
    completions: tuple[str, ...]
    group_ids: tuple[int, ...] = ()
    answers: tuple[str | None, ...] = ()
    step: int = 0
    indices: tuple[int, ...] = ()
    columns: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    policy: PolicyView | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        n = len(self.completions)
        fill = {"group_ids": tuple(range(n)), "answers": (None,) * n, "indices": tuple(range(n))}
        for name, default in fill.items():
            if not getattr(self, name):
                object.__setattr__(self, name, default)
        object.__setattr__(self, "prompts", tuple(self.prompts))
        object.__setattr__(self, "completions", tuple(self.completions))
        object.__setattr__(self, "columns", {k: tuple(v) for k, v in self.columns.items()})
        lengths = {"prompts": len(self.prompts), "group_ids": len(self.group_ids), "answers": len(self.answers),
                   "indices": len(self.indices), **{f"column {k!r}": len(v) for k, v in self.columns.items()},
                   **({"policy view": len(self.policy)} if self.policy is not None else {})}
        wrong = {k: v for k, v in lengths.items() if v != n}
        if wrong:
            raise ValueError(f"RolloutBatch holds {n} completions but {wrong}; every field needs one value per sample")

    def __len__(self) -> int:
        return len(self.completions)

    def column(self, name: str) -> tuple[Any, ...]:
        """A dataset column by name (``answer`` is the reference answers)."""
        if name == "answer":
            return self.answers
        if name not in self.columns:
            raise KeyError(f"column {name!r} is not in the batch; columns present: {sorted(self.columns)}")
        return self.columns[name]

    def groups(self) -> dict[int, list[int]]:
        """Sample positions of each group, in order of first appearance."""
        out: dict[int, list[int]] = {}
        for i, g in enumerate(self.group_ids):
            out.setdefault(g, []).append(i)
        return out

    def select(self, positions: Sequence[int]) -> RolloutBatch:
        """The sub-batch at ``positions`` (indices and group ids are kept, not renumbered)."""
        pick = lambda seq: tuple(seq[i] for i in positions)  # noqa: E731
        return RolloutBatch(
            prompts=pick(self.prompts), completions=pick(self.completions), group_ids=pick(self.group_ids),
            answers=pick(self.answers), step=self.step, indices=pick(self.indices),
            columns={k: pick(v) for k, v in self.columns.items()},
            policy=None if self.policy is None else self.policy.select(positions),
        )

    @classmethod
    def from_trl(cls, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> RolloutBatch:
        """Build a batch from the keyword arguments TRL passes to a reward function.

        Groups are taken from a ``group_id`` column when present, else from runs of identical
        adjacent prompts (TRL keeps a prompt's generations adjacent). The step comes from
        ``trainer_state.global_step`` and global sample indices from an ``sample_index`` column
        when the trainer provides one.
        """
        state = kwargs.get("trainer_state")
        columns = {k: tuple(v) for k, v in kwargs.items() if k not in _TRL_CONTEXT_KEYS}
        answers = columns.pop("answer", ())
        group_ids = columns.pop("group_id", None) or groups_from_prompts(prompts)
        indices = columns.pop("sample_index", ())
        return cls(
            prompts=tuple(prompt_key(p) for p in prompts),
            completions=tuple(completion_text(c) for c in completions),
            group_ids=tuple(int(g) for g in group_ids) if not isinstance(group_ids[0], str) else _intern(group_ids),
            answers=tuple(None if a is None else str(a) for a in answers),
            step=int(getattr(state, "global_step", 0) or 0),
            indices=tuple(int(i) for i in indices),
            columns=columns,
        )


def _intern(labels: Sequence[str]) -> tuple[int, ...]:
    table: dict[str, int] = {}
    return tuple(table.setdefault(x, len(table)) for x in labels)


@dataclass(frozen=True)
class RewardResult:
    """Per-sample scores (``None`` = no signal) and named per-sample diagnostics."""

    scores: tuple[Score, ...]
    diagnostics: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        scores = tuple(None if s is None or (isinstance(s, float) and math.isnan(s)) else float(s)
                       for s in self.scores)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "diagnostics", {k: tuple(v) for k, v in self.diagnostics.items()})
        bad = {k: len(v) for k, v in self.diagnostics.items() if len(v) != len(scores)}
        if bad:
            raise ValueError(f"RewardResult has {len(scores)} scores but diagnostics of lengths {bad}")

    def __len__(self) -> int:
        return len(self.scores)

    def find(self, key: str) -> tuple[Any, ...] | None:
        """The diagnostic ``key``: at the top level, else the one nested diagnostic named ``.../key``.

        Combinators keep their terms' diagnostics under ``<term>/<key>`` (``brier/confidence`` in a
        weighted sum), so evaluators find a confidence or an abstention flag wherever it sits.
        ``None`` when there is none, or when several terms carry one (which to use is then ambiguous).
        """
        if key in self.diagnostics:
            return self.diagnostics[key]
        nested = [v for k, v in self.diagnostics.items() if k.endswith(f"/{key}")]
        return nested[0] if len(nested) == 1 else None


def gold_correct(result: RewardResult) -> tuple[bool | None, ...]:
    """Per-sample correctness from a gold reward's result: the one place "gold correct" is derived.

    A verifying reward states it in its ``correct`` diagnostic (``None`` = no signal: the label is
    missing or does not parse); any other reward counts as correct where it scores above 0.5.
    """
    correct = result.find("correct")
    if correct is not None:
        return tuple(None if c is None else bool(c) for c in correct)
    return tuple(None if s is None else s > 0.5 for s in result.scores)
