"""The record that ``rewardlab eval`` writes beside its figures (``<stem>.metadata.json``), so that a figure in a
paper can be traced to what produced it: the exact command, the sampling settings, the grader, package versions
and the machine, the seeds, each rollouts file's checksum and size, and per-problem counts.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rewardlab.evaluation.report import Report, Samples
    from rewardlab.rewards.correctness import BinaryCorrectness

def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def grader_record(gold: BinaryCorrectness) -> dict[str, Any]:
    """How correctness was decided: the gold reward's settings, and the grader record ``eval`` and ``score`` print
    (:func:`rewardlab.answers.grader.grader_record`: extraction policy, timeout, math-verify's version)."""
    from rewardlab.answers import grader

    return {"reward": gold.to_config(), **(grader.grader_record(gold) or {})}


def problem_counts(samples: Samples) -> dict[str, Any]:
    """Per problem: its samples, the scorable ones and the correct ones; and how many problems have each size."""
    keys, _, members = samples.by_problem()
    problems = []
    for key, indices in zip(keys, members, strict=True):
        known = [samples.correct[i] for i in indices if samples.correct[i] is not None]
        problems.append({"problem": key, "samples": len(indices), "scorable": len(known), "correct": sum(known)})
    sizes: dict[str, int] = {}
    for row in problems:
        sizes[str(row["samples"])] = sizes.get(str(row["samples"]), 0) + 1
    return {"problems": len(problems), "samples": len(samples.correct), "problems_by_samples": sizes,
            "per_problem": problems}


def sampling_record(args: argparse.Namespace, report: Report, model: str | None) -> dict[str, Any]:
    """The settings the samples were drawn with: the sampling flags (MODEL mode) or the settings every line of
    the rollouts file shares (file mode)."""
    if model is None:
        return {"from": "rollouts file", **report.settings}
    from rewardlab.cli.sample import settings_from_args

    settings = settings_from_args(argparse.Namespace(**{**vars(args), "model": model}))
    return {"from": "sampled here", **{k: v for k, v in dataclasses.asdict(settings).items() if k != "template"},
            "template": settings.template}


def eval_metadata(argv: Sequence[str], args: argparse.Namespace, paths: Sequence[Path],
                  evaluated: Sequence[tuple[Report, Samples]], gold: BinaryCorrectness,
                  models: Sequence[str | None]) -> dict[str, Any]:
    """The whole record of one ``rewardlab eval`` invocation (one entry per input under ``inputs``)."""
    from rewardlab.provenance import machine_record

    inputs = []
    for path, (report, samples), model in zip(paths, evaluated, models, strict=True):
        inputs.append({"source": report.source, "rollouts": str(path), "sha256": file_sha256(path),
                       "bytes": path.stat().st_size, "model": model, "sampling": sampling_record(args, report, model),
                       "counts": problem_counts(samples)})
    return {"command": shlex.join(["rewardlab", *argv]), "cwd": str(Path.cwd()), "grader": grader_record(gold),
            "rewards": list(args.reward), "seeds": {"bootstrap": args.bootstrap_seed, "resamples": args.resamples,
                                                     "sampling": args.seed if args.data is not None else None},
            "inputs": inputs, "machine": machine_record()}


def write_metadata(path: Path, metadata: dict[str, Any]) -> Path:
    """Write the record as indented JSON."""
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


def write_eval_metadata(args: argparse.Namespace, paths: Sequence[Path], evaluated: Sequence[tuple[Report, Samples]],
                        gold: BinaryCorrectness, out_dir: Path, stem: str) -> Path:
    """``<stem>.metadata.json`` in ``out_dir`` for the invocation ``args`` describes (its command line is
    ``args.argv``, which ``rewardlab``'s main records)."""
    models = list(args.inputs) if args.data is not None else [None] * len(paths)
    argv = getattr(args, "argv", None) or []
    return write_metadata(out_dir / f"{stem}.metadata.json", eval_metadata(argv, args, paths, evaluated, gold, models))
