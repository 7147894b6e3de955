"""Pretrain organisms and ship them in the package: rewardlab/organisms/shipped/<name>/ and its manifest.

    python scripts/ship_organisms.py                      # the default grid's organisms
    python scripts/ship_organisms.py qwen_math_like bad_code --cache /tmp/organisms
    python scripts/ship_organisms.py qwen_certain --grid configs/bench/certain-style.yaml   # a grid's variant

Each organism is pretrained by rewardlab's own ``pretrain`` on one thread, as the bench pretrains it
(or taken from ``--cache`` when pretrained there before, by the same code), and copied with its
tokenizer into the package. The manifest records, per organism, its config key, the sha256 of every
file, its greedy answers to fixed prompts (its fingerprint, checked by
tests/test_shipped_organisms.py) and the machine it was pretrained on. Organisms shipped before and not
named here are kept. A shipped organism is what every machine's bench starts from, so the bench
figures in docs/results.md must be rerun after shipping a changed one.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rewardlab.bench.config import DEFAULT_GRID, load_bench_config
from rewardlab.bench.runner import bench_threads
from rewardlab.configurable import encode_fields
from rewardlab.organisms.pretrain import ORGANISMS, load_organism, pretrain
from rewardlab.organisms.shipped import (
    FINGERPRINT_PROMPTS,
    MANIFEST,
    REGENERATE,
    SHIPPED_DIR,
    fingerprint_answers,
    sha256,
)

SHIPPED_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                 "tokenizer_config.json", "organism.json")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").is_file() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def ship(name: str, cache: Path, grid: str | None) -> dict:
    """Pretrain (or take from ``cache``) organism ``name`` (of ``grid`` when given: a variant), copy it into
    the package; its manifest entry."""
    import torch
    import transformers

    config = load_bench_config(grid).organism(name) if grid else ORGANISMS[name]
    with bench_threads():
        source = pretrain(config, cache, progress=lambda step, total, loss: print(
            f"  {name} step {step}/{total}, loss {loss:.3f}", flush=True) if step % 100 == 0 else None)
        target = SHIPPED_DIR / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for file in SHIPPED_FILES:
            if (source / file).is_file():
                shutil.copy2(source / file, target / file)
        model, tokenizer = load_organism(target)
        answers = fingerprint_answers(model, tokenizer)
    return {"key": config.key(), "config": encode_fields(config), **({"grid": grid} if grid else {}),
            "files": {p.name: sha256(p) for p in sorted(target.iterdir())},
            "bytes": sum(p.stat().st_size for p in target.iterdir()),
            "prompts": list(FINGERPRINT_PROMPTS), "answers": answers,
            "pretrained_on": {"cpu": cpu_model(), "threads": 1, "torch": torch.__version__,
                              "transformers": transformers.__version__}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(DEFAULT_GRID["organisms"]),
                        help=f"organisms to ship (default: the default grid's): {', '.join(ORGANISMS)}, or variants "
                             "of the grid given with --grid")
    parser.add_argument("--grid", help="a bench grid (path from the repository root) whose organism_variants the "
                                       "names may be")
    parser.add_argument("--cache", help="organism cache to pretrain into, or take a pretrained one from "
                                        "(default: a fresh temporary folder, so every organism is pretrained now)")
    args = parser.parse_args()
    known = [*ORGANISMS, *(v.name for v in load_bench_config(args.grid).organism_variants)] if args.grid else ORGANISMS
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown organism(s) {', '.join(unknown)}; available: {', '.join(known)}")
    shipped = json.loads(MANIFEST.read_text())["organisms"] if MANIFEST.is_file() else {}
    with tempfile.TemporaryDirectory() as fresh:
        cache = Path(args.cache) if args.cache else Path(fresh)
        for name in args.names:
            print(f"shipping {name}", flush=True)
            shipped[name] = ship(name, cache, args.grid if name not in ORGANISMS else None)
            print(f"  {shipped[name]['bytes'] / 1e6:.2f} MB, answers {shipped[name]['answers']}", flush=True)
    MANIFEST.write_text(json.dumps({"command": REGENERATE, "organisms": dict(sorted(shipped.items()))},
                                   indent=2, ensure_ascii=False) + "\n")
    total = sum(entry["bytes"] for entry in shipped.values())
    print(f"{MANIFEST}: {len(shipped)} organism(s), {total / 1e6:.2f} MB in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
