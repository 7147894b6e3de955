"""``rewardlab sample``: problems and prompts, the output file and its resumption, the endpoint backend against a
scripted server, and the one-line errors a user sees. Real models are in test_sample_models.py."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import pytest

from rewardlab.cli.main import main
from rewardlab.cli.sample import add_sampling_arguments, settings_from_args
from rewardlab.data import read_rollouts
from rewardlab.judge.testing import RecordedRequest, ScriptedReply, ScriptedServer, chat_reply, closed_port
from rewardlab.openai_client import parse_text_reply
from rewardlab.sampling import SampleSettings, sample_to_file
from rewardlab.sampling.problems import Problem, load_problems
from rewardlab.sampling.requests import build_requests, sample_seed

PROBLEMS = [{"prompt": f"What is {a} + {b}?", "answer": str(a + b), "id": f"add-{a}-{b}"}
            for a, b in [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]]


def problems_file(tmp_path: Path, rows: list[dict[str, str]] = PROBLEMS, suffix: str = ".jsonl") -> Path:
    path = tmp_path / f"problems{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def load_problems_from(rows: list[dict[str, str]]) -> tuple[Problem, ...]:
    return tuple(Problem(prompt=r["prompt"], answer=r["answer"], id=r["id"]) for r in rows)


def adder(request: RecordedRequest) -> ScriptedReply:
    """Answers 'What is a + b?' right when a is 1 more than a multiple of 4, else off by one; says it ran out of
    tokens when a is 3."""
    text = request.json()["messages"][0]["content"]
    a, b = (int(part.strip("?")) for part in text.split("What is ")[1].split(" + "))
    return chat_reply(f"The sum is \\boxed{{{a + b + (a % 4 != 1)}}}.", completion_tokens=9,
                      finish_reason="length" if a == 3 else "stop")


def endpoint_settings(url: str, data: Path, **fields: object) -> SampleSettings:
    return SampleSettings(**{"model": "served-model", "data": str(data), "endpoint": url, "concurrency": 4,
                             **fields})


# --- problems and prompts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_users_file_gives_its_problems_with_their_ids(tmp_path: Path, suffix: str) -> None:
    rows = [*PROBLEMS[:2], {"prompt": "What is 0 + 0?", "answer": "0"}]
    problems = load_problems(str(problems_file(tmp_path, rows, suffix)))
    assert [(p.prompt, p.answer) for p in problems] == [(r["prompt"], r["answer"]) for r in rows]
    assert [p.id for p in problems[:2]] == ["add-1-2", "add-3-4"] and problems[2].id == "problems/test/2"


def test_a_shipped_set_loads_by_name_up_to_the_limit() -> None:
    problems = load_problems("GSM-8K", limit=3)
    assert len(problems) == 3 and all(p.prompt and p.answer for p in problems)


def test_the_template_replaces_only_the_prompt_so_latex_survives() -> None:
    [problem] = load_problems_from(PROBLEMS[:1])
    template = "Solve: {prompt}\nPut the final answer in \\boxed{} and {x} stays."
    [request] = build_requests([problem], n=1, template=template, seed=0)
    assert request.prompt == "Solve: What is 1 + 2?\nPut the final answer in \\boxed{} and {x} stays."


def test_a_samples_seed_depends_on_its_place_not_on_the_group_size() -> None:
    problems = load_problems_from(PROBLEMS[:2])
    four = {r.key: r.seed for r in build_requests(problems, n=4, template="{prompt}", seed=7)}
    two = {r.key: r.seed for r in build_requests(problems, n=2, template="{prompt}", seed=7)}
    assert all(four[key] == seed for key, seed in two.items())
    assert len(set(four.values())) == 8 and sample_seed(8, 0, 0) != four[(0, 0)]


def test_local_decoding_is_greedy_at_temperature_zero_and_otherwise_samples_as_an_api_does() -> None:
    from rewardlab.sampling.backends.local import generation_settings

    greedy = generation_settings(SampleSettings(model="m", data="d", temperature=0.0, max_new_tokens=8), 5).options(2)
    assert greedy["do_sample"] is False and greedy["max_new_tokens"] == 8 and greedy["pad_token_id"] == 2
    settings = generation_settings(SampleSettings(model="m", data="d", temperature=0.7, top_p=0.9, concurrency=3), 5)
    sampled = settings.options(2)
    assert (sampled["do_sample"], sampled["temperature"], sampled["top_p"]) == (True, 0.7, 0.9)
    assert sampled["top_k"] == 0  # no top-k cut, as OpenAI-compatible servers sample
    assert (settings.seed, settings.batch_size, settings.samples) == (5, 3, 1)  # a batch of requests, seeded


def test_a_text_completion_reply_is_parsed() -> None:
    body = b'{"choices": [{"text": "42", "finish_reason": "stop"}], "usage": {"completion_tokens": 1}}'
    reply = parse_text_reply(body)
    assert (reply.text, reply.completion_tokens, reply.finish_reason) == ("42", 1, "stop")
    with pytest.raises(ValueError, match="not a text completion"):
        parse_text_reply(b'{"choices": [{"message": {"content": "42"}}]}')


# --- the endpoint backend, end to end ---------------------------------------------------------------------------


@pytest.mark.slow  # rewardlab score loads the answer checker
def test_endpoint_samples_are_a_rollouts_file_that_score_reads(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rollouts.jsonl"
    with ScriptedServer(adder) as server:
        sample_to_file(endpoint_settings(server.url, problems_file(tmp_path), n=3, temperature=0.7, seed=5), out,
                       progress=False)
        sent = [r.json() for r in server.requests]
    rows = read_rollouts(out)
    assert sorted((r["group_id"], r["sample"]) for r in rows) == [(g, s) for g in range(5) for s in range(3)]
    for row in rows:
        problem = PROBLEMS[row["group_id"]]
        assert (row["prompt"], row["answer"], row["id"]) == (problem["prompt"], problem["answer"], problem["id"])
        assert (row["model"], row["backend"], row["temperature"], row["seed"]) == ("served-model", "openai", 0.7, 5)
        assert row["completion"].startswith("The sum is \\boxed{") and row["completion_tokens"] == 9
        assert row["truncated"] is (problem["prompt"] == "What is 3 + 4?")  # the server's finish_reason: length
    assert {(b["model"], b["temperature"], b["max_tokens"]) for b in sent} == {("served-model", 0.7, 1024)}
    assert len({b["seed"] for b in sent}) == 15  # each sample its own seed
    assert main(["score", str(out), "-r", "binary", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)["rows"]
    assert row["mean"] == pytest.approx(3 / 5)  # a = 1, 5 and 9 of a = 1, 3, 5, 7, 9


def test_rerunning_appends_only_the_missing_samples(tmp_path: Path) -> None:
    data, out = problems_file(tmp_path), tmp_path / "rollouts.jsonl"
    with ScriptedServer(adder) as server:
        sample_to_file(endpoint_settings(server.url, data, n=2, limit=3), out, progress=False)
        assert len(server.requests) == 6
        sample_to_file(endpoint_settings(server.url, data, n=2, limit=3), out, progress=False)
        assert len(server.requests) == 6  # nothing sampled twice
        sample_to_file(endpoint_settings(server.url, data, n=3), out, progress=False)
        assert len(server.requests) == 15  # 5 problems x 3, of which 3 x 2 were there
    keys = [(r["group_id"], r["sample"]) for r in read_rollouts(out)]
    assert sorted(keys) == [(g, s) for g in range(5) for s in range(3)]


def test_a_last_line_cut_by_a_kill_is_dropped_and_drawn_again(tmp_path: Path) -> None:
    data, out = problems_file(tmp_path), tmp_path / "rollouts.jsonl"
    with ScriptedServer(adder) as server:
        sample_to_file(endpoint_settings(server.url, data, limit=2), out, progress=False)
        whole = out.read_text(encoding="utf-8")
        out.write_text(whole[:-25], encoding="utf-8")  # the second line, cut short
        sample_to_file(endpoint_settings(server.url, data, limit=2), out, progress=False)
        assert len(server.requests) == 3
    assert out.read_text(encoding="utf-8").count("\n") == 2
    assert sorted((r["group_id"], r["sample"]) for r in read_rollouts(out)) == [(0, 0), (1, 0)]


def test_a_file_drawn_with_other_settings_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, out = problems_file(tmp_path), tmp_path / "rollouts.jsonl"
    with ScriptedServer(adder) as server:
        sample_to_file(endpoint_settings(server.url, data, limit=2), out, progress=False)
        code = main(["sample", "served-model", "--data", str(data), "--endpoint", server.url, "--temperature", "0.5",
                     "-o", str(out)])
        assert len(server.requests) == 2
    err = capsys.readouterr().err
    assert code == 2 and "drawn with temperature=1.0, not 0.5" in err and "another file (-o)" in err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_progress_off_a_terminal_is_a_line_per_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, out = problems_file(tmp_path), tmp_path / "rollouts.jsonl"
    with ScriptedServer(adder) as server:
        sample_to_file(endpoint_settings(server.url, data, n=2), out)
        sample_to_file(endpoint_settings(server.url, data, n=2), out)
    lines = capsys.readouterr().err.splitlines()
    assert "starting the openai backend for served-model" in lines
    assert lines[0] == "starting the openai backend for served-model"  # said at once, before the model answers
    assert "sampling: 10/10 samples" in lines[-3] and "/s, ETA 0 s, " in lines[-3]
    assert lines[-2] == f"{out}: 10 samples written" + lines[-2].split("written")[1]
    assert lines[-1] == f"{out}: all 10 samples asked for are there already"


def test_a_file_holding_more_samples_than_asked_says_so_and_which_it_uses(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, out = problems_file(tmp_path), tmp_path / "rollouts.jsonl"
    with ScriptedServer(adder) as server:
        sample_to_file(endpoint_settings(server.url, data, n=8), out, progress=False)
        capsys.readouterr()
        sample_to_file(endpoint_settings(server.url, data, n=2), out)
        assert len(server.requests) == 40  # nothing more drawn
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (f"{out}: holds 40 samples (up to 8 per problem), more than the 10 asked (-n 2): these "
                        "settings use samples 0-1 of problems 0-4 and draw only those missing; the other 30 stay in "
                        "the file, and rewardlab eval and score read every line, so to evaluate only these write to "
                        "another file (-o)")
    assert lines[1] == f"{out}: all 10 samples asked for are there already"
    assert len(out.read_text(encoding="utf-8").splitlines()) == 40  # the file is left as it was


def test_the_sampling_eta_is_measured_once_a_tenth_is_drawn_and_estimating_before(
        capsys: pytest.CaptureFixture[str]) -> None:
    from rewardlab.sampling.progress import SampleProgress

    with SampleProgress(100, 0) as report:
        report.advance(9)
        assert "ETA estimating" in report.line()
        report.advance(1)
        assert re.search(r"\(\d+\.\d\d/s, ETA \d+ s, \d+ s in\)$", report.line()), report.line()


def test_off_a_terminal_sampling_says_a_line_whenever_it_was_silent_for_the_heartbeat(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import time

    from rewardlab.sampling import progress

    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.05)
    with progress.SampleProgress(20, 0) as report:
        report.note("starting the transformers backend for smollm2")
        time.sleep(0.3)  # a model loading: nothing drawn yet
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "starting the transformers backend for smollm2"
    assert sum(line.startswith("sampling: 0/20 samples (ETA estimating") for line in lines[1:]) >= 3, lines


# --- errors: one line, exit 2, no traceback ---------------------------------------------------------------------


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_an_unknown_data_name_suggests_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["sample", "smollm2", "--data", "gsm9k", "-o", str(tmp_path / "o.jsonl")], capsys)
    assert code == 2 and "unknown dataset 'gsm9k'; did you mean 'gsm8k'?" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_a_missing_data_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["sample", "smollm2", "--data", str(tmp_path / "mine.jsonl"), "-o", str(tmp_path / "o")],
                        capsys)
    assert code == 2 and f"no such data file: {tmp_path / 'mine.jsonl'}" in err


def test_rows_without_an_answer_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = problems_file(tmp_path, [{"prompt": "What is 1 + 1?"}])
    code, err = run_cli(["sample", "smollm2", "--data", str(data), "-o", str(tmp_path / "o.jsonl")], capsys)
    assert code == 2 and "no answer field" in err


def test_an_unreachable_endpoint_says_to_start_the_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code, err = run_cli(["sample", "m", "--data", str(problems_file(tmp_path)), "--endpoint", url, "-o",
                         str(tmp_path / "o.jsonl")], capsys)
    assert code == 2 and f"cannot reach the endpoint {url}" in err and "start the server" in err


def test_an_endpoint_refusing_requests_fails_in_one_line_without_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-sample-test-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    echo = ScriptedServer(lambda r: ScriptedReply(status=401, body=f"bad key {r.headers['Authorization']}".encode()))
    with echo as server:
        code, err = run_cli(["sample", "m", "--data", str(problems_file(tmp_path)), "--endpoint", server.url, "-o",
                             str(tmp_path / "o.jsonl")], capsys)
        assert server.requests[0].headers["Authorization"] == f"Bearer {secret}"
    assert code == 2 and "failed after 1 attempt: HTTP 401" in err and "bad key Bearer [redacted]" in err
    assert secret not in err and len(err.strip().splitlines()) == 2  # "starting ..." and the error


def test_the_vllm_backend_without_vllm_says_how_to_install_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # an import of vllm now fails, installed or not
    code, err = run_cli(["sample", "smollm2", "--data", str(problems_file(tmp_path)), "--backend", "vllm", "-o",
                         str(tmp_path / "o.jsonl")], capsys)
    assert code == 2 and "pip install 'rewardlab[vllm]'" in err


@pytest.mark.parametrize(("flags", "message"), [
    (["--top-p", "0"], "top_p must be in (0, 1]"),
    (["-n", "0"], "n must be >= 1"),
    (["--template", "no prompt here"], "the template must contain '{prompt}'"),
    (["--backend", "transformers", "--endpoint", "http://127.0.0.1:1/v1"], "--endpoint is for the openai backend"),
    (["--backend", "openai"], "the openai backend needs --endpoint"),
    (["--endpoint", "localhost:8000"], "endpoint must be an http(s) URL"),
])
def test_bad_settings_are_refused_before_anything_loads(flags: list[str], message: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["sample", "smollm2", "--data", "gsm8k", *flags, "-o", str(tmp_path / "o.jsonl")], capsys)
    assert code == 2 and message in err


# --- the flags, for other commands ------------------------------------------------------------------------------


def test_the_sampling_flags_make_settings(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_sampling_arguments(parser)
    template = tmp_path / "t.txt"
    template.write_text("Q: {prompt}\n\\boxed{}", encoding="utf-8")
    args = parser.parse_args(["m", "--data", "math500", "--limit", "5", "-n", "4", "--temperature", "0.6",
                              "--top-p", "0.95", "--max-new-tokens", "64", "--template-file", str(template),
                              "--no-chat", "--seed", "3", "--endpoint", "http://h:1/v1", "--concurrency", "8"])
    assert settings_from_args(args) == SampleSettings(
        model="m", data="math500", split="test", limit=5, n=4, temperature=0.6, top_p=0.95, max_new_tokens=64,
        template="Q: {prompt}\n\\boxed{}", chat=False, seed=3, endpoint="http://h:1/v1", concurrency=8, backend="auto")
    assert settings_from_args(parser.parse_args(["m", "--data", "x"])) == SampleSettings(model="m", data="x")
