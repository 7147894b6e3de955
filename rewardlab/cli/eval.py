"""``rewardlab eval``: what each reward and evaluator says about a model's samples.

``rewardlab eval ROLLOUTS.jsonl [B.jsonl] [-r SPEC ...] [--behaviour SPEC ...] [--json] [--out DIR]`` reads any
file that ``rewardlab score`` reads; ``rewardlab eval MODEL [MODEL_B] --data SET [sampling flags]`` first samples each
model into a rollouts file (kept in ``--out``) with ``rewardlab sample``'s machinery, then evaluates it.
Gold correctness is the ``binary`` reward's (the shared checker) against the ``answer`` column. Accuracy is
split by each behaviour detector (``--behaviour``, :mod:`rewardlab.behaviours`; by default code, boxed,
abstain and long), with the accuracy that eliciting it would reach (``--elicit-to``).

This module is light at import (the parser is built from it before any command runs); scoring,
sampling and plotting are imported when they are used.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rewardlab.behaviours import Detector
    from rewardlab.evaluation.report import Report, Samples
    from rewardlab.rewards.base import Reward
    from rewardlab.rewards.correctness import BinaryCorrectness
    from rewardlab.types import RolloutBatch

from rewardlab.answers.extraction import EXTRACTION_POLICIES
from rewardlab.policy.view import POLICY_HELP

# Columns a sampled file records on every line; shown when every sample shares one value.
SETTINGS_COLUMNS = ("model", "backend", "temperature", "top_p", "max_new_tokens", "seed")


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """The eval command's arguments, with ``rewardlab sample``'s flags for the MODEL mode (``--data`` selects it)."""
    from rewardlab.cli.sample import add_sampling_arguments

    parser.add_argument("inputs", nargs="+", metavar="ROLLOUTS_OR_MODEL",
                        help="one rollouts file (JSONL, as rewardlab score reads) to report on, or two to compare "
                             "(B − A); with --data, one or two models to sample first")
    parser.add_argument("--reward", "-r", action="append", default=[], metavar="SPEC",
                        help="a reward to report (its mean, and agreement, precision and recall against binary): a "
                             "name, an inline mapping such as '{type: random, p: 0.3}', or a YAML file; repeat")
    parser.add_argument("--policy", metavar="MODEL", help=POLICY_HELP)
    parser.add_argument("--behaviour", action="append", default=None, metavar="SPEC",
                        help="a behaviour to split accuracy by (its share, accuracy with and without it, the "
                             "elicitation ceiling): code, boxed, abstain, long, '{type: reward, reward: SPEC, "
                             "threshold: 0.5}' (shows it where the score is > threshold), an import path "
                             "'package.module:Class' or a YAML file; repeat (default: code, boxed, abstain, long)")
    parser.add_argument("--no-behaviours", action="store_true", help="report no behaviour-conditional accuracy")
    parser.add_argument("--extraction", choices=EXTRACTION_POLICIES, default=None,
                        help="how the gold, every answer-checking -r reward and the abstain behaviour read a "
                             "completion's answer: math_verify (default: math-verify's extraction of the whole "
                             "completion), qwen (Spurious Rewards' chain) or boxed (the last \\boxed{} only)")
    parser.add_argument("--elicit-to", type=float, default=1.0, metavar="P",
                        help="the behaviour share at which each ceiling is projected (default 1: every sample)")
    parser.add_argument("--json", action="store_true", help="print only JSON on standard output")
    parser.add_argument("--dedupe", action="store_true",
                        help="drop a line that repeats a sample already read (same problem, same 'sample' index), "
                             "keeping the first, and count the dropped lines in the report (default: such a file is "
                             "refused)")
    parser.add_argument("--out", metavar="DIR",
                        help="folder for the Markdown, CSV and reliability-diagram files (default: beside the first "
                             "rollouts file; in the MODEL mode ./evaluations, which also keeps the rollouts)")
    parser.add_argument("--resamples", type=int, default=10_000,
                        help="bootstrap resamples of the problems (the behaviours' intervals; with two inputs, the "
                             "paired differences')")
    parser.add_argument("--bootstrap-seed", type=int, default=0, help="seed of the bootstrap")
    sampling = parser.add_argument_group("sampling (the MODEL mode: give --data)")
    flags = argparse.ArgumentParser(add_help=False)
    add_sampling_arguments(flags)
    for action in flags._actions:  # the sampler's own flags; its MODEL positional is this command's inputs
        if action.option_strings:
            action.required = False
            sampling._add_action(action)


def check_eval_inputs(args: argparse.Namespace) -> None:
    """Refuse missing rollouts files, and a wrong number of inputs, before anything heavy is imported.

    Raises:
        FileNotFoundError: naming the path (file mode).
        ValueError: more than two inputs, a resample count below 1, or an ``--elicit-to`` outside [0, 1].
    """
    if len(args.inputs) > 2:
        raise ValueError(f"give one input to report on or two to compare, got {len(args.inputs)}: "
                         f"{' '.join(args.inputs)}")
    if args.resamples < 1:
        raise ValueError(f"--resamples must be >= 1, got {args.resamples}")
    if args.no_behaviours and args.behaviour:
        raise ValueError("give --behaviour or --no-behaviours, not both")
    if not 0.0 <= args.elicit_to <= 1.0:
        raise ValueError(f"--elicit-to is a behaviour share in [0, 1], e.g. 0.9, got {args.elicit_to}")
    if args.data is None:
        for path in args.inputs:
            if not Path(path).is_file():
                hint = "" if Path(path).suffix else " (to sample a model first, give --data)"
                raise FileNotFoundError(f"no such rollouts file: {path}{hint}")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip("/")).strip("-") or "model"


def sample_models(args: argparse.Namespace, out_dir: Path) -> list[Path]:
    """Sample each model of ``args.inputs`` with the sampling flags into ``out_dir``; the rollouts files."""
    from rewardlab.cli.sample import settings_from_args
    from rewardlab.sampling import sample_to_file

    paths = []
    for model in args.inputs:
        settings = settings_from_args(argparse.Namespace(**{**vars(args), "model": model}))
        name = f"{_slug(model)}_{_slug(settings.data)}_n{settings.n}_t{settings.temperature:g}.jsonl"
        paths.append(sample_to_file(settings, out_dir / name, progress=True))
    return paths


def _confidence(batch: RolloutBatch) -> tuple[float | None, ...] | None:
    """The file's ``confidence`` column (checked by the reader), else the ``<confidence>`` each completion states
    (RLCR's format)."""
    from rewardlab.rewards.calibration import last_tag, parse_confidence

    column = batch.columns.get("confidence")
    if column is not None and any(q is not None for q in column):
        return tuple(None if q is None else float(q) for q in column)
    stated = tuple(parse_confidence(last_tag(c, "confidence")) for c in batch.completions)
    return stated if any(q is not None for q in stated) else None


def _settings(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The :data:`SETTINGS_COLUMNS` whose value (as JSON writes it) every row shares, and is not null."""
    shared = {}
    for name in SETTINGS_COLUMNS:
        first = rows[0].get(name) if rows else None
        if first is not None and all(_same_json(row.get(name), first) for row in rows):
            shared[name] = first
    return shared


def _same_json(value: Any, first: Any) -> bool:
    """``json.dumps(value) == json.dumps(first)``, without writing either when they are equal scalars of one type."""
    if type(value) is type(first) and isinstance(first, (str, int, float)) and value == first:
        return True
    return json.dumps(value) == json.dumps(first)


@contextmanager
def built_rewards(specs: Sequence[str], extraction: str | None = None,
                  ) -> Iterator[tuple[BinaryCorrectness, list[tuple[str, Reward]]]]:
    """The gold ``binary`` reward and each ``-r`` reward by its spec, built once for every input and closed after
    (one checker pool for all inputs, so its verdict cache serves B with what A verified); every answer checker
    reads answers by ``extraction`` (``None``: the default policy)."""
    from rewardlab.cli.score import build_graded
    from rewardlab.rewards.correctness import BinaryCorrectness
    from rewardlab.rewards.verified import with_extraction

    gold = with_extraction(BinaryCorrectness(), extraction)
    rewards: list[tuple[str, Reward]] = []
    try:
        for text in specs:
            rewards.append((text, build_graded(text, extraction)))
        yield gold, rewards
    finally:
        for _, reward in rewards:
            reward.close()
        gold.close()


@contextmanager
def built_behaviours(args: argparse.Namespace) -> Iterator[list[Detector]]:
    """The detectors of ``--behaviour`` (default: :data:`~rewardlab.behaviours.DEFAULT_BEHAVIOURS`; none with
    ``--no-behaviours``), closed after."""
    from rewardlab.behaviours import DEFAULT_BEHAVIOURS, built_detectors
    from rewardlab.cli.score import parse_spec
    from rewardlab.rewards.verified import with_extraction

    texts = () if args.no_behaviours else (args.behaviour or DEFAULT_BEHAVIOURS)
    specs = [parse_spec(text, "behaviour", "code or '{type: reward, reward: format}'") for text in texts]
    with built_detectors(specs) as detectors:
        yield [with_extraction(d, args.extraction) for d in detectors]


def evaluate_file(path: Path, gold: BinaryCorrectness, rewards: Sequence[tuple[str, Reward]],
                  source: str | None = None, detectors: Sequence[Detector] = (), *, elicit_to: float = 1.0,
                  resamples: int = 10_000, seed: int = 0, dedupe: bool = False,
                  policy: Any = None) -> tuple[Report, Samples]:
    """Score the rollouts of ``path`` (read by :func:`~rewardlab.data.rollouts.load_rollouts`, ``dedupe`` dropping
    repeated samples) with ``gold`` and each reward, and split accuracy by each detector (ceilings at
    ``elicit_to``, intervals from ``resamples`` bootstrap resamples seeded with ``seed``); its report and
    per-sample facts. Rewards that read the policy read ``policy``'s view (a
    :class:`~rewardlab.policy.load.LoadedPolicy`)."""
    from rewardlab.behaviours import detect_all
    from rewardlab.data.rollouts import load_rollouts, rollouts_to_batch
    from rewardlab.evaluation.measure import judged_samples
    from rewardlab.evaluation.report import evaluate_samples, problem_keys

    rollouts = load_rollouts(path, dedupe=dedupe)
    rows = rollouts.rows
    batch = rollouts_to_batch(rows)
    if policy is not None:
        batch = policy.with_view(batch)
    gold_result = gold.score(batch)
    results = {text: gold_result if reward == gold else reward.score(batch) for text, reward in rewards}
    samples = judged_samples(batch, gold, gold_result=gold_result,
                             problems=problem_keys(batch.prompts, batch.columns.get("id")),
                             answerable=batch.columns.get("answerable"), confidence=_confidence(batch),
                             rewards=results, behaviours=detect_all(detectors, batch))
    report = evaluate_samples(samples, equivalence=gold.checker.equivalence(), source=source or str(path),
                              settings=_settings(rows), elicit_to=elicit_to, resamples=resamples, seed=seed)
    return replace(report, duplicates_dropped=rollouts.duplicates_dropped), samples


def _write_files(subject: Any, stem: str, out_dir: Path,
                 with_confidence: Sequence[tuple[str, Path, Samples]]) -> dict[str, str]:
    """The Markdown and CSV of ``subject`` and a reliability diagram per input that states confidences."""
    from rewardlab.cli.eval_tables import csv_text, markdown
    from rewardlab.metrics.calibration import reliability_diagram

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"markdown": out_dir / f"{stem}.eval.md", "csv": out_dir / f"{stem}.eval.csv"}
    files["markdown"].write_text(markdown(subject), encoding="utf-8")
    files["csv"].write_text(csv_text(subject), encoding="utf-8")
    for label, path, samples in with_confidence:
        png = out_dir / f"{stem}.reliability{label and '-' + label}.png"
        reliability_diagram(samples.confidence, samples.correct, png, title=f"Reliability: {path.name}")
        files[f"reliability{label and '_' + label}"] = png
    return {name: str(p) for name, p in files.items()}


def _policy(spec: str | None, rewards: Sequence[Reward]) -> Any:
    """The ``--policy`` model, loaded when a reward reads the policy (refused without one, before any sampling)."""
    from rewardlab.policy.load import LoadedPolicy, check_policy_given
    from rewardlab.rewards.base import policy_readers

    check_policy_given(rewards, spec)
    return LoadedPolicy(spec) if spec and any(policy_readers(r) for r in rewards) else None


def run_eval(args: argparse.Namespace) -> int:
    """Evaluate one input or compare two: the table (or ``--json``) on stdout, Markdown/CSV/PNG in ``--out``."""
    from rewardlab.answers.grader import describe, grader_record
    from rewardlab.cli.eval_tables import comparison_json, print_table, report_json
    from rewardlab.evaluation.comparison import compare_reports

    model_mode = args.data is not None
    out_dir = Path(args.out) if args.out else (Path("evaluations") if model_mode else Path(args.inputs[0]).parent)
    if model_mode:  # the first line names the folder it writes rollouts and reports into, wherever it runs
        hint = "" if args.out else " (--out DIR for another folder)"
        print(f"rewardlab eval: rollouts and reports go to {out_dir}{hint}", file=sys.stderr, flush=True)
    # A misspelled -r or --behaviour fails before any sampling.
    with built_rewards(args.reward, args.extraction) as (gold, rewards), built_behaviours(args) as detectors:
        grader = grader_record(gold)
        policy = _policy(args.policy, [gold, *(r for _, r in rewards)])
        paths = sample_models(args, out_dir) if model_mode else [Path(p) for p in args.inputs]
        sources = [f"{m} ({p})" if model_mode else None for m, p in zip(args.inputs, paths, strict=True)]
        evaluated = [evaluate_file(p, gold, rewards, s, detectors, elicit_to=args.elicit_to,
                                   resamples=args.resamples, seed=args.bootstrap_seed, dedupe=args.dedupe,
                                   policy=policy)
                     for p, s in zip(paths, sources, strict=True)]
    labels = [""] if len(paths) == 1 else ["A", "B"]
    with_confidence = [(label, p, samples) for label, p, (_, samples) in zip(labels, paths, evaluated, strict=True)
                       if samples.confidence is not None]
    if len(evaluated) == 1:
        subject: Any = evaluated[0][0]
        stem, as_json = paths[0].stem, report_json
    else:
        subject = compare_reports(evaluated[0][0], evaluated[1][0], resamples=args.resamples,
                                  seed=args.bootstrap_seed)
        stem, as_json = f"{paths[0].stem}-vs-{paths[1].stem}", comparison_json
    files = _write_files(subject, stem, out_dir, with_confidence)
    from rewardlab.cli.eval_metadata import write_eval_metadata

    files["metadata"] = str(write_eval_metadata(args, paths, evaluated, gold, out_dir, stem))
    if args.json:
        print(json.dumps({**as_json(subject), "grader": grader, "files": files}, indent=2, ensure_ascii=False))
    else:
        print(describe(grader))
        print_table(subject)
        print(f"written: {', '.join(files.values())}", file=sys.stderr)
    return 0

