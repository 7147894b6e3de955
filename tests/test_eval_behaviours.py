"""``rewardlab eval``'s behaviours report: the table's top detectors in 100 columns, the JSON's ``behaviours``,
Markdown and CSV, ``--behaviour``, ``--no-behaviours`` and ``--elicit-to``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rewardlab.cli.eval_tables import (
    TOP_BEHAVIOURS,
    behaviour_table_rows,
    csv_text,
    markdown,
    print_table,
    report_json,
)
from rewardlab.cli.main import main
from rewardlab.evaluation.comparison import compare_reports
from rewardlab.evaluation.report import Report, Samples, evaluate_samples
from rewardlab.metrics.elicitation import projected_accuracy

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rollouts.jsonl"
LONG_NAME = "{type: reward, reward: {type: weighted_sum, terms: [{reward: format, weight: 1}]}}"


def samples_with_behaviours(count: int = 8) -> Samples:
    """20 problems × 8 samples; ``count`` behaviours, one never shown and one with a long name."""
    n = 160
    correct = tuple(i % 3 == 0 or i % 8 == 1 for i in range(n))
    behaviours = {f"b{j}": tuple((i * (j + 3)) % (j + 2) == 0 for i in range(n)) for j in range(count - 2)}
    behaviours["never"] = (False,) * n
    behaviours[LONG_NAME] = tuple(i % 3 == 0 for i in range(n))
    return Samples(problems=tuple(f"problem {i // 8}" for i in range(n)), completions=("\\boxed{1}",) * n,
                   correct=correct, answers=("1",) * n, behaviours=behaviours)


def report_of(samples: Samples, **options: float) -> Report:
    return evaluate_samples(samples, resamples=300, **options)  # type: ignore[arg-type]


def test_the_table_shows_the_top_behaviours_in_100_columns_with_every_number(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    report = report_of(samples_with_behaviours())
    comparison = compare_reports(report, report_of(samples_with_behaviours()), resamples=100)
    for subject in (report, comparison):
        print_table(subject)
        out = capsys.readouterr().out
        assert max(len(line) for line in out.splitlines()) <= 100
        rows = behaviour_table_rows(report.behaviours)  # type: ignore[arg-type]
        assert len(rows) == TOP_BEHAVIOURS
        for row in rows:
            for cell in row[1:]:
                assert cell in out, f"{cell} is missing or cut"
        assert "2 more behaviour(s)" in out and "problems with a correct and a wrong sample" in out


def test_the_table_ranks_the_largest_gain_first_and_leaves_unknown_gains_last() -> None:
    behaviours = report_of(samples_with_behaviours()).behaviours
    assert behaviours is not None
    ranked = behaviours.ranked()
    gains = [behaviours.gain(s) for s in ranked[:-1]]
    assert gains == sorted(gains, reverse=True) and ranked[-1].name == "never"
    assert gains[0] > 0 > gains[-1]  # the sample data holds both kinds, so the order is tested


def test_json_holds_plain_numbers_and_intervals_per_behaviour() -> None:
    out = report_json(report_of(samples_with_behaviours(), elicit_to=0.8))
    json.dumps(out, allow_nan=False)  # NaN is null
    assert set(out["behaviours"]) == {"b0", "b1", "b2", "b3", "b4", "b5", "never", LONG_NAME}
    b0 = out["behaviours"]["b0"]
    for key in ("share", "accuracy_with", "accuracy_without", "difference", "ceiling"):
        assert isinstance(b0[key], float), key
        low, high = b0[f"{key}_ci"]
        assert low <= b0[key] <= high, key
    assert b0["ceiling"] == pytest.approx(projected_accuracy(0.8, b0["accuracy_with"], b0["accuracy_without"]))
    never = out["behaviours"]["never"]
    assert never["share"] == 0.0 and never["accuracy_with"] is None and never["accuracy_with_ci"] is None
    assert out["elicit_to"] == 0.8 and 0.0 <= out["mixed_problems"] <= 1.0 and len(out["mixed_problems_ci"]) == 2


def test_markdown_and_csv_hold_every_behaviour_with_its_interval() -> None:
    report = report_of(samples_with_behaviours())
    text = markdown(report)
    for name in ("b0", "b5", "never"):
        assert f"| {name} |" in text
    rows = {row["figure"]: row for row in csv.DictReader(csv_text(report).splitlines())}
    b0 = report.behaviours.behaviours[0]  # type: ignore[union-attr]
    assert float(rows["behaviour:b0/share"]["value"]) == b0.share.value
    assert float(rows["behaviour:b0/share_low"]["value"]) == b0.share.low
    assert rows["behaviour:never/accuracy_with"]["value"] == "" and rows["mixed_problems"]["section"] == "behaviours"


def test_a_report_without_behaviours_has_no_behaviour_table() -> None:
    plain = Samples(problems=("a", "b"), completions=("x", "y"), correct=(True, False), answers=("1", "2"))
    report = evaluate_samples(plain)
    assert report.behaviours is None and report_json(report)["behaviours"] == {}
    assert "behaviours:" not in markdown(report) and "behaviour:" not in csv_text(report)


@pytest.mark.slow  # scores the example with the checker's workers, three times
def test_the_command_reports_the_default_behaviours_chosen_ones_or_none(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = ["eval", str(EXAMPLE), "--json", "--out", str(tmp_path), "--resamples", "200"]
    assert main(base) == 0
    assert list(json.loads(capsys.readouterr().out)["behaviours"]) == ["code", "boxed", "abstain", "long"]
    assert main([*base, "--behaviour", "code", "--behaviour", "{type: reward, reward: format}",
                 "--elicit-to", "0.5"]) == 0
    chosen = json.loads(capsys.readouterr().out)
    assert list(chosen["behaviours"]) == ["code", "format"] and chosen["elicit_to"] == 0.5
    code = chosen["behaviours"]["code"]
    assert code["ceiling"] == pytest.approx(0.5 * code["accuracy_with"] + 0.5 * code["accuracy_without"])
    assert main([*base, "--no-behaviours"]) == 0
    assert json.loads(capsys.readouterr().out)["behaviours"] == {}


@pytest.mark.parametrize(("extra", "message"), [
    (["--elicit-to", "1.5"], "--elicit-to is a behaviour share in [0, 1]"),
    (["--behaviour", "cod"], "unknown behaviour detector 'cod'; did you mean 'code'?"),
    (["--behaviour", "[1, 2]"], "behaviour spec '[1, 2]' is neither a name nor a mapping"),
    (["--behaviour", "code", "--no-behaviours"], "give --behaviour or --no-behaviours, not both"),
])
def test_bad_behaviour_flags_are_named(extra: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(EXAMPLE), *extra]) == 2
    assert message in capsys.readouterr().err
