"""Advantage transforms: the contract every registered one keeps, each formula by hand, and config errors."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import ClassVar

import pytest
import torch

from rewardlab import ConfigError
from rewardlab.advantages import (
    NSR,
    PSR,
    RLOO,
    AdvantageTransform,
    BatchScale,
    Chain,
    Clip,
    DrGRPO,
    GroupNorm,
    Scale,
    SignWeights,
    WReinforce,
    build_advantage,
    compute_advantages,
    default_advantage_registry,
    group_stats,
)

NAN = float("nan")

# One configured example per registered transform; a new transform must add one here.
EXAMPLES: dict[str, object] = {
    "group_norm": "group_norm",
    "dr_grpo": "dr_grpo",
    "rloo": "rloo",
    "batch_scale": {"type": "batch_scale", "std_of": "advantages", "eps": 1e-6},
    "sign_weights": {"type": "sign_weights", "positive": 0.5, "negative": -2, "threshold": 0.3},
    "nsr": "nsr",
    "psr": "psr",
    "w_reinforce": {"type": "w_reinforce", "positive": 0.05},
    "pass_at_k": {"type": "pass_at_k", "k": 2},
    "clip": {"type": "clip", "low": -0.5, "high": 0.75},
    "scale": {"type": "scale", "factor": -3},
    "chain": {"type": "chain", "transforms": [
        "group_norm", {"type": "chain", "transforms": [{"type": "clip", "low": -1, "high": 1}, "batch_scale"]}]},
}


def _batch(n: int = 48, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffled groups of unequal size with non-contiguous, large ids; rewards in {0, 0.25, 1} with some NaN."""
    gen = torch.Generator().manual_seed(seed)
    group_ids = torch.tensor([7, 1000, 3, -5, 42])[torch.randint(0, 5, (n,), generator=gen)]
    rewards = torch.tensor([0.0, 0.25, 1.0])[torch.randint(0, 3, (n,), generator=gen)]
    rewards[torch.rand(n, generator=gen) < 0.15] = NAN
    return rewards, group_ids


def _trl_nanstd(x: torch.Tensor, dim: int) -> torch.Tensor:
    """TRL 1.16's ``trl.trainer.utils.nanstd``: unbiased, NaN where fewer than two values."""
    mean = torch.nanmean(x, dim=dim, keepdim=True)
    variance = torch.nanmean((x - mean) ** 2, dim=dim, keepdim=True)
    count = torch.sum(~torch.isnan(x), dim=dim, keepdim=True)
    correction = torch.where(count > 1, count / (count - 1), torch.full_like(variance, NAN))
    return torch.sqrt(variance * correction).squeeze(dim)


def _trl_advantages(rewards: torch.Tensor, num_generations: int, scale_rewards: str = "group",
                    nanstd=_trl_nanstd) -> torch.Tensor:
    """TRL's ``GRPOTrainer`` advantages (``sum_then_normalize``) for contiguous groups of ``num_generations``."""
    grouped = rewards.view(-1, num_generations)
    mean = torch.nanmean(grouped, dim=1).repeat_interleave(num_generations)
    if scale_rewards == "batch":
        std = nanstd(rewards.unsqueeze(0), dim=1).expand_as(rewards)
    else:
        std = nanstd(grouped, dim=1).repeat_interleave(num_generations)
    advantages = rewards - mean
    if scale_rewards != "none":
        advantages = advantages / (std + 1e-4)
    return torch.nan_to_num(advantages, nan=0.0)


# --- the contract every registered transform keeps -------------------------------------------------------------


def test_every_registered_transform_has_an_example() -> None:
    assert sorted(EXAMPLES) == default_advantage_registry().names()


@pytest.fixture(params=sorted(EXAMPLES))
def transform(request: pytest.FixtureRequest) -> AdvantageTransform:
    return build_advantage(EXAMPLES[request.param])


