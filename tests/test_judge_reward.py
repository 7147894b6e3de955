"""The ``judge`` reward above the transport: prompts, voting, tournaments, templates, config and the contract."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

import tests.test_reward_contract as contract
from rewardlab import RolloutBatch, build_reward
from rewardlab.cli.main import main
from rewardlab.data.rollouts import write_rollouts
from rewardlab.judge import ChatRequest, EchoBackend, JudgeError, JudgeReward, OpenAIBackend
from rewardlab.judge.cache import cache_key
from rewardlab.judge.testing import FunctionBackend, ScriptedServer, chat_reply
from rewardlab.registry import ConfigError

_RESPONSE = re.compile(r"Response:\n(.*?)\n\nFirst", re.DOTALL)
_PAIR = re.compile(r"Assistant 1's Response\]\n(.*?)\n\[The End.*Assistant 2's Response\]\n(.*?)\n\[The End", re.DOTALL)


def user_text(request: ChatRequest) -> str:
    return request.messages[-1][1]


def quality(response: str) -> int:
    """The quality written into a test response as ``q=N``."""
    return int(re.search(r"q=(\d+)", response).group(1))  # type: ignore[union-attr]


def pointwise_rule(request: ChatRequest) -> str:
    """A judge that boxes the quality of the response it is shown."""
    return f"Analysis: looks like q.\nScore: \\boxed{{{quality(_RESPONSE.search(user_text(request)).group(1))}}}"


def pairwise_rule(request: ChatRequest) -> str:
    """A judge that prefers the higher quality, and, on equal quality, the response shown first."""
    first, second = (quality(r) for r in _PAIR.search(user_text(request)).groups())  # type: ignore[union-attr]
    return f"Comparing... \\boxed{{Assistant {1 if first >= second else 2}}}"


def judge(rule, **fields) -> JudgeReward:  # type: ignore[no-untyped-def]
    return JudgeReward(backend=FunctionBackend(rule), **fields)


def batch_of(*groups: list[str], answer: str | None = "42") -> RolloutBatch:
    completions = [c for group in groups for c in group]
    group_ids = [g for g, group in enumerate(groups) for _ in group]
    return RolloutBatch(prompts=tuple(f"Problem {g}" for g in group_ids), completions=tuple(completions),
                        group_ids=tuple(group_ids), answers=(answer,) * len(completions))


# --- pointwise ------------------------------------------------------------------------------------------------


def test_pointwise_scores_are_the_boxed_score_normalised() -> None:
    reward = judge(pointwise_rule)
    result = reward.score(batch_of(["q=1", "q=10", "q=4"]))
    assert result.scores == (0.0, 1.0, pytest.approx(1 / 3))
    assert result.diagnostics["judge_score"] == (1.0, 10.0, 4.0)
    assert result.diagnostics["judge_votes"] == ((1.0,), (10.0,), (4.0,))
    assert "Score: \\boxed{10}" in result.diagnostics["judge_raw"][1][0]


def test_the_judge_sees_the_problem_the_reference_and_the_response() -> None:
    reward = judge(pointwise_rule)
    reward.score(batch_of(["q=3"], answer="42"))
    text = user_text(reward.client.requests[0])  # type: ignore[attr-defined]
    assert "Problem 0" in text and "Reference answer:\n42" in text and "q=3" in text
    reward.score(batch_of(["q=3"], answer=None))
    assert "Reference answer" not in user_text(reward.client.requests[-1])  # type: ignore[attr-defined]


def test_a_hidden_reference_column_is_not_shown() -> None:
    reward = judge(pointwise_rule, answer_column=None)
    reward.score(batch_of(["q=3"], answer="42"))
    assert "42" not in user_text(reward.client.requests[0])  # type: ignore[attr-defined]


def test_an_unreadable_verdict_scores_none_and_keeps_the_raw_text() -> None:
    reward = judge(lambda request: "I would rather not say. Maybe 7?")
    result = reward.score(batch_of(["q=3", "q=4"]))
    assert result.scores == (None, None)
    assert result.diagnostics["judge_raw"][0] == ("I would rather not say. Maybe 7?",)
    assert result.diagnostics["judge_votes"][0] == (None,)


def test_k_samples_are_voted_by_summing_the_readable_scores() -> None:
    votes = {0: "\\boxed{2}", 1: "\\boxed{9}", 2: "no score", 3: "\\boxed{4}"}
    reward = judge(lambda request: votes[request.sampling.seed - 100], samples=4, temperature=0.8, seed=100)
    result = reward.score(batch_of(["q=1"]))
    assert result.diagnostics["judge_votes"] == ((2.0, 9.0, None, 4.0),)
    assert result.diagnostics["judge_score"] == (5.0,)  # S = 15 over m = 3 readable votes
    assert result.scores == (pytest.approx((5.0 - 1) / 9),)
    sent = reward.client.requests  # type: ignore[attr-defined]
    assert [r.sampling.seed for r in sent] == [100, 101, 102, 103]
    assert {r.sampling.temperature for r in sent} == {0.8}


def test_identical_items_are_judged_once() -> None:
    reward = judge(pointwise_rule)
    result = reward.score(batch_of(["q=5", "q=5", "q=5", "q=6"]))
    assert result.scores[0] == result.scores[1] == result.scores[2]
    assert len(reward.client.requests) == 2  # type: ignore[attr-defined]


def test_a_failing_backend_raises_instead_of_scoring() -> None:
    def broken(request: ChatRequest) -> str:
        raise JudgeError("judge endpoint http://x/v1/chat/completions failed after 4 attempts: HTTP 503")

    with pytest.raises(JudgeError, match="HTTP 503"):
        judge(broken).score(batch_of(["q=1"]))


# --- pairwise -------------------------------------------------------------------------------------------------


def test_round_robin_rewards_follow_the_judges_preferences() -> None:
    reward = judge(pairwise_rule, mode="pairwise", tournament="round_robin")
    result = reward.score(batch_of(["q=1", "q=9", "q=5"], ["q=2", "q=3"]))
    assert result.scores == (0.0, 1.0, 0.5, 0.0, 1.0)
    assert result.diagnostics["judge_score"] == result.scores
    # 3 + 1 pairs, each judged in both orders
    assert len(reward.client.requests) == 8  # type: ignore[attr-defined]
    assert result.diagnostics["judge_votes"][1] == (1.0, 1.0, 1.0, 1.0)


def test_judging_both_orders_cancels_position_bias() -> None:
    always_first = lambda request: "\\boxed{Assistant 1}"  # noqa: E731
    swapped = judge(always_first, mode="pairwise").score(batch_of(["q=1", "q=9", "q=5"]))
    assert swapped.scores == (0.5, 0.5, 0.5)  # the bias cancels: no preference is invented
    one_order = judge(always_first, mode="pairwise", swap=False).score(batch_of(["q=1", "q=9", "q=5"]))
    assert one_order.scores == (1.0, 0.5, 0.0)  # the bias alone decides


def test_knockout_rewards_are_rounds_survived_over_rounds() -> None:
    reward = judge(pairwise_rule, mode="pairwise", tournament="knockout")
    result = reward.score(batch_of(["q=1", "q=8", "q=6", "q=2"]))
    assert result.scores == (0.0, 1.0, 0.5, 0.0)
    assert result.diagnostics["judge_score"] == (0.0, 2.0, 1.0, 0.0)
    assert [len(call) for call in reward.client.calls] == [4, 2]  # type: ignore[attr-defined]  (2 rounds)


def test_pairwise_votes_from_k_samples_are_summed() -> None:
    # samples disagree: seeds 0 and 1 prefer the better response, seed 2 the worse
    def noisy(request: ChatRequest) -> str:
        first, second = (quality(r) for r in _PAIR.search(user_text(request)).groups())  # type: ignore[union-attr]
        better = 1 if first > second else 2
        return f"\\boxed{{Assistant {better if request.sampling.seed < 2 else 3 - better}}}"

    result = judge(noisy, mode="pairwise", samples=3, temperature=1.0).score(batch_of(["q=1", "q=9"]))
    assert result.scores == (pytest.approx(2 / 6), pytest.approx(4 / 6))
    assert len(result.diagnostics["judge_votes"][0]) == 6  # 3 samples x 2 orders


def test_an_unreadable_pairwise_verdict_gives_no_vote() -> None:
    result = judge(lambda request: "hmm", mode="pairwise").score(batch_of(["q=1", "q=9"]))
    assert result.scores == (None, None)
    assert result.diagnostics["judge_votes"][0] == (None, None)
    assert result.diagnostics["judge_raw"][0] == ("hmm", "hmm")


# --- malformed text -------------------------------------------------------------------------------------------

LONE = "\ud800"  # half of a UTF-16 pair: a Python string may hold it, UTF-8 cannot encode it


@pytest.mark.parametrize("mode", ["pointwise", "pairwise"])
@pytest.mark.parametrize("cached", [False, True])
def test_a_lone_surrogate_in_any_text_fails_no_batch(mode: str, cached: bool, tmp_path: Path) -> None:
    texts = RolloutBatch(prompts=(f"Problem {LONE}", "Problem", "Problem"), group_ids=(0, 0, 0),
                         completions=(f"\\boxed{{42}} {LONE}", "\\boxed{41}", "cut emoji \ud83d"), answers=("42",) * 3)
    reward = JudgeReward(backend=EchoBackend(), mode=mode, cache_dir=str(tmp_path) if cached else None)
    result = reward.score(texts)
    assert all(score is not None for score in result.scores)
    assert reward.score(texts) == result  # deterministic, and read back from the cache when there is one


def test_lone_surrogates_keep_requests_apart_in_the_cache_key() -> None:
    keys = {cache_key({"type": "echo"}, ChatRequest(messages=(("user", text),))) for text in
            (LONE, "\udfff", "\ufffd", "")}
    assert len(keys) == 4


# --- templates ------------------------------------------------------------------------------------------------


def test_a_user_template_file_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "strict.txt"
    path.write_text("My own header.\n[system]\nBe strict.\n[user]\nQ: $problem\nA: $response\nRef: $reference\n",
                    encoding="utf-8")
    seen: list[ChatRequest] = []
    reward = judge(lambda request: seen.append(request) or "\\boxed{7}", template=str(path))
    assert reward.score(batch_of(["q=1"], answer=None)).scores == (pytest.approx(6 / 9),)
    assert seen[0].messages == (("system", "Be strict."), ("user", "Q: Problem 0\nA: q=1\nRef: (none)"))


def test_a_broken_template_fails_when_the_reward_is_built(tmp_path: Path) -> None:
    path = tmp_path / "broken.txt"
    path.write_text("[user]\n$problem only\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.txt never shows \$response"):
        build_reward({"type": "judge", "backend": "echo", "template": str(path)})


# --- configuration --------------------------------------------------------------------------------------------


def test_backends_are_built_from_plain_config() -> None:
    reward = build_reward({"type": "judge", "backend": {"type": "openai", "model": "m",
                                                        "base_url": "http://127.0.0.1:9/v1", "concurrency": 4}})
    assert reward.backend == OpenAIBackend(model="m", base_url="http://127.0.0.1:9/v1", concurrency=4)
    assert build_reward(reward.to_config()) == reward
    assert build_reward({"type": "judge", "backend": "echo"}).backend == EchoBackend()


@pytest.mark.parametrize(("spec", "message"), [
    ({"type": "judge", "backend": {"type": "opnai", "model": "m"}}, "did you mean 'openai'"),
    ({"type": "judge", "backend": {"type": "openai"}}, "missing required field.*model"),
    ({"type": "judge", "backend": {"type": "openai", "model": "m", "base_url": "127.0.0.1:8000"}}, "http"),
    ({"type": "judge", "backend": {"type": "openai", "model": "m", "concurency": 2}}, "did you mean 'concurrency'"),
    ({"type": "judge", "backend": "echo", "samples": 4}, "temperature > 0"),
    ({"type": "judge", "backend": "echo", "mode": "pairwize"}, "did you mean 'pairwise'"),
    ({"type": "judge", "backend": "echo", "tournament": "swiss"}, "round_robin"),
    ({"type": "judge"}, "missing required field.*backend"),
])
def test_bad_config_fails_with_a_helpful_message(spec: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_reward(spec)


def test_the_reward_pickles_without_its_client() -> None:
    reward = build_reward({"type": "judge", "backend": "echo"})
    reward.score(batch_of(["q=1"]))
    clone = pickle.loads(pickle.dumps(reward))
    assert clone == reward and "_client" not in clone.__dict__
    assert clone.score(batch_of(["q=1"])).scores == reward.score(batch_of(["q=1"])).scores


# --- the reward contract, for more configurations than EXAMPLES holds -----------------------------------------

CONFIGS = {
    "pointwise": {"type": "judge", "backend": {"type": "echo"}},
    "pointwise_voting": {"type": "judge", "backend": {"type": "echo"}, "samples": 3, "temperature": 0.7},
    "round_robin": {"type": "judge", "mode": "pairwise", "backend": {"type": "echo"}},
    "knockout_swap": {"type": "judge", "mode": "pairwise", "tournament": "knockout", "backend": {"type": "echo"},
                      "samples": 2, "temperature": 0.5},
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_judge_configurations_keep_the_reward_contract(name: str) -> None:
    reward, batch = build_reward(CONFIGS[name]), contract._batch()
    contract.test_reward_gives_one_score_per_sample(reward, batch)
    contract.test_reward_is_deterministic(reward, batch)
    contract.test_reward_pickles_and_scores_the_same_after(reward, batch)
    contract.test_reward_rebuilt_from_its_config_equals_the_original(reward)
    contract.test_shuffling_whole_groups_shuffles_scores_the_same_way(reward, batch)
    contract.test_reward_works_as_a_trl_reward_function(reward, batch)
    assert all(s is None or 0.0 <= s <= 1.0 for s in reward.score(batch).scores)


# --- rewardlab judge-eval -------------------------------------------------------------------------------------


def _grading_server() -> ScriptedServer:
    """A judge that gives 9 when the response's box holds the reference, else 2."""
    def handler(request):  # type: ignore[no-untyped-def]
        text = request.json()["messages"][-1]["content"]
        reference = re.search(r"Reference answer:\n(.*?)\n", text).group(1)  # type: ignore[union-attr]
        response = _RESPONSE.search(text).group(1)  # type: ignore[union-attr]
        return chat_reply(f"Score: \\boxed{{{9 if f'boxed{{{reference}}}' in response else 2}}}",
                          prompt_tokens=100, completion_tokens=20)
    return ScriptedServer(handler)


