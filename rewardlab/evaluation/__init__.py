"""Accumulating evaluators (``update`` / ``compute`` / ``reset``) built on :mod:`rewardlab.metrics`."""

from rewardlab.evaluation.evaluators import (
    AccuracyEvaluator,
    BehaviourEvaluator,
    CalibrationEvaluator,
    DriftEvaluator,
    Evaluator,
)

__all__ = ["AccuracyEvaluator", "BehaviourEvaluator", "CalibrationEvaluator", "DriftEvaluator", "Evaluator"]
