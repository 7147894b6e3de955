"""Building rewards from configuration: names, mappings, import paths, and the errors users see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from rewardlab import ConfigError, Registry, RewardResult, RolloutBatch, build_reward, default_registry
from rewardlab.rewards import BinaryCorrectness, FormatReward, RandomReward, Reward, Term, WeightedSum


@dataclass(frozen=True)
class LengthPenalty(Reward):
    """A third-party reward, used by the import-path tests."""

    type_name: ClassVar[str] = "length_penalty"
    per_char: float = 0.01

    def score(self, batch: RolloutBatch) -> RewardResult:
        return RewardResult(tuple(-self.per_char * len(c) for c in batch.completions))


def test_build_by_name_and_by_mapping() -> None:
    assert build_reward("format") == FormatReward()
    assert build_reward({"type": "random", "p": 0.5, "seed": 0}) == RandomReward(p=0.5, seed=0)
    assert build_reward({"type": "random", "p": 1}) == RandomReward(p=1.0)


def test_nested_mapping_builds_nested_rewards() -> None:
    built = build_reward({"type": "weighted_sum", "terms": [{"reward": "binary", "weight": 2},
                                                             {"reward": {"type": "format"}}]})
    assert built == WeightedSum((Term(BinaryCorrectness(), 2.0), Term(FormatReward(), 1.0)))


def test_unknown_reward_name_suggests_and_lists_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown reward 'fromat'; did you mean 'format'\? available: .*binary"):
        build_reward("fromat")


def test_unknown_field_suggests_and_lists_valid_fields() -> None:
    expected = r"random: unknown field 'seeed'; did you mean 'seed'\? valid fields: p, seed"
    with pytest.raises(ConfigError, match=expected):
        build_reward({"type": "random", "seeed": 1})


def test_bad_values_fail_at_build_time_with_the_field_named() -> None:
    with pytest.raises(ConfigError, match=r"random: p is a probability and must lie in \[0, 1\], got 1.5"):
        build_reward({"type": "random", "p": 1.5})
    with pytest.raises(ConfigError, match=r"random.p: expected a number, got str"):
        build_reward({"type": "random", "p": "half"})
    with pytest.raises(ConfigError, match=r"weighted_sum.missing: 'skp' is not allowed; did you mean 'skip'"):
        build_reward({"type": "weighted_sum", "terms": [{"reward": "format"}], "missing": "skp"})
    with pytest.raises(ConfigError, match=r"unknown reward 'binry'; did you mean 'binary'"):
        build_reward({"type": "weighted_sum", "terms": [{"reward": "binry"}]})
    with pytest.raises(ConfigError, match="missing required field"):
        build_reward({"type": "gate", "reward": "format"})
    with pytest.raises(ConfigError, match="has no 'type'"):
        build_reward({"p": 0.5})


def test_third_party_reward_by_import_path() -> None:
    built = build_reward({"type": "tests.test_registry:LengthPenalty", "per_char": 0.5})
    assert built == LengthPenalty(per_char=0.5)
    assert built(prompts=["q"], completions=["abcd"]) == [-2.0]
    with pytest.raises(ConfigError, match="cannot import reward"):
        build_reward("tests.test_registry:Nope")
    with pytest.raises(ConfigError, match="is not a rewardlab Reward subclass"):
        build_reward("tests.test_registry:pytest")


def test_registry_is_immutable_and_extended_by_copy() -> None:
    base = default_registry()
    extended = base.with_rewards(LengthPenalty)
    assert "length_penalty" in extended.names() and "length_penalty" not in base.names()
    assert extended.build({"type": "length_penalty"}) == LengthPenalty()
    with pytest.raises(TypeError):
        base.entries["x"] = LengthPenalty  # type: ignore[index]


def test_duplicate_names_are_refused() -> None:
    @dataclass(frozen=True)
    class Impostor(FormatReward):
        pass

    with pytest.raises(ConfigError, match="two rewards are named 'format'"):
        Registry.of(FormatReward, Impostor)
