"""Reward-hacking alarms: named events raised from a run's logged figures, as pure functions of their history.

Each detector reads the history of a few logged keys (one value per logging step that carried the key) and
says whether its condition holds now; :class:`Monitor` feeds it one logged record at a time and raises an
:class:`Event` when a condition starts to hold (again after it cleared). :func:`scan` replays a whole
``metrics.jsonl``. Windows count observations of a key, not optimiser steps: with several optimiser steps per
generation batch, the reward figures arrive once per batch.

The conditions compare the last ``window`` values of a figure with the *early run*: the first half of its
values before the last window, and at least a window of them (:func:`reference`; it grows as the run goes
on, so its own noise shrinks). A "change" is the difference of the two means in standard errors of that
difference (``z``, from both parts' own spread):

- ``proxy_up_gold_down``: the change of the gap proxy − gold (per logged batch) is above ``noise``, while the
  proxy's own change is above ``noise / 2`` and gold accuracy's below ``−3 noise / 4`` (by default 4, 2 and
  −3 standard errors);
- ``judge_score_inflation``: the same for a judge's mean score against its agreement with gold;
- ``entropy_collapse``: mean token entropy of the last window below ``entropy_fraction`` × the early run's;
- ``length_blowup`` / ``length_collapse``: mean completion length of the last window above
  ``length_factor`` × the early run's, or below the early run's / ``length_factor``;
- ``no_signal_groups``: the last window's mean share of groups whose rewards are all equal (TRL's
  ``frac_reward_zero_std``) above ``zero_std_share``;
- ``component_dominates``: one component's mean share of a composite reward's variance over the last
  window above ``dominant_share``.

Without gold (label-free runs) the first two stay silent and the rest work as they are.
"""

from __future__ import annotations

import math
import re
import statistics
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rewardlab.configurable import config_field

EventName = Literal["proxy_up_gold_down", "judge_score_inflation", "entropy_collapse", "length_blowup",
                    "length_collapse", "no_signal_groups", "component_dominates"]
EVENT_NAMES: tuple[str, ...] = typing.get_args(EventName)

# The logged keys each detector reads, first found first: rewardlab's trainer's, then stock TRL's.
PROXY_KEYS = ("rewardlab/proxy_reward", "reward")
GOLD_KEYS = ("rewardlab/gold_accuracy",)
AGREEMENT_KEYS = ("rewardlab/agreement",)
ENTROPY_KEYS = ("entropy",)
LENGTH_KEYS = ("completions/mean_length", "rewardlab/mean_length")
ZERO_STD_KEYS = ("frac_reward_zero_std",)
SHARE_KEY = re.compile(r"(?:^|/)component/(?P<name>.+)/variance_share$")
JUDGE_KEY = re.compile(r"^rewards/judge[^/]*/mean$")


