"""One training run from a :class:`TrainConfig`: build, train, evaluate, write the run directory.

The run directory holds ``config.yaml`` (the snapshot), ``checkpoints/`` (TRL's, for resuming),
``metrics.jsonl`` (one record per logged step, held-out evaluations included), ``final/`` (the
trained model) and ``summary.json``. Running the same config again resumes from the last complete
checkpoint; a finished run is not trained again; ``resume=False`` moves an earlier run aside.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardlab.training.config import SUPPLIED_DATA, DataConfig, ModelConfig, TrainConfig, dump_config, grpo_default


def build_model(config: ModelConfig) -> tuple[Any, Any]:
    """(model, tokenizer) for a model config; hub and local models load in ``config.dtype``."""
    if config.name == "tiny":
        from rewardlab.models.tiny import char_tokenizer, tiny_model

        tokenizer = char_tokenizer()
        model = tiny_model(tokenizer, config.tiny)
        if config.dtype != "auto":
            import torch

            model = model.to(getattr(torch, config.dtype))
        return model, tokenizer
    from rewardlab.models.loading import load_causal_lm
    from rewardlab.models.smollm2 import resolve_model_path

    return load_causal_lm(resolve_model_path(config.name), dtype=config.dtype)


def build_dataset(config: DataConfig, *, chat: bool = False) -> Any:
    """The training prompts as a ``datasets.Dataset`` with ``prompt`` and ``answer`` columns."""
    if config.name == SUPPLIED_DATA:
        raise ValueError(f"data.name {SUPPLIED_DATA!r} means the caller passes the prompts (as the bench does); "
                         "to train from a config, name a set: arithmetic, math500, aime24, amc23 or gsm8k")
    if config.name == "arithmetic":
        from rewardlab.data.synthetic import arithmetic_problems

        dataset = arithmetic_problems(config.limit or 512, seed=config.seed, max_operand=config.max_operand)
    else:
        from rewardlab.data import load_math_dataset

        dataset = load_math_dataset(config.name, config.path, split=config.split, keep_columns=config.keep_columns)
        if config.limit is not None:
            dataset = dataset.select(range(min(config.limit, len(dataset))))

    def shape(row: dict[str, Any]) -> dict[str, Any]:
        text = config.template.replace("{prompt}", row["prompt"])
        return {"prompt": [{"role": "user", "content": text}] if chat else text}

    return dataset.map(shape)


def grpo_args(config: TrainConfig, run_dir: Path) -> Any:
    """TRL's GRPOConfig of the run (:func:`trl_values`); TRL's own checks run here."""
    from trl import GRPOConfig

    return GRPOConfig(**trl_values(config, run_dir))


def trl_values(config: TrainConfig, run_dir: Path) -> dict[str, Any]:
    """The GRPOConfig fields of the run: CPU-safe defaults, then the ``trl:`` section, then the clipping knobs.

    Unless the section sets ``save_steps`` or ``save_strategy``, a checkpoint comes every quarter of
    ``max_steps``. Activation checkpointing is set under its current name (TRL's default, on, with a
    GPU; off on the CPU), so transformers warns of no deprecated alias.
    """
    import torch

    from rewardlab.training.checkpoints import default_save_steps

    values: dict[str, Any] = {"output_dir": str(run_dir / "checkpoints"), "seed": config.seed, "report_to": [],
                              "logging_steps": 1, "save_strategy": "steps", "disable_tqdm": False,
                              "activation_checkpointing": grpo_default("gradient_checkpointing")}
    save_steps = default_save_steps(config.trl)
    if save_steps is not None:
        values["save_steps"] = save_steps
    if not torch.cuda.is_available():
        values.update(use_cpu=True, bf16=False, activation_checkpointing=False)
    values.update(config.trl)
    values.update(config.clipping.grpo_fields())
    if config.clipping.one_update_per_batch:
        accumulation = values.get("gradient_accumulation_steps", 1)
        values.update(steps_per_generation=accumulation, num_iterations=1, generation_batch_size=None)
    return values


@dataclass(frozen=True)
class Supplied:
    """Parts of a run that its caller builds instead of the config: the bench passes an organism, the
    problems it generated (``data.name: supplied``) and its own measurement of the policy.

    ``measure(model, tokenizer, final)`` is called every ``heldout.every`` steps (``final`` false) and
    before and after training (``final`` true; before only with ``measure_before``), each time on a fork
    of torch's RNG: what it samples leaves training's sampling as it was.
    """

    model: Any = None
    tokenizer: Any = None
    dataset: Any = None
    measure: Callable[[Any, Any, bool], dict[str, float]] | None = None
    measure_before: bool = True
    quiet: bool = False


def train(config: TrainConfig, *, resume: bool = True, supplied: Supplied | None = None) -> dict[str, Any]:
    """Train (or resume) the run described by ``config``; returns the summary it writes.

    The one run builder: ``rewardlab train`` and every bench cell go through it. The launch's process
    count is checked against ``config.world_size`` and TRL's ``GRPOConfig`` is built before the model
    or the data. A rerun resumes from the last complete checkpoint (a bench cell, which saves none,
    starts over with its metrics cleared); ``resume=False`` moves an earlier run folder aside first.
    """
    from transformers import PrinterCallback, TrainerCallback

    from rewardlab.provenance import machine_record
    from rewardlab.training.checkpoints import SaveEveryMinutes, checkpoint_step, move_aside
    from rewardlab.training.monitor import RewardMonitor
    from rewardlab.training.resume import CONFIG_FILE, ResumeRecord, check_resume
    from rewardlab.training.tracking import read_metrics
    from rewardlab.training.trainer import GRPOTrainer
    from rewardlab.training.world_size import check_world_size, launched_world_size

    check_world_size({"world_size": config.world_size, "trl": config.trl,
                      "clipping": {"one_update_per_batch": config.clipping.one_update_per_batch}},
                     launched_world_size(), where=config.run_dir)
    supplied = supplied or Supplied()
    if supplied.dataset is None and (missing := config.data.missing_path()) is not None:
        raise FileNotFoundError(f"{config.run_dir}: {missing}")
    run_dir = Path(config.run_dir)
    summary_path = run_dir / "summary.json"
    changes = check_resume(config, run_dir, lambda c: trl_values(c, run_dir)) if resume else []
    finished = json.loads(summary_path.read_text()) if resume and summary_path.is_file() else None
    if finished is not None and not _extends(config, finished, run_dir):
        return finished
    if not resume and (moved := move_aside(run_dir)) is not None:
        print(f"--no-resume: moved the earlier run {run_dir} aside to {moved}", flush=True)
    args = grpo_args(config, run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if not (run_dir / CONFIG_FILE).is_file():  # written when the run starts, never rewritten
        dump_config(config, run_dir / CONFIG_FILE)
    machine = machine_record()  # the code as it starts, and where
    started = time.perf_counter()
    model, tokenizer = (supplied.model, supplied.tokenizer) if supplied.model is not None \
        else build_model(config.model)
    chat = config.model.name != "tiny" and getattr(tokenizer, "chat_template", None) is not None
    dataset = supplied.dataset if supplied.dataset is not None else build_dataset(config.data, chat=chat)
    measure = _on_own_rng(supplied.measure or _heldout_measure(config, tokenizer, chat), config.seed)
    trainer = GRPOTrainer(model=model, reward=config.reward, args=args, advantage=config.advantage,
                          gold=config.gold, on_reward_error=config.on_reward_error, train_dataset=dataset,
                          processing_class=tokenizer, metrics_path=run_dir / "metrics.jsonl")

    class HeldOut(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if config.heldout.every and state.global_step % config.heldout.every == 0:
                trainer.log_with_step({f"heldout/{k}": v for k, v in measure(trainer.model, tokenizer, False).items()},
                                      control)

    trainer.add_callback(HeldOut())
    monitor = RewardMonitor(config.monitor, writer=trainer.metrics_writer, judge_key=_judge_key(config),
                            quiet=supplied.quiet)
    trainer.add_callback(monitor)
    if config.checkpoint_minutes is not None:
        trainer.add_callback(SaveEveryMinutes(config.checkpoint_minutes))
    if supplied.quiet:
        trainer.remove_callback(PrinterCallback)
    checkpoint = _resume_point(args.output_dir, resume)
    main_process = trainer.accelerator.is_main_process  # the one writer of the run folder's files
    if main_process:
        _keep_metrics_until(run_dir / "metrics.jsonl", checkpoint_step(checkpoint))
    before_path = run_dir / "heldout_before.json"
    if checkpoint is not None and before_path.is_file():
        before = json.loads(before_path.read_text())
    else:
        before = measure(trainer.model, tokenizer, True) if supplied.measure_before else None
        if main_process:
            before_path.write_text(json.dumps(before))
    if checkpoint is not None and (run_dir / "metrics.jsonl").is_file():
        monitor.replay(read_metrics(run_dir / "metrics.jsonl"))
    if checkpoint is not None and main_process:
        trainer.add_callback(ResumeRecord(trainer.metrics_writer, run_dir, checkpoint, changes))
    try:
        trainer.train(resume_from_checkpoint=checkpoint)
        after = measure(trainer.model, tokenizer, True)
        if config.save_final:
            trainer.save_model(str(run_dir / "final"))
    finally:
        config.reward.close()
        if config.gold is not None:
            config.gold.close()
    summary = {"steps": trainer.state.global_step, "world_size": trainer.accelerator.num_processes,
               "seconds": round(time.perf_counter() - started, 2),
               "resumed_from": checkpoint, **_extension(finished, checkpoint),
               "heldout_before": before, "heldout_after": after,
               "phase_seconds": {k: round(v, 2) for k, v in trainer.phase_seconds.items()},
               "phase_shares": {k: round(v, 4) for k, v in trainer.phase_shares().items()},
               **monitor.summary(), "machine": machine}
    if main_process:
        summary_path.write_text(json.dumps(summary, indent=2))
    return summary


def _extends(config: TrainConfig, finished: dict[str, Any], run_dir: Path) -> bool:
    """Whether a finished run is asked for more steps (a larger ``max_steps``); says so when it is not."""
    max_steps = config.trl.get("max_steps", -1)
    if max_steps is None or max_steps <= finished.get("steps", 0):
        if max_steps is not None and max_steps > 0 and max_steps < finished.get("steps", 0):
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


def _on_own_rng(measure: Callable[[Any, Any, bool], dict[str, float]], seed: int
                ) -> Callable[[Any, Any, bool], dict[str, float]]:
    """``measure`` drawing on its own RNG, seeded alike each time (every measurement of a run sees the same
    sampling noise), so training samples the same whenever it is measured."""
    from rewardlab.models.rng import own_rng

    def measured(model: Any, tokenizer: Any, final: bool) -> dict[str, float]:
        device = getattr(model, "device", None) or next(model.parameters()).device
        with own_rng(device, seed):
            return measure(model, tokenizer, final)

    return measured


def _heldout_measure(config: TrainConfig, tokenizer: Any, chat: bool) -> Callable[[Any, Any, bool], dict[str, float]]:
    """The default measurement: :func:`evaluate_heldout` with the gold reward on held-out problems."""
    from rewardlab.training.heldout import evaluate_heldout

    if config.gold is None:
        return lambda model, tokenizer, final: {}
    rows = _heldout_rows(config, chat)
    h = config.heldout

    def measure(model: Any, tokenizer: Any, final: bool) -> dict[str, float]:
        return evaluate_heldout(model, tokenizer, rows["prompt"], rows["answer"], config.gold, k=h.k,
                                max_new_tokens=h.max_new_tokens, temperature=h.temperature)

    return measure


def _heldout_rows(config: TrainConfig, chat: bool) -> dict[str, list[Any]]:
    """Held-out problems: fresh synthetic ones (another seed), or the rows after the training slice."""
    data = config.data
    if data.name == "arithmetic":
        held = DataConfig(name="arithmetic", limit=config.heldout.n, seed=data.seed + 10_000,
                          max_operand=data.max_operand, template=data.template)
        dataset = build_dataset(held, chat=chat)
    else:
        full = build_dataset(DataConfig(name=data.name, path=data.path, split=data.split, template=data.template),
                             chat=chat)
        start = min(data.limit or 0, max(0, len(full) - config.heldout.n))
        dataset = full.select(range(start, min(len(full), start + config.heldout.n)))
    return {"prompt": list(dataset["prompt"]), "answer": list(dataset["answer"])}
