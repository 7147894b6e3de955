"""A composite reward's components: each one's mean and its share of the reward's variance, per batch.

Pure functions over the per-sample component scores a composite reports (:meth:`Reward.components`): a
``weighted_sum``'s weighted terms, a ``gate``'s reward and condition. A component's *variance share* is its
variance over the batch divided by the sum of the components' variances (the covariances left out), so the
shares lie in [0, 1] and sum to 1; a share near 1 says that one component decides the ranking of the samples
and the others barely steer training. Used by a reward called by stock TRL (through TRL's ``log_metric`` and
``log_extra`` hooks) and by rewardlab's trainer (under ``rewardlab/``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence

Components = Mapping[str, Sequence[float | None]]


def _available(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def component_metrics(components: Components) -> dict[str, float]:
    """``component/<name>/mean`` and ``component/<name>/variance_share`` of each component (the shares only when
    the components vary at all; a component with no available score is left out)."""
    present = {name: values for name, values in ((n, _available(v)) for n, v in components.items()) if values}
    metrics = {f"component/{name}/mean": statistics.fmean(values) for name, values in present.items()}
    variances = {name: statistics.pvariance(values) for name, values in present.items()}
    total = sum(variances.values())
    if total > 0:
        metrics.update({f"component/{name}/variance_share": v / total for name, v in variances.items()})
    return metrics


def log_components(components: Components, log_metric: Callable[[str, float], None] | None,
                   log_extra: Callable[[str, list[float | None]], None] | None) -> None:
    """Send the components' figures through TRL's hooks: each metric to ``log_metric`` (averaged by TRL over the
    logging step), each component's per-sample scores to ``log_extra`` (a column of TRL's completions table)."""
    if log_metric is not None:
        for name, value in component_metrics(components).items():
            log_metric(name, value)
    if log_extra is not None:
        for name, values in components.items():
            log_extra(f"component/{name}", list(values))