def _rollouts(tmp_path: Path) -> Path:
    rows = [{"prompt": f"What is {a} + {b}?", "completion": f"So \\boxed{{{a + b + wrong}}}", "answer": str(a + b),
             "group_id": f"p{a}"} for a, b in [(1, 2), (3, 4), (5, 6)] for wrong in (0, 1)]
    path = tmp_path / "rollouts.jsonl"
    write_rollouts(path, rows)
    return path


def test_judge_eval_reports_agreement_with_verified_correctness(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    with _grading_server() as server:
        spec = json.dumps({"type": "openai", "model": "m", "base_url": server.url})  # a bare backend
        assert main(["judge-eval", str(_rollouts(tmp_path)), "--judge", spec, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 6 and report["n_scored"] == 6 and report["n_gold_correct"] == 3
    assert report["accuracy"] == 1.0 and report["auroc"] == 1.0
    assert report["tokens_per_item"] == 120.0 and report["seconds_per_item"] > 0


def test_judge_eval_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["judge-eval", str(_rollouts(tmp_path)), "--judge", "{type: judge, backend: echo}"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "auroc" in out and "{type: judge, backend: echo}" in out


def test_judge_eval_with_a_dead_server_names_the_endpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rewardlab.judge.testing import closed_port

    url = f"http://127.0.0.1:{closed_port()}/v1"
    spec = json.dumps({"type": "openai", "model": "m", "base_url": url, "retries": 1, "backoff": 0.01})
    assert main(["judge-eval", str(_rollouts(tmp_path)), "--judge", spec]) == 1
    err = capsys.readouterr().err
    assert f"{url}/chat/completions failed after 2 attempts" in err and "refused" in err

