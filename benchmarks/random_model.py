"""Save a randomly initialised model of a real model's shape (default: SmolLM2-135M), for benchmarks/gpu_check.sh.

    python benchmarks/random_model.py OUT_DIR [--like smollm2] [--dtype bfloat16]

The folder (config, tokenizer, random weights; about 270 MB in bf16 for SmolLM2, 3 MB without the weights)
can be built on the machine that runs the check, from the tokenizer and config alone.
"""

from __future__ import annotations

import argparse

from rewardlab.models.random_init import random_like


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--like", default="smollm2", help="model whose config and tokenizer to use")
    parser.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32", "float16"])
    args = parser.parse_args()
    print(random_like(args.like, args.out_dir, dtype=args.dtype))


if __name__ == "__main__":
    main()
