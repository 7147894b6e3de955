"""The policy view against a hand computation: logits of a full forward pass → log-softmax → each figure."""

from __future__ import annotations

import math

import pytest

from rewardlab import RolloutBatch, build_reward
from rewardlab.policy import PolicyRequired, PolicyView

torch = pytest.importorskip("torch")


def _peaked_model():
    """A seeded tiny Llama whose output layer is scaled up, so its next-token distributions are far from uniform."""
    from rewardlab.models.tiny import char_tokenizer, tiny_model

    tokenizer = char_tokenizer()
    model = tiny_model(tokenizer).eval()
    with torch.no_grad():
        model.get_output_embeddings().weight.mul_(3.0)
    return model, tokenizer


def _hand(model, prefix: list[int], target: list[int], temperature: float) -> list[tuple[float, float, float]]:
    """(log p(token), entropy, KL(U || p)) of each target token, from the full logits of one forward pass."""
    with torch.no_grad():
        logits = model(torch.tensor([prefix + target])).logits[0].double() / temperature
    out = []
    for j, token in enumerate(target):
        logp = torch.log_softmax(logits[len(prefix) - 1 + j], dim=-1)
        vocab = logp.shape[0]
        entropy = -(logp.exp() * logp).sum().item()
        kl_uniform = (torch.full_like(logp, 1.0 / vocab) * (math.log(1.0 / vocab) - logp)).sum().item()
        out.append((logp[token].item(), entropy, kl_uniform))
    return out


def _ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


SAMPLES = [("q: 1+2=", "3 so \\boxed{3}"), ("q: 10+25=", "35"), ("q: 7=", "the answer is 7 and then more text")]


@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_token_statistics_equal_a_hand_computation_from_full_logits(temperature: float) -> None:
    from rewardlab.policy.compute import ModelPolicySource

    model, tokenizer = _peaked_model()
    prompts = [_ids(tokenizer, p) for p, _ in SAMPLES]
    completions = [_ids(tokenizer, c) for _, c in SAMPLES]
    # batches of two (padding) and three positions per chunk (chunking) exercise both paths
    source = ModelPolicySource(model, tokenizer, prompts, completions, temperature=temperature, batch_size=2,
                               chunk_tokens=3)
    stats = source.token_stats()
    assert source.token_stats() is stats  # computed once
    entropies = []
    for s, prefix, target in zip(stats, prompts, completions, strict=True):
        hand = _hand(model, prefix, target, temperature)
        assert len(s) == len(target)
        for i, (logprob, entropy, certainty) in enumerate(hand):
            assert s.logprobs[i] == pytest.approx(logprob, abs=1e-5)
            assert s.entropies[i] == pytest.approx(entropy, abs=1e-5)
            assert s.self_certainty[i] == pytest.approx(certainty, abs=1e-5)
            entropies.append(entropy)
    assert max(entropies) - min(entropies) > 0.5  # the distributions differ: the comparison is not vacuous


def test_a_continuation_is_scored_after_the_prompt_and_the_given_text() -> None:
    from rewardlab.policy.compute import ModelPolicySource

    model, tokenizer = _peaked_model()
    prompts = [_ids(tokenizer, p) for p, _ in SAMPLES]
    completions = [_ids(tokenizer, c) for _, c in SAMPLES]
    source = ModelPolicySource(model, tokenizer, prompts, completions)
    view = PolicyView(source, (2, 0))  # a view whose sample 0 is the source's sample 2
    found = view.continuation([(0, "so \\boxed{", "12"), (1, "", "3")])
    for got, (sample, text, cont) in zip(found, [(2, "so \\boxed{", "12"), (0, "", "3")], strict=True):
        hand = _hand(model, prompts[sample] + _ids(tokenizer, text), _ids(tokenizer, cont), 1.0)
        assert got == pytest.approx([h[0] for h in hand], abs=1e-5)


def test_token_index_maps_a_character_onto_the_token_that_covers_it() -> None:
    from rewardlab.policy.compute import ModelPolicySource

    model, tokenizer = _peaked_model()
    # the character tokenizer writes one token per character, so character c is token c
    source = ModelPolicySource(model, tokenizer, [_ids(tokenizer, "q:")], [_ids(tokenizer, "ab{cd}")])
    assert [source.token_index(0, c) for c in range(6)] == list(range(6))
    assert source.token_index(0, 6) == 6


def test_a_selected_batch_keeps_each_sample_s_own_view() -> None:
    from rewardlab.policy.view import TokenStats

    class Fixed:
        def token_stats(self):
            return [TokenStats((float(i),), (0.0,), (0.0,)) for i in range(4)]

    batch = RolloutBatch(prompts=("p",) * 4, completions=("a", "b", "c", "d"),
                         policy=PolicyView(Fixed(), (0, 1, 2, 3)))
    picked = batch.select([3, 1])
    assert [s.logprobs for s in picked.policy.stats()] == [(3.0,), (1.0,)]
    with pytest.raises(ValueError, match="policy view"):
        RolloutBatch(prompts=("p",), completions=("a",), policy=PolicyView(Fixed(), (0, 1)))


@pytest.mark.parametrize("name", ["self_certainty", "entropy", "reference_probability"])
def test_a_policy_reward_called_as_a_trl_reward_function_says_it_needs_rewardlab_s_trainer(name: str) -> None:
    reward = build_reward(name)
    with pytest.raises(PolicyRequired, match=rf"reward '{name}' reads the policy.*rewardlab's GRPOTrainer"):
        reward(prompts=["1+1?"], completions=["2"], answer=["2"])
    nested = build_reward({"type": "weighted_sum", "terms": [{"reward": "format"}, {"reward": name}]})
    with pytest.raises(PolicyRequired, match=r"stock trl\.GRPOTrainer"):
        nested(prompts=["1+1?"], completions=["2"], answer=["2"])


def test_a_policy_reward_scored_without_a_view_names_the_policy_flag() -> None:
    batch = RolloutBatch(prompts=("1+1?",), completions=("2",), answers=("2",))
    with pytest.raises(PolicyRequired, match=r"pass --policy MODEL"):
        build_reward("self_certainty").score(batch)


def test_the_output_layer_sees_at_most_a_chunk_of_positions_and_no_gradient() -> None:
    from rewardlab.policy.compute import ModelPolicySource

    model, tokenizer = _peaked_model()
    seen: list[tuple[int, bool]] = []
    model.get_output_embeddings().register_forward_hook(
        lambda module, inputs, output: seen.append((inputs[0].shape[0], torch.is_grad_enabled())))
    prompts = [_ids(tokenizer, p) for p, _ in SAMPLES]
    completions = [_ids(tokenizer, c) for _, c in SAMPLES]
    ModelPolicySource(model, tokenizer, prompts, completions, batch_size=3, chunk_tokens=4).token_stats()
    assert seen and max(rows for rows, _ in seen) <= 4  # never a sequence × vocabulary tensor
    assert sum(rows for rows, _ in seen) == sum(len(c) for c in completions)  # only completion positions
    assert not any(grad for _, grad in seen)
