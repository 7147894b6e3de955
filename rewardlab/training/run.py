"""One training run from a :class:`TrainConfig`: build, train, evaluate, write the run directory.

The run directory holds ``config.yaml`` (the snapshot), ``checkpoints/`` (TRL's, for resuming),
``metrics.jsonl`` (one record per logged step, held-out evaluations included), ``final/`` (the
trained model) and ``summary.json``. Running the same config again resumes from the last complete
checkpoint; a finished run is not trained again; ``resume=False`` moves an earlier run aside.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardlab.training import world_size
from rewardlab.training.config import TrainConfig, dump_config
from rewardlab.training.sources import FromConfig, Measure, RunSource

SUMMARY_FILE = "summary.json"
METRICS_FILE = "metrics.jsonl"
BEFORE_FILE = "heldout_before.json"


def grpo_args(config: TrainConfig, run_dir: Path) -> Any:
    """TRL's GRPOConfig of the run (:func:`trl_values`); TRL's own checks run here."""
    from trl import GRPOConfig

    return GRPOConfig(**trl_values(config, run_dir))


def trl_values(config: TrainConfig, run_dir: Path) -> dict[str, Any]:
    """The GRPOConfig fields of the run in ``run_dir``: its resolved run's
    (:meth:`~rewardlab.training.resolved.ResolvedRun.grpo_arguments`)."""
    return config.run.grpo_arguments(run_dir, config.seed)


def train(config: TrainConfig, *, source: RunSource | None = None, resume: bool = True) -> dict[str, Any]:
    """Train (or resume) the run described by ``config`` on ``source``'s policy and prompts; returns the summary
    it writes.

    The one run builder: ``rewardlab train`` (``source``: :class:`FromConfig`, the default) and every bench
    cell (an organism source) go through it, in these steps:

    1. the launch's process count against the resolved run's ``world_size`` (the one check, before any model
       is built), and the source's own check (a data file that does not exist);
    2. the run folder: a rerun resumes from the last complete checkpoint, with the config it started with (a
       bench cell, which saves none, starts over with its metrics cleared); a finished run is returned as it
       is unless a larger ``max_steps`` extends it; ``resume=False`` moves an earlier run folder aside first;
    3. TRL's ``GRPOConfig``, before the model or the data, and the config's snapshot;
    4. the source's policy, prompts and measurement, and the trainer with its callbacks;
    5. the measurement before training (kept across resumes), training, the measurement after;
    6. ``summary.json``.
    """
    from rewardlab.provenance import machine_record

    source = source or FromConfig(config)
    world_size.check_world_size(config.run, world_size.launched_world_size(), where=source.where)
    source.check()
    run_dir = Path(config.run_dir)
    opened = _open_run_folder(config, run_dir, resume)
    if opened.done:
        return opened.finished
    args = grpo_args(config, run_dir)
    _write_snapshot(config, run_dir)
    machine, started = machine_record(), time.perf_counter()  # the code as it starts, and where
    parts = _build(config, source, args, run_dir)
    checkpoint = _resume_point(args.output_dir, resume)
    before = _measure_before(parts, source, run_dir, checkpoint)
    _follow_resume(parts, run_dir, checkpoint, opened.changes)
    after = _train_and_measure(config, parts, checkpoint)
    summary = {"steps": parts.trainer.state.global_step, "world_size": parts.trainer.accelerator.num_processes,
               "seconds": round(time.perf_counter() - started, 2),
               "resumed_from": checkpoint, **_extension(opened.finished, checkpoint),
               "heldout_before": before, "heldout_after": after, **_phases(parts.trainer),
               **parts.monitor.summary(), "machine": machine}
    if parts.main_process:
        (run_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    return summary


def _phases(trainer: Any) -> dict[str, dict[str, float]]:
    """The summary's account of where the training steps' time went (:mod:`rewardlab.training.phases`)."""
    return {"phase_seconds": {k: round(v, 2) for k, v in trainer.phase_seconds.items()},
            "phase_shares": {k: round(v, 4) for k, v in trainer.phase_shares().items()}}


@dataclass(frozen=True)
class _Opened:
    """A run folder as a run finds it: the config changes a resume makes, the summary of a finished run, and
    whether that run is done (nothing to train)."""

    changes: list[Any]
    finished: dict[str, Any] | None
    done: bool


def _open_run_folder(config: TrainConfig, run_dir: Path, resume: bool) -> _Opened:
    """Step 2 of :func:`train`: the resume check against the folder's config, a finished run, ``--no-resume``."""
    from rewardlab.training.checkpoints import move_aside
    from rewardlab.training.resume import check_resume

    summary_path = run_dir / SUMMARY_FILE
    changes = check_resume(config, run_dir, lambda c: trl_values(c, run_dir)) if resume else []
    finished = json.loads(summary_path.read_text()) if resume and summary_path.is_file() else None
    if finished is not None and not _extends(config, finished, run_dir):
        return _Opened(changes, finished, done=True)
    if not resume and (moved := move_aside(run_dir)) is not None:
        print(f"--no-resume: moved the earlier run {run_dir} aside to {moved}", flush=True)
    return _Opened(changes, finished, done=False)


