"""The OpenAI-compatible HTTP judge backend against a real local server with scripted behaviour.

Every test starts :class:`ScriptedServer` (a ``ThreadingHTTPServer`` on 127.0.0.1) or points at a closed
port: good answers, garbage, 5xx, slow replies, dropped connections; retries, backoff, caching,
concurrency, and the API key kept out of everything but the Authorization header.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

import pytest

from rewardlab import RolloutBatch
from rewardlab.judge import JudgeError, JudgeReward, OpenAIBackend
from rewardlab.judge.backends import ChatRequest, OpenAIClient, parse_chat_completion
from rewardlab.judge.backends.openai_compat import redact
from rewardlab.judge.testing import RecordedRequest, ScriptedReply, ScriptedServer, chat_reply, closed_port, fixed_reply

GOOD = "Specific Criteria: correctness.\nAnalysis: right.\nScore: \\boxed{10}"
SECRET = "sk-test-0123456789abcdef-SECRET"


def batch(n: int = 3, group: bool = False) -> RolloutBatch:
    return RolloutBatch(prompts=("What is 6 * 7?",) * n, completions=tuple(f"\\boxed{{{40 + i}}}" for i in range(n)),
                        answers=("42",) * n, group_ids=(0,) * n if group else ())


def http_judge(url: str, cache_dir: Path | None = None, **backend: object) -> JudgeReward:
    options = {"retries": 0, "backoff": 0.01, "timeout": 5.0, **backend}
    return JudgeReward(backend=OpenAIBackend(model="judge-model", base_url=url, **options),  # type: ignore[arg-type]
                       cache_dir=None if cache_dir is None else str(cache_dir))


def failing_then(failures: int, failure: ScriptedReply, then: ScriptedReply):  # type: ignore[no-untyped-def]
    return lambda request: failure if request.number < failures else then


# --- talking to a server --------------------------------------------------------------------------------------


def test_a_judge_scores_through_a_real_local_server() -> None:
    with ScriptedServer(fixed_reply(GOOD)) as server:
        reward = http_judge(server.url)
        result = reward.score(batch())
        sent = server.requests
    assert result.scores == (1.0, 1.0, 1.0)
    assert result.diagnostics["judge_tokens"] == (60, 60, 60)
    assert len(sent) == 3 and {r.path for r in sent} == {"/v1/chat/completions"}
    body = sent[0].json()
    assert body["model"] == "judge-model" and body["stream"] is False
    assert {"temperature", "top_p", "max_tokens", "seed"} <= set(body)
    assert body["messages"][0]["role"] == "system" and "What is 6 * 7?" in body["messages"][-1]["content"]
    assert sent[0].headers["Content-Type"] == "application/json"


def test_a_pairwise_judge_plays_its_tournament_over_http() -> None:
    def prefer_42(request: RecordedRequest):  # type: ignore[no-untyped-def]
        text = request.json()["messages"][-1]["content"]
        first = text.split("Assistant 1's Response]\n", 1)[1].split("\n", 1)[0]
        return chat_reply(f"\\boxed{{Assistant {1 if '42' in first else 2}}}")

    with ScriptedServer(prefer_42) as server:
        result = JudgeReward(backend=OpenAIBackend(model="m", base_url=server.url), mode="pairwise").score(
            batch(3, group=True))
    # 40 and 41 split their match (each order picks the second one shown), and both lose to 42
    assert result.scores == (0.25, 0.25, 1.0)


def test_an_unreadable_verdict_is_none_with_the_raw_reply() -> None:
    with ScriptedServer(fixed_reply("The response seems fine to me.")) as server:
        result = http_judge(server.url).score(batch(1))
    assert result.scores == (None,)
    assert result.diagnostics["judge_raw"] == (("The response seems fine to me.",),)


def test_reply_bodies_are_parsed_defensively() -> None:
    ok = parse_chat_completion(b'{"choices": [{"message": {"content": null}}]}')
    assert ok.text == "" and ok.total_tokens is None
    for garbage in (b"", b"<html>502</html>", b"[]", b'{"choices": []}', b'{"error": {"message": "x"}}',
                    b'{"choices": [{"message": {"content": 5}}]}', b"\xff\xfe"):
        with pytest.raises(ValueError, match=r"not JSON|not a chat completion"):
            parse_chat_completion(garbage)


# --- retries, backoff and failures ----------------------------------------------------------------------------


def test_server_errors_are_retried_until_an_answer_comes() -> None:
    handler = failing_then(2, ScriptedReply(status=503, body=b"overloaded"), chat_reply(GOOD))
    with ScriptedServer(handler) as server:
        result = http_judge(server.url, retries=3).score(batch(1))
        assert len(server.requests) == 3
    assert result.scores == (1.0,)


def test_retries_back_off_exponentially() -> None:
    with ScriptedServer(lambda request: ScriptedReply(status=500, body=b"boom")) as server:
        with pytest.raises(JudgeError):
            http_judge(server.url, retries=3, backoff=0.1).score(batch(1))
        times = [r.received for r in server.requests]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4
    for gap, wait in zip(gaps, (0.1, 0.2, 0.4), strict=True):  # backoff · 2^attempt, plus the round trip
        assert wait <= gap < 2 * wait + 0.3


def test_an_endpoint_that_keeps_failing_is_reported_with_its_last_failure() -> None:
    with ScriptedServer(lambda request: ScriptedReply(status=500, body=b"CUDA out of memory")) as server:
        with pytest.raises(JudgeError) as error:
            http_judge(server.url, retries=2).score(batch(1))
        url = server.url
    message = str(error.value)
    assert f"judge endpoint {url}/chat/completions failed after 3 attempts" in message
    assert "HTTP 500" in message and "CUDA out of memory" in message


def test_garbage_replies_are_retried_then_reported() -> None:
    with ScriptedServer(lambda request: ScriptedReply(body=b"<html>Bad gateway</html>")) as server:
        with pytest.raises(JudgeError, match=r"failed after 2 attempts: reply is not JSON: '<html>Bad gateway"):
            http_judge(server.url, retries=1).score(batch(1))
        assert len(server.requests) == 2
    wrong_shape = ScriptedReply(body={"object": "error", "message": "model not loaded"})
    with ScriptedServer(failing_then(1, wrong_shape, chat_reply(GOOD))) as server:
        assert http_judge(server.url, retries=1).score(batch(1)).scores == (1.0,)


def test_a_slow_server_times_out_and_is_reported() -> None:
    with ScriptedServer(fixed_reply(GOOD, delay=3.0)) as server:
        started = time.perf_counter()
        with pytest.raises(JudgeError, match=r"failed after 2 attempts: no reply within the 0.2 s timeout"):
            http_judge(server.url, retries=1, timeout=0.2).score(batch(1))
        assert time.perf_counter() - started < 2.0
        assert len(server.requests) == 2


def test_a_refused_connection_is_reported_with_the_endpoint() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(JudgeError) as error:
        http_judge(url, retries=2).score(batch(1))
    assert f"{url}/chat/completions failed after 3 attempts: cannot connect" in str(error.value)
    assert "refused" in str(error.value).lower()


def test_a_dropped_connection_is_retried() -> None:
    with ScriptedServer(failing_then(1, ScriptedReply(drop=True), chat_reply(GOOD))) as server:
        assert http_judge(server.url, retries=1).score(batch(1)).scores == (1.0,)


def test_client_errors_are_not_retried() -> None:
    with ScriptedServer(lambda request: ScriptedReply(status=404, body=b'{"error": "no model judge-model"}')) as server:
        with pytest.raises(JudgeError, match=r"failed after 1 attempt: HTTP 404.*no model judge-model"):
            http_judge(server.url, retries=3).score(batch(1))
        assert len(server.requests) == 1


def test_rate_limits_wait_as_long_as_the_server_asks() -> None:
    limited = ScriptedReply(status=429, body=b"slow down", headers={"Retry-After": "0.3"})
    with ScriptedServer(failing_then(1, limited, chat_reply(GOOD))) as server:
        assert http_judge(server.url, retries=1, backoff=0.01).score(batch(1)).scores == (1.0,)
        first, second = (r.received for r in server.requests)
    assert second - first >= 0.3


# --- concurrency ----------------------------------------------------------------------------------------------


class InFlight:
    """A handler that answers after ``delay`` and tracks how many requests it held at once."""

    def __init__(self, delay: float) -> None:
        self.delay, self.now, self.peak = delay, 0, 0
        self.lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> ScriptedReply:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(self.delay)
        with self.lock:
            self.now -= 1
        return chat_reply(GOOD)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_requests_run_up_to_the_concurrency_limit_at_once(concurrency: int) -> None:
    handler = InFlight(delay=0.15)
    with ScriptedServer(handler) as server:
        started = time.perf_counter()
        result = http_judge(server.url, concurrency=concurrency).score(batch(8))
        elapsed = time.perf_counter() - started
    assert result.scores == (1.0,) * 8
    assert handler.peak <= concurrency and (handler.peak > 1) == (concurrency > 1)
    assert elapsed >= 8 / concurrency * 0.15 * 0.9
    assert elapsed < 8 / concurrency * 0.15 + 1.0


def test_a_failure_cancels_the_queued_requests() -> None:
    with ScriptedServer(lambda request: ScriptedReply(status=400, body=b"bad request", delay=0.05)) as server:
        with pytest.raises(JudgeError, match="HTTP 400"):
            http_judge(server.url, concurrency=2).score(batch(20))
        assert len(server.requests) < 20


# --- the cache ------------------------------------------------------------------------------------------------


def test_a_cached_reply_is_not_asked_again(tmp_path: Path) -> None:
    with ScriptedServer(fixed_reply(GOOD)) as server:
        first = http_judge(server.url, tmp_path).score(batch(3))
        assert len(server.requests) == 3
        second = http_judge(server.url, tmp_path).score(batch(3))  # a new reward, as in a new process
        assert len(server.requests) == 3
    assert second.scores == first.scores
    assert second.diagnostics["judge_raw"] == first.diagnostics["judge_raw"]
    assert second.diagnostics["judge_tokens"] == first.diagnostics["judge_tokens"]
    assert len(list(tmp_path.rglob("*.json"))) == 3


def test_a_cached_reply_needs_no_server_at_all(tmp_path: Path) -> None:
    with ScriptedServer(fixed_reply(GOOD)) as server:
        url = server.url
        http_judge(url, tmp_path).score(batch(2))
    assert http_judge(url, tmp_path).score(batch(2)).scores == (1.0, 1.0)  # the server is gone


def test_the_cache_key_holds_model_messages_and_sampling(tmp_path: Path) -> None:
    with ScriptedServer(fixed_reply(GOOD)) as server:
        base = {"backend": OpenAIBackend(model="a", base_url=server.url), "cache_dir": str(tmp_path)}
        JudgeReward(**base).score(batch(1))  # type: ignore[arg-type]
        JudgeReward(**base).score(batch(1))  # type: ignore[arg-type]
        assert len(server.requests) == 1
        JudgeReward(**{**base, "seed": 1}).score(batch(1))  # type: ignore[arg-type]
        JudgeReward(**{**base, "max_tokens": 64}).score(batch(1))  # type: ignore[arg-type]
        JudgeReward(**{**base, "temperature": 0.5}).score(batch(1))  # type: ignore[arg-type]
        JudgeReward(**{**base, "backend": OpenAIBackend(model="b", base_url=server.url)}).score(batch(1))  # type: ignore[arg-type]
        JudgeReward(**base).score(RolloutBatch(prompts=("other",), completions=("\\boxed{40}",)))  # type: ignore[arg-type]
        assert len(server.requests) == 6


def test_a_corrupt_cache_file_is_a_miss(tmp_path: Path) -> None:
    with ScriptedServer(fixed_reply(GOOD)) as server:
        http_judge(server.url, tmp_path).score(batch(1))
        for path in tmp_path.rglob("*.json"):
            path.write_text("{not json", encoding="utf-8")
        assert http_judge(server.url, tmp_path).score(batch(1)).scores == (1.0,)
        assert len(server.requests) == 2


def test_finished_replies_are_cached_even_when_a_later_request_fails(tmp_path: Path) -> None:
    def fail_on_41(request: RecordedRequest) -> ScriptedReply:
        content = request.json()["messages"][-1]["content"]
        return ScriptedReply(status=400, body=b"no") if "\\boxed{41}" in content else chat_reply(GOOD)

    with ScriptedServer(fail_on_41) as server, pytest.raises(JudgeError):
        http_judge(server.url, tmp_path, concurrency=1).score(batch(3))
    assert len(list(tmp_path.rglob("*.json"))) >= 1


# --- the API key ----------------------------------------------------------------------------------------------


def test_the_api_key_goes_only_in_the_authorization_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("JUDGE_TEST_KEY", SECRET)
    echo_key = failing_then(1, ScriptedReply(status=500, body=f"bad key {SECRET}".encode()), chat_reply(GOOD))
    with ScriptedServer(echo_key) as server:
        reward = http_judge(server.url, tmp_path, api_key_env="JUDGE_TEST_KEY", retries=1)
        result = reward.score(batch(1))
        sent = server.requests
    assert sent[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert all(SECRET not in r.body.decode() for r in sent)
    assert SECRET not in repr(reward) and SECRET not in json.dumps(reward.to_config())
    assert SECRET not in repr(reward.client)
    assert SECRET not in repr(result)
    assert SECRET not in caplog.text and "[redacted]" in caplog.text  # the retry warning quoted the echoed key
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8")


def test_a_server_that_echoes_the_authorization_header_cannot_leak_the_key_into_judge_raw(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_TEST_KEY", SECRET)

    def echo_header(request: RecordedRequest) -> ScriptedReply:
        return chat_reply(f"Score: \\boxed{{7}}\nYou sent: {request.headers['Authorization']}")

    with ScriptedServer(echo_header) as server:
        reward = http_judge(server.url, tmp_path, api_key_env="JUDGE_TEST_KEY")
        result = reward.score(batch(2))
        again = reward.score(batch(2))  # from the cache this time
    for scored in (result, again):
        assert scored.scores == (2 / 3, 2 / 3)
        assert scored.diagnostics["judge_raw"] == (("Score: \\boxed{7}\nYou sent: Bearer [redacted]",),) * 2
    cached = [path.read_text(encoding="utf-8") for path in tmp_path.rglob("*.json")]
    assert cached and all(SECRET not in text and "[redacted]" in text for text in cached)


def test_the_key_is_scrubbed_as_written_and_as_json_escapes_it() -> None:
    key = "sk-a/b\\c"
    assert redact(f"raw {key}, escaped {json.dumps(key)[1:-1]}", key) == "raw [redacted], escaped [redacted]"
    assert redact("no key here", "") == "no key here"


def test_the_api_key_never_appears_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_TEST_KEY", SECRET)
    leaky = ScriptedServer(lambda request: ScriptedReply(status=401, body=f"invalid key {SECRET}".encode()))
    with leaky as server, pytest.raises(JudgeError) as error:
        http_judge(server.url, api_key_env="JUDGE_TEST_KEY").score(batch(1))
    assert SECRET not in str(error.value) and "invalid key [redacted]" in str(error.value)
    assert error.value.__cause__ is None and error.value.__context__ is None  # no chained server text either


@pytest.mark.parametrize("status", [401, 200])  # an error body, and a reply the parser refuses as garbage
@pytest.mark.parametrize("before_cut", [6, 13, len(SECRET) - 1])
def test_a_key_cut_across_the_200_character_boundary_leaks_none_of_its_characters(
        monkeypatch: pytest.MonkeyPatch, status: int, before_cut: int) -> None:
    monkeypatch.setenv("JUDGE_TEST_KEY", SECRET)
    body = ("x" * (200 - before_cut) + SECRET + " and more text after it").encode()
    assert body.decode().index(SECRET) + before_cut == 200  # the cut falls inside the key
    leaky = ScriptedServer(lambda request: ScriptedReply(status=status, body=body))
    with leaky as server, pytest.raises(JudgeError) as error:
        http_judge(server.url, api_key_env="JUDGE_TEST_KEY").score(batch(1))
    message = str(error.value)
    assert not any(SECRET[i:i + 6] in message for i in range(len(SECRET) - 5)), message
    assert "[redac" in message  # the marker itself may be cut


def test_a_key_before_the_cut_is_redacted_first_so_the_cut_shows_the_text_after_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGE_TEST_KEY", SECRET)
    body = ("x" * 150 + SECRET + "y" * 30 + " why").encode()  # 215 characters as sent, 194 redacted
    leaky = ScriptedServer(lambda request: ScriptedReply(status=401, body=body))
    with leaky as server, pytest.raises(JudgeError) as error:
        http_judge(server.url, api_key_env="JUDGE_TEST_KEY").score(batch(1))
    assert SECRET[:6] not in str(error.value) and "[redacted]" + "y" * 30 + " why'" in str(error.value)


def test_a_start_of_the_key_is_redacted_only_at_a_cut_and_from_six_characters() -> None:
    key = "sk-0123456789"
    assert redact("ends sk-0123…", key) == "ends [redacted]…"
    assert redact("ends sk-01…", key) == "ends sk-01…"  # five characters say too little to redact
    assert redact("mentions sk-0123 mid-text", key) == "mentions sk-0123 mid-text"


def test_without_a_key_no_authorization_header_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUDGE_TEST_KEY", raising=False)
    with ScriptedServer(fixed_reply(GOOD)) as server:
        http_judge(server.url, api_key_env="JUDGE_TEST_KEY").score(batch(1))
        assert "Authorization" not in server.requests[0].headers


def test_the_key_is_read_when_requests_are_sent_not_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUDGE_TEST_KEY", raising=False)
    with ScriptedServer(fixed_reply(GOOD)) as server:
        client = OpenAIClient(OpenAIBackend(model="m", base_url=server.url, api_key_env="JUDGE_TEST_KEY"))
        monkeypatch.setenv("JUDGE_TEST_KEY", "rotated-key")
        client.complete([ChatRequest(messages=(("user", "hi"),))])
        assert server.requests[0].headers["Authorization"] == "Bearer rotated-key"
    assert "rotated-key" not in repr(client) and "rotated-key" not in repr(vars(client))


def test_health_is_served_for_readiness_checks() -> None:
    import urllib.request

    with ScriptedServer(fixed_reply(GOOD)) as server, urllib.request.urlopen(
            f"http://127.0.0.1:{server.port}/health", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "ok"}


# --- text a strict server refuses -----------------------------------------------------------------------------

LONE = "\ud800"  # half of a UTF-16 pair: a Python string may hold it, UTF-8 cannot encode it


def strict_server(request: RecordedRequest) -> ScriptedReply:
    """A server whose JSON parser refuses lone surrogates (serde, jiter): a 400 the client does not retry."""
    contents = [m["content"] for m in json.loads(request.body.decode("utf-8"))["messages"]]
    try:
        for content in contents:
            content.encode("utf-8")
    except UnicodeEncodeError:
        return ScriptedReply(status=400, body={"error": "lone leading surrogate in hex escape"})
    return chat_reply("Score: \\boxed{7}\nVerdict: [[A]]")


@pytest.mark.parametrize("mode", ["pointwise", "pairwise"])
def test_a_lone_surrogate_in_a_prompt_or_completion_fails_no_batch(mode: str, tmp_path: Path) -> None:
    texts = RolloutBatch(prompts=(f"What is 6 * 7? {LONE}",) + ("What is 6 * 7?",) * 2,
                         completions=(f"\\boxed{{42}} {LONE}", "\\boxed{41}", "cut emoji \ud83d"),
                         answers=("42",) * 3, group_ids=(0, 0, 0))
    with ScriptedServer(strict_server) as server:
        reward = JudgeReward(backend=OpenAIBackend(model="m", base_url=server.url, retries=0), mode=mode,
                             cache_dir=str(tmp_path))
        result = reward.score(texts)
        sent = [m["content"] for r in server.requests for m in r.json()["messages"]]
    assert all(score is not None for score in result.scores)
    assert any("\ufffd" in content for content in sent)  # the lone halves arrive as U+FFFD


def test_a_reply_holding_a_lone_surrogate_is_kept_well_formed_and_cached(tmp_path: Path) -> None:
    body = b'{"choices": [{"message": {"role": "assistant", "content": "Score: \\\\boxed{7} \\ud800"}}]}'
    with ScriptedServer(lambda request: ScriptedReply(body=body)) as server:
        reward = http_judge(server.url, tmp_path)
        result = reward.score(batch(1))
    assert result.scores == (2 / 3,)
    assert result.diagnostics["judge_raw"] == (("Score: \\boxed{7} \ufffd",),)
    assert http_judge(closed_url(), tmp_path).score(batch(1)).diagnostics == result.diagnostics  # cached


def closed_url() -> str:
    return f"http://127.0.0.1:{closed_port()}/v1"
