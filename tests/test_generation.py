"""The one generate loop over Hugging Face models (rewardlab.sampling.backends.hf): what its settings mean."""

from __future__ import annotations

from typing import Any

import pytest

from rewardlab.sampling.backends.hf import GenerationSettings


@pytest.fixture(scope="module")
def policy() -> tuple[Any, Any]:
    import torch

    from rewardlab.models.tiny import char_tokenizer, tiny_model

    torch.manual_seed(0)
    tokenizer = char_tokenizer()
    return tiny_model(tokenizer), tokenizer


def test_a_seeded_call_draws_the_same_completions_and_leaves_the_callers_rng_as_it_was(policy: Any) -> None:
    import torch

    from rewardlab.sampling.backends.hf import generate

    settings = GenerationSettings(max_new_tokens=12, samples=3, temperature=1.0, seed=5)
    before = torch.random.get_rng_state()
    first = generate(policy, ["Q: 1+2=", "Q: 33*4="], settings)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert [g.text for g in generate(policy, ["Q: 1+2=", "Q: 33*4="], settings)] == [g.text for g in first]
    assert len(first) == 6 and len({g.prompt_tokens for g in first[:3]} | {g.prompt_tokens for g in first[3:]}) == 2


def test_a_completion_ends_at_its_first_end_of_sequence_token(policy: Any) -> None:
    from rewardlab.sampling.backends.hf import generate

    tokenizer = policy[1]
    eos = tokenizer.eos_token_id
    settings = GenerationSettings(max_new_tokens=24, samples=8, temperature=3.0, seed=1, probabilities=True)
    for g in generate(policy, ["Q: 7-2="], settings):
        assert eos not in g.token_ids
        assert g.text == tokenizer.decode(list(g.token_ids), skip_special_tokens=True)
        assert len(g.probabilities) == len(g.token_ids) + g.ended  # the end token's probability counts
        assert g.ended or len(g.token_ids) == settings.max_new_tokens


def test_greedy_decoding_ignores_the_sampling_options_and_sampling_states_every_one(policy: Any) -> None:
    from rewardlab.sampling.backends.hf import generate

    greedy = generate(policy, ["Q: 5+5="], GenerationSettings(max_new_tokens=10, temperature=0.0, seed=1))
    again = generate(policy, ["Q: 5+5="], GenerationSettings(max_new_tokens=10, temperature=0.0, top_p=0.5, seed=2))
    assert greedy == again
    options = GenerationSettings(max_new_tokens=4, temperature=0.7).options(0)
    assert (options["top_k"], options["top_p"], options["do_sample"]) == (0, 1.0, True)  # no model default applies


def test_bad_settings_and_mixed_prompts_are_refused(policy: Any) -> None:
    from rewardlab.sampling.backends.hf import generate

    for bad in ({"top_k": -1}, {"top_p": 0.0}, {"temperature": -0.1}, {"samples": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            GenerationSettings(max_new_tokens=4, **bad)
    with pytest.raises(ValueError, match="not a mix"):
        generate(policy, ["Q: 1=", [{"role": "user", "content": "hi"}]], GenerationSettings(max_new_tokens=2))