def test_one_finite_advantage_per_sample_without_touching_the_inputs(transform: AdvantageTransform) -> None:
    rewards, group_ids = _batch()
    before = rewards.clone(), group_ids.clone()
    advantages = compute_advantages(transform, rewards, group_ids)
    assert advantages.shape == rewards.shape and advantages.dtype == rewards.dtype
    assert torch.isfinite(advantages).all()
    torch.testing.assert_close(rewards, before[0], equal_nan=True)
    assert torch.equal(group_ids, before[1])


def test_deterministic(transform: AdvantageTransform) -> None:
    rewards, group_ids = _batch()
    first = compute_advantages(transform, rewards, group_ids)
    assert torch.equal(first, compute_advantages(transform, rewards, group_ids))


def test_config_round_trip_and_pickle_give_an_equal_transform(transform: AdvantageTransform) -> None:
    assert build_advantage(transform.to_config()) == transform
    assert pickle.loads(pickle.dumps(transform)) == transform


def test_permuting_samples_permutes_advantages(transform: AdvantageTransform) -> None:
    rewards, group_ids = _batch()
    perm = torch.randperm(len(rewards), generator=torch.Generator().manual_seed(1))
    expected = compute_advantages(transform, rewards, group_ids)[perm]
    torch.testing.assert_close(compute_advantages(transform, rewards[perm], group_ids[perm]), expected)


def test_renaming_group_ids_changes_nothing(transform: AdvantageTransform) -> None:
    rewards, group_ids = _batch()
    renamed = group_ids * 31 + 1_000_000_007
    torch.testing.assert_close(compute_advantages(transform, rewards, renamed),
                               compute_advantages(transform, rewards, group_ids))


def test_no_signal_samples_get_zero_advantage(transform: AdvantageTransform) -> None:
    rewards, group_ids = _batch()
    assert torch.isnan(rewards).any()
    assert (compute_advantages(transform, rewards, group_ids)[torch.isnan(rewards)] == 0).all()


def test_empty_batch_gives_empty_advantages(transform: AdvantageTransform) -> None:
    assert compute_advantages(transform, torch.empty(0), torch.empty(0, dtype=torch.int64)).shape == (0,)


# --- group_norm (GRPO) and Dr. GRPO -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_group_norm_equals_trl_formula_on_contiguous_groups(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(0)
    rewards = torch.rand(64 * 8, generator=gen).round().to(dtype) + 0.1 * torch.randn(64 * 8, generator=gen).to(dtype)
    rewards[torch.rand(64 * 8, generator=gen) < 0.1] = NAN
    rewards[8:16] = 1.0  # a group with zero spread
    rewards[16:23] = NAN  # a group with a single signal: TRL's std is NaN, both give 0
    group_ids = torch.arange(64).repeat_interleave(8)
    torch.testing.assert_close(compute_advantages(GroupNorm(), rewards, group_ids), _trl_advantages(rewards, 8))


@pytest.mark.slow
def test_group_norm_equals_advantages_computed_with_trls_own_nanstd() -> None:
    nanstd = pytest.importorskip("trl.trainer.utils").nanstd
    rewards, _ = _batch(n=40 * 6)
    group_ids = torch.arange(40).repeat_interleave(6)
    torch.testing.assert_close(compute_advantages(GroupNorm(), rewards, group_ids),
                               _trl_advantages(rewards, 6, nanstd=nanstd))
    group_mean_batch_std = build_advantage({"type": "chain", "transforms": ["dr_grpo", "batch_scale"]})
    torch.testing.assert_close(compute_advantages(group_mean_batch_std, rewards, group_ids),
                               _trl_advantages(rewards, 6, "batch", nanstd=nanstd))


def test_group_norm_handles_non_contiguous_groups_of_different_sizes() -> None:
    rewards, group_ids = _batch()
    advantages = compute_advantages(GroupNorm(), rewards, group_ids)
    for gid in group_ids.unique():
        members = group_ids == gid
        r = rewards[members]
        valid = r[~torch.isnan(r)]
        expected = (r - valid.mean()) / (valid.std() + 1e-4) if len(valid) > 1 else torch.zeros_like(r)
        torch.testing.assert_close(advantages[members], torch.nan_to_num(expected, nan=0.0))


