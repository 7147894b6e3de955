"""Evaluation sets (MATH-500, AIME 2024, AMC 2023, GSM8K) in one schema, and rollout files.

One job per module: ``names`` (the known sets and their spellings), ``text`` (answer and prompt text),
``files`` (reading JSON, JSON lines, CSV, Parquet), ``locate`` (where a split's files are, including
the test splits shipped under ``sets/``), ``hub`` (the Hugging Face hub), ``rows`` (rows in the common
schema), ``loaders`` (``load_math_dataset``), ``rollouts`` (rollout files) and ``synthetic``.
"""

from rewardlab.data.loaders import load_math_dataset
from rewardlab.data.locate import DATA_DIR_ENV, SHIPPED_DATA_DIR, default_data_dirs
from rewardlab.data.names import MATH_SETS, MathSet, available_datasets, resolve_name
from rewardlab.data.rollouts import read_rollouts, rollouts_to_batch, write_rollouts
from rewardlab.data.text import answer_text

__all__ = [
    "DATA_DIR_ENV",
    "MATH_SETS",
    "SHIPPED_DATA_DIR",
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
