"""The policy view in training: the policy being trained, read on the batch it just generated.

rewardlab's trainer keeps the prompt token ids TRL's ``_generate`` returns and, when the reward reads the policy,
hands the reward a lazy :class:`~rewardlab.policy.view.PolicyView` over this process's slice: the token statistics
cost one extra forward pass without gradient (chunked, see :mod:`rewardlab.policy.compute`), at the trainer's
sampling temperature, and only when a reward reads them; continuations (``reference_probability``) cost a forward
pass over the rewritten sequences instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardlab.policy.compute import ModelPolicySource
from rewardlab.policy.view import PolicyView


def training_view(trainer: Any, prompt_ids: Sequence[Sequence[int]],
                  completion_ids: Sequence[Sequence[int]]) -> PolicyView:
    """The view of ``trainer``'s current policy on this process's prompts and completions (token ids)."""
    if len(prompt_ids) != len(completion_ids):
        raise RuntimeError(f"the trainer kept {len(prompt_ids)} prompts' token ids for {len(completion_ids)} "
                           "completions: TRL's _generate no longer returns the prompt ids of the batch it scores")
    model = trainer.accelerator.unwrap_model(trainer.model)
    tokenizer = getattr(trainer, "_tokenizer", None) or trainer.processing_class
    batch_size = trainer.args.per_device_train_batch_size if trainer.model.training else \
        trainer.args.per_device_eval_batch_size
    source = ModelPolicySource(model, tokenizer, prompt_ids, completion_ids, temperature=trainer.temperature,
                               batch_size=batch_size)
    return PolicyView(source, tuple(range(len(completion_ids))))