def test_nan_rewards_get_zero_and_do_not_shift_their_groups_mean() -> None:
    rewards = torch.tensor([1.0, 0.0, NAN, 1.0, 0.0, 0.0])
    group_ids = torch.tensor([0, 0, 0, 0, 1, 1])
    advantages = compute_advantages(GroupNorm(), rewards, group_ids)
    assert advantages[2] == 0
    without_nan = compute_advantages(GroupNorm(), rewards[[0, 1, 3, 4, 5]], group_ids[[0, 1, 3, 4, 5]])
    torch.testing.assert_close(advantages[[0, 1, 3, 4, 5]], without_nan)
    torch.testing.assert_close(advantages[:4], torch.tensor([1 / 3, -2 / 3, 0.0, 1 / 3]) / (0.57735027 + 1e-4))


def test_group_stats_ignore_nan_and_use_bessels_correction() -> None:
    stats = group_stats(torch.tensor([1.0, 3.0, NAN, 5.0, 2.0]), torch.tensor([4, 4, 4, 9, 4]))
    torch.testing.assert_close(stats.count, torch.tensor([3.0, 3.0, 3.0, 1.0, 3.0]))
    torch.testing.assert_close(stats.mean, torch.tensor([2.0, 2.0, 2.0, 5.0, 2.0]))
    torch.testing.assert_close(stats.std, torch.tensor([1.0, 1.0, 1.0, 0.0, 1.0]))


def test_dr_grpo_centres_each_group_without_scaling() -> None:
    rewards, group_ids = _batch()
    advantages = compute_advantages(DrGRPO(), rewards, group_ids)
    for gid in group_ids.unique():
        members = (group_ids == gid) & ~torch.isnan(rewards)
        assert abs(advantages[members].sum().item()) < 1e-5
        torch.testing.assert_close(advantages[members], rewards[members] - rewards[members].mean())
    torch.testing.assert_close(advantages, compute_advantages(GroupNorm(scale=False), rewards, group_ids))
    assert DrGRPO().to_config() == {"type": "dr_grpo"}


def test_mean_group_norm_advantage_of_random_bernoulli_rewards_is_zero() -> None:
    gen = torch.Generator().manual_seed(0)
    rewards = torch.bernoulli(torch.full((2000 * 8,), 0.5), generator=gen)
    advantages = compute_advantages(GroupNorm(), rewards, torch.arange(2000).repeat_interleave(8))
    assert abs(advantages.mean().item()) < 0.01
    assert advantages.abs().max() < 8 ** 0.5  # |A| ≤ (G − 1)/sqrt(G) for binary rewards in a group of G


# --- RLOO, batch scaling, element-wise ---------------------------------------------------------------------------


def test_rloo_equals_reward_minus_mean_of_the_others() -> None:
    rewards, group_ids = _batch()
    advantages = compute_advantages(RLOO(), rewards, group_ids)
    for i in range(len(rewards)):
        others = (group_ids == group_ids[i]) & ~torch.isnan(rewards)
        others[i] = False
        if torch.isnan(rewards[i]) or not others.any():
            assert advantages[i] == 0
        else:
            torch.testing.assert_close(advantages[i], rewards[i] - rewards[others].mean())


def test_rloo_gives_zero_to_a_group_of_one() -> None:
    advantages = compute_advantages(RLOO(), torch.tensor([1.0, 1.0, 0.0]), torch.tensor([5, 6, 6]))
    torch.testing.assert_close(advantages, torch.tensor([0.0, 1.0, -1.0]))


def test_batch_scale_divides_by_the_batch_std() -> None:
    rewards = torch.tensor([1.0, 0.0, 0.0, 3.0, NAN])
    group_ids = torch.tensor([0, 0, 1, 1, 1])
    std = rewards[:4].std()
    torch.testing.assert_close(compute_advantages(BatchScale(), rewards, group_ids),
                               torch.tensor([1.0, 0.0, 0.0, 3.0, 0.0]) / (std + 1e-4))
    centred = torch.tensor([0.5, -0.5, -1.5, 1.5, 0.0])
    of_advantages = Chain((DrGRPO(), BatchScale(std_of="advantages")))
    torch.testing.assert_close(compute_advantages(of_advantages, rewards, group_ids),
                               centred / (centred[:4].std() + 1e-4))


