"""``rewardlab sample``: the sampling flags, the settings they make, and the command itself.

This module stays light (no torch, no transformers at import), so ``--help`` and argument errors answer
at once; the model is loaded inside :func:`rewardlab.sampling.sample_to_file`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rewardlab.sampling.settings import BACKENDS, SampleSettings

_DEFAULTS = SampleSettings(model="-", data="-")


def _help(name: str) -> str:
    return SampleSettings.__dataclass_fields__[name].metadata["help"]


def add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    """Add every sampling flag (MODEL, --data, ..., --backend) to ``parser``; :func:`settings_from_args` reads them."""
    parser.add_argument("model", help=_help("model"))
    parser.add_argument("--data", required=True, metavar="NAME_OR_PATH", help=_help("data"))
    parser.add_argument("--split", default=_DEFAULTS.split, help=_help("split"))
    parser.add_argument("--limit", type=int, default=None, metavar="N", help=_help("limit"))
    parser.add_argument("-n", type=int, default=_DEFAULTS.n, metavar="K", help=_help("n"))
    parser.add_argument("--temperature", type=float, default=_DEFAULTS.temperature, metavar="T",
                        help=_help("temperature"))
    parser.add_argument("--top-p", type=float, default=_DEFAULTS.top_p, metavar="P", help=_help("top_p"))
    parser.add_argument("--max-new-tokens", type=int, default=_DEFAULTS.max_new_tokens, metavar="L",
                        help=_help("max_new_tokens"))
    template = parser.add_mutually_exclusive_group()
    template.add_argument("--template", metavar="TEXT", help=_help("template") + " (default: the problem alone)")
    template.add_argument("--template-file", metavar="F", help="read the template from a file")
    parser.add_argument("--chat", action=argparse.BooleanOptionalAction, default=_DEFAULTS.chat,
                        help="send the prompt as a user message through the model's chat template (--no-chat: "
                             "as raw text)")
    parser.add_argument("--seed", type=int, default=_DEFAULTS.seed, help=_help("seed"))
    parser.add_argument("--endpoint", metavar="URL", help=_help("endpoint") + "; the API key is read from "
                        "$OPENAI_API_KEY")
    parser.add_argument("--concurrency", type=int, default=_DEFAULTS.concurrency, help=_help("concurrency"))
    parser.add_argument("--backend", choices=BACKENDS, default=_DEFAULTS.backend, help=_help("backend"))


def _template(args: argparse.Namespace) -> str:
    if args.template_file is None:
        return args.template if args.template is not None else _DEFAULTS.template
    path = Path(args.template_file)
    if not path.is_file():
        raise FileNotFoundError(f"no such template file: {path} (the --template-file argument)")
    return path.read_text(encoding="utf-8")


def settings_from_args(args: argparse.Namespace) -> SampleSettings:
    """The :class:`SampleSettings` that the flags of :func:`add_sampling_arguments` describe.

    Raises:
        ValueError: a setting out of range (the message names it and what to write).
        FileNotFoundError: a ``--template-file`` that does not exist.
    """
    return SampleSettings(model=args.model, data=args.data, split=args.split, limit=args.limit, n=args.n,
                          temperature=args.temperature, top_p=args.top_p, max_new_tokens=args.max_new_tokens,
                          template=_template(args), chat=args.chat, seed=args.seed, endpoint=args.endpoint,
                          concurrency=args.concurrency, backend=args.backend)


def run_sample(args: argparse.Namespace) -> int:
    """Sample as the flags say into ``args.out``; an interrupt exits 130, the samples written so far kept.

    Bad data and settings (ValueError) and a backend that cannot start or fails for good (SamplingError)
    reach ``rewardlab``'s main, which prints them in one line and exits 2.
    """
    settings = settings_from_args(args)
    from rewardlab.sampling import sample_to_file

    try:
        sample_to_file(settings, args.out, progress=True)
    except KeyboardInterrupt:
        print(f"rewardlab sample: interrupted; the samples written are kept in {args.out}: rerun the same "
              "command to finish", file=sys.stderr)
        return 130
    return 0
