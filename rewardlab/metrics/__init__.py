"""Pure metric functions over per-sample values: accuracy, calibration, proxy drift and behaviour.

``None`` (or NaN) means "missing" everywhere and is left out rather than counted as wrong. The heavy
dependency, matplotlib, is imported only by the function that draws.
"""

from rewardlab.metrics.accuracy import (
    InsufficientSamplesError,
    complete_pairs,
    maj_at_k,
    majority_answer,
    mean_accuracy,
    mean_available,
    mean_pass_at_k,
    pass_at_k,
    to_float_array,
)
from rewardlab.metrics.behaviour import (
    abstention_rate,
    boxed_rate,
    code_reasoning_rate,
    has_code_reasoning,
    mean_length,
)
from rewardlab.metrics.calibration import (
    CalibrationBins,
    auroc,
    binned_calibration,
    brier_score,
    expected_calibration_error,
    reliability_diagram,
)
from rewardlab.metrics.drift import agreement_rate, correlation, proxy_precision_recall, pseudo_label_accuracy

__all__ = [
    "CalibrationBins",
    "InsufficientSamplesError",
    "abstention_rate",
    "agreement_rate",
    "auroc",
    "binned_calibration",
    "boxed_rate",
    "brier_score",
    "code_reasoning_rate",
    "complete_pairs",
    "correlation",
    "expected_calibration_error",
    "has_code_reasoning",
    "maj_at_k",
    "majority_answer",
    "mean_accuracy",
    "mean_available",
    "mean_length",
    "mean_pass_at_k",
    "pass_at_k",
    "proxy_precision_recall",
    "pseudo_label_accuracy",
    "reliability_diagram",
    "to_float_array",
]
