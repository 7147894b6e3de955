"""Checkpoints that let an interrupted run lose little: how often they are written, which one a rerun
resumes from, and where a run started over puts the old one.

- :func:`default_save_steps`: when a config sets neither ``save_steps`` nor ``save_strategy``, a
  checkpoint every quarter of ``max_steps``, so that every run leaves some before it ends.
- :class:`SaveEveryMinutes`: ``checkpoint_minutes`` adds a checkpoint whenever that much time has
  passed since the last, for long steps on big models.
- :func:`last_complete_checkpoint`: TRL writes ``trainer_state.json`` last, so a folder without it
  was cut off while saving and is passed over.
- :func:`move_aside`: ``--no-resume`` keeps the old run next to the new one instead of mixing them.
- :func:`checkpoint_problem` / :func:`sound_checkpoint`: a checkpoint is verified before a run resumes
  from it (its files present and readable: ``trainer_state.json``, the model's weights, every
  ``.safetensors``, ``.pt``/``.pth`` and ``.json`` file); a broken one is moved aside to
  ``RUN_DIR/broken-checkpoints/`` with a message naming the file, and the next newest is tried.
"""

from __future__ import annotations

import json
import os
import re
import time
import zipfile
from collections.abc import Callable, Mapping
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


WEIGHTS_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json", "adapter_model.safetensors")
BROKEN_FOLDER = "broken-checkpoints"


def checkpoint_problem(folder: str | Path) -> str | None:
    """What makes checkpoint ``folder`` unusable, naming the file (``None`` when it is sound).

    Checked without loading tensors: ``trainer_state.json`` and every ``.json`` file parse; every
    ``.safetensors`` file's header covers the whole file; every ``.pt``, ``.pth`` or ``.bin`` file (torch's
    zip format) has its central directory, which a cut-off file lacks; some model weights are present.
    """
    folder = Path(folder)
    state = folder / "trainer_state.json"
    if not state.is_file():
        return f"{state} is missing"
    if not any((folder / name).is_file() for name in WEIGHTS_FILES):
        return f"{folder} holds no model weights (none of {', '.join(WEIGHTS_FILES)})"
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        problem = _file_problem(path)
        if problem is not None:
            return f"{path} is broken ({problem})"
    return None


def _file_problem(path: Path) -> str | None:
    try:
        if path.suffix == ".json":
            value = json.loads(path.read_text(encoding="utf-8"))
            if path.name == "trainer_state.json" and not (isinstance(value, dict) and "global_step" in value):
                return "no global_step"
        elif path.suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), "pt") as handle:
                handle.keys()
        elif path.suffix in (".pt", ".pth", ".bin"):
            with zipfile.ZipFile(path) as archive:
                archive.namelist()
    except Exception as exc:  # any failure to read it makes the checkpoint unusable
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def sound_checkpoint(folder: str | Path, say: Callable[[str], None] = print) -> str | None:
    """The newest complete checkpoint under ``folder`` that is sound (:func:`checkpoint_problem`), or ``None``.

    Each broken one met on the way is moved to ``../broken-checkpoints/`` (by the main process only, as
    :func:`move_aside`), and ``say`` hears which file is broken, where it went and what is tried next.
    """
    while (checkpoint := last_complete_checkpoint(folder)) is not None:
        problem = checkpoint_problem(checkpoint)
        if problem is None:
            return checkpoint
        target = _quarantine(Path(checkpoint))
        later = last_complete_checkpoint(folder) if target is not None else None
        nxt = f"resuming from {Path(later).name} if it is sound" if later else "no checkpoint is left: starting over"
        say(f"checkpoint {checkpoint} cannot be resumed from: {problem}; moved it aside to {target}; {nxt}")
        if target is None:  # another process moves it: pass over it here
            return _older_than(folder, checkpoint, say)
    return None


def _older_than(folder: str | Path, checkpoint: str, say: Callable[[str], None]) -> str | None:
    """On a process that does not move checkpoints: the newest sound one older than ``checkpoint``."""
    step = checkpoint_step(checkpoint)
    candidates = sorted(((checkpoint_step(str(p)), p) for p in Path(folder).iterdir()
                         if _CHECKPOINT.fullmatch(p.name) and checkpoint_step(str(p)) < step
                         and (p / "trainer_state.json").is_file()), reverse=True)
    return next((str(p) for _, p in candidates if checkpoint_problem(p) is None), None)


def _quarantine(checkpoint: Path) -> Path | None:
    """Move a broken checkpoint to ``RUN_DIR/broken-checkpoints/`` (None on a process other than the main one)."""
    if os.environ.get("RANK", "0") != "0":
        return None
    broken = checkpoint.parent.parent / BROKEN_FOLDER
    broken.mkdir(parents=True, exist_ok=True)
    target = broken / checkpoint.name
    n = 1
    while target.exists():
        n += 1
        target = broken / f"{checkpoint.name}-{n}"
    checkpoint.rename(target)
    return target


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
