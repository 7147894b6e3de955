"""Run the cells of a bench grid: pretrain or load each organism, measure, train, measure again.

Finished cells are appended to ``results.jsonl`` as they end; running the grid again skips them,
so an interrupted bench resumes where it stopped. With ``jobs > 1`` the organisms and then the cells
run in that many worker processes. Every organism and cell computes on :data:`BENCH_THREADS` thread,
whatever the core count, ``--jobs`` or ``OMP_NUM_THREADS``: how a float sum is split between threads
is the math library's choice per CPU and shape, so one thread makes every setting run the same
computation, and tiny models use a second thread poorly anyway (two one-thread processes do about
twice the work of one two-thread process).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import Any

from rewardlab.answers.extraction import DEFAULT_EXTRACTION
from rewardlab.bench.config import BenchConfig
from rewardlab.bench.progress import GridProgress
from rewardlab.bench.source import OrganismSource, load_subject, measure_subject, organism_path
from rewardlab.bench.table import row_label
from rewardlab.metrics.elicitation import best_style_accuracy, projected_accuracy
from rewardlab.organisms.pretrain import Progress
from rewardlab.orphans import exit_with_parent
from rewardlab.training.tracking import read_metrics


def finished_cells(results_path: Path) -> dict[str, dict[str, Any]]:
    if not results_path.is_file():
        return {}
    return {row["id"]: row for row in map(json.loads, results_path.read_text().splitlines()) if row}


# Bumped when measure() gains or renames figures, so a baseline kept in an out folder is measured again.
MEASURE_VERSION = 4


def _organism_baseline(config: BenchConfig, name: str, cache_dir: Path | None, out_dir: Path,
                       pretrain_progress: Progress | None = None) -> dict[str, float]:
    """The organism measured before any RL (computed once per organism and kept in the out folder)."""
    temperature = "" if config.eval.temperature == 1.0 else f"-t{config.eval.temperature}"
    ladder = "".join(f"-p{k}" for k in config.eval.pass_at)
    policy = "" if config.policy == DEFAULT_EXTRACTION else f"-{config.policy}"
    stem = (f"{name}-{config.subject_key(name)}-n{config.eval.n}-k{config.eval.k}-u{config.unanswerable_share}"
            f"{temperature}{ladder}{policy}-m{MEASURE_VERSION}")
    path = out_dir / "organisms" / f"{stem}.json"
    if path.is_file():
        return json.loads(path.read_text())
    model, tokenizer = load_subject(config, name, cache_dir, pretrain_progress)
    heldout = config.heldout_settings()
    values = measure_subject(config, name, model, tokenizer, heldout, samples=heldout.k, pass_ks=config.eval.pass_at,
                             label=f"{name}, before RL", reliability=out_dir / "organisms" / f"reliability-{stem}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    return values


def run_cell(config: BenchConfig, cell: dict[str, Any], cache_dir: Path | None, out_dir: Path,
             pretrain_progress: Progress | None = None) -> dict[str, Any]:
    """Train one cell through the run builder of ``rewardlab train``, on its organism source, and return its
    result row.

    ``pretrain_progress`` hears the organism's pretraining steps if the cell has to pretrain it.
    """
    from rewardlab.training.run import train

    started = time.perf_counter()
    before = _organism_baseline(config, cell["organism"], cache_dir, out_dir, pretrain_progress)
    train_config = config.train_config(cell, _subject_name(config, cell["organism"], cache_dir))
    run_dir = Path(train_config.run_dir)
    _start_unfinished_over(run_dir)
    summary = train(train_config, source=OrganismSource(config, cell, train_config.heldout, run_dir, cache_dir,
                                                        pretrain_progress))
    return _cell_row(config, cell, before, summary, run_dir, time.perf_counter() - started)


def _cell_row(config: BenchConfig, cell: dict[str, Any], before: dict[str, float], summary: dict[str, Any],
              run_dir: Path, seconds: float) -> dict[str, Any]:
    """A finished cell's row: its organism's figures before RL, its ``summary.json`` and ``metrics.jsonl``."""
    row = _row(cell, before, summary["heldout_after"], read_metrics(run_dir / "metrics.jsonl"), config.eval.k,
               seconds)
    row["train_seconds"] = round(sum(summary["phase_seconds"].values()), 1)
    row.update({f"{phase}_share": share for phase, share in summary["phase_shares"].items()})
    return row


def refresh_rows(config: BenchConfig, cache_dir: Path | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Recompute the rows of the grid's finished cells from their folders (after the bench gained a figure
    read from what a cell keeps), keeping each row's wall time. Trains nothing; an organism is measured before
    RL again only where the out folder keeps no measurement of this bench's version (:data:`MEASURE_VERSION`).

    Returns (the grid's finished rows in its order, result keys added). A figure an old row holds never
    changes: the row is rebuilt from the same kept files, and a value that would differ (the code reading them
    differently, or a fresh measurement before RL that disagrees with the kept one) is refused.

    Raises:
        ValueError: a finished cell whose folder lacks its ``summary.json``, or whose kept figure would change.
    """
    out_dir = Path(config.out_dir)
    results_path = out_dir / "results.jsonl"
    done = finished_cells(results_path)
    added: dict[str, None] = {}
    for cell in config.cells():
        old = done.get(cell["id"])
        if old is None:
            continue
        run_dir = out_dir / "cells" / cell["id"]
        if not (run_dir / "summary.json").is_file():
            raise ValueError(f"{run_dir} has no summary.json; the row of {cell['id']} cannot be rebuilt")
        with bench_threads():  # a baseline measured afresh computes as the grid's did
            before = _organism_baseline(config, cell["organism"], cache_dir, out_dir)
        new = _cell_row(config, cell, before, json.loads((run_dir / "summary.json").read_text()), run_dir,
                        old["seconds"])
        changed = [k for k, v in old.items() if k in new and not _same_value(v, new[k])]
        if changed:
            raise ValueError(f"{cell['id']}: rebuilding its row would change {', '.join(changed)}; the kept files "
                             "are read differently now, so rerun the cell instead")
        added.update(dict.fromkeys(k for k in new if k not in old))
        done[cell["id"]] = {**old, **new}
    staging = results_path.with_name(results_path.name + ".refreshing")
    staging.write_text("".join(json.dumps(row) + "\n" for row in done.values()))
    staging.replace(results_path)
    return [done[cell["id"]] for cell in config.cells() if cell["id"] in done], list(added)


