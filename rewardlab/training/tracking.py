"""What a reward is doing to the model, step by step: the per-step metrics and ``metrics.jsonl``.

:func:`step_metrics` turns one scored generation batch into the figures the trainer logs under
``rewardlab/``: the mean proxy reward, gold accuracy (``binary`` against the reference, also when
training on a proxy), proxy-gold agreement and correlation, precision and recall of the proxy,
pseudo-label accuracy, code-reasoning and boxed rates, completion length, abstention, and
calibration where the reward exposes a confidence. It computes through the same evaluators that
``rewardlab score`` uses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardlab.evaluation import BehaviourEvaluator, CalibrationEvaluator, DriftEvaluator
from rewardlab.types import RewardResult


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def step_metrics(completions: Sequence[str], proxy: RewardResult, gold: RewardResult | None) -> dict[str, float]:
    """Metrics of one generation batch (already gathered from every process)."""
    signal = [s for s in proxy.scores if s is not None]
    metrics: dict[str, float] = {
        "proxy_reward": sum(signal) / len(signal) if signal else math.nan,
        "no_signal_rate": 1.0 - len(signal) / max(1, len(proxy)),
    }
    behaviour = BehaviourEvaluator()
    behaviour.update(list(completions), proxy.find("abstained"))
    metrics.update(behaviour.compute())
    if gold is not None:
        correct = gold.diagnostics.get("correct") or tuple(None if s is None else s > 0.5 for s in gold.scores)
        drift = DriftEvaluator()
        drift.update(proxy.scores, correct, proxy.find("pseudo_label_correct"))
        metrics.update({k: v for k, v in drift.compute().items() if k != "proxy_mean"})
        confidence = proxy.find("confidence")
        if confidence is not None and any(c is not None for c in confidence):
            calibration = CalibrationEvaluator()
            calibration.update(confidence, correct)
            metrics.update({k: v for k, v in calibration.compute().items() if k != "n"})
    return metrics


class MetricsWriter:
    """Appends one JSON object per logging step to ``metrics.jsonl`` (flushed at once: an interrupted
    run loses no finished step)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, step: int, values: Mapping[str, Any]) -> None:
        record = {"step": step, **{k: _clean(v) for k, v in values.items()}}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl``."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
