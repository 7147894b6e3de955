"""Accumulating evaluators (``update`` / ``compute`` / ``reset``) built on :mod:`rewardlab.metrics`,
and the collection that feeds them together from one reward result."""

from rewardlab.evaluation.collection import EvaluatorCollection
from rewardlab.evaluation.evaluators import (
    AccuracyEvaluator,
    BehaviourEvaluator,
    CalibrationEvaluator,
    DriftEvaluator,
    Evaluator,
    ProxyEvaluator,
    TruthfulnessEvaluator,
)
from rewardlab.evaluation.scored import ScoredBatch

__all__ = [
    "AccuracyEvaluator",
    "BehaviourEvaluator",
    "CalibrationEvaluator",
    "DriftEvaluator",
    "Evaluator",
    "EvaluatorCollection",
    "ProxyEvaluator",
    "ScoredBatch",
    "TruthfulnessEvaluator",
]
