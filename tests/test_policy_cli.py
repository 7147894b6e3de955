"""``rewardlab score/eval --policy MODEL``: a model read from a folder gives the rewards that read the policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardlab.cli.main import main
from tests.test_policy_view import _hand

ROWS = [{"prompt": "q: 1+2=", "completion": "3 so \\boxed{3}", "answer": "3", "group_id": 0},
        {"prompt": "q: 1+2=", "completion": "4", "answer": "3", "group_id": 0},
        {"prompt": "q: 5+5=", "completion": "10 \\boxed{10}", "answer": "10", "group_id": 1},
        {"prompt": "q: 5+5=", "completion": "the answer is 9", "answer": "10", "group_id": 1}]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    from rewardlab.models.tiny import char_tokenizer, tiny_model

    folder = tmp_path_factory.mktemp("policy")
    tokenizer = char_tokenizer()
    tiny_model(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _rollouts(tmp_path: Path) -> Path:
    path = tmp_path / "rollouts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def _hand_self_certainty(model_dir: Path) -> list[float]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model, tokenizer = AutoModelForCausalLM.from_pretrained(model_dir).eval(), AutoTokenizer.from_pretrained(model_dir)
    out = []
    for row in ROWS:
        hand = _hand(model, tokenizer(row["prompt"])["input_ids"],
                     tokenizer(row["completion"], add_special_tokens=False)["input_ids"], 1.0)
        out.append(sum(h[2] for h in hand) / len(hand))
    return out


@pytest.mark.slow
def test_score_with_policy_reads_the_model_s_self_certainty(model_dir: Path, tmp_path: Path, capsys) -> None:
    code = main(["score", str(_rollouts(tmp_path)), "-r", "self_certainty", "-r", "entropy", "--policy",
                 str(model_dir), "--json"])
    assert code == 0, capsys.readouterr().err
    rows = {row["reward"]: row for row in json.loads(capsys.readouterr().out)["rows"]}
    hand = _hand_self_certainty(model_dir)
    assert rows["self_certainty"]["mean"] == pytest.approx(sum(hand) / len(hand), abs=1e-5)
    assert rows["self_certainty"]["n_signal"] == 4 and rows["entropy"]["mean"] < 0


def test_score_of_a_policy_reward_without_policy_fails_naming_the_flag(tmp_path: Path, capsys) -> None:
    assert main(["score", str(_rollouts(tmp_path)), "-r", "binary", "-r", "{type: entropy, span: answer}"]) == 2
    err = capsys.readouterr().err
    assert "reward 'entropy' reads the policy" in err and "--policy MODEL" in err


def test_eval_of_a_policy_reward_without_policy_fails_naming_the_flag(tmp_path: Path, capsys) -> None:
    assert main(["eval", str(_rollouts(tmp_path)), "-r", "reference_probability", "--out", str(tmp_path)]) == 2
    assert "--policy MODEL" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_with_policy_reports_a_policy_reward(model_dir: Path, tmp_path: Path, capsys) -> None:
    code = main(["eval", str(_rollouts(tmp_path)), "-r", "self_certainty", "--policy", str(model_dir), "--json",
                 "--out", str(tmp_path), "--resamples", "100", "--no-behaviours"])
    assert code == 0, capsys.readouterr().err
    report = json.loads(capsys.readouterr().out)
    hand = _hand_self_certainty(model_dir)
    assert report["rewards"]["self_certainty"]["mean"] == pytest.approx(sum(hand) / len(hand), abs=1e-5)
