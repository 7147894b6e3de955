"""What a reward that reads the policy receives: per completion, the policy's view of each sampled token.

For completion ``o`` of prompt ``q`` and each of its tokens ``o_i``, with ``p = p_θ(· | q, o_<i)`` over the
vocabulary ``V`` (logits divided by the sampling temperature, as TRL computes its log-probabilities):

- ``logprobs[i] = log p(o_i)``, the sampled token's log-probability;
- ``entropies[i] = H(p) = −Σ_j p_j log p_j``;
- ``self_certainty[i] = KL(U ‖ p) = −log|V| − (1/|V|) Σ_j log p_j`` (Intuitor's self-certainty; its code computes
  ``logsumexp(z) − mean(z)``, the same figure plus the constant ``log|V|``).

A reward may also ask for the log-probabilities of *another* continuation written after a text of its choice
(RLPR and VeriFree: the reference answer after the completion's own reasoning): :meth:`PolicyView.continuation`.

The view is lazy: a source computes the token statistics of its whole batch on first use (one forward pass,
cached) and continuations when asked, so a reward that reads only continuations costs no statistics pass.
This module is plain data and a protocol; :mod:`rewardlab.policy.compute` is the torch side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

TRAINER_HINT = ("train with rewardlab's GRPOTrainer (rewardlab.training.GRPOTrainer, which `rewardlab train` uses); "
                "stock trl.GRPOTrainer passes reward functions text only")
CLI_HINT = "pass --policy MODEL (a model folder, smollm2, or a run's final/)"
POLICY_HELP = ("the model whose probabilities the rewards that read the policy (self_certainty, entropy, "
               "reference_probability) read: a model folder (a run's final/), a hub id, or smollm2")


class PolicyRequired(RuntimeError):
    """A reward that reads the policy was scored without the policy's view."""


@dataclass(frozen=True)
class TokenStats:
    """The policy's view of one completion's tokens (see the module docstring)."""

    logprobs: tuple[float, ...]
    entropies: tuple[float, ...]
    self_certainty: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.logprobs)
        if len(self.entropies) != n or len(self.self_certainty) != n:
            raise ValueError(f"TokenStats needs one value per token in each field, got {n} logprobs, "
                             f"{len(self.entropies)} entropies and {len(self.self_certainty)} self-certainties")

    def __len__(self) -> int:
        return len(self.logprobs)


class PolicySource(Protocol):
    """Where a view's figures come from: the policy being trained, or a model loaded for scoring."""

    def token_stats(self) -> Sequence[TokenStats]:
        """The statistics of every completion of the source's batch, in order (computed once, then cached)."""

    def continuations(self, requests: Sequence[tuple[int, str, str]]) -> list[tuple[float, ...]]:
        """For each ``(sample, text, continuation)``: the log-probability of each token of ``continuation`` when
        the policy reads the sample's prompt, then ``text``, then the continuation."""

    def token_index(self, sample: int, char: int) -> int:
        """Index of the first token of the sample's completion whose decoded text reaches past character ``char``
        (the number of tokens when none does)."""


@dataclass(frozen=True)
class PolicyView:
    """The policy's view of a batch's completions, for the samples at ``positions`` of its source's batch."""

    source: Any  # a PolicySource
    positions: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.positions)

    def select(self, positions: Sequence[int]) -> PolicyView:
        """The view of the sub-batch at ``positions`` (as :meth:`RolloutBatch.select`)."""
        return PolicyView(self.source, tuple(self.positions[p] for p in positions))

    def stats(self) -> tuple[TokenStats, ...]:
        """Each sample's :class:`TokenStats`."""
        every = self.source.token_stats()
        return tuple(every[p] for p in self.positions)

    def continuation(self, requests: Sequence[tuple[int, str, str]]) -> list[tuple[float, ...]]:
        """Per ``(sample, text, continuation)``, ``sample`` indexing this view: the continuation's token
        log-probabilities after the prompt and ``text``."""
        return self.source.continuations([(self.positions[i], text, cont) for i, text, cont in requests])

    def token_index(self, sample: int, char: int) -> int:
        """The first token of this view's ``sample`` that reaches past character ``char`` of its completion."""
        return self.source.token_index(self.positions[sample], char)

