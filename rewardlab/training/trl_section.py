"""The ``trl:`` section of a training config, checked before anything is built.

Three layers, each failing with the field and what to write:

1. :func:`check_trl_section` (at load, pure Python): every key is a ``GRPOConfig`` field, every value
   has the type TRL declares (``max_steps: "thirty"`` fails here), and the values with a meaningful
   range lie in it (``temperature > 0``, ``num_generations >= 2``, probabilities in [0, 1], positive
   steps and lengths). transformers' deprecated aliases (``gradient_checkpointing``) are refused with
   the current name.
2. :func:`check_with_trl` (``rewardlab validate``): builds TRL's ``GRPOConfig`` from the section, so
   TRL's and transformers' own ``__post_init__`` checks run, on a CPU-only machine too. Only the
   device-bound fields are adjusted for the check: ``use_cpu`` is set (so ``bf16`` and vLLM settings
   pass without a GPU; transformers refuses ``bf16`` on a machine without one unless ``use_cpu`` is
   set), and ``tf32`` and ``deepspeed`` are left out (both need the GPU or the DeepSpeed package).
3. ``rewardlab train`` builds the real ``GRPOConfig`` (:func:`rewardlab.training.run.grpo_args`)
   before it loads the model or the data.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import os
import tempfile
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, Union

from rewardlab.registry import ConfigError, suggest

# transformers' deprecated aliases: (old name, current name). Training with the old name prints a FutureWarning.
DEPRECATED_ALIASES: Mapping[str, str] = types.MappingProxyType({
    "gradient_checkpointing": "activation_checkpointing",
    "gradient_checkpointing_kwargs": "activation_checkpointing_kwargs",
})


@dataclasses.dataclass(frozen=True)
class Range:
    """An allowed range: ``test(value)`` holds, ``text`` says it in words, ``example`` is a value to write."""

    test: Callable[[float], bool]
    text: str
    example: Any


def _positive(example: Any) -> Range:
    return Range(lambda v: v > 0, "> 0", example)


def _probability(example: Any) -> Range:
    return Range(lambda v: 0 <= v <= 1, "in [0, 1]", example)


# Ranges of the fields whose meaning sets one; null (where TRL allows it) is always accepted.
RANGES: Mapping[str, Range] = types.MappingProxyType({
    "temperature": _positive(1.0),
    "num_generations": Range(lambda v: v >= 2, ">= 2 (a group needs two samples for an advantage)", 8),
    "num_generations_eval": Range(lambda v: v >= 1, ">= 1", 8),
    "top_p": Range(lambda v: 0 < v <= 1, "in (0, 1]", 1.0),
    "min_p": _probability(0.05),
    "top_k": Range(lambda v: v >= 0, ">= 0 (0 = off)", 0),
    "repetition_penalty": _positive(1.0),
    "warmup_ratio": _probability(0.0),
    "vllm_gpu_memory_utilization": Range(lambda v: 0 < v <= 1, "in (0, 1]", 0.3),
    "top_entropy_quantile": _probability(1.0),
    "max_steps": Range(lambda v: v >= 1 or v == -1, ">= 1 (or -1: train num_train_epochs)", 30),
    "num_train_epochs": _positive(1.0),
    "per_device_train_batch_size": _positive(8),
    "per_device_eval_batch_size": _positive(8),
    "gradient_accumulation_steps": _positive(1),
    "steps_per_generation": _positive(4),
    "generation_batch_size": _positive(64),
    "num_iterations": _positive(1),
    "max_completion_length": _positive(256),
    "logging_steps": _positive(1),
    "save_steps": _positive(50),
    "save_total_limit": _positive(2),
    "eval_steps": _positive(50),
    "learning_rate": Range(lambda v: v >= 0, ">= 0", 1.0e-6),
    "beta": Range(lambda v: v >= 0, ">= 0 (0 = no KL term)", 0.0),
    "warmup_steps": Range(lambda v: v >= 0, ">= 0", 0),
    "weight_decay": Range(lambda v: v >= 0, ">= 0", 0.0),
    "max_grad_norm": Range(lambda v: v >= 0, ">= 0 (0 = no clipping)", 1.0),
})

# What torchrun and accelerate launch set; the check hides them, so that it never joins a process group.
_LAUNCH_ENV = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")

# A value of each plain type, for messages.
_TYPE_EXAMPLES: Mapping[type, Any] = types.MappingProxyType({int: 1, float: 0.5, bool: True, str: "..."})


@functools.cache
def grpo_fields() -> Mapping[str, dataclasses.Field[Any]]:
    """``GRPOConfig``'s dataclass fields by name."""
    from trl import GRPOConfig

    return types.MappingProxyType({f.name: f for f in dataclasses.fields(GRPOConfig)})