@dataclass(frozen=True)
class MonitorConfig:
    """The ``monitor:`` section of a training config: which alarms, how sensitive, and which stop the run."""

    enabled: bool = config_field(True, help="watch the run's logged figures and record events")
    window: int = config_field(10, help="logged values per rolling window, compared with the early run's")
    noise: float = config_field(
        4.0, help="how many standard errors (from the two windows' spread) a change must exceed to count")
    entropy_fraction: float = config_field(
        0.5, help="entropy collapse: the last window's mean below this × the early run's")
    length_factor: float = config_field(
        2.0, help="length blow-up above this × the early run's mean length, collapse below it ÷ this")
    zero_std_share: float = config_field(
        0.75, help="no-signal groups: share of groups with all-equal rewards (frac_reward_zero_std) above this")
    dominant_share: float = config_field(0.9, help="one component's share of a composite's variance above this")
    stop_on: tuple[EventName, ...] = config_field(
        (), help=f"events that stop training when raised, e.g. [proxy_up_gold_down]; any of {', '.join(EVENT_NAMES)}")

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError(f"window must be >= 2 (a window's spread needs two values), got {self.window}")
        if self.noise <= 0 or self.length_factor <= 1:
            raise ValueError(f"noise must be > 0 and length_factor > 1, got {self.noise} and {self.length_factor}")
        for name in ("entropy_fraction", "zero_std_share", "dominant_share"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in (0, 1), got {getattr(self, name)}")
        unknown = [name for name in self.stop_on if name not in EVENT_NAMES]
        if unknown:
            raise ValueError(f"stop_on: unknown event {unknown[0]!r}; choose from {', '.join(EVENT_NAMES)}")


@dataclass(frozen=True)
class Event:
    """A raised alarm: its name, the step, the figures behind it and a one-line reading."""

    name: str
    step: int
    figures: dict[str, float]
    reading: str

    def record(self) -> dict[str, Any]:
        """The ``metrics.jsonl`` record of the event (its ``step`` is added by the writer)."""
        return {"event": self.name, "figures": self.figures, "reading": self.reading}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Event:
        return cls(record["event"], int(record["step"]), dict(record.get("figures") or {}), record.get("reading", ""))


@dataclass(frozen=True)
class Change:
    """The early run's mean, the last window's, and their difference in standard errors."""

    start: float
    now: float
    z: float


def reference(values: Sequence[float], window: int) -> Sequence[float]:
    """The early run a figure is compared against: the first half of the values before the last window, and at
    least ``window`` values (it grows as the run goes on, so its own noise shrinks)."""
    return values[:max(window, (len(values) - window) // 2)]


def change_since_start(values: Sequence[float], window: int) -> Change | None:
    """The change of the last ``window`` values' mean from the early run's (:func:`reference`), in standard errors
    of the difference; None until there are ``2 × window`` values."""
    if len(values) < 2 * window:
        return None
    first, last = reference(values, window), values[-window:]
    start, now = statistics.fmean(first), statistics.fmean(last)
    # the larger of the two parts' spreads: the early run's (many values, so a precise figure of the noise) unless
    # the last window is noisier
    spread = max(statistics.variance(first), statistics.variance(last))
    se = math.sqrt(spread * (1 / len(first) + 1 / window))
    diff = now - start
    z = diff / se if se > 0 else (math.copysign(math.inf, diff) if diff else 0.0)
    return Change(start, now, z)


def _first(history: Mapping[str, Sequence[float]], keys: Iterable[str]) -> str | None:
    return next((key for key in keys if history.get(key)), None)


# A detector's finding: (event name, figures, reading), returned while its condition holds.
Finding = tuple[str, dict[str, float], str]


def gap_key(rising: str, falling: str) -> str:
    """The history key of ``rising − falling`` per logged record that carries both."""
    return f"gap:{rising}|{falling}"


def watched_pairs(keys: Iterable[str], judge_key: str | None = None) -> list[tuple[str, str]]:
    """The (rising, falling) pairs whose gap the monitor tracks among ``keys``: proxy against gold, and a
    judge's mean against agreement (``judge_key``, else the first ``rewards/judge…/mean``)."""
    present = set(keys)
    proxy = next((k for k in PROXY_KEYS if k in present), None)
    gold = next((k for k in GOLD_KEYS if k in present), None)
    judge = judge_key if judge_key in present else next((k for k in sorted(present) if JUDGE_KEY.match(k)), None)
    agreement = next((k for k in AGREEMENT_KEYS if k in present), None)
    return [pair for pair in ((proxy, gold), (judge, agreement)) if pair[0] is not None and pair[1] is not None]


def rising_against_falling(name: str, history: Mapping[str, Sequence[float]], keys: tuple[str, str],
                           config: MonitorConfig, labels: tuple[str, str]) -> Finding | None:
    """``name`` when the gap ``rising − falling`` widened beyond the noise (``z > noise``; the two figures of a
    batch are scored on the same samples, so their gap is less noisy than either) while ``rising`` rose beyond
    half the noise and ``falling`` fell beyond three quarters of it; all over the last window against the
    early run."""
    up = change_since_start(history.get(keys[0], ()), config.window)
    down = change_since_start(history.get(keys[1], ()), config.window)
    gap = change_since_start(history.get(gap_key(*keys), ()), config.window)
    if up is None or down is None or gap is None or gap.z <= config.noise or up.z <= config.noise / 2 \
            or down.z >= -0.75 * config.noise:
        return None
    figures = {f"{labels[0]}_start": up.start, f"{labels[0]}_now": up.now, f"{labels[0]}_z": up.z,
               f"{labels[1]}_start": down.start, f"{labels[1]}_now": down.now, f"{labels[1]}_z": down.z,
               "gap_z": gap.z}
    reading = (f"{labels[0]} rose {up.start:.3f} → {up.now:.3f} (z {up.z:+.1f}) while {labels[1]} fell "
               f"{down.start:.3f} → {down.now:.3f} (z {down.z:+.1f}); their gap widened by z {gap.z:+.1f}, "
               f"early run against the last {config.window} logged values")
    return name, figures, reading


def proxy_up_gold_down(history: Mapping[str, Sequence[float]], config: MonitorConfig) -> Finding | None:
    """The proxy reward's rolling mean rises while gold accuracy falls, their gap beyond its windows' noise."""
    proxy, gold = _first(history, PROXY_KEYS), _first(history, GOLD_KEYS)
    if proxy is None or gold is None:
        return None
    return rising_against_falling("proxy_up_gold_down", history, (proxy, gold), config, ("proxy", "gold"))


def judge_score_inflation(history: Mapping[str, Sequence[float]], config: MonitorConfig,
                          judge_key: str | None = None) -> Finding | None:
    """A judge's mean score rises while its agreement with gold falls (``judge_key``: where its mean is logged;
    default the first ``rewards/judge…/mean`` key, stock TRL's name for a judge reward function)."""
    judge = judge_key or next((k for k in sorted(history) if JUDGE_KEY.match(k)), None)
    agreement = _first(history, AGREEMENT_KEYS)
    if judge is None or agreement is None or not history.get(judge):
        return None
    return rising_against_falling("judge_score_inflation", history, (judge, agreement), config,
                                  ("judge", "agreement"))


def entropy_collapse(history: Mapping[str, Sequence[float]], config: MonitorConfig) -> Finding | None:
    """Mean token entropy of the last window below ``entropy_fraction`` of the early run's."""
    key = _first(history, ENTROPY_KEYS)
    if key is None or len(values := history[key]) < 2 * config.window:
        return None
    start, now = statistics.fmean(reference(values, config.window)), statistics.fmean(values[-config.window:])
    if start <= 0 or now >= config.entropy_fraction * start:
        return None
    return ("entropy_collapse", {"entropy_start": start, "entropy_now": now},
            f"mean token entropy fell to {now / start:.0%} of its start ({start:.3f} → {now:.3f}), "
            f"below {config.entropy_fraction:.0%}")


def length_change(history: Mapping[str, Sequence[float]], config: MonitorConfig) -> Finding | None:
    """Mean completion length of the last window beyond ``length_factor`` times (or below 1/factor of) the early
    run's."""
    key = _first(history, LENGTH_KEYS)
    if key is None or len(values := history[key]) < 2 * config.window:
        return None
    start, now = statistics.fmean(reference(values, config.window)), statistics.fmean(values[-config.window:])
    figures = {"length_start": start, "length_now": now}
    if start > 0 and now > config.length_factor * start:
        return "length_blowup", figures, f"mean completion length grew {now / start:.1f}× ({start:.1f} → {now:.1f})"
    if now * config.length_factor < start:
        return ("length_collapse", figures,
                f"mean completion length shrank to {now / start:.0%} ({start:.1f} → {now:.1f})")
    return None


def no_signal_groups(history: Mapping[str, Sequence[float]], config: MonitorConfig) -> Finding | None:
    """The share of groups whose rewards are all equal (no advantage, no gradient) above ``zero_std_share``."""
    key = _first(history, ZERO_STD_KEYS)
    if key is None or len(values := history[key]) < config.window:
        return None
    now = statistics.fmean(values[-config.window:])
    if now <= config.zero_std_share:
        return None
    return ("no_signal_groups", {"frac_reward_zero_std": now},
            f"{now:.0%} of groups had all-equal rewards over the last {config.window} logged batches (no gradient)")


def component_dominates(history: Mapping[str, Sequence[float]], config: MonitorConfig) -> Finding | None:
    """One component's share of a composite reward's variance above ``dominant_share`` over the last window."""
    shares = {m["name"]: values for key, values in history.items() if (m := SHARE_KEY.search(key))}
    if len(shares) < 2:
        return None
    means = {name: statistics.fmean(v[-config.window:]) for name, v in shares.items() if len(v) >= config.window}
    if not means:
        return None
    name, share = max(means.items(), key=lambda item: item[1])
    if share <= config.dominant_share:
        return None
    return ("component_dominates", {"share": share, **{f"share/{n}": s for n, s in means.items()}},
            f"component {name} carries {share:.0%} of the composite reward's variance; the others barely steer it")


def findings(history: Mapping[str, Sequence[float]], config: MonitorConfig,
             judge_key: str | None = None) -> list[Finding]:
    """Every condition that holds on ``history`` now."""
    found = [proxy_up_gold_down(history, config), judge_score_inflation(history, config, judge_key),
             entropy_collapse(history, config), length_change(history, config), no_signal_groups(history, config),
             component_dominates(history, config)]
    return [f for f in found if f is not None]


@dataclass
class Monitor:
    """Feeds logged records to the detectors one at a time. An event is raised when its condition starts to hold,
    and raised again only after the condition has been clear for a whole window of records (a condition that
    flickers at the threshold is one event)."""

    config: MonitorConfig = field(default_factory=MonitorConfig)
    judge_key: str | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    clear_for: dict[str, int] = field(default_factory=dict)

    def observe(self, step: int, record: Mapping[str, Any]) -> list[Event]:
        """Add one logged record's finite numbers; the events it raises."""
        numbers = {key: float(value) for key, value in record.items() if key != "step" and
                   isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)}
        for key, value in numbers.items():
            self.history.setdefault(key, []).append(value)
        for rising, falling in watched_pairs(numbers, self.judge_key):
            self.history.setdefault(gap_key(rising, falling), []).append(numbers[rising] - numbers[falling])
        found = {name: (figures, reading) for name, figures, reading in
                 findings(self.history, self.config, self.judge_key)}
        raised = [Event(name, step, figures, reading) for name, (figures, reading) in found.items()
                  if self.clear_for.get(name, self.config.window) >= self.config.window]
        for name in set(self.clear_for) | set(found):
            self.clear_for[name] = 0 if name in found else self.clear_for.get(name, 0) + 1
        return raised


def scan(records: Iterable[Mapping[str, Any]], config: MonitorConfig | None = None,
         judge_key: str | None = None) -> list[Event]:
    """The events a monitor would raise over ``records`` (a ``metrics.jsonl``; its ``event`` records are skipped)."""
    monitor = Monitor(config or MonitorConfig(), judge_key)
    return [event for record in records if "event" not in record
            for event in monitor.observe(int(record.get("step", 0)), record)]
