"""The ``rubric`` reward against a real HTTP judge on 127.0.0.1: weighted checklists, criteria from a column or the
config, the judge's cache, retries and key redaction."""

from __future__ import annotations

import json
import re

import pytest

from rewardlab import RolloutBatch, build_reward
from rewardlab.judge.rubric import parse_yes_no
from rewardlab.judge.testing import ScriptedReply, ScriptedServer, chat_reply
from rewardlab.registry import ConfigError

SECRET = "sk-test-rubric-0123456789-SECRET"


def keyword_judge(request):  # type: ignore[no-untyped-def]
    """YES when the criterion's last word appears in the response, NO otherwise; no verdict for 'vague'."""
    content = request.json()["messages"][-1]["content"]
    response = re.search(r"Response:\n(.*?)\n\nCriterion:", content, re.DOTALL).group(1)
    criterion = re.search(r"Criterion:\n(.*?)\n\n", content, re.DOTALL).group(1)
    if "vague" in criterion:
        return chat_reply("I cannot tell.")
    word = criterion.split()[-1]
    return chat_reply(f"Checking. \\boxed{{{'YES' if word in response else 'NO'}}}")


def rubric(url: str, **fields: object):  # type: ignore[no-untyped-def]
    spec = {"type": "rubric", "backend": {"type": "openai", "model": "judge", "base_url": url, "retries": 0,
                                          "backoff": 0.01, "timeout": 5.0},
            "criteria": [{"text": "mentions forty", "weight": 2.0}, {"text": "shows work", "weight": 1.0}]}
    spec.update(fields)
    return build_reward(spec)


def _batch(completions, **columns) -> RolloutBatch:
    n = len(completions)
    return RolloutBatch(prompts=("What is 6 * 7?",) * n, completions=tuple(completions), answers=("42",) * n,
                        columns={k: tuple(v) for k, v in columns.items()})


def test_a_rubric_score_is_the_weighted_share_of_criteria_met() -> None:
    with ScriptedServer(keyword_judge) as server:
        reward = rubric(server.url)
        result = reward.score(_batch(["forty two, see work", "forty", "no idea"]))
        sent = server.requests
        reward.close()
    assert result.scores == pytest.approx((1.0, 2 / 3, 0.0))
    assert result.diagnostics["rubric_met"] == ((1.0, 1.0), (1.0, 0.0), (0.0, 0.0))
    assert len(sent) == 6 and "What is 6 * 7?" in sent[0].json()["messages"][-1]["content"]
    assert "Reference answer:\n42" in sent[0].json()["messages"][-1]["content"]


def test_criteria_come_from_a_column_and_fall_back_to_the_config_where_it_is_empty() -> None:
    cells = [[{"criterion": "says seven", "weight": 3}, "says six"], json.dumps(["says seven"]), None,
             "says vague"]
    with ScriptedServer(keyword_judge) as server:
        reward = rubric(server.url, criteria_column="rubric")
        result = reward.score(_batch(["six", "seven", "forty work", "x"], rubric=cells))
        reward.close()
    # 1: seven no (3), six yes (1) → 1/4; 2: yes → 1; 3: the config's → 1; 4: no readable verdict → no signal
    assert result.scores == pytest.approx((0.25, 1.0, 1.0, None))
    assert result.diagnostics["rubric_met"][3] == (None,)


def test_a_rubric_reuses_the_judge_cache_and_sends_identical_requests_once(tmp_path) -> None:
    with ScriptedServer(keyword_judge) as server:
        first = rubric(server.url, cache_dir=str(tmp_path))
        first.score(_batch(["forty", "forty"]))  # two identical samples: two requests, not four
        assert len(server.requests) == 2
        first.close()
        again = rubric(server.url, cache_dir=str(tmp_path))
        assert again.score(_batch(["forty"])).scores == (pytest.approx(2 / 3),)
        again.close()
        assert len(server.requests) == 2


def test_a_rubric_retries_a_failing_server_and_keeps_the_key_out_of_everything(monkeypatch) -> None:
    monkeypatch.setenv("RUBRIC_TEST_KEY", SECRET)

    def flaky(request):  # type: ignore[no-untyped-def]
        if request.number == 0:
            return ScriptedReply(status=500, body=f"bad {SECRET}".encode())
        return keyword_judge(request)

    with ScriptedServer(flaky) as server:
        reward = rubric(server.url, backend={"type": "openai", "model": "judge", "base_url": server.url,
                                             "api_key_env": "RUBRIC_TEST_KEY", "retries": 1, "backoff": 0.01,
                                             "concurrency": 1})
        assert reward.score(_batch(["forty work"])).scores == (1.0,)
        sent = server.requests
        reward.close()
    assert sent[0].headers["Authorization"] == f"Bearer {SECRET}" and len(sent) == 3
    assert SECRET not in repr(reward) and SECRET not in json.dumps(reward.to_config())


def test_a_rubric_without_criteria_or_with_a_bad_weight_fails_at_load() -> None:
    with pytest.raises(ConfigError, match="a rubric needs criteria"):
        build_reward({"type": "rubric", "backend": {"type": "echo"}})
    with pytest.raises(ConfigError, match="weight must be > 0"):
        build_reward({"type": "rubric", "backend": {"type": "echo"}, "criteria": [{"text": "x", "weight": 0}]})
    with pytest.raises(ConfigError, match="unknown field 'criterias'"):
        build_reward({"type": "rubric", "backend": {"type": "echo"}, "criterias": []})


def test_the_verdict_is_the_last_boxed_yes_or_no() -> None:
    assert parse_yes_no("maybe \\boxed{NO} then \\boxed{yes}") == 1.0
    assert parse_yes_no("\\boxed{\\text{No}}") == 0.0
    assert parse_yes_no("YES") is None
