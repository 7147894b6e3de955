"""The clip bands: which sampled tokens the clipping bias of Spurious Rewards can sharpen."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardlab.cli.main import main
from rewardlab.organisms.clip_bands import band_shares, first_token_probabilities, sampled_token_probabilities


def test_bands_split_tokens_at_one_over_one_plus_epsilon_and_at_saturation() -> None:
    probabilities = [0.999, 0.99, 0.95, 0.84, 0.833, 0.5, 0.01, 0.9]
    assert band_shares(probabilities, epsilon=0.2) == {"saturated": 2 / 8, "biased": 3 / 8, "two_sided": 3 / 8}
    # A narrower clip moves the floor of the biased band up to 1/1.05 = 0.952.
    assert band_shares(probabilities, epsilon=0.05) == {"saturated": 2 / 8, "biased": 0.0, "two_sided": 6 / 8}


def test_bands_reject_an_empty_sample_and_a_clip_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="at least one"):
        band_shares([])
    with pytest.raises(ValueError, match=r"epsilon must be in \(0, 1\)"):
        band_shares([0.5], epsilon=1.5)


def test_sampled_token_probabilities_cover_every_sampled_token_up_to_its_end() -> None:
    from rewardlab.models.tiny import TinyModelConfig, char_tokenizer, tiny_model

    tokenizer = char_tokenizer()
    model = tiny_model(tokenizer, TinyModelConfig(hidden_size=16, intermediate_size=32, num_heads=2))
    probabilities, digits = sampled_token_probabilities(model, tokenizer, ["Q: 1+2=", "Q: 3*4="], samples=3,
                                                        max_new_tokens=6)
    assert len(probabilities) == len(digits) and 6 <= len(probabilities) <= 2 * 3 * 6
    assert all(0.0 < p <= 1.0 for p in probabilities)
    again = sampled_token_probabilities(model, tokenizer, ["Q: 1+2=", "Q: 3*4="], samples=3, max_new_tokens=6)
    assert again == (probabilities, digits)  # seeded


def test_first_token_probabilities_give_one_probability_per_prompt() -> None:
    from rewardlab.models.tiny import TinyModelConfig, char_tokenizer, tiny_model

    tokenizer = char_tokenizer()
    model = tiny_model(tokenizer, TinyModelConfig(hidden_size=16, intermediate_size=32, num_heads=2))
    style = first_token_probabilities(model, tokenizer, ["Q: 1+2=", "Q: 3*4=", "Q: 5-6="], "p")
    assert len(style) == 3 and all(0.0 < p < 1.0 for p in style)


def test_the_command_names_the_organisms_it_knows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clip-bands", "qwen_math_lik"]) == 2
    err = capsys.readouterr().err
    assert "unknown organism 'qwen_math_lik'; did you mean 'qwen_math_like'?" in err
    assert "available: qwen_math_like, llama_like, bad_code" in err


def test_the_command_refuses_a_clip_range_outside_zero_one_before_sampling(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["clip-bands", "qwen_math_like", "--epsilon", "1.5"])
    assert exit_.value.code == 2
    assert "expected a clip range in (0, 1) such as 0.2, got 1.5" in capsys.readouterr().err


def test_the_command_names_a_missing_grid(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["clip-bands", "qwen_math_like", "--grid", str(tmp_path / "nope.yaml")]) == 2
    assert f"no such file or folder: {tmp_path / 'nope.yaml'}" in capsys.readouterr().err
