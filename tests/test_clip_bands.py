"""The clip bands: which sampled tokens the clipping bias of Spurious Rewards can sharpen."""

from __future__ import annotations

import json
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


def test_band_records_give_each_clip_range_the_bands_of_all_tokens_and_of_digits_and_the_style_token() -> None:
    from rewardlab.organisms.clip_bands import band_records, bands_markdown

    probabilities = [0.999, 0.9, 0.5, 0.96, 0.2]
    digits = [False, True, True, True, False]
    wide, narrow = band_records(probabilities, digits, style=[0.6, 0.85, 0.97], epsilons=(0.2, 0.05))
    assert wide["all_tokens"] == 5 and wide["digits_tokens"] == 3
    assert (wide["all_saturated"], wide["all_biased"], wide["all_two_sided"]) == (1 / 5, 2 / 5, 2 / 5)
    assert (wide["digits_biased"], narrow["digits_biased"]) == (2 / 3, 1 / 3)  # 0.9 falls below 1/1.05
    assert wide["style_in_band"] == 2 / 3 and narrow["style_in_band"] == 1 / 3 and wide["style_max"] == 0.97
    table = bands_markdown([{**wide, "organism": "o"}, {**narrow, "organism": "o"}])
    assert "| o | 0.05 | digits of the arithmetic | 3 | 0.000 | 0.333 | 0.667 |" in table
    assert "| o | 0.2 | 0.833 | 3 | 0.807 | 0.970 | 0.667 |" in table


def test_the_command_writes_a_record_per_organism_and_clip_range_with_the_organisms_key(tmp_path: Path) -> None:
    from rewardlab.bench.config import load_bench_config

    out = tmp_path / "bands.jsonl"
    assert main(["clip-bands", "qwen_math_like", "llama_like", "--epsilon", "0.2", "--epsilon", "0.05", "-n", "3",
                 "--samples", "2", "--json", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["organism"], r["epsilon"]) for r in records] == [("qwen_math_like", 0.2), ("qwen_math_like", 0.05),
                                                                ("llama_like", 0.2), ("llama_like", 0.05)]
    grid = load_bench_config(None)
    assert all(r["organism_key"] == grid.organism(r["organism"]).key() and r["grid"] is None for r in records)
    assert all(r["style_prompts"] == 3 and r["all_tokens"] > r["digits_tokens"] > 0 for r in records)