def _same_value(a: Any, b: Any) -> bool:
    both_nan = isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    return both_nan or a == b


def _start_unfinished_over(run_dir: Path) -> None:
    """An unfinished cell (no ``summary.json``) starts over: it saves no checkpoints, so nothing of it is resumed,
    and the snapshot it began with (written, perhaps, by an earlier version of the bench) gives way to its config
    now."""
    from rewardlab.training.resume import CONFIG_FILE

    if not (run_dir / "summary.json").is_file():
        (run_dir / CONFIG_FILE).unlink(missing_ok=True)


def _subject_name(config: BenchConfig, name: str, cache_dir: Path | None) -> str:
    """What a cell's ``model.name`` says it starts from: the organism's folder, or the pretrained model's name."""
    return name if config.is_pretrained(name) else str(organism_path(config, name, cache_dir))


def _first_last(records: list[dict[str, Any]], key: str, share: float = 0.0) -> tuple[float, float]:
    """``key`` at the first and the last logged step, or averaged over the first and last ``share`` of steps."""
    values = [r[key] for r in records if r.get(key) is not None]
    if not values:
        return math.nan, math.nan
    n = max(1, int(len(values) * share))
    return sum(values[:n]) / n, sum(values[-n:]) / n


def _pass_names(measured: dict[str, float], k: int) -> list[str]:
    """``pass@j`` names measured (``k`` and any ``eval.pass_at`` sizes), smallest first."""
    sizes = {int(name.removeprefix("pass@")) for name in measured if name.startswith("pass@")} | {k}
    return [f"pass@{j}" for j in sorted(sizes)]


