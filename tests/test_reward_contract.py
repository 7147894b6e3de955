"""The contract every registered reward keeps: one score per sample, deterministic, picklable,
rebuilt from its config unchanged, and indifferent to the order of whole groups."""

from __future__ import annotations

import dataclasses
import math
import pickle
import random

import pytest

from rewardlab import RolloutBatch, build_reward, default_registry
from rewardlab.policy import PolicyRequired, PolicyView, TokenStats
from rewardlab.rewards.base import Reward

# One configured example per registered reward; a new reward must add one here.
EXAMPLES: dict[str, object] = {
    "binary": {"type": "binary", "workers": 0},
    "incorrect": {"type": "incorrect", "workers": 0},
    "random": {"type": "random", "p": 0.5, "seed": 3},
    "format": "format",
    "contains_python": {"type": "contains_python"},
    "weighted_sum": {"type": "weighted_sum", "terms": [
        {"reward": {"type": "binary", "workers": 0}, "weight": 1.0},
        {"reward": "format", "weight": 0.25},
        {"reward": {"type": "random", "seed": 1}, "weight": -0.5}]},
    "gate": {"type": "gate", "reward": {"type": "binary", "workers": 0}, "condition": "contains_python"},
    "inverse": {"type": "inverse", "reward": "format"},
    "clip": {"type": "clip", "reward": {"type": "affine", "reward": "format", "scale": 3.0}, "low": 0.5, "high": 2.0},
    "scale": {"type": "scale", "reward": "contains_python", "factor": 2.0},
    "affine": {"type": "affine", "reward": {"type": "binary", "workers": 0}, "scale": 2.0, "shift": -1.0},
    "self_consistency": {"type": "self_consistency", "workers": 0, "min_vote_share": 0.3, "n_train": 3},
    "brier": {"type": "brier", "workers": 0, "fallback": True, "weighting": "code"},
    "ternary": {"type": "ternary", "workers": 0, "abstain_value": -0.5, "abstain_answers": ["no idea", "idk"]},
    # echo: rewardlab's offline, deterministic judge backend (a digest of each request), so no model runs here
    "judge": {"type": "judge", "mode": "pairwise", "tournament": "knockout", "swap": False, "samples": 3,
              "temperature": 0.7, "backend": {"type": "echo"}},
    "rubric": {"type": "rubric", "backend": {"type": "echo"},
               "criteria": [{"text": "is right"}, {"text": "shows work", "weight": 0.5}]},
    "overlong": {"type": "overlong", "max_length": 30, "buffer": 10, "unit": "chars"},
    "length_cosine": {"type": "length_cosine", "max_length": 40, "unit": "chars",
                      "verifier": {"type": "binary", "workers": 0}},
    # the rewards that read the policy read the batch's TextPolicy view below
    "self_certainty": "self_certainty",
    "entropy": {"type": "entropy", "span": "answer"},
    "reference_probability": {"type": "reference_probability", "debias": True},
}


class TextPolicy:
    """A deterministic stand-in for a policy: one token per character, figures drawn from the characters."""

    def __init__(self, completions: tuple[str, ...]) -> None:
        self.completions = completions

    def token_stats(self) -> list[TokenStats]:
        return [TokenStats(tuple(-(ord(ch) % 7) / 3 for ch in c), tuple((ord(ch) % 5) / 2 for ch in c),
                           tuple((ord(ch) % 11) / 4 for ch in c)) for c in self.completions]

    def continuations(self, requests):  # type: ignore[no-untyped-def]
        return [tuple(math.log(0.05 + (len(text) + ord(ch)) % 19 / 20) for ch in cont) for _, text, cont in requests]

    def token_index(self, sample: int, char: int) -> int:
        return char


