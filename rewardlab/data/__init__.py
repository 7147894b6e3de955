"""Evaluation sets (MATH-500, AIME 2024, AMC 2023, GSM8K) in one schema, and rollout files."""

from rewardlab.data.loaders import (
    DATA_DIR_ENV,
    MATH_SETS,
    MathSet,
    answer_text,
    available_datasets,
    default_data_dirs,
    load_math_dataset,
    resolve_name,
)
from rewardlab.data.rollouts import read_rollouts, rollouts_to_batch, write_rollouts

__all__ = [
    "DATA_DIR_ENV",
    "MATH_SETS",
    "MathSet",
    "answer_text",
    "available_datasets",
    "default_data_dirs",
    "load_math_dataset",
    "read_rollouts",
    "resolve_name",
    "rollouts_to_batch",
    "write_rollouts",
]
