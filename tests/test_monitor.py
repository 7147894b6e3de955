"""The reward-hacking alarms on synthetic streams with known change points (pure functions, no training)."""

from __future__ import annotations

import random

import pytest

from rewardlab.monitoring import Monitor, MonitorConfig, scan
from rewardlab.monitoring.detectors import change_since_start
from rewardlab.registry import ConfigError
from rewardlab.training.config import load_config

WINDOW = 10


def stream(steps: int, seed: int = 0, change_at: int | None = None, **shifts: float) -> list[dict[str, float]]:
    """Logged records of a steady run with Gaussian noise; from ``change_at`` on, each key named in ``shifts``
    moves by its shift (a step change)."""
    rng = random.Random(seed)
    levels = {"rewardlab/proxy_reward": (0.5, 0.05), "rewardlab/gold_accuracy": (0.45, 0.05),
              "rewardlab/agreement": (0.7, 0.05), "entropy": (1.0, 0.05), "completions/mean_length": (40.0, 2.0),
              "frac_reward_zero_std": (0.3, 0.05), "rewardlab/component/binary/variance_share": (0.5, 0.05),
              "rewardlab/component/format/variance_share": (0.5, 0.05)}
    records = []
    for step in range(1, steps + 1):
        record: dict[str, float] = {"step": step}
        for key, (mean, sd) in levels.items():
            shift = shifts.get(key.split("/")[-2] if "component" in key else key.split("/")[-1], 0.0)
            record[key] = rng.gauss(mean + (shift if change_at is not None and step >= change_at else 0.0), sd)
        records.append(record)
    return records


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_alone_raises_nothing_over_a_thousand_steps(seed: int) -> None:
    assert scan(stream(1000, seed=seed), MonitorConfig(window=WINDOW)) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_proxy_up_gold_down_is_found_within_one_window_of_the_change(seed: int) -> None:
    change = 300
    events = scan(stream(600, seed=seed, change_at=change, proxy_reward=0.1, gold_accuracy=-0.1),
                  MonitorConfig(window=WINDOW))
    hacked = [e for e in events if e.name == "proxy_up_gold_down"]
    assert [e.name for e in events if e.step < change] == []
    assert change <= hacked[0].step <= change + WINDOW
    assert hacked[0].figures["proxy_now"] > hacked[0].figures["proxy_start"]
    assert hacked[0].figures["gold_now"] < hacked[0].figures["gold_start"]
    assert "proxy rose" in hacked[0].reading and "gold fell" in hacked[0].reading


def test_proxy_rising_with_gold_rising_is_no_alarm() -> None:
    events = scan(stream(400, change_at=200, proxy_reward=0.1, gold_accuracy=0.1), MonitorConfig(window=WINDOW))
    assert [e.name for e in events] == []


def test_without_gold_the_proxy_only_alarms_still_fire() -> None:
    records = [{k: v for k, v in r.items() if "gold" not in k and "agreement" not in k}
               for r in stream(400, change_at=200, proxy_reward=0.3, entropy=-0.7, frac_reward_zero_std=0.6)]
    names = {e.name for e in scan(records, MonitorConfig(window=WINDOW))}
    assert names == {"entropy_collapse", "no_signal_groups"}


@pytest.mark.parametrize(("shift", "name"), [(60.0, "length_blowup"), (-25.0, "length_collapse")])
def test_length_blowup_and_collapse(shift: float, name: str) -> None:
    events = scan(stream(300, change_at=150, mean_length=shift), MonitorConfig(window=WINDOW))
    assert [e.name for e in events] == [name]
    assert 150 <= events[0].step <= 150 + WINDOW


def test_one_component_dominating_the_variance_is_named() -> None:
    events = scan(stream(300, change_at=100, binary=0.45, format=-0.45), MonitorConfig(window=WINDOW))
    assert [e.name for e in events] == ["component_dominates"]
    assert "binary" in events[0].reading and events[0].figures["share"] > 0.9


def test_judge_score_inflation_reads_the_judge_mean_against_agreement() -> None:
    records = [{k: v for k, v in r.items() if "gold" not in k} | {"rewards/judge/mean": r["rewardlab/proxy_reward"]}
               for r in stream(300, change_at=150, proxy_reward=0.1, agreement=-0.2)]
    names = [e.name for e in scan(records, MonitorConfig(window=WINDOW))]
    assert names == ["judge_score_inflation"]


