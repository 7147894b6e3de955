"""The rewards that read the policy, the length rewards and the pass@k advantage, against hand computations."""

from __future__ import annotations

import itertools
import math

import pytest

from rewardlab import RolloutBatch, build_reward
from rewardlab.advantages import build_advantage, compute_advantages
from rewardlab.policy import PolicyView, TokenStats
from rewardlab.registry import ConfigError


class FakeSource:
    """A policy source with hand-written statistics; continuations score each character c as log(0.1 · (c + 1))
    of its digit value (so "3" has probability 0.4), and every request is kept."""

    def __init__(self, stats: list[TokenStats]) -> None:
        self.stats, self.requests = stats, []

    def token_stats(self):
        return self.stats

    def continuations(self, requests):
        self.requests.extend(requests)
        return [tuple(math.log(0.1 * (int(ch) + 1)) for ch in cont) for _, _, cont in requests]

    def token_index(self, sample: int, char: int) -> int:
        return char  # one token per character


def _batch(completions, stats, answers=None) -> tuple[RolloutBatch, FakeSource]:
    source = FakeSource(stats)
    n = len(completions)
    return RolloutBatch(prompts=("q",) * n, completions=tuple(completions), answers=tuple(answers or (None,) * n),
                        policy=PolicyView(source, tuple(range(n)))), source


def _stats(entropies: list[float], certainty: list[float] | None = None) -> TokenStats:
    return TokenStats((0.0,) * len(entropies), tuple(entropies), tuple(certainty or [0.0] * len(entropies)))


def test_self_certainty_is_the_mean_per_token_kl_from_uniform() -> None:
    batch, _ = _batch(["ab", "abc", ""], [_stats([0, 0], [1.0, 2.0]), _stats([0, 0, 0], [0.5, 0.5, 3.5]), _stats([])])
    result = build_reward("self_certainty").score(batch)
    assert result.scores == (1.5, 1.5, None)
    assert result.diagnostics["tokens"] == (2, 3, 0)


def test_entropy_is_minus_the_mean_entropy_of_the_completion_or_of_its_boxed_answer() -> None:
    text = "x=\\boxed{12}"  # characters 9 and 10 are the answer "12"
    entropies = [1.0] * 9 + [0.25, 0.75] + [2.0]
    batch, _ = _batch([text, "no box", "\\boxed{}"], [_stats(entropies), _stats([0.5] * 6), _stats([1.0] * 8)])
    whole = build_reward("entropy").score(batch)
    assert whole.scores == pytest.approx((-1.0, -0.5, -1.0))
    answer = build_reward({"type": "entropy", "span": "answer"}).score(batch)
    assert answer.scores == pytest.approx((-0.5, None, None))
    assert answer.diagnostics["tokens"] == (2, 0, 0)


def test_reference_probability_scores_the_label_after_the_completion_s_own_reasoning() -> None:
    batch, source = _batch(["so it is \\boxed{7}", "I think 5", "x"], [_stats([0])] * 3, answers=["3", "21", None])
    result = build_reward("reference_probability").score(batch)
    # "3": p = 0.4; "21": p = (0.3 + 0.2) / 2
    assert result.scores == pytest.approx((0.4, 0.25, None))
    assert source.requests == [(0, "so it is \\boxed{", "3"), (1, "I think 5\n\\boxed{", "21")]


def test_debiased_reference_probability_subtracts_the_probability_without_reasoning_clipped_to_0_1() -> None:
    class Biased(FakeSource):
        def continuations(self, requests):  # with reasoning: 0.4 per token; alone: 0.1 for sample 0, 0.9 for 1
            self.requests.extend(requests)
            alone = {0: 0.1, 1: 0.9}
            return [tuple(math.log(alone[i] if text == "\\boxed{" else 0.4) for _ in cont)
                    for i, text, cont in requests]

    source = Biased([_stats([0])] * 2)
    batch = RolloutBatch(prompts=("q", "q"), completions=("a", "b"), answers=("1", "2"),
                         policy=PolicyView(source, (0, 1)))
    result = build_reward({"type": "reference_probability", "debias": True}).score(batch)
    assert result.scores == pytest.approx((0.3, 0.0))
    assert result.diagnostics["reference_probability_alone"] == pytest.approx((0.1, 0.9))


@pytest.mark.parametrize(("length", "expected"), [(0, 0.0), (12, 0.0), (13, -0.25), (14, -0.5), (16, -1.0),
                                                  (40, -1.0)])
def test_overlong_is_dapo_s_soft_penalty(length: int, expected: float) -> None:
    batch = RolloutBatch(prompts=("q",), completions=("x",), columns={"completion_tokens": (length,)})
    assert build_reward({"type": "overlong", "max_length": 16, "buffer": 4}).score(batch).scores == (expected,)


