"""The pass@k comparison of two advantage transforms: figures k by k, differences seed by seed, the crossing."""

from __future__ import annotations

import pytest

from rewardlab.bench.report import passk_comparison


def _row(advantage: str, seed: int, figures: dict[int, float]) -> dict:
    return {"advantage": advantage, "seed": seed, **{f"pass@{k}_after": v for k, v in figures.items()},
            **{f"pass@{k}_before": 0.0 for k in figures}}


def test_the_difference_is_taken_seed_by_seed_and_the_sign_change_is_named() -> None:
    rows = [_row("nsr", 0, {1: 0.30, 4: 0.60, 16: 0.90}), _row("psr", 0, {1: 0.40, 4: 0.62, 16: 0.80}),
            _row("nsr", 1, {1: 0.32, 4: 0.62, 16: 0.92}), _row("psr", 1, {1: 0.42, 4: 0.60, 16: 0.84}),
            _row("nsr", 2, {1: 0.9, 4: 0.9, 16: 0.9}),  # psr lacks seed 2: left out of every column
            _row("group_norm", 0, {1: 0.99, 4: 0.99, 16: 0.99})]
    text = passk_comparison(rows, "nsr", "psr")
    lines = text.splitlines()
    assert lines[0] == "| k | nsr | psr | nsr − psr | seeds |"
    assert lines[2] == "| 1 | 0.310 ± 0.014 | 0.410 ± 0.014 | -0.100 ± 0.000 | 2 |"
    assert lines[3] == "| 4 | 0.610 ± 0.014 | 0.610 ± 0.014 | 0.000 ± 0.028 | 2 |"
    assert lines[4] == "| 16 | 0.910 ± 0.014 | 0.820 ± 0.028 | 0.090 ± 0.014 | 2 |"
    assert lines[-1] == ("The mean difference changes sign between k = 4 and k = 16 (nsr ahead from k = 16). "
                         "The mean difference exceeds its standard deviation over seeds at k = 1, 16.")


def test_without_a_sign_change_it_says_who_leads_at_every_k() -> None:
    rows = [_row("nsr", 0, {1: 0.2, 8: 0.5}), _row("psr", 0, {1: 0.3, 8: 0.6})]
    assert passk_comparison(rows, "nsr", "psr").endswith("No crossing: nsr is behind psr at every k.\n")  # 1 seed
    assert "No crossing: psr is ahead of nsr at every k." in passk_comparison(rows, "psr", "nsr")
    level = [_row("nsr", 0, {1: 0.3, 8: 0.5}), _row("psr", 0, {1: 0.3, 8: 0.6})]
    assert "No crossing: nsr is level with or behind psr at every k." in passk_comparison(level, "nsr", "psr")


def test_a_difference_within_seed_noise_is_named_as_such() -> None:
    rows = [_row("nsr", 0, {1: 0.2, 8: 0.5}), _row("psr", 0, {1: 0.1, 8: 0.6}),
            _row("nsr", 1, {1: 0.2, 8: 0.5}), _row("psr", 1, {1: 0.3, 8: 0.4})]
    assert passk_comparison(rows, "nsr", "psr").endswith(
        "The mean difference exceeds its standard deviation over seeds at no k.\n")


def test_two_transforms_that_share_no_seed_are_refused() -> None:
    with pytest.raises(ValueError, match="no seed has rows for both 'nsr' and 'psr'"):
        passk_comparison([_row("nsr", 0, {1: 0.2}), _row("psr", 1, {1: 0.3})], "nsr", "psr")