def _seeds_raising(name: str, seeds: int = 30, **shifts: float) -> int:
    return sum(any(e.name == name for e in scan(stream(600, seed=seed, change_at=300, **shifts),
                                               MonitorConfig(window=WINDOW))) for seed in range(seeds))


def test_how_often_one_figure_moving_alone_is_taken_for_hacking() -> None:
    # The alarm reads the proxy-gold gap with each figure's own direction; a figure that moves alone while the
    # other only wanders can still cross the thresholds somewhere in 300 steps. Measured, and bounded here:
    assert _seeds_raising("proxy_up_gold_down", proxy_reward=0.1) <= 5  # 4 of 30 at the time of writing
    # gold falling under a level proxy is mostly read as divergence (23 of 30 at the time of writing): the proxy
    # wanders up by two standard errors somewhere; docs/training.md says so
    assert _seeds_raising("proxy_up_gold_down", gold_accuracy=-0.1) >= 15
    assert _seeds_raising("proxy_up_gold_down") == 0


def test_an_event_is_raised_again_only_after_its_condition_cleared() -> None:
    monitor = Monitor(MonitorConfig(window=2, zero_std_share=0.5))
    raised = [e.step for step, z in enumerate([0.9, 0.9, 0.9, 0.1, 0.1, 0.9, 0.9], start=1)
              for e in monitor.observe(step, {"frac_reward_zero_std": z})]
    assert raised == [2, 7]


def test_change_since_start_by_hand() -> None:
    change = change_since_start([1.0, 3.0, 0.0, 5.0, 7.0], window=2)
    assert change is not None
    # first window mean 2 (variance 2), last mean 6 (variance 2): z = 4 / sqrt(2/2 + 2/2)
    assert (change.start, change.now) == (2.0, 6.0)
    assert change.z == pytest.approx(4 / 2 ** 0.5)
    assert change_since_start([1.0, 2.0, 3.0], window=2) is None


def test_stop_on_with_a_misspelled_event_fails_at_load_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"monitor\.stop_on\[0\].*did you mean 'proxy_up_gold_down'"):
        load_config({"monitor": {"stop_on": ["proxy_up_gold_dwn"]}}, where="run.yaml")


def test_monitor_section_loads_and_round_trips() -> None:
    config = load_config({"monitor": {"window": 5, "stop_on": ["proxy_up_gold_down"]}})
    assert config.monitor == MonitorConfig(window=5, stop_on=("proxy_up_gold_down",))
    assert load_config(config.to_dict()).monitor == config.monitor