def _row(cell: dict[str, Any], before: dict[str, float], after: dict[str, float], records: list[dict[str, Any]],
         k: int, seconds: float) -> dict[str, Any]:
    agreement = _first_last(records, "rewardlab/agreement")
    # what the proxy paid, the batch's gold accuracy and their correlation, over the first and last tenth of steps
    drift = {f"{name}_{end}": value for name, key in (("proxy", "rewardlab/proxy_reward"),
                                                      ("gold", "rewardlab/gold_accuracy"),
                                                      ("correlation", "rewardlab/correlation"))
             for end, value in zip(("start", "end"), _first_last(records, key, share=0.1), strict=True)}
    entropy = _first_last(records, "entropy", share=0.1)  # TRL's mean token entropy of the sampled completions
    clipped = [r.get("clip_ratio/region_mean") for r in records if r.get("clip_ratio/region_mean") is not None]
    def both(name: str) -> dict[str, float]:  # a measured figure under the bench's label (bench.table.ROW_LABELS)
        label = row_label(name)
        return {f"{label}_before": before.get(name, math.nan), f"{label}_after": after.get(name, math.nan)}

    with_code, without_code = before.get("accuracy_with_code", math.nan), before.get("accuracy_without_code", math.nan)
    return {
        **cell,
        **both("accuracy"), "accuracy_delta": after["accuracy"] - before["accuracy"],
        **both("code_reasoning_rate"), **{key: v for name in _pass_names(after, k) for key, v in both(name).items()},
        **both("greedy_accuracy"), "greedy_accuracy_delta": after["greedy_accuracy"] - before["greedy_accuracy"],
        **both("greedy_code_reasoning_rate"), **both("accuracy_with_code"), **both("accuracy_without_code"),
        # Elicitation alone: the "before" styles' accuracies at the trace rate training reached (Spurious Rewards'
        # Table 1 arithmetic), and the better style's accuracy (the ceiling of shifting the mix).
        "projected_accuracy": projected_accuracy(after["code_reasoning_rate"], with_code, without_code),
        "elicitation_ceiling": best_style_accuracy(with_code, without_code),
        **both("ece"), **both("brier"), **both("mean_confidence"), **both("confidence_rate"),
        **both("hallucination_rate"), **both("abstention_rate"), **both("truthfulness"),
        **both("unanswerable_abstention"), **both("mean_tokens"), **both("truncation_rate"),
        "agreement_start": agreement[0], "agreement_end": agreement[1], **drift,
        "entropy_start": entropy[0], "entropy_end": entropy[1],
        "clipped_fraction": sum(clipped) / len(clipped) if clipped else math.nan,
        "events": first_events(records),
        "seconds": round(seconds, 1),
    }


def first_events(records: list[dict[str, Any]]) -> dict[str, int]:
    """The step at which the run's monitor first raised each event it raised (:mod:`rewardlab.monitoring`), by
    name: when a run collapsed, stopped learning or lost its gold while its proxy rose."""
    first: dict[str, int] = {}
    for record in records:
        if "event" in record:
            first.setdefault(record["event"], int(record["step"]))
    return first


def prepare_organism(config: BenchConfig, name: str, cache_dir: Path | None, out_dir: Path,
                     pretrain_progress: Progress | None = None) -> str:
    """Pretrain (or load) an organism and measure it before RL; returns its name."""
    _organism_baseline(config, name, cache_dir, out_dir, pretrain_progress)
    return name


@dataclass(frozen=True)
class _ToQueue:
    """A worker's pretraining progress, sent to the parent through a manager's queue as (name, step, total, loss)."""

    queue: Any
    name: str

    def __call__(self, step: int, total: int, loss: float) -> None:
        self.queue.put((self.name, step, total, loss))


def _drain(queue: Any, tracker: GridProgress) -> None:
    from queue import Empty

    while True:
        try:
            name, step, total, loss = queue.get_nowait()
        except Empty:
            return
        tracker.pretrain_step(name, step, total, loss)


def quiet_libraries() -> None:
    """No per-load progress bars or deprecation notices from transformers: the bench prints its own progress."""
    import warnings

    from transformers.utils import logging

    logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")


BENCH_THREADS = 1
"""Threads every organism's pretraining and every cell compute on, in a worker or in the bench's own process."""


