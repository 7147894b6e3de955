"""Organisms shipped with rewardlab: pretrained once, stored in the package, the same on every machine.

Pretraining sums floats in an order that depends on the CPU, so the same code pretrains slightly
different organisms on different machines, and their figures differ from docs/results.md before any
RL. The organisms the shipped grids use are therefore pretrained once by :func:`pretrain` and shipped
as their folders under ``rewardlab/organisms/shipped/<name>/``, with a manifest beside them that gives
each one's config key, the sha256 of every file, and its fingerprint: its greedy answers to
:data:`FINGERPRINT_PROMPTS`. :func:`shipped_folder` finds an organism's shipped folder by its config
key (so a grid's variant equal to a built-in organism gets it too) and checks its files first.
``python scripts/ship_organisms.py`` regenerates them (see there); ``rewardlab bench --pretrain`` or a
grid's ``pretrain: always`` pretrains on this machine instead.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from rewardlab.organisms.pretrain import OrganismConfig, Progress, pretrain

SHIPPED_DIR = Path(__file__).parent / "shipped"
MANIFEST = SHIPPED_DIR / "manifest.json"
REGENERATE = "python scripts/ship_organisms.py"
FINGERPRINT_PROMPTS = ("Q: 7+3*2=", "Q: 9-4+8=", "Q: 5*x-1=", "Q: 8*6-5=", "Q: 2+9+4=")
"""Fixed prompts whose greedy answers identify a shipped organism (four answerable, one unanswerable)."""
FINGERPRINT_TOKENS = 60  # long enough for a full trace and a stated confidence


class ShippedOrganismError(RuntimeError):
    """A shipped organism's file is missing or differs from the checksum its manifest records."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest() -> dict[str, Any]:
    """The shipped organisms by name: ``{name: {key, files: {file: sha256}, answers, ...}}`` (empty when none)."""
    return json.loads(MANIFEST.read_text())["organisms"] if MANIFEST.is_file() else {}


def check_files(name: str, entry: dict[str, Any]) -> Path:
    """The folder of shipped organism ``name``, once every file it lists has its recorded sha256.

    Raises:
        ShippedOrganismError: a file is missing or changed (naming it and the command that rebuilds them).
    """
    folder = SHIPPED_DIR / name
    for file, digest in entry["files"].items():
        path = folder / file
        if not path.is_file():
            raise ShippedOrganismError(f"shipped organism {name}: {path} is missing; reinstall rewardlab, or "
                                       f"rebuild the shipped organisms with `{REGENERATE} {name}`")
        if sha256(path) != digest:
            raise ShippedOrganismError(f"shipped organism {name}: {path} does not match the sha256 in {MANIFEST} "
                                       f"({digest[:12]}…); reinstall rewardlab, or rebuild it with "
                                       f"`{REGENERATE} {name}`")
    return folder


def shipped_folder(config: OrganismConfig) -> Path | None:
    """The checked folder of the shipped organism pretrained from ``config``, or None when none is shipped."""
    key = config.key()
    for name, entry in manifest().items():
        if entry["key"] == key:
            return check_files(name, entry)
    return None


def fingerprint_answers(model: Any, tokenizer: Any) -> list[str]:
    """The organism's greedy answers to :data:`FINGERPRINT_PROMPTS` (what the manifest records as ``answers``)."""
    from rewardlab.sampling.backends.hf import GenerationSettings, generate

    greedy = GenerationSettings(max_new_tokens=FINGERPRINT_TOKENS, temperature=0.0)
    return [g.text for g in generate((model, tokenizer), list(FINGERPRINT_PROMPTS), greedy)]


def organism_folder(config: OrganismConfig, cache_dir: str | Path | None = None, progress: Progress | None = None,
                    *, use_shipped: bool = True) -> Path:
    """The folder of the organism pretrained from ``config``: the shipped one when rewardlab ships it (and
    ``use_shipped``), else the one pretrained on this machine (first pretrained into ``cache_dir`` if needed)."""
    folder = shipped_folder(config) if use_shipped else None
    return folder if folder is not None else pretrain(config, cache_dir, progress=progress)
