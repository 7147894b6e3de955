"""A run's story from its folder alone: its configuration, its figures at start, best and end, its events, and a
picture of proxy, gold, entropy and length over steps with the events marked (``rewardlab report RUN_DIR``).

Reads ``config.yaml``, ``metrics.jsonl`` and ``summary.json`` (when the run finished); imports neither torch
nor TRL. A run that recorded no events (trained before the monitor existed, or with ``monitor.enabled: false``)
has them replayed from its metrics with its ``monitor:`` settings, and the story says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from rewardlab.monitoring.detectors import (
    ENTROPY_KEYS,
    GOLD_KEYS,
    LENGTH_KEYS,
    PROXY_KEYS,
    Event,
    MonitorConfig,
    scan,
)

# The figures of the story's table and picture: (label, candidate keys, higher is better).
FIGURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("proxy", PROXY_KEYS), ("gold", GOLD_KEYS), ("agreement", ("rewardlab/agreement",)),
    ("entropy", ENTROPY_KEYS), ("length", LENGTH_KEYS), ("no-signal groups", ("frac_reward_zero_std",)),
)
# What the configuration lines show, by section.
CONFIG_LINES = ("model", "data", "reward", "gold", "advantage", "clipping", "monitor")


@dataclass(frozen=True)
class RunStory:
    """What a run folder holds, read once."""

    run_dir: Path
    config: dict[str, Any]
    records: list[dict[str, Any]]
    summary: dict[str, Any] | None
    monitor: MonitorConfig
    events: tuple[Event, ...]
    replayed: bool

    def series(self, keys: Sequence[str]) -> list[tuple[int, float]]:
        """(step, value) of the first of ``keys`` the records carry."""
        for key in keys:
            points = [(int(r["step"]), float(r[key])) for r in self.records
                      if "event" not in r and isinstance(r.get(key), (int, float))]
            if points:
                return points
        return []

    def would_stop(self) -> Event | None:
        """The first event named in ``stop_on`` (by default ``proxy_up_gold_down``): where the run stops, or would."""
        names = self.monitor.stop_on or ("proxy_up_gold_down",)
        return next((e for e in self.events if e.name in names), None)


def _monitor_config(section: Any) -> MonitorConfig:
    values = dict(section or {})
    if "stop_on" in values:
        values["stop_on"] = tuple(values["stop_on"] or ())
    return MonitorConfig(**values)


def read_run(run_dir: str | Path) -> RunStory:
    """The story of ``run_dir``.

    Raises:
        FileNotFoundError: when the folder holds no ``metrics.jsonl``.
    """
    folder = Path(run_dir)
    metrics = folder / "metrics.jsonl"
    if not metrics.is_file():
        raise FileNotFoundError(f"{folder} holds no metrics.jsonl: give a run folder written by rewardlab train "
                                "(or a bench cell's folder, runs/.../cells/CELL)")
    records = [json.loads(line) for line in metrics.read_text(encoding="utf-8").splitlines() if line.strip()]
    config_path, summary_path = folder / "config.yaml", folder / "summary.json"
    config = (yaml.safe_load(config_path.read_text()) or {}) if config_path.is_file() else {}
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else None
    monitor = _monitor_config(config.get("monitor"))
    recorded = tuple(Event.from_record(r) for r in records if "event" in r)
    replayed = not recorded and "monitor" not in config
    events = tuple(scan(records, replace(monitor, stop_on=()))) if replayed else recorded
    return RunStory(folder, config, records, summary, monitor, events, replayed)


def _smoothed(points: list[tuple[int, float]], window: int) -> list[tuple[int, float]]:
    """Trailing means over ``window`` values (fewer at the start)."""
    values = [v for _, v in points]
    return [(step, sum(values[max(0, i + 1 - window):i + 1]) / (i + 1 - max(0, i + 1 - window)))
            for i, (step, _) in enumerate(points)]


def _at(points: list[tuple[int, float]], step: int) -> float | None:
    before = [v for s, v in points if s <= step]
    return before[-1] if before else None


def figure_table(story: RunStory) -> list[tuple[str, int, dict[str, float | None]]]:
    """Rows (start, best, end): each a step and every figure's trailing mean over the monitor's window there.
    Best is the step of the highest gold accuracy (the proxy's without gold)."""
    window = story.monitor.window
    smooth = {label: _smoothed(story.series(keys), window) for label, keys in FIGURES}
    anchor = smooth["gold"] or smooth["proxy"]
    if not anchor:
        return []
    start = anchor[min(window, len(anchor)) - 1][0]
    best = max(anchor[min(window, len(anchor)) - 1:], key=lambda point: point[1])[0]
    end = anchor[-1][0]
    return [(name, step, {label: _at(points, step) for label, points in smooth.items() if points})
            for name, step in (("start", start), ("best", best), ("end", end))]


def _config_lines(config: dict[str, Any]) -> list[str]:
    lines = [f"  {name}: {json.dumps(config[name])}" for name in CONFIG_LINES if name in config]
    trl = config.get("trl") or {}
    if trl:
        lines.append("  trl: " + ", ".join(f"{k}={v}" for k, v in trl.items()))
    return lines


def story_text(story: RunStory) -> str:
    """The printed story: configuration, the start/best/end table, the events, and where the run stopped (or
    would have)."""
    steps = max((int(r.get("step", 0)) for r in story.records), default=0)
    lines = [f"run {story.run_dir} ({steps} steps)", "configuration:", *_config_lines(story.config)]
    table = figure_table(story)
    if table:
        labels = [label for label in table[0][2]]
        lines += ["", f"figures (trailing mean over {story.monitor.window} logged values):",
                  "  " + f"{'':6} {'step':>6} " + " ".join(f"{label:>{max(9, len(label))}}" for label in labels)]
        for name, step, values in table:
            cells = " ".join(f"{'—' if values[label] is None else f'{values[label]:.3f}':>{max(9, len(label))}}"
                             for label in labels)
            lines.append(f"  {name:6} {step:>6} {cells}")
    lines += ["", "events" + (" (replayed from metrics.jsonl: the run recorded none)" if story.replayed else "") + ":"]
    lines += [f"  step {e.step:>5}  {e.name}: {e.reading}" for e in story.events] or ["  none"]
    stop = story.would_stop()
    if story.summary and story.summary.get("stopped_by"):
        stopped = story.summary["stopped_by"]
        lines.append(f"stopped by {stopped['event']} at step {stopped['step']}")
    elif stop is not None:
        names = ", ".join(story.monitor.stop_on or ("proxy_up_gold_down",))
        lines.append(f"with monitor.stop_on: [{names}] the run would have stopped at step {stop.step} of {steps}")
    return "\n".join(lines)


def plot_story(story: RunStory, path: str | Path) -> Path:
    """A PNG of proxy and gold (with agreement), entropy and length over steps, each event a marked line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 3.8), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 3)
    panels = ((axes[0], ("proxy", "gold", "agreement"), "reward and correctness"),
              (axes[1], ("entropy",), "mean token entropy"), (axes[2], ("length",), "mean completion length"))
    keys = dict(FIGURES)
    for ax, labels, title in panels:
        for label in labels:
            points = story.series(keys[label])
            if points:
                ax.plot([s for s, _ in points], [v for _, v in points], alpha=0.35, linewidth=0.8)
                smooth = _smoothed(points, story.monitor.window)
                ax.plot([s for s, _ in smooth], [v for _, v in smooth], color=ax.lines[-1].get_color(), label=label)
        for event in story.events:
            ax.axvline(event.step, color="crimson", linestyle="--", linewidth=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step")
        if ax.lines and len(labels) > 1:
            ax.legend(fontsize=8)
    for event in story.events:
        axes[0].annotate(event.name, (event.step, 1.0), xycoords=("data", "axes fraction"), rotation=90,
                         fontsize=7, color="crimson", va="top", ha="right")
    figure.suptitle(f"{story.run_dir.name}: events marked (dashed)", fontsize=11)
    out = Path(path)
    figure.savefig(out, dpi=110)
    return out
