"""``rewardlab``: entry point. Each sub-command lives in its own module and imports what it needs
when it runs, so light commands (``list``) never pay for torch or TRL."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rewardlab.registry import ConfigError


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
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        print(f"rewardlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