def test_group_mean_with_batch_std_equals_trl_scale_rewards_batch() -> None:
    gen = torch.Generator().manual_seed(2)
    rewards = torch.bernoulli(torch.full((16 * 4,), 0.3), generator=gen)
    rewards[torch.rand(16 * 4, generator=gen) < 0.1] = NAN
    group_ids = torch.arange(16).repeat_interleave(4)
    transform = build_advantage({"type": "chain", "transforms": ["dr_grpo", "batch_scale"]})
    torch.testing.assert_close(compute_advantages(transform, rewards, group_ids), _trl_advantages(rewards, 4, "batch"))


def test_clip_and_scale_map_each_advantage() -> None:
    rewards, ids = torch.tensor([-3.0, 0.5, 4.0, NAN]), torch.zeros(4, dtype=torch.int64)
    torch.testing.assert_close(compute_advantages(Clip(-1, 2), rewards, ids), torch.tensor([-1.0, 0.5, 2.0, 0.0]))
    torch.testing.assert_close(compute_advantages(Scale(-2), rewards, ids), torch.tensor([6.0, -1.0, -8.0, 0.0]))


# --- negative / positive sample reinforcement -------------------------------------------------------------------


@pytest.mark.parametrize(("transform", "correct", "wrong"), [(NSR(), 0.0, -1.0), (PSR(), 1.0, 0.0),
                                                            (WReinforce(), 0.1, -1.0)])
def test_sign_recipes_give_fixed_advantages_without_baseline(transform: SignWeights, correct: float,
                                                             wrong: float) -> None:
    rewards = torch.tensor([1.0, 0.0, 1.0, 1.0, NAN, 0.0, 0.5, 0.75])
    group_ids = torch.tensor([0, 0, 1, 1, 1, 2, 2, 2])
    expected = torch.tensor([correct, wrong, correct, correct, 0.0, wrong, wrong, correct])
    assert torch.equal(compute_advantages(transform, rewards, group_ids), expected)


def test_sign_recipes_are_sign_weights_with_other_defaults() -> None:
    assert isinstance(build_advantage("nsr"), SignWeights)
    assert build_advantage({"type": "w_reinforce", "positive": 0.05}) == WReinforce(positive=0.05)
    assert build_advantage("psr").to_config() == {"type": "psr", "positive": 1.0, "negative": 0.0, "threshold": 0.5}
    custom = SignWeights(positive=2.0, negative=-0.5, threshold=0.0)
    assert torch.equal(compute_advantages(custom, torch.tensor([0.1, 0.0, -1.0]), torch.tensor([0, 0, 0])),
                       torch.tensor([2.0, -0.5, -0.5]))


def test_sign_weights_replace_the_incoming_advantages() -> None:
    rewards, group_ids = _batch()
    torch.testing.assert_close(compute_advantages(Chain((GroupNorm(), NSR())), rewards, group_ids),
                               compute_advantages(NSR(), rewards, group_ids))


# --- chain --------------------------------------------------------------------------------------------------------


def test_chain_equals_its_steps_applied_by_hand() -> None:
    rewards, group_ids = _batch()
    steps = (GroupNorm(), Clip(-1.0, 1.0), Scale(0.5))
    by_hand = rewards.clone()
    for step in steps:
        by_hand = step.apply(by_hand, rewards, group_ids)
    expected = torch.nan_to_num(by_hand, nan=0.0)
    torch.testing.assert_close(compute_advantages(Chain(steps), rewards, group_ids), expected)
    nested = Chain((GroupNorm(), Chain((Clip(-1.0, 1.0), Scale(0.5)))))
    torch.testing.assert_close(compute_advantages(nested, rewards, group_ids), expected)


def test_chain_builds_from_names_and_mappings() -> None:
    built = build_advantage({"type": "chain", "transforms": ["group_norm", {"type": "clip", "low": -2, "high": 2}]})
    assert built == Chain((GroupNorm(), Clip(-2.0, 2.0)))
    assert Chain([GroupNorm()]).transforms == (GroupNorm(),)  # a list becomes a tuple: still hashable and frozen