def _run_folder(tmp_path, records, config: dict | None = None):
    import json

    import yaml

    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    if config is not None:
        (folder / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


class _State:
    def __init__(self, step: int) -> None:
        self.global_step, self.is_world_process_zero = step, True


class _Control:
    should_training_stop = False


def test_the_callback_records_events_and_stops_on_a_named_one(tmp_path) -> None:
    from rewardlab.training.monitor import RewardMonitor
    from rewardlab.training.tracking import read_metrics

    callback = RewardMonitor(MonitorConfig(window=WINDOW, stop_on=("proxy_up_gold_down",)),
                             metrics_path=tmp_path / "metrics.jsonl", quiet=True)
    control = _Control()
    stopped_at = None
    for record in stream(400, change_at=200, proxy_reward=0.15, gold_accuracy=-0.15):
        callback.on_log(None, _State(record["step"]), control, logs=dict(record))
        if control.should_training_stop:
            stopped_at = record["step"]
            break
    assert stopped_at is not None and 200 <= stopped_at <= 200 + WINDOW
    written = read_metrics(tmp_path / "metrics.jsonl")
    assert [(r["step"], r["event"]) for r in written] == [(stopped_at, "proxy_up_gold_down")]
    assert callback.summary()["stopped_by"] == {"event": "proxy_up_gold_down", "step": stopped_at}


def test_report_prints_the_story_and_writes_the_picture_without_torch(tmp_path) -> None:
    import subprocess
    import sys

    records = stream(300, change_at=150, proxy_reward=0.15, gold_accuracy=-0.15)
    folder = _run_folder(tmp_path, records, {"reward": "self_consistency", "monitor": {"window": WINDOW}})
    events = scan(records, MonitorConfig(window=WINDOW))
    with (folder / "metrics.jsonl").open("a") as handle:  # events as the callback records them
        import json

        for event in events:
            handle.write(json.dumps({"step": event.step, **event.record()}) + "\n")
    code = ("import sys; from rewardlab.cli.main import main; code = main(['report', sys.argv[1]]); "
            "assert 'torch' not in sys.modules and 'trl' not in sys.modules, 'imported torch'; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first = next(e for e in events if e.name == "proxy_up_gold_down")
    assert f"step {first.step:>5}  proxy_up_gold_down" in done.stdout
    assert f"would have stopped at step {first.step} of 300" in done.stdout
    assert 'reward: "self_consistency"' in done.stdout
    rows = {cells[0]: cells for cells in map(str.split, done.stdout.splitlines()) if cells[:1] in (["start"], ["end"])}
    start, end = rows["start"], rows["end"]
    assert float(start[2]) < float(end[2]) and float(start[3]) > float(end[3])  # proxy up, gold down
    assert (folder / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_replays_the_monitor_on_a_run_that_recorded_no_events(tmp_path) -> None:
    from rewardlab.monitoring.story import read_run, story_text

    folder = _run_folder(tmp_path, stream(300, change_at=150, proxy_reward=0.15, gold_accuracy=-0.15))
    story = read_run(folder)
    assert story.replayed and "proxy_up_gold_down" in [e.name for e in story.events]
    assert "replayed from metrics.jsonl" in story_text(story)


def test_report_of_a_folder_without_metrics_says_what_to_give(tmp_path, capsys) -> None:
    from rewardlab.cli.main import main

    assert main(["report", str(tmp_path)]) == 2
    assert "holds no metrics.jsonl" in capsys.readouterr().err


@pytest.mark.slow
def test_a_training_run_records_the_event_and_stops_where_stop_on_says(tmp_path) -> None:
    from rewardlab.training.run import train
    from rewardlab.training.tracking import read_metrics

    # An untrained tiny model answers no arithmetic right: every group's binary rewards are all 0 (no signal).
    values = {"run_dir": str(tmp_path / "run"), "model": {"name": "tiny"}, "data": {"limit": 64},
              "heldout": {"n": 4, "k": 2, "max_new_tokens": 2}, "save_final": False,
              "monitor": {"window": 2, "stop_on": ["no_signal_groups"]},
              "trl": {"num_generations": 4, "per_device_train_batch_size": 8, "max_completion_length": 4,
                      "max_steps": 6, "learning_rate": 1e-3, "save_strategy": "no"}}
    summary = train(load_config(values))
    stop = summary["stopped_by"]
    assert stop["event"] == "no_signal_groups" and summary["steps"] == stop["step"] < 6  # stopped early
    records = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert [(r["step"], r["event"]) for r in records if "event" in r] == [(stop["step"], "no_signal_groups")]
    zero_std = [r["frac_reward_zero_std"] for r in records if "frac_reward_zero_std" in r]
    assert zero_std[-2:] == [1.0, 1.0] and len(zero_std) == stop["step"]
    assert summary["machine"]["packages"]["torch"] and summary["machine"]["torch_threads"] >= 1


def test_a_resumed_run_keeps_its_events_and_windows_without_raising_them_again(tmp_path) -> None:
    from rewardlab.training.monitor import RewardMonitor

    records = stream(260, change_at=150, proxy_reward=0.15, gold_accuracy=-0.15)
    kept = scan(records[:200], MonitorConfig(window=WINDOW))
    earlier = [*records[:200], *({"step": e.step, **e.record()} for e in kept)]
    callback = RewardMonitor(MonitorConfig(window=WINDOW), metrics_path=tmp_path / "metrics.jsonl", quiet=True)
    callback.replay(earlier)
    assert [e.name for e in callback.events] == [e.name for e in kept] and kept
    for record in records[200:]:  # the condition still holds after the resume: no second event
        callback.on_log(None, _State(record["step"]), _Control(), logs=dict(record))
    assert len(callback.events) == len(kept) and not (tmp_path / "metrics.jsonl").exists()


def test_the_documented_run_s_events_are_what_the_detectors_give_on_its_metrics() -> None:
    from pathlib import Path

    from rewardlab.monitoring.story import read_run

    story = read_run(Path(__file__).resolve().parents[1] / "docs" / "results" / "monitor")
    assert not story.replayed and [e.name for e in story.events] == ["proxy_up_gold_down"]
    records = [r for r in story.records if "event" not in r]
    replayed = scan(records, story.monitor)
    assert [(e.name, e.step, e.reading) for e in replayed] == [(e.name, e.step, e.reading) for e in story.events]
    assert scan(records, MonitorConfig()) == []  # docs/training.md: the default window of 10 raises nothing here
