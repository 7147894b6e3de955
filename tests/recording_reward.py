"""A reward that records who scored what, for the multi-process tests (named by import path in a config)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rewardlab.rewards import Reward
from rewardlab.rewards.base import config_field
from rewardlab.types import RewardResult, RolloutBatch


@dataclass(frozen=True)
class RecordCalls(Reward):
    """Pays 1 for even global sample indices, and appends each call's layout to ``log_dir/rank-R.jsonl``."""

    type_name: ClassVar[str] = "record_calls"
    log_dir: str = config_field("calls", help="folder for one JSON line per call, per process rank")

    def score(self, batch: RolloutBatch) -> RewardResult:
        import torch.distributed as dist

        distributed = dist.is_available() and dist.is_initialized()
        rank = dist.get_rank() if distributed else 0
        record = {"rank": rank, "world_size": dist.get_world_size() if distributed else 1,
                  "env_world_size": int(os.environ.get("WORLD_SIZE", "1")), "step": batch.step,
                  "indices": list(batch.indices), "group_ids": list(batch.group_ids)}
        Path(self.log_dir).mkdir(parents=True, exist_ok=True)
        with (Path(self.log_dir) / f"rank-{rank}.jsonl").open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        return RewardResult(tuple(float(i % 2 == 0) for i in batch.indices))
