"""``RewardMonitor``: the reward-hacking alarms of :mod:`rewardlab.monitoring` as a TRL callback.

A thin wrapper: each logged record goes to a :class:`~rewardlab.monitoring.Monitor`; each event it raises is
printed, appended to ``metrics.jsonl`` as an ``event`` record, kept in :attr:`RewardMonitor.events`, and stops
training when its name is in ``stop_on``. It works with rewardlab's trainer (``rewardlab train`` adds it from
the config's ``monitor:`` section) and with stock ``trl.GRPOTrainer``::

    from rewardlab.training.monitor import RewardMonitor
    trainer = trl.GRPOTrainer(..., reward_funcs=[reward], callbacks=[RewardMonitor(metrics_path="run/metrics.jsonl")])

With stock TRL the detectors read TRL's own names (``reward``, ``entropy``, ``completions/mean_length``,
``frac_reward_zero_std``, the ``component/.../variance_share`` a composite rewardlab reward logs); gold
accuracy is rewardlab's trainer's (``rewardlab/gold_accuracy``), so there the gold alarms stay silent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from rewardlab.monitoring import Event, Monitor, MonitorConfig
from rewardlab.training.tracking import MetricsWriter


class RewardMonitor(TrainerCallback):
    """Raise named events from the logged figures of a run; optionally stop it.

    Args:
        config: the ``monitor:`` section (window, thresholds, ``stop_on``).
        metrics_path: a ``metrics.jsonl`` to append ``event`` records to (main process only); or give ``writer``.
        writer: an existing :class:`~rewardlab.training.tracking.MetricsWriter` (rewardlab's trainer's).
        judge_key: the logged key of a judge reward's mean, for ``judge_score_inflation``.
        quiet: record events without printing them (the bench's cells).
    """

    def __init__(self, config: MonitorConfig | None = None, *, metrics_path: str | Path | None = None,
                 writer: MetricsWriter | None = None, judge_key: str | None = None, quiet: bool = False) -> None:
        self.quiet = quiet
        self.config = config or MonitorConfig()
        self.monitor = Monitor(self.config, judge_key)
        self.writer = writer or (MetricsWriter(metrics_path) if metrics_path is not None else None)
        self.events: list[Event] = []
        self.stopped_by: Event | None = None

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> Any:
        if not self.config.enabled or not logs:
            return control
        for event in self.monitor.observe(state.global_step, logs):
            self.events.append(event)
            if state.is_world_process_zero:
                if not self.quiet:
                    print(f"rewardlab monitor: step {event.step}: {event.name}: {event.reading}", flush=True)
                if self.writer is not None:
                    self.writer.write(event.step, event.record())
            if event.name in self.config.stop_on and self.stopped_by is None:
                self.stopped_by = event
                control.should_training_stop = True
        return control

    def replay(self, records: list[dict[str, Any]]) -> None:
        """Take up a resumed run: its kept ``metrics.jsonl`` records refill the windows (raising nothing again)
        and its recorded events are kept."""
        for record in records:
            if "event" in record:
                self.events.append(Event.from_record(record))
            else:
                self.monitor.observe(int(record.get("step", 0)), record)

    def summary(self) -> dict[str, Any]:
        """The events and the stop, for a run's ``summary.json``."""
        return {"events": [{"step": e.step, **e.record()} for e in self.events],
                "stopped_by": None if self.stopped_by is None else
                {"event": self.stopped_by.name, "step": self.stopped_by.step}}