def check_trl_section(values: Mapping[str, Any]) -> None:
    """Refuse an unknown or deprecated key, a value of the wrong type, or one outside its range.

    Raises ``ValueError`` (the config loader prefixes the file).
    """
    fields = grpo_fields()
    for key, value in values.items():
        if key in DEPRECATED_ALIASES:
            raise ValueError(f"trl.{key} is transformers' deprecated name (removed in v6); write "
                              f"{DEPRECATED_ALIASES[key]}: {_yaml(value)} instead")
        if key not in fields:
            raise ValueError(f"trl.{key} is not a GRPOConfig field; {suggest(key, fields)}"
                              f"see trl.GRPOConfig for the full list")
        tp = fields[key].type
        if not fits(tp, value):
            raise ValueError(f"trl.{key}: expected {_describe(tp)}, got {type(value).__name__} {value!r}; "
                              f"write e.g. {key}: {_yaml(_example(key, tp))}")
        limit = RANGES.get(key)
        if limit is not None and _is_number(value) and not limit.test(value):
            raise ValueError(f"trl.{key} must be {limit.text}, got {value!r}; write e.g. {key}: "
                              f"{_yaml(limit.example)}")


def check_with_trl(values: Mapping[str, Any]) -> None:
    """Build ``GRPOConfig(**values)`` as it would be on its machine, with the device-bound fields adjusted
    so that a CPU-only machine can run TRL's and transformers' own checks; their refusals become
    :class:`ConfigError` naming the section."""
    from trl import GRPOConfig

    checked = {k: v for k, v in values.items() if k not in ("tf32", "deepspeed")}
    checked.update(use_cpu=True, output_dir=checked.get("output_dir") or tempfile.gettempdir())
    checked.setdefault("report_to", [])
    checked.setdefault("activation_checkpointing", False)
    launch = {k: os.environ.pop(k) for k in _LAUNCH_ENV if k in os.environ}  # checked as one process
    try:
        GRPOConfig(**checked)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise ConfigError(f"trl: TRL refuses this section: {' '.join(str(exc).split())}") from exc
    finally:
        os.environ.update(launch)


def fits(tp: Any, value: Any) -> bool:
    """Whether ``value`` (as read from YAML) has the type ``tp`` that ``GRPOConfig`` declares."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any or isinstance(tp, (str, typing.TypeVar)):
        return True
    if tp is None or tp is type(None):
        return value is None
    if origin in (Union, types.UnionType):
        return any(fits(a, value) for a in args)
    if origin is Literal:
        return value in args
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return _is_number(value)
    if tp is str:
        return isinstance(value, str)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return isinstance(value, tp) or value in {m.value for m in tp}
    if origin is list or tp is list:
        return isinstance(value, list) and all(fits(args[0], v) for v in value) if args else isinstance(value, list)
    if origin is dict or tp is dict:
        return isinstance(value, dict)
    return isinstance(tp, type) and isinstance(value, tp)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _describe(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if tp is type(None):
        return "null"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string", list: "a list",
             dict: "a mapping"}
    return names.get(origin or tp, getattr(tp, "__name__", str(tp)))


def _example(key: str, tp: Any) -> Any:
    if key in RANGES:
        return RANGES[key].example
    default = grpo_fields()[key].default
    if default is not dataclasses.MISSING and default is not None and fits(tp, default):
        return default.value if isinstance(default, enum.Enum) else default
    options = [a for a in (typing.get_args(tp) or (tp,)) if a is not type(None)]
    return next((_TYPE_EXAMPLES[a] for a in options if a in _TYPE_EXAMPLES), "...")


def _yaml(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