# --- configuration errors ------------------------------------------------------------------------------------------


def test_unknown_transform_name_suggests_and_lists_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown advantage transform 'nrs'; did you mean 'nsr'\? "
                                          r"available: batch_scale, chain, clip, dr_grpo, group_norm, nsr, "
                                          r"pass_at_k, psr"):
        build_advantage("nrs")
    with pytest.raises(ConfigError, match=r"unknown advantage transform 'group_nrom'; did you mean 'group_norm'"):
        build_advantage({"type": "chain", "transforms": ["group_nrom"]})


def test_unknown_field_suggests_and_lists_valid_fields() -> None:
    with pytest.raises(ConfigError, match=r"group_norm: unknown field 'sclae'; did you mean 'scale'\? "
                                          r"valid fields: scale, eps"):
        build_advantage({"type": "group_norm", "sclae": False})
    with pytest.raises(ConfigError, match=r"dr_grpo: unknown field 'scale'; valid fields: \(none\)"):
        build_advantage({"type": "dr_grpo", "scale": True})


def test_bad_values_fail_at_build_time() -> None:
    with pytest.raises(ConfigError, match=r"group_norm: eps must be a finite number > 0"):
        build_advantage({"type": "group_norm", "eps": 0})
    with pytest.raises(ConfigError, match=r"clip: low must be <= high, got low=2.0, high=-2.0"):
        build_advantage({"type": "clip", "low": 2, "high": -2})
    with pytest.raises(ConfigError, match=r"chain: a chain needs at least one transform"):
        build_advantage({"type": "chain", "transforms": []})
    with pytest.raises(ConfigError, match=r"batch_scale.std_of: 'reward' is not allowed; did you mean 'rewards'"):
        build_advantage({"type": "batch_scale", "std_of": "reward"})
    with pytest.raises(ConfigError, match=r"sign_weights: missing required field\(s\) positive, negative"):
        build_advantage("sign_weights")
    with pytest.raises(ConfigError, match=r"scale.factor: expected a number, got str"):
        build_advantage({"type": "scale", "factor": "two"})


def test_bad_tensors_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="1-D of the same length"):
        compute_advantages(GroupNorm(), torch.zeros(4), torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="1-D of the same length"):
        compute_advantages(GroupNorm(), torch.zeros(2, 2), torch.zeros(2, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="group_ids must be integers"):
        compute_advantages(GroupNorm(), torch.zeros(3), torch.zeros(3))
    with pytest.raises(TypeError, match="must be torch tensors"):
        compute_advantages(GroupNorm(), [1.0, 0.0], torch.zeros(2, dtype=torch.int64))


def test_integer_rewards_are_converted_to_floats() -> None:
    advantages = compute_advantages(DrGRPO(), torch.tensor([1, 0]), torch.tensor([0, 0]))
    torch.testing.assert_close(advantages, torch.tensor([0.5, -0.5]))


@dataclass(frozen=True)
class Negate(AdvantageTransform):
    """A third-party transform, used by the import-path test."""

    type_name: ClassVar[str] = "negate"

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        return -advantages


@dataclass(frozen=True)
class Broken(AdvantageTransform):
    type_name: ClassVar[str] = "broken"

    def apply(self, advantages: torch.Tensor, rewards: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
        return advantages[:1]


def test_third_party_transform_by_import_path_and_wrong_output_shape() -> None:
    built = build_advantage({"type": "chain", "transforms": ["dr_grpo", "tests.test_advantages:Negate"]})
    advantages = compute_advantages(built, torch.tensor([1.0, 0.0]), torch.tensor([3, 3]))
    torch.testing.assert_close(advantages, torch.tensor([-0.5, 0.5]))
    with pytest.raises(ValueError, match=r"advantage transform 'broken' returned shape \(1,\), expected \(2,\)"):
        compute_advantages(Broken(), torch.tensor([1.0, 0.0]), torch.tensor([3, 3]))