def test_overlong_in_tokens_without_token_counts_says_to_count_characters() -> None:
    batch = RolloutBatch(prompts=("q",), completions=("xxxxxx",))
    with pytest.raises(ValueError, match="set unit: chars"):
        build_reward({"type": "overlong", "max_length": 8, "buffer": 4}).score(batch)
    chars = build_reward({"type": "overlong", "max_length": 8, "buffer": 4, "unit": "chars", "factor": 2.0})
    assert chars.score(batch).scores == (-2.0 * 2 / 4,)
    with pytest.raises(ConfigError, match="buffer must be in"):
        build_reward({"type": "overlong", "max_length": 8, "buffer": 9})


def test_length_cosine_follows_yeo_et_al_s_cosine_for_right_and_wrong_answers() -> None:
    completions = ("\\boxed{2}", "\\boxed{2}", "\\boxed{3}", "\\boxed{3}", "\\boxed{2}", "\\boxed{2}")
    lengths = (0, 50, 0, 50, 100, 25)
    batch = RolloutBatch(prompts=("q",) * 6, completions=completions, answers=("2",) * 5 + (None,),
                         columns={"completion_tokens": lengths})
    result = build_reward({"type": "length_cosine", "max_length": 100, "verifier": {"type": "binary", "workers": 0}})
    # correct: 1 + ½(2 − 1)(1 + cos(πL/100)); wrong: 0 + ½(−10 − 0)(1 + cos(πL/100)); L ≥ 100: −10; no label: None
    assert result.score(batch).scores == pytest.approx((2.0, 1.5, -10.0, -5.0, -10.0, None))


def _brute_force(rewards: list[int], k: int) -> list[float]:
    """Per sample: the mean over the k-subsets holding it of the subset's max reward, minus the mean over all
    k-subsets, divided by the std of the subsets' max rewards."""
    subsets = list(itertools.combinations(range(len(rewards)), k))
    best = {s: max(rewards[i] for i in s) for s in subsets}
    mean = sum(best.values()) / len(subsets)
    std = math.sqrt(sum((v - mean) ** 2 for v in best.values()) / len(subsets))
    out = []
    for i in range(len(rewards)):
        holding = [best[s] for s in subsets if i in s]
        out.append(0.0 if std == 0 else (sum(holding) / len(holding) - mean) / std)
    return out


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_pass_at_k_advantages_equal_a_brute_force_enumeration_of_k_subsets(k: int) -> None:
    torch = pytest.importorskip("torch")
    transform = build_advantage({"type": "pass_at_k", "k": k, "eps": 1e-12})
    for n in range(k, 7):
        for rewards in itertools.product((0, 1), repeat=n):
            got = compute_advantages(transform, torch.tensor(rewards, dtype=torch.float64),
                                     torch.zeros(n, dtype=torch.long))
            assert got.tolist() == pytest.approx(_brute_force(list(rewards), k), abs=1e-6), (rewards, k)


def test_pass_at_1_is_group_normalisation_with_the_population_std() -> None:
    torch = pytest.importorskip("torch")
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    groups = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    got = compute_advantages(build_advantage({"type": "pass_at_k", "k": 1, "eps": 1e-12}), rewards, groups)
    expected = []
    for g in (0, 1):
        r = rewards[groups == g]
        expected += ((r - r.mean()) / r.std(unbiased=False)).tolist()
    assert got.tolist() == pytest.approx(expected, abs=1e-6)


def test_pass_at_k_leaves_out_samples_without_signal_and_groups_smaller_than_k() -> None:
    torch = pytest.importorskip("torch")
    nan = float("nan")
    rewards = torch.tensor([1.0, nan, 0.0, 0.0, 1.0, nan, nan, 0.0], dtype=torch.float64)
    groups = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    got = compute_advantages(build_advantage({"type": "pass_at_k", "k": 2, "eps": 1e-12}), rewards, groups)
    kept = _brute_force([1, 0, 0], 2)
    assert got.tolist() == pytest.approx([kept[0], 0.0, kept[1], kept[2], 0.0, 0.0, 0.0, 0.0], abs=1e-6)
    with pytest.raises(ConfigError, match="k must be >= 1"):
        build_advantage({"type": "pass_at_k", "k": 0})


def test_a_training_config_whose_pass_at_k_k_is_not_below_the_group_size_is_refused_at_load() -> None:
    from rewardlab.training.config import load_config

    trl = {"per_device_train_batch_size": 4, "num_generations": 4}
    for k, why in ((4, "every k-subset is the whole group"), (6, "no group has k samples")):
        with pytest.raises(ConfigError, match=f"advantage: pass_at_k with k = {k} .*{why}"):
            load_config({"trl": trl, "advantage": {"type": "chain", "transforms": [
                {"type": "pass_at_k", "k": k}, {"type": "clip", "low": -1.0, "high": 1.0}]}})
    assert load_config({"trl": trl, "advantage": {"type": "pass_at_k", "k": 3}}).advantage.k == 3