def _batch(n_groups: int = 6, group_size: int = 4, step: int = 7) -> RolloutBatch:
    rng = random.Random(0)
    prompts, completions, answers, wrong, groups = [], [], [], [], []
    for g in range(n_groups):
        a, b = rng.randint(1, 30), rng.randint(1, 30)
        for _ in range(group_size):
            guess = a + b + rng.choice([0, 0, 1, -2])
            style = rng.choice([f"python: x={a}+{b}={guess}; \\boxed{{{guess}}}", f"The answer is {guess}.",
                                f"\\boxed{{{guess}}}", "no idea", f"\\boxed{{{guess}"])
            prompts.append(f"Q: {a}+{b}=")
            completions.append(style)
            answers.append(str(a + b))
            wrong.append(str(a + b + 1))
            groups.append(g)
    batch = RolloutBatch(prompts=tuple(prompts), completions=tuple(completions), answers=tuple(answers),
                         group_ids=tuple(groups), step=step, columns={"incorrect_answer": tuple(wrong)})
    return dataclasses.replace(batch, policy=PolicyView(TextPolicy(batch.completions), tuple(range(len(batch)))))


@pytest.fixture(scope="module")
def batch() -> RolloutBatch:
    return _batch()


@pytest.fixture(params=sorted(EXAMPLES), scope="module")
def reward(request: pytest.FixtureRequest) -> Reward:
    built = build_reward(EXAMPLES[request.param])
    yield built
    built.close()


def test_every_registered_reward_has_a_contract_example() -> None:
    assert sorted(EXAMPLES) == default_registry().names()


def test_reward_gives_one_score_per_sample(reward: Reward, batch: RolloutBatch) -> None:
    result = reward.score(batch)
    assert len(result.scores) == len(batch)
    assert all(s is None or isinstance(s, float) for s in result.scores)
    assert all(len(v) == len(batch) for v in result.diagnostics.values())


def test_reward_is_deterministic(reward: Reward, batch: RolloutBatch) -> None:
    assert reward.score(batch) == reward.score(batch)
    assert build_reward(reward.to_config()).score(batch).scores == reward.score(batch).scores


def test_reward_pickles_and_scores_the_same_after(reward: Reward, batch: RolloutBatch) -> None:
    clone = pickle.loads(pickle.dumps(reward))
    assert clone == reward
    assert clone.score(batch).scores == reward.score(batch).scores
    clone.close()


def test_reward_rebuilt_from_its_config_equals_the_original(reward: Reward) -> None:
    assert build_reward(reward.to_config()) == reward


def test_shuffling_whole_groups_shuffles_scores_the_same_way(reward: Reward, batch: RolloutBatch) -> None:
    groups = list(batch.groups().values())
    random.Random(1).shuffle(groups)
    order = [i for g in groups for i in g]
    shuffled = batch.select(order)
    assert reward.score(shuffled).scores == tuple(reward.score(batch).scores[i] for i in order)


def test_reward_works_as_a_trl_reward_function(reward: Reward, batch: RolloutBatch) -> None:
    """Called exactly as trl.GRPOTrainer calls it: keyword lists plus TRL's extra arguments."""

    class State:
        global_step = batch.step

    kwargs = {"answer": list(batch.answers), "incorrect_answer": list(batch.columns["incorrect_answer"]),
              "completion_ids": [[1, 2]] * len(batch), "trainer_state": State(), "log_extra": None,
              "log_metric": None}
    if reward.needs_policy:  # TRL gives a reward function text only
        with pytest.raises(PolicyRequired, match="rewardlab's GRPOTrainer"):
            reward(prompts=list(batch.prompts), completions=list(batch.completions), **kwargs)
        return
    plain = reward(prompts=list(batch.prompts), completions=list(batch.completions), **kwargs)
    chat = reward(prompts=[[{"role": "user", "content": p}] for p in batch.prompts],
                  completions=[[{"role": "assistant", "content": c}] for c in batch.completions], **kwargs)
    assert plain == list(reward.score(batch).scores)
    assert chat == plain
    assert isinstance(reward.__name__, str) and reward.__name__ == reward.type_name
