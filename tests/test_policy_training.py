"""In training, a policy reward reads the policy being trained: rewardlab's trainer provides the view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from rewardlab import RewardResult, RolloutBatch, build_reward
from rewardlab.rewards.policy import PolicyReward
from tests.test_policy_view import _hand
from tests.test_trainer import _trainer

torch = pytest.importorskip("torch")

SEEN: list[RolloutBatch] = []


@dataclass(frozen=True)
class RecordsView(PolicyReward):
    """Keeps every batch it scores, with its policy view, and scores each sample by its mean log-probability."""

    type_name: ClassVar[str] = "records_view"

    def score(self, batch: RolloutBatch) -> RewardResult:
        stats = self.view(batch).stats()
        SEEN.append(batch)
        return RewardResult(tuple(sum(s.logprobs) / max(1, len(s)) for s in stats))


@pytest.mark.slow
def test_the_trainer_hands_a_policy_reward_the_view_of_the_policy_before_its_update(tmp_path) -> None:
    SEEN.clear()
    from rewardlab.models.tiny import char_tokenizer, tiny_model

    trainer = _trainer(tmp_path, RecordsView(), max_steps=1)
    # The trainer's model starts as this seeded one; TRL patches its forward (a fused LM head bound to that very
    # model), so a deep copy would still run the trained weights: the hand computation reads a fresh twin.
    before = tiny_model(char_tokenizer()).eval()
    trainer.train()
    assert len(SEEN) == 1
    batch = SEEN[0]
    source = batch.policy.source
    assert len(batch) == len(source.completion_ids) == 8
    assert batch.column("completion_tokens") == tuple(len(ids) for ids in source.completion_ids)
    for stats, prompt, completion, text in zip(batch.policy.stats(), source.prompt_ids, source.completion_ids,
                                               batch.completions, strict=True):
        assert trainer.processing_class.decode(completion, skip_special_tokens=True) == text
        hand = _hand(before, prompt, completion, trainer.temperature)
        assert stats.logprobs == pytest.approx([h[0] for h in hand], abs=1e-5)
        assert stats.entropies == pytest.approx([h[1] for h in hand], abs=1e-5)
        assert stats.self_certainty == pytest.approx([h[2] for h in hand], abs=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("reward", ["self_certainty", {"type": "entropy"},
                                    {"type": "reference_probability", "answer_prefix": "=", "debias": True}])
def test_a_policy_reward_trains_the_tiny_model(tmp_path, reward) -> None:
    trainer = _trainer(tmp_path, build_reward(reward), max_steps=2)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    assert any(not torch.equal(before[n], p) for n, p in trainer.model.named_parameters())
    rewards = [e["reward"] for e in trainer.state.log_history if "reward" in e]
    assert rewards and all(r == r for r in rewards)  # scored (not NaN: every sample had a signal)
