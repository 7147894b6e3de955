"""``rewardlab``: compose reward signals, train GRPO with them, and see what each one does.

Each command lives in its own module and is imported only when it runs, after its arguments and
files are checked: ``--help``, ``list`` and a missing file answer before torch or TRL is loaded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rewardlab.answers.extraction import EXTRACTION_POLICIES
from rewardlab.cli.console import PlainHelpFormatter
from rewardlab.cli.eval import add_eval_arguments, check_eval_inputs
from rewardlab.cli.sample import add_sampling_arguments
from rewardlab.policy.view import POLICY_HELP
from rewardlab.registry import ConfigError
from rewardlab.sampling.errors import SamplingError

# The arguments of each command that name files or folders, checked before the command's module is imported.
FILE_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "score": ("rollouts",), "train": ("config",), "bench": ("config", "report"), "validate": ("paths",),
    "judge-eval": ("rollouts",), "clip-bands": ("grid",), "report": ("run_dir",),
}
DEFAULT_BENCH_OUT = "runs/bench-default"  # the default grid's out_dir (rewardlab.bench.config.DEFAULT_GRID)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _clip_range(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1) such as 0.2, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a clip range in (0, 1) such as 0.2, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rewardlab", description=__doc__.splitlines()[0],
                                     formatter_class=PlainHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, **kwargs: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=kwargs.pop("description", help),
                                   formatter_class=PlainHelpFormatter, **kwargs)

    listing = command("list", "list every registered reward and advantage transform with its fields")
    listing.add_argument("name", nargs="?", help="show one in full, with its docstring")

    score = command("score", "score a rollouts file under several rewards and compare them")
    score.add_argument("rollouts", help="JSONL file: prompt, completion, answer, group_id (optional), ...")
    score.add_argument("--reward", "-r", action="append", required=True, metavar="SPEC",
                       help="a reward name, an inline mapping such as '{type: random, p: 0.3}', "
                            "or a YAML file; repeat for several")
    score.add_argument("--gold", default="binary", metavar="SPEC", help="the reward that defines correctness")
    score.add_argument("--policy", metavar="MODEL", help=POLICY_HELP)
    score.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    _extraction_argument(score)
    score.add_argument("--explain", action="store_true",
                       help="also show, per sample, each answer-checking reward's extracted answer, math-verify's "
                            "parse of it and the verdict")
    score.add_argument("--dedupe", action="store_true",
                       help="drop a line that repeats a sample already read (same problem, same 'sample' index), "
                            "keeping the first, and count the dropped lines (default: such a file is refused)")

    train = command("train", "train a policy with GRPO as a YAML config describes")
    train.add_argument("config", help="YAML training config (see configs/)")
    train.add_argument("--no-resume", action="store_true",
                       help="start over: an existing run directory is moved aside to RUN_DIR.old-<time> (printed)")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a field, e.g. --set trl.max_steps=5 --set reward=random")

    bench = command(
        "bench", "model organisms × rewards: train, measure, and print the table",
        description="Run a grid of cells (organism × reward × advantage × clipping × seed), or, with --report, print "
                    "the table of a run folder's finished cells without training. The table fits the terminal's "
                    "width (or $COLUMNS when the output is piped, else 100) and cuts no figure: a column that does "
                    "not fit is left out and named. results.csv and summary.md hold every figure. While a grid runs it "
                    "shows each organism's pretraining step, loss and ETA and the cells running and finished with "
                    "an ETA: on a terminal in a line redrawn in place; piped, as a line per event and per quarter "
                    "of pretraining.")
    bench.add_argument("config", nargs="?", help="bench YAML (default: the embedded default grid)")
    bench.add_argument("--report", nargs="?", const="", metavar="RUN_DIR",
                       help=f"print the table of RUN_DIR's finished cells (results.jsonl) and train nothing "
                            f"(default RUN_DIR: --out, else the config's out_dir, else {DEFAULT_BENCH_OUT}, the "
                            "default grid's)")
    bench.add_argument("--columns", metavar="A,B,...",
                       help="the table's columns, comma-separated: result keys (accuracy_after, pass@8_after, "
                            "ece_after, ...) or seeds, accuracy (before→after with Δ ± std), trace (before→after)")
    bench.add_argument("--wide", action="store_true",
                       help="every result key as a column, continued in further tables (each repeating the row "
                            "names) where the width ends")
    bench.add_argument("--out", help="output folder (overrides the config's out_dir)")
    bench.add_argument("--cache", help="organism cache folder (default $REWARDLAB_CACHE or ~/.cache/rewardlab)")
    bench.add_argument("--jobs", type=_positive_int, default=None,
                       help="worker processes, each computing on one thread, so any --jobs gives the same figures "
                            "(default: one per core, at most one per cell)")
    bench.add_argument("--pretrain", action="store_true",
                       help="pretrain every organism on this machine (cached) instead of taking the ones rewardlab "
                            "ships (the grid field `pretrain: always`); their cells are kept apart from the shipped "
                            "ones'")
    bench.add_argument("--refresh-rows", action="store_true",
                       help="rebuild the finished cells' rows in results.jsonl from their folders (the figures a "
                            "newer bench reads from what a cell keeps, e.g. the monitor's events), keeping their "
                            "wall times; trains nothing and refuses to change a figure a row already holds")

    validate = command(
        "validate", "check training configs and bench grids without running them",
        description="Check every YAML file given, and every *.yaml / *.yml under the folders given, without "
                    "running anything (no GPU, no network: models and data are named, not loaded). Files "
                    "directly in a folder named 'bench' are bench grids; every other file is a training config. "
                    "Prints one line per file and exits 1 if any fails.")
    validate.add_argument("paths", nargs="+", help="YAML files or folders of them (e.g. configs/)")

    judge_eval = command("judge-eval", "a judge's agreement with math-verify correctness")
    judge_eval.add_argument("rollouts", help="JSONL file: prompt, completion, answer, group_id (optional), ...")
    judge_eval.add_argument("--judge", "-j", required=True, metavar="SPEC",
                            help="a judge reward ('{type: judge, backend: {type: openai, model: m}}'), a bare "
                                 "backend ('{type: openai, model: m, base_url: ...}'), or a YAML file")
    judge_eval.add_argument("--gold", default="binary", metavar="SPEC", help="the reward that defines correctness")
    judge_eval.add_argument("--threshold", type=float, default=0.5,
                            help="judge scores at or above it count as 'correct' for accuracy")
    judge_eval.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    _extraction_argument(judge_eval)

    clip_bands = command(
        "clip-bands", "where an organism's sampled tokens sit relative to PPO's clip",
        description="Sample an organism on held-out problems as a bench grid's cells do, and print the shares of "
                    "its sampled tokens (all, and the digits of its arithmetic) by old probability π: saturated "
                    "(π ≥ 0.99), pushed up by the clipping bias (1/(1+ε) ≤ π < 0.99) and clipped both ways; and "
                    "the probability of the style token that starts a trace. Pretrains the organism (cached).")
    clip_bands.add_argument("organism", nargs="+", help="built-in organisms, or variants defined by --grid")
    clip_bands.add_argument("--grid", help="a bench grid whose organism_variants and sampling settings to use "
                                           "(default: the embedded default grid)")
    clip_bands.add_argument("--epsilon", type=_clip_range, action="append", metavar="E",
                            help="clip range ε; repeat for several (default 0.2)")
    clip_bands.add_argument("-n", type=_positive_int, default=200, help="held-out problems")
    clip_bands.add_argument("--samples", type=_positive_int, default=8, help="completions per problem")
    clip_bands.add_argument("--json", metavar="PATH", help="also write one JSON record per organism and clip range "
                                                           "(what scripts/results_tables.py tables)")

    sample = command("sample", "sample a model (local, an OpenAI-compatible endpoint, or vLLM) into a rollouts file",
                     description="Sample K completions of each problem into a JSONL file that 'rewardlab score' "
                                 "reads. Rerunning the same command appends only the samples the file lacks.")
    add_sampling_arguments(sample)
    sample.add_argument("-o", "--out", required=True, metavar="ROLLOUTS.jsonl", help="output file (JSON lines)")

    evaluate = command(
        "eval", "what each reward and evaluator says about a model's samples",
        description="Report accuracy, pass@k and maj@k (k: powers of 2 up to n, and n), code-reasoning and boxed "
                    "rates, length, calibration (when completions state a confidence), abstention and "
                    "truthfulness (when they apply) and each -r reward against binary, for one rollouts file; for "
                    "two, side by side with B - A and a 95% paired-bootstrap interval over problems. With --data, "
                    "sample each model first and keep its rollouts.")
    add_eval_arguments(evaluate)

    report = command("report", "a training run's story: configuration, start/best/end figures, events, picture",
                     description="Print a run folder's configuration, its figures at start, best and end, the "
                                 "monitor's events and where the run stopped (or would have), and write a PNG of "
                                 "proxy, gold, entropy and length over steps with the events marked. Reads the "
                                 "folder only.")
    report.add_argument("run_dir", help="a run folder (rewardlab train's run_dir, or a bench cell's folder)")
    report.add_argument("--png", metavar="PATH", help="where to write the picture (default RUN_DIR/report.png)")
    return parser


def check_paths(args: argparse.Namespace) -> None:
    """Refuse a command whose files or folders do not exist, before anything heavy is imported.

    Raises:
        FileNotFoundError: naming the argument and the path.
    """
    for name in FILE_ARGUMENTS.get(args.command, ()):
        given = getattr(args, name)
        for path in [given] if isinstance(given, str) else given or ():
            if not Path(path).exists():
                raise FileNotFoundError(f"no such file or folder: {path} (the {name.replace('_', ' ')} argument)")


def _extraction_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--extraction", choices=EXTRACTION_POLICIES, default=None,
                        help="how every answer-checking reward and the gold read a completion's answer: math_verify "
                             "(default: math-verify's extraction of the whole completion), qwen (Spurious Rewards' "
                             "chain) or boxed (the last \\boxed{} only)")


def _run(args: argparse.Namespace) -> int:
    if args.command == "list":
        from rewardlab.cli.listing import run_list

        return run_list(args.name)
    if args.command == "score":
        from rewardlab.cli.score import run_score

        return run_score(args.rollouts, args.reward, gold=args.gold, as_json=args.json, dedupe=args.dedupe,
                         extraction=args.extraction, explain_samples=args.explain, policy=args.policy)
    if args.command == "train":
        from rewardlab.cli.train import run_train

        return run_train(args.config, args.set, resume=not args.no_resume)
    if args.command == "bench":
        from rewardlab.cli.bench import run_bench

        if args.report is not None:
            from rewardlab.cli.bench import run_report

            run_dir = args.report or args.out or (None if args.config else DEFAULT_BENCH_OUT)
            return run_report(run_dir, config_path=args.config, columns=args.columns, wide=args.wide)
        if args.refresh_rows:
            from rewardlab.cli.bench import run_refresh

            return run_refresh(args.config, out_dir=args.out, cache_dir=args.cache)
        return run_bench(args.config, out_dir=args.out, cache_dir=args.cache, jobs=args.jobs, columns=args.columns,
                         wide=args.wide, pretrain_here=args.pretrain)
    if args.command == "validate":
        from rewardlab.cli.train import run_validate

        return run_validate(args.paths)
    if args.command == "judge-eval":
        from rewardlab.cli.judge_eval import run_judge_eval

        return run_judge_eval(args.rollouts, args.judge, gold=args.gold, threshold=args.threshold,
                              as_json=args.json, extraction=args.extraction)
    if args.command == "clip-bands":
        from rewardlab.cli.clip_bands import run_clip_bands

        return run_clip_bands(args.organism, grid_path=args.grid, epsilons=args.epsilon or (0.2,), n=args.n,
                              samples=args.samples, json_path=args.json)
    if args.command == "sample":
        from rewardlab.cli.sample import run_sample

        return run_sample(args)
    if args.command == "eval":
        from rewardlab.cli.eval import run_eval

        return run_eval(args)
    if args.command == "report":
        from rewardlab.monitoring.story import plot_story, read_run, story_text

        story = read_run(args.run_dir)
        print(story_text(story))
        print(f"written: {plot_story(story, args.png or Path(args.run_dir) / 'report.png')}", file=sys.stderr)
        return 0
    raise AssertionError(f"unhandled command {args.command!r}")  # pragma: no cover (argparse refuses others)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the command line, for records (eval's metadata)
    try:
        check_paths(args)
        if args.command == "eval":
            check_eval_inputs(args)
        return _run(args)
    except (ConfigError, FileNotFoundError, ValueError, SamplingError) as exc:
        print(f"rewardlab {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
