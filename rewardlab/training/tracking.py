"""What a reward is doing to the model, step by step: the per-step metrics and ``metrics.jsonl``.

:func:`step_metrics` turns one scored generation batch into the figures the trainer logs under
``rewardlab/``: the mean proxy reward, gold accuracy (``binary`` against the reference, also when
training on a proxy), proxy-gold agreement and correlation, precision and recall of the proxy,
pseudo-label accuracy, code-reasoning and boxed rates, completion length, abstention, and
calibration where the reward exposes a confidence. It computes through one
:class:`~rewardlab.evaluation.EvaluatorCollection`, as ``rewardlab score`` does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardlab.evaluation import (
    BehaviourEvaluator,
    CalibrationEvaluator,
    DriftEvaluator,
    EvaluatorCollection,
    ProxyEvaluator,
)
from rewardlab.types import RewardResult


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def tracking_evaluators() -> EvaluatorCollection:
    """The evaluators behind the per-step metrics: the proxy itself, behaviour, drift and calibration."""
    return EvaluatorCollection({"proxy": ProxyEvaluator(), "behaviour": BehaviourEvaluator(),
                                "drift": DriftEvaluator(), "calibration": CalibrationEvaluator()})


def step_metrics(completions: Sequence[str], proxy: RewardResult, gold: RewardResult | None) -> dict[str, float]:
    """Metrics of one generation batch (already gathered from every process): :func:`tracking_evaluators`
    fed once; drift and calibration need ``gold``, calibration a confidence stated by the proxy."""
    evaluators = tracking_evaluators()
    evaluators.update(list(completions), proxy, gold)
    return evaluators.compute()


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