@contextmanager
def bench_threads() -> Iterator[None]:
    """Torch computes on :data:`BENCH_THREADS` thread(s) inside, as it did before outside."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(BENCH_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _start_worker(parent_pid: int) -> None:
    """A worker's initializer: it ends with the bench's process (even one killed with -9), computes on
    :data:`BENCH_THREADS` (set before torch starts its pool), and is quiet."""
    exit_with_parent(parent_pid)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(BENCH_THREADS)
    import torch

    torch.set_num_threads(BENCH_THREADS)
    quiet_libraries()


def _run_in_workers(config: BenchConfig, pending: list[dict[str, Any]], cache_dir: Path | None, out_dir: Path,
                    jobs: int, tracker: GridProgress, record: Callable[[dict[str, Any]], None]) -> None:
    """Prepare the pending cells' organisms, then run the cells, in ``jobs`` spawned worker processes.

    The workers send their pretraining steps through a queue, which the parent reads each second
    while it waits, and the parent counts as running the cells the pool has started.
    """
    context = multiprocessing.get_context("spawn")
    manager = SyncManager(ctx=context)
    manager.start(exit_with_parent, (os.getpid(),))  # the queue's server process ends with the bench too
    with manager, ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                                      initargs=(os.getpid(),)) as pool:
        queue = manager.Queue()
        organisms = sorted({cell["organism"] for cell in pending})
        tracker.tell(f"{jobs} workers × {BENCH_THREADS} thread(s); pretraining or loading {', '.join(organisms)}")
        # Each organism's cells are queued as soon as it is ready, so a worker whose organism
        # trains faster starts on cells while the others are still pretraining.
        running = {pool.submit(prepare_organism, config, name, cache_dir, out_dir, _ToQueue(queue, name)): None
                   for name in organisms}
        while running:
            finished, _ = wait(running, timeout=1, return_when=FIRST_COMPLETED)
            _drain(queue, tracker)
            for future in finished:
                if running.pop(future) is None:
                    name = future.result()
                    mine = [cell for cell in pending if cell["organism"] == name]
                    tracker.tell(f"organism {name} ready; queueing its {len(mine)} cell(s)")
                    running.update({pool.submit(run_cell, config, cell, cache_dir, out_dir): cell for cell in mine})
                else:
                    record(future.result())
            started = [cell["id"] for future, cell in running.items() if cell is not None and future.running()]
            tracker.set_running(started[:jobs])


def run_grid(config: BenchConfig, cache_dir: Path | None = None, progress: Callable[[str], None] | None = None,
             jobs: int = 1, status: Callable[[list[str]], None] | None = None) -> list[dict[str, Any]]:
    """Every cell's row, running only the cells not already in ``results.jsonl``.

    ``jobs`` worker processes (1: everything runs in this process), each computing on :data:`BENCH_THREADS`.
    Rows are appended to ``results.jsonl`` as cells finish and returned in the grid's order.
    ``progress`` hears one line per event (see :class:`rewardlab.bench.progress.GridProgress`);
    ``status``, where given, the running work's state as parts of a line to redraw in place.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    done = finished_cells(results_path)
    cells = config.cells()
    pending = [cell for cell in cells if cell["id"] not in done]
    tracker = GridProgress(cells=len(cells), finished=len(cells) - len(pending), jobs=min(jobs, max(1, len(pending))),
                           say=progress or (lambda message: None), status=status)

    def record(row: dict[str, Any]) -> None:
        with results_path.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        done[row["id"]] = row
        counts = tracker.cell_finished(row)
        tracker.tell(f"finished {row['id']} ({row['seconds']:.0f} s): accuracy {row['accuracy_before']:.3f} → "
                    f"{row['accuracy_after']:.3f}, trace {row['trace_before']:.3f} → {row['trace_after']:.3f}; "
                    f"{counts}")

    with tracker.beating():
        if jobs == 1 or len(pending) <= 1:
            with bench_threads():
                for cell in pending:
                    tracker.set_running([cell["id"]])
                    tracker.tell(f"[{tracker.finished + 1}/{len(cells)}] running {cell['id']}")
                    record(run_cell(config, cell, cache_dir, out_dir,
                                    partial(tracker.pretrain_step, cell["organism"])))
        else:
            _run_in_workers(config, pending, cache_dir, out_dir, jobs, tracker, record)
    if pending:
        _write_in_grid_order(results_path, [cell["id"] for cell in cells])
    return [done[cell["id"]] for cell in cells]


def _write_in_grid_order(results_path: Path, ids: list[str]) -> None:
    """``results.jsonl`` with the grid's rows in the grid's order, as the table after a run lists them, so
    ``bench --report`` lists them alike (cells finish in any order); rows of other grids stay first, as they were.
    Written beside and renamed over, so an interruption leaves the file whole."""
    lines = [line for line in results_path.read_text().splitlines() if line.strip()]
    position = {cell: i for i, cell in enumerate(ids)}
    keyed = [(position.get(json.loads(line)["id"], -1), i, line) for i, line in enumerate(lines)]
    staging = results_path.with_name(results_path.name + ".sorting")
    staging.write_text("".join(line + "\n" for *_, line in sorted(keyed)))
    staging.replace(results_path)
