"""Launch configs: accelerate's own files under ``configs/accelerate/``, checked by accelerate's own loader.

``rewardlab validate`` reads every YAML file in a folder named ``accelerate`` with
:func:`check_launch_config`, which builds accelerate's ``ClusterConfig`` from it (an unknown key or a
bad value fails there) and says what the launch needs that this machine lacks (DeepSpeed).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

LAUNCH_FOLDER = "accelerate"


def is_launch_config(path: Path) -> bool:
    """Whether ``path`` lies directly in a folder named ``accelerate`` (the rule looks at the path only)."""
    return path.resolve().parent.name == LAUNCH_FOLDER


def check_launch_config(path: str | Path) -> str:
    """A short description of the accelerate launch config at ``path``; raises what accelerate's loader raises."""
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.utils import DistributedType

    config = load_config_from_file(str(path))
    kind = str(getattr(config.distributed_type, "value", config.distributed_type))
    description = f"accelerate launch config, {kind}, {config.num_processes} processes"
    if config.distributed_type == DistributedType.DEEPSPEED and importlib.util.find_spec("deepspeed") is None:
        description += "; DeepSpeed is not installed here (pip install deepspeed on the GPU machine)"
    return description
