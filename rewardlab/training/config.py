"""The training configuration: one YAML file, checked completely when it is loaded.

Every section maps onto a dataclass whose fields carry help text; unknown fields, reward names and
``trl:`` keys fail at load with the valid choices. The ``trl:`` section goes straight to TRL's
``GRPOConfig``, so TRL's own fields are not declared twice here; their types and ranges are checked
at load (:mod:`rewardlab.training.trl_section`). A key written twice in the file is refused.

.. code-block:: yaml

    run_dir: runs/binary-tiny
    model: {name: tiny}
    data: {name: arithmetic, limit: 256}
    reward: binary
    advantage: group_norm
    clipping: {epsilon: 0.2}
    trl: {learning_rate: 1.0e-3, num_generations: 8, per_device_train_batch_size: 8, max_steps: 20}
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from rewardlab.advantages import build_advantage
from rewardlab.catalogue import build_reward, default_registry
from rewardlab.configurable import config_field, encode_fields
from rewardlab.data.hub import looks_local
from rewardlab.data.names import resolve_name
from rewardlab.data.rows import check_keep_columns
from rewardlab.models.tiny import TinyModelConfig
from rewardlab.monitoring.detectors import MonitorConfig
from rewardlab.registry import ConfigError, build_dataclass
from rewardlab.rewards.verified import with_extraction
from rewardlab.training.resolved import ResolvedRun
from rewardlab.training.trl_section import check_trl_section
from rewardlab.yamlfile import read_yaml

# Values a large epsilon takes to switch clipping off while keeping several updates per batch.
UNCLIPPED_EPSILON = 1.0e6

# Accepted model dtypes: "auto" reads the checkpoint's config.json (transformers' own default).
ModelDtype = Literal["auto", "float32", "bfloat16", "float16"]
MODEL_DTYPES: tuple[str, ...] = typing.get_args(ModelDtype)


@dataclass(frozen=True)
class ModelConfig:
    """Which policy to train."""

    name: str = config_field("tiny", help="'tiny' (built from `tiny`), 'smollm2', a local folder, or a hub id")
    tiny: TinyModelConfig = config_field(default_factory=TinyModelConfig, help="shape of the tiny model")
    dtype: ModelDtype = config_field(
        "auto", help="weights dtype: 'auto' (the checkpoint's own; the tiny model is float32), 'float32', "
                     "'bfloat16' (paper-scale GPU runs) or 'float16'")

    def __post_init__(self) -> None:
        if self.dtype not in MODEL_DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(map(repr, MODEL_DTYPES))}, got {self.dtype!r}; "
                             "write e.g. dtype: bfloat16")


@dataclass(frozen=True)
class DataConfig:
    """Which prompts to train on."""

    name: str = config_field(
        "arithmetic", help="'arithmetic' (synthetic), or math500, aime24, amc23, gsm8k")
    path: str | None = config_field(None, help="local file or folder, or hub id (default: the data folder)")
    split: str = config_field("train", help="split to load (the evaluation sets only have 'test')")
    limit: int | None = config_field(None, help="use only the first N rows")
    seed: int = config_field(0, help="seed of synthetic problems")
    max_operand: int = config_field(9, help="largest operand of synthetic problems")
    template: str = config_field("{prompt}", help="prompt template; {prompt} is replaced by the problem")
    keep_columns: tuple[str, ...] = config_field(
        (), help="other source columns to keep as they are, for rewards that read them (e.g. [incorrect_answer]); "
                 "the rest are dropped")

    def __post_init__(self) -> None:
        object.__setattr__(self, "keep_columns", check_keep_columns(self.keep_columns))
        if self.name != "arithmetic":
            try:
                resolve_name(self.name)
            except ValueError as exc:
                raise ValueError(f"name: {exc}, or 'arithmetic' (synthetic); write e.g. name: math500") from exc
        if self.path is not None and not self.path.strip():
            raise ValueError("path is empty; write a local file or folder, a hub id (owner/name), or null")
        if self.keep_columns and self.name == "arithmetic":
            raise ValueError("keep_columns applies to loaded sets (math500, aime24, amc23, gsm8k), not to the "
                             "synthetic 'arithmetic' problems; remove it or set name and path")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 or null, got {self.limit}")
        if "{prompt}" not in self.template:
            raise ValueError(f"template must contain '{{prompt}}', got {self.template!r}")

    def missing_path(self) -> str | None:
        """Why ``path`` cannot be read here: a local path (not a hub id, whose shape alone is checked, with no
        download) that does not exist; None when it can. ``train`` refuses such a config before it loads
        anything; ``validate`` notes it (data built on the training machine may not exist elsewhere)."""
        if self.path is None or Path(self.path).expanduser().exists() or not looks_local(self.path):
            return None
        return (f"data.path: no file or folder at {self.path!r} (relative to {Path.cwd()}); build it first, or "
                f"write a local path that exists or a hub id such as agentica-org/DeepScaleR-Preview-Dataset")


@dataclass(frozen=True)
class ClippingConfig:
    """The PPO/GRPO clipping knobs of the clipping-bias ablation (Spurious Rewards §4.4)."""

    epsilon: float = config_field(0.2, help="lower clip: ratio >= 1 - epsilon")
    epsilon_high: float | None = config_field(None, help="upper clip: ratio <= 1 + epsilon_high (default epsilon)")
    enabled: bool = config_field(True, help="false: no clipping, with every optimiser step per batch kept")
    one_update_per_batch: bool = config_field(
        False, help="one optimiser step per generation batch (the ratio stays 1, so clipping is inert)")

    def __post_init__(self) -> None:
        if self.epsilon <= 0 or (self.epsilon_high is not None and self.epsilon_high <= 0):
            raise ValueError(f"epsilon and epsilon_high must be > 0, got {self.epsilon}, {self.epsilon_high}")

    def grpo_fields(self) -> dict[str, Any]:
        """The GRPOConfig fields this section sets."""
        if not self.enabled:
            return {"epsilon": UNCLIPPED_EPSILON, "epsilon_high": UNCLIPPED_EPSILON}
        return {"epsilon": self.epsilon, "epsilon_high": self.epsilon_high or self.epsilon}


@dataclass(frozen=True)
class HeldOutConfig:
    """A periodic evaluation on held-out prompts."""

    every: int = config_field(0, help="evaluate every N optimiser steps (0 = only before and after training)")
    n: int = config_field(64, help="number of held-out problems")
    k: int = config_field(4, help="samples per problem for pass@k")
    max_new_tokens: int = config_field(32, help="generation length")
    temperature: float = config_field(1.0, help="sampling temperature for pass@k")

    def __post_init__(self) -> None:
        if self.every < 0 or self.n < 1 or self.k < 1 or self.max_new_tokens < 1:
            raise ValueError("heldout needs every >= 0, n >= 1, k >= 1, max_new_tokens >= 1")


@dataclass(frozen=True)
class TrainConfig:
    """One training run."""

    run_dir: str = config_field("runs/default", help="folder for checkpoints, metrics.jsonl and the summary")
    seed: int = config_field(0, help="seed of TRL (sampling, shuffling)")
    model: ModelConfig = config_field(default_factory=ModelConfig, help="the policy")
    data: DataConfig | None = config_field(
        default_factory=DataConfig, help="the training prompts (null: the run's source supplies them, as a bench "
                                         "cell's organism does; rewardlab train needs a set)")
    heldout: HeldOutConfig = config_field(default_factory=HeldOutConfig, help="held-out evaluation")
    reward: Any = config_field("binary", help="training reward: a name or {type: ...} mapping (rewardlab list)")
    gold: Any = config_field("binary", help="reward that defines correctness for tracking (null = none)")
    extraction: str | None = config_field(
        None, help="how the reward's answer checkers and the gold read a completion's answer: math_verify "
                   "(math-verify's extraction), qwen (Spurious Rewards' chain) or boxed (last box only); null: "
                   "each reward's own (math_verify unless it sets another)")
    advantage: Any = config_field("group_norm", help="advantage transform: a name or {type: ...} mapping")
    on_reward_error: Literal["raise", "none"] = config_field(
        "raise", help="'raise': stop naming the failing sample; 'none': score its group as no signal")
    clipping: ClippingConfig = config_field(default_factory=ClippingConfig, help="clipping-bias knobs")
    trl: dict[str, Any] = config_field(default_factory=dict, help="fields passed to trl.GRPOConfig as they are")
    save_final: bool = config_field(True, help="write the trained model to final/ in the run folder")
    world_size: int | None = config_field(
        None, help="the number of processes the recipe's batch sizes assume (null = any); `rewardlab train` "
                   "launched with another count stops. --set world_size=N acknowledges a deliberate change")
    monitor: MonitorConfig = config_field(
        default_factory=MonitorConfig, help="reward-hacking alarms raised from the logged figures, and which stop "
                                            "the run (docs/training.md, Watching a run)")
    checkpoint_minutes: float | None = config_field(
        None, help="also write a checkpoint whenever this many minutes have passed since the last one (null = "
                   "only TRL's save_steps)")

    def __post_init__(self) -> None:
        object.__setattr__(self, "reward", with_extraction(build_reward(self.reward), self.extraction))
        object.__setattr__(self, "gold", None if self.gold is None else with_extraction(build_reward(self.gold),
                                                                                         self.extraction))
        object.__setattr__(self, "advantage", build_advantage(self.advantage))
        if self.world_size is not None and self.world_size < 1:
            raise ValueError(f"world_size must be >= 1 or null, got {self.world_size}; write e.g. world_size: 8")
        if self.checkpoint_minutes is not None and self.checkpoint_minutes <= 0:
            raise ValueError(f"checkpoint_minutes must be > 0 or null, got {self.checkpoint_minutes}; "
                             "write e.g. checkpoint_minutes: 30")
        check_trl_section(self.trl)
        clash = {"epsilon", "epsilon_high"} & set(self.trl)
        if clash:
            raise ValueError(f"set {sorted(clash)} in the clipping: section, not under trl:")
        object.__setattr__(self, "run", ResolvedRun.of(self.trl, self.clipping, self.world_size))
        if (problem := self.run.group_problem()) is not None:
            raise ValueError(f"trl: {problem}")
        if (problem := self.advantage.group_size_problem(self.run.num_generations)) is not None:
            raise ValueError(f"advantage: {problem}")

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :func:`load_config` reads back into an equal config (the ``trl:`` section as the
        resolved run holds it: after loading, nothing else reads the mapping)."""
        return encode_fields(self, given={"trl": dict(self.run.section)})


def load_config(source: str | Path | dict[str, Any], *, where: str | None = None) -> TrainConfig:
    """A checked :class:`TrainConfig` from a YAML file (read strictly: a repeated key is an error) or a
    mapping; errors start with ``where`` (default: the file, or ``config``)."""
    if isinstance(source, dict):
        values, where = source, where or "config"
    else:
        values, where = read_yaml(source) or {}, where or str(source)
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: a config is a mapping of sections, got {type(values).__name__}")
    return build_dataclass(TrainConfig, values, registry=default_registry(), where=where)


def dump_config(config: TrainConfig, path: str | Path) -> None:
    """Write ``config`` as YAML (the run directory's snapshot)."""
    Path(path).write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))


