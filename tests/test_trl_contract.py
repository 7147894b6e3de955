"""rewardlab rewards work as they stand in the ``reward_funcs`` of stock ``trl.GRPOTrainer``."""

from __future__ import annotations

import pytest

from rewardlab import build_reward


@pytest.mark.slow
# Stock TRL 1.16 reads transformers' deprecated `is_gradient_checkpointing` around every generation (rewardlab's
# own trainer hides that notice where TRL raises it; this test runs TRL's trainer as it stands).
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
def test_stock_trl_grpo_trainer_trains_with_rewardlab_rewards(tmp_path) -> None:
    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from rewardlab.models.tiny import char_tokenizer, tiny_model

    tokenizer = char_tokenizer()
    model = tiny_model(tokenizer)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    data = Dataset.from_dict({"prompt": [f"q: {a}+{b}=" for a in range(4) for b in range(4)],
                              "answer": [str(a + b) for a in range(4) for b in range(4)]})
    rewards = [build_reward({"type": "binary", "workers": 1}), build_reward({"type": "random", "seed": 0}),
               build_reward({"type": "weighted_sum", "terms": [{"reward": "format", "weight": 0.5},
                                                                {"reward": "contains_python"}]})]
    config = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=8, num_generations=4,
                        max_completion_length=8, max_steps=2, learning_rate=1e-2, use_cpu=True, bf16=False,
                        activation_checkpointing=False, logging_steps=1, report_to=[], save_strategy="no",
                        temperature=1.0, seed=0)
    trainer = GRPOTrainer(model=model, reward_funcs=rewards, args=config, train_dataset=data,
                          processing_class=tokenizer)
    try:
        trainer.train()
    finally:
        for reward in rewards:
            reward.close()
    logged = {k for entry in trainer.state.log_history for k in entry}
    assert {"rewards/binary/mean", "rewards/random/mean", "rewards/weighted_sum/mean"} <= logged
    changed = any(not torch.equal(before[n], p) for n, p in model.named_parameters())
    assert changed, "no parameter changed after two GRPO steps"
