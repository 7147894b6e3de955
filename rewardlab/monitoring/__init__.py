"""Watching a run: alarms raised from its logged figures (:mod:`.detectors`) and its story (:mod:`.story`).

Pure Python over logged records (no torch, no TRL); the TRL callback that feeds a live run's logs to the
detectors is :class:`rewardlab.training.monitor.RewardMonitor`.
"""

from rewardlab.monitoring.detectors import EVENT_NAMES, Event, Monitor, MonitorConfig, scan

__all__ = ["EVENT_NAMES", "Event", "Monitor", "MonitorConfig", "scan"]
