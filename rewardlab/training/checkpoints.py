"""Checkpoints that let an interrupted run lose little: how often they are written, which one a rerun
resumes from, and where a run started over puts the old one.

- :func:`default_save_steps`: when a config sets neither ``save_steps`` nor ``save_strategy``, a
  checkpoint every quarter of ``max_steps``, so that every run leaves some before it ends.
- :class:`SaveEveryMinutes`: ``checkpoint_minutes`` adds a checkpoint whenever that much time has
  passed since the last, for long steps on big models.
- :func:`last_complete_checkpoint`: TRL writes ``trainer_state.json`` last, so a folder without it
  was cut off while saving and is passed over.
- :func:`move_aside`: ``--no-resume`` keeps the old run next to the new one instead of mixing them.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

# TRL's fallback when max_steps is unset (the run is counted in epochs): a checkpoint every 50 steps.
EPOCH_RUN_SAVE_STEPS = 50
_CHECKPOINT = re.compile(r"checkpoint-(\d+)")


def default_save_steps(trl: Mapping[str, Any]) -> int | None:
    """``save_steps`` for a ``trl:`` section that sets neither it nor ``save_strategy`` (None when it does):
    ``max(1, max_steps // 4)``, so a run's first checkpoint comes a quarter of the way in."""
    if "save_steps" in trl or "save_strategy" in trl:
        return None
    max_steps = trl.get("max_steps", -1)
    return max(1, max_steps // 4) if max_steps > 0 else EPOCH_RUN_SAVE_STEPS


def last_complete_checkpoint(folder: str | Path) -> str | None:
    """The highest ``checkpoint-N`` folder under ``folder`` that holds ``trainer_state.json`` (None if none)."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    steps = [(int(m.group(1)), p) for p in folder.iterdir()
             if (m := _CHECKPOINT.fullmatch(p.name)) and (p / "trainer_state.json").is_file()]
    return str(max(steps)[1]) if steps else None


def checkpoint_step(checkpoint: str | None) -> int:
    """The optimiser step a checkpoint folder (``checkpoint-N``) was written at; 0 for none."""
    return int(Path(checkpoint).name.rpartition("-")[2]) if checkpoint else 0


def move_aside(run_dir: Path) -> Path | None:
    """Rename a non-empty ``run_dir`` to ``RUN_DIR.old-<UTC time>`` and return the new path (None if there
    was nothing to move). Only the main process (``$RANK`` 0 or unset) moves it."""
    if os.environ.get("RANK", "0") != "0" or not run_dir.is_dir() or not any(run_dir.iterdir()):
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    target = run_dir.with_name(f"{run_dir.name}.old-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = run_dir.with_name(f"{run_dir.name}.old-{stamp}-{n}")
    run_dir.rename(target)
    return target


class SaveEveryMinutes(TrainerCallback):
    """Ask the trainer to save at the end of a step when ``minutes`` have passed since the last save.

    Every process must agree on a save (DeepSpeed saves collectively), so the main process's clock
    decides and the decision is broadcast.
    """

    def __init__(self, minutes: float, clock: Any = time.monotonic) -> None:
        self.seconds = minutes * 60
        self.clock = clock
        self.last = clock()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        due = [self.clock() - self.last >= self.seconds]
        if args.world_size > 1:
            from accelerate.utils import broadcast_object_list

            broadcast_object_list(due, from_process=0)
        if due[0]:
            control.should_save = True

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.last = self.clock()