def _write_snapshot(config: TrainConfig, run_dir: Path) -> None:
    """The run folder with ``config.yaml``, written when the run starts and never rewritten."""
    from rewardlab.training.resume import CONFIG_FILE

    run_dir.mkdir(parents=True, exist_ok=True)
    if not (run_dir / CONFIG_FILE).is_file():
        dump_config(config, run_dir / CONFIG_FILE)


@dataclass(frozen=True)
class _Parts:
    """What a run trains with: the trainer (holding the policy and the prompts), the tokenizer, the measurement
    (on its own RNG) and the monitor."""

    trainer: Any
    tokenizer: Any
    measure: Measure
    monitor: Any

    @property
    def main_process(self) -> bool:
        """Whether this process writes the run folder's files (the one writer)."""
        return self.trainer.accelerator.is_main_process


def _build(config: TrainConfig, source: RunSource, args: Any, run_dir: Path) -> _Parts:
    """Step 4 of :func:`train`: the source's policy, prompts and measurement, then the trainer and its callbacks.

    The layout was checked when the config was loaded (its resolved run), so the trainer does not check it again.
    """
    from rewardlab.training.trainer import GRPOTrainer

    model, tokenizer = source.policy()
    dataset = source.prompts(model, tokenizer)
    measure = _on_own_rng(source.measurement(tokenizer), config.seed)
    trainer = GRPOTrainer(model=model, reward=config.reward, args=args, advantage=config.advantage,
                          gold=config.gold, on_reward_error=config.on_reward_error, train_dataset=dataset,
                          processing_class=tokenizer, metrics_path=run_dir / METRICS_FILE, check_layout=False)
    return _Parts(trainer, tokenizer, measure, _add_callbacks(config, source, trainer, tokenizer, measure))


