"""The policy view outside training: ``rewardlab score/eval --policy MODEL`` loads a model to read the rollouts.

``MODEL`` is what ``rewardlab sample`` loads: a model folder (a run's ``final/`` included), a hub id, or ``smollm2``.
Each prompt is read as it was sampled: through the tokenizer's chat template as one user message when the row's
``chat`` column says so (``rewardlab sample`` records it) or, without that column, when the tokenizer has a chat
template; else as raw text. Completions are re-tokenized from their text, and the view is the model's distribution
at temperature 1.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from rewardlab.policy.view import CLI_HINT, PolicyView
from rewardlab.registry import ConfigError
from rewardlab.types import RolloutBatch


def check_policy_given(rewards: Iterable[Any], policy: str | None) -> None:
    """Refuse, before any rollout is read, a reward that reads the policy when no ``--policy`` is given."""
    from rewardlab.rewards.base import policy_readers

    if policy:
        return
    for reward in rewards:
        readers = policy_readers(reward)
        if readers:
            raise ConfigError(f"reward {readers[0]!r} reads the policy's own probabilities; {CLI_HINT}")


class LoadedPolicy:
    """A model and tokenizer loaded once, giving the policy view of any batch of rollouts."""

    def __init__(self, spec: str) -> None:
        from rewardlab.sampling.backends.local import load_model

        self.spec = spec
        self.model, self.tokenizer = load_model(spec)

    def _prompt_ids(self, prompt: str, chat: Any) -> list[int]:
        templated = bool(getattr(self.tokenizer, "chat_template", None))
        if (templated if chat is None else bool(chat)) and templated:
            text = self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                      add_generation_prompt=True)
            return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        return list(self.tokenizer(prompt)["input_ids"])

    def with_view(self, batch: RolloutBatch) -> RolloutBatch:
        """``batch`` carrying this model's view of its completions."""
        from rewardlab.policy.compute import ModelPolicySource

        chats = batch.columns.get("chat", (None,) * len(batch))
        prompts = [self._prompt_ids(p, c) for p, c in zip(batch.prompts, chats, strict=True)]
        completions = [list(self.tokenizer(c, add_special_tokens=False)["input_ids"]) for c in batch.completions]
        source = ModelPolicySource(self.model, self.tokenizer, prompts, completions)
        return dataclasses.replace(batch, policy=PolicyView(source, tuple(range(len(batch)))))
