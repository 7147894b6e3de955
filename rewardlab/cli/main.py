"""``rewardlab``: entry point. Each sub-command lives in its own module and imports what it needs
when it runs, so light commands (``list``) never pay for torch or TRL."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rewardlab.registry import ConfigError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rewardlab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="list every registered reward with its fields")
    listing.add_argument("name", nargs="?", help="show one reward in full")

    score = commands.add_parser("score", help="score a rollouts file under several rewards and compare them")
    score.add_argument("rollouts", help="JSONL file: prompt, completion, answer, group_id (optional), ...")
    score.add_argument("--reward", "-r", action="append", required=True, metavar="SPEC",
                       help="a reward name, an inline mapping such as '{type: random, p: 0.3}', "
                            "or a YAML file; repeat for several")
    score.add_argument("--gold", default="binary", metavar="SPEC", help="the reward that defines correctness")
    score.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")

    train = commands.add_parser("train", help="train a policy with GRPO as a YAML config describes")
    train.add_argument("config", help="YAML training config (see configs/)")
    train.add_argument("--no-resume", action="store_true", help="start over even if the run directory has checkpoints")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a field, e.g. --set trl.max_steps=5 --set reward=random")

    bench = commands.add_parser("bench", help="model organisms × rewards: train, measure, and print the table")
    bench.add_argument("config", nargs="?", help="bench YAML (default: the embedded default grid)")
    bench.add_argument("--out", help="output folder (overrides the config's out_dir)")
    bench.add_argument("--cache", help="organism cache folder (default $REWARDLAB_CACHE or ~/.cache/rewardlab)")
    bench.add_argument("--jobs", type=_positive_int, default=None,
                       help="worker processes sharing the CPU threads (default: one per core, at most one per cell)")

    validate = commands.add_parser(
        "validate", help="check training configs and bench grids without running them",
        description="Check every YAML file given, and every *.yaml / *.yml under the folders given, without "
                    "running anything (no GPU, no network: models and data are named, not loaded). Files "
                    "directly in a folder named 'bench' are bench grids; every other file is a training config. "
                    "Prints one line per file and exits 1 if any fails.")
    validate.add_argument("paths", nargs="+", help="YAML files or folders of them (e.g. configs/)")

    judge_eval = commands.add_parser("judge-eval", help="a judge's agreement with math-verify correctness")
    judge_eval.add_argument("rollouts", help="JSONL file: prompt, completion, answer, group_id (optional), ...")
    judge_eval.add_argument("--judge", "-j", required=True, metavar="SPEC",
                            help="a judge reward ('{type: judge, backend: {type: openai, model: m}}'), a bare "
                                 "backend ('{type: openai, model: m, base_url: ...}'), or a YAML file")
    judge_eval.add_argument("--gold", default="binary", metavar="SPEC", help="the reward that defines correctness")
    judge_eval.add_argument("--threshold", type=float, default=0.5,
                            help="judge scores at or above it count as 'correct' for accuracy")
    judge_eval.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            from rewardlab.cli.listing import run_list

            return run_list(args.name)
        if args.command == "score":
            from rewardlab.cli.score import run_score

            return run_score(args.rollouts, args.reward, gold=args.gold, as_json=args.json)
        if args.command == "train":
            from rewardlab.cli.train import run_train

            return run_train(args.config, args.set, resume=not args.no_resume)
        if args.command == "bench":
            from rewardlab.cli.bench import run_bench

            return run_bench(args.config, out_dir=args.out, cache_dir=args.cache, jobs=args.jobs)
        if args.command == "validate":
            from rewardlab.cli.train import run_validate

            return run_validate(args.paths)
        if args.command == "judge-eval":
            from rewardlab.cli.judge_eval import run_judge_eval

            return run_judge_eval(args.rollouts, args.judge, gold=args.gold, threshold=args.threshold,
                                  as_json=args.json)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        print(f"rewardlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