def _add_callbacks(config: TrainConfig, source: RunSource, trainer: Any, tokenizer: Any, measure: Measure) -> Any:
    """The measurement every ``heldout.every`` steps, the reward monitor (returned), checkpoints every
    ``checkpoint_minutes``, and no per-step lines for a quiet source."""
    from transformers import PrinterCallback, TrainerCallback

    from rewardlab.training.checkpoints import SaveEveryMinutes
    from rewardlab.training.monitor import RewardMonitor

    class HeldOut(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if config.heldout.every and state.global_step % config.heldout.every == 0:
                trainer.log_with_step({f"heldout/{k}": v for k, v in measure(trainer.model, tokenizer, False).items()},
                                      control)

    trainer.add_callback(HeldOut())
    monitor = RewardMonitor(config.monitor, writer=trainer.metrics_writer, judge_key=_judge_key(config),
                            quiet=source.quiet)
    trainer.add_callback(monitor)
    if config.checkpoint_minutes is not None:
        trainer.add_callback(SaveEveryMinutes(config.checkpoint_minutes))
    if source.quiet:
        trainer.remove_callback(PrinterCallback)
    return monitor


def _measure_before(parts: _Parts, source: RunSource, run_dir: Path, checkpoint: str | None) -> dict[str, Any] | None:
    """Step 5a of :func:`train`: the policy measured before training; a resumed run keeps the figures it measured
    when it started. ``metrics.jsonl`` first loses the records the run will write again."""
    from rewardlab.training.checkpoints import checkpoint_step

    if parts.main_process:
        _keep_metrics_until(run_dir / METRICS_FILE, checkpoint_step(checkpoint))
    before_path = run_dir / BEFORE_FILE
    if checkpoint is not None and before_path.is_file():
        return json.loads(before_path.read_text())
    before = parts.measure(parts.trainer.model, parts.tokenizer, True) if source.measure_before else None
    if parts.main_process:
        before_path.write_text(json.dumps(before))
    return before


def _follow_resume(parts: _Parts, run_dir: Path, checkpoint: str | None, changes: list[Any]) -> None:
    """A resumed run's monitor hears the figures logged before, and the resume is recorded once TRL has loaded
    the checkpoint."""
    from rewardlab.training.resume import ResumeRecord
    from rewardlab.training.tracking import read_metrics

    if checkpoint is None:
        return
    if (run_dir / METRICS_FILE).is_file():
        parts.monitor.replay(read_metrics(run_dir / METRICS_FILE))
    if parts.main_process:
        parts.trainer.add_callback(ResumeRecord(parts.trainer.metrics_writer, run_dir, checkpoint, changes))


def _train_and_measure(config: TrainConfig, parts: _Parts, checkpoint: str | None) -> dict[str, Any]:
    """Step 5b of :func:`train`: train, measure after training, keep the trained model; the rewards' worker
    pools close whatever happens."""
    try:
        parts.trainer.train(resume_from_checkpoint=checkpoint)
        after = parts.measure(parts.trainer.model, parts.tokenizer, True)
        if config.save_final:
            parts.trainer.save_model(str(Path(config.run_dir) / "final"))
    finally:
        config.reward.close()
        if config.gold is not None:
            config.gold.close()
    return after


def _extends(config: TrainConfig, finished: dict[str, Any], run_dir: Path) -> bool:
    """Whether a finished run is asked for more steps (a larger ``max_steps``); says so when it is not."""
    max_steps = config.run.max_steps
    if max_steps <= finished.get("steps", 0):
        if 0 < max_steps < finished.get("steps", 0):
            print(f"{run_dir}: finished at step {finished['steps']}; max_steps {max_steps} asks for no more, so "
                  "nothing is trained and its summary is printed as it is", flush=True)
        return False
    print(f"{run_dir}: finished at step {finished['steps']}; max_steps {max_steps} extends it: training continues "
          "from its last checkpoint", flush=True)
    return True


def _extension(finished: dict[str, Any] | None, checkpoint: str | None) -> dict[str, Any]:
    """The summary's account of a finished run trained further: how far it had gone and where it continued."""
    if finished is None:
        return {}
    return {"extended": {"from_steps": finished.get("steps"), "continued_from": checkpoint,
                         "note": f"a finished run of {finished.get('steps')} steps trained further from "
                                 f"{Path(checkpoint).name if checkpoint else 'step 0 (no checkpoint was left)'}"}}


def _resume_point(checkpoints: str, resume: bool) -> str | None:
    """The newest sound checkpoint to resume from (broken ones moved aside, each named), or None."""
    from rewardlab.training.checkpoints import last_complete_checkpoint, sound_checkpoint

    if not resume:
        return None
    had_any = last_complete_checkpoint(checkpoints) is not None
    checkpoint = sound_checkpoint(checkpoints, say=lambda message: print(message, flush=True))
    if had_any and checkpoint is None:
        print(f"{checkpoints}: no sound checkpoint is left, so the run starts over from step 0", flush=True)
    return checkpoint


def _judge_key(config: TrainConfig) -> str | None:
    """Where a judge's mean score is logged when the training reward is a judge (for ``judge_score_inflation``)."""
    return "rewardlab/proxy_reward" if config.reward.type_name == "judge" else None


def _keep_metrics_until(path: Path, step: int) -> None:
    """Drop the records a restarted run will write again: all of them from a fresh start, and those
    after the checkpoint's step when resuming, so that ``metrics.jsonl`` holds each step once. A last
    line cut off by a kill is dropped first (as ``rewardlab sample`` drops one)."""
    from rewardlab.data.files import drop_partial_last_line

    if not path.is_file():
        return
    drop_partial_last_line(path)
    lines = path.read_text().splitlines() if step else []
    kept = [line for line in lines if line.strip() and json.loads(line).get("step", 0) <= step]
    path.write_text("".join(line + "\n" for line in kept))


def _on_own_rng(measure: Measure, seed: int) -> Measure:
    """``measure`` drawing on its own RNG, seeded alike each time (every measurement of a run sees the same
    sampling noise), so training samples the same whenever it is measured."""
    from rewardlab.models.rng import own_rng

    def measured(model: Any, tokenizer: Any, final: bool) -> dict[str, float]:
        device = getattr(model, "device", None) or next(model.parameters()).device
        with own_rng(device, seed):
            return measure(model, tokenizer, final)

    return measured
