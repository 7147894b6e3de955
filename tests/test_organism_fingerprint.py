"""The built-in organisms are still the ones docs/results.md was measured on.

Each organism is pretrained a few steps with its own seed; its fingerprint is its config, its first
corpus documents, its losses step by step and its greedy answers to three fixed prompts. A change to
the corpus, the tokenizer, the network or the pretraining loop changes the fingerprint, and the bench
results must then be measured again before the stored fingerprints are updated:

    REWARDLAB_UPDATE_FINGERPRINTS=1 python -m pytest tests/test_organism_fingerprint.py
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from rewardlab.configurable import encode_fields
from rewardlab.organisms.pretrain import ORGANISMS, _train, document
from rewardlab.sampling.backends.hf import GenerationSettings, generate

STORED = Path(__file__).parent / "data" / "organism_fingerprints.json"
UPDATE = os.environ.get("REWARDLAB_UPDATE_FINGERPRINTS") == "1"
PROMPTS = ("Q: 7+3*2=", "Q: 9-4+8=", "Q: 5*x-1=")  # two answerable problems and one unanswerable
LOSS_TOLERANCE = 1e-3
ADVICE = ("the organism code now makes a different organism; ship it again (`python scripts/ship_organisms.py`, "
          "which pretrains the shipped organisms and rewrites their checksums), rerun the bench grids and regenerate "
          "docs/results.md "
          "(scripts/results_tables.py; a change that leaves the organism's config as it was keeps its cells' ids, so "
          "the tables cannot mark those rows 'Not yet rerun' themselves), then update "
          "tests/data/organism_fingerprints.json with "
          "`REWARDLAB_UPDATE_FINGERPRINTS=1 python -m pytest tests/test_organism_fingerprint.py`")


def fingerprint(name: str) -> dict[str, Any]:
    """What identifies organism ``name``: config, cache key, first documents, a short pretraining's losses, answers."""
    import torch

    config = ORGANISMS[name]
    rng = random.Random(config.seed)
    documents = ["".join(document(config, rng)) for _ in range(3)]
    short = dataclasses.replace(config, steps=8, batch_size=8, warmup=2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same figures as with more threads (checked), and no fight with other jobs for cores
    try:
        torch.manual_seed(short.seed)  # as pretrain() seeds it
        model, tokenizer, losses = _train(short, log_every=1)
        greedy = GenerationSettings(max_new_tokens=20, temperature=0.0)
        answers = [g.text for g in generate((model, tokenizer), list(PROMPTS), greedy)]
    finally:
        torch.set_num_threads(threads)
    return {"config": encode_fields(config), "key": config.key(), "documents": documents, "losses": losses,
            "answers": answers}


def differences(now: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints: losses within :data:`LOSS_TOLERANCE`, everything else exactly."""
    found = [f"{part}: {now.get(part)!r} against {stored.get(part)!r} stored"
             for part in ("config", "key", "documents", "answers") if now.get(part) != stored.get(part)]
    losses, kept = now["losses"], stored.get("losses", [])
    if len(losses) != len(kept) or any(abs(a - b) > LOSS_TOLERANCE for a, b in zip(losses, kept, strict=False)):
        found.append(f"losses: {losses} against {kept} stored")
    return found


def _stored() -> dict[str, Any]:
    return json.loads(STORED.read_text()) if STORED.is_file() else {}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ORGANISMS))
def test_each_built_in_organism_matches_its_stored_fingerprint(name: str) -> None:
    now = fingerprint(name)
    if UPDATE:
        STORED.write_text(json.dumps({**_stored(), name: now}, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        return
    stored = _stored()
    assert name in stored, f"organism {name} has no stored fingerprint in {STORED.name}: {ADVICE}"
    changed = differences(now, stored[name])
    assert not changed, f"organism {name} changed ({'; '.join(changed)}): {ADVICE}"


def test_every_stored_fingerprint_names_a_built_in_organism() -> None:
    gone = sorted(set(_stored()) - set(ORGANISMS))
    assert not gone, f"fingerprints stored for organisms that no longer exist: {', '.join(gone)}: {ADVICE}"


def test_a_changed_corpus_or_a_loss_beyond_the_tolerance_is_reported_and_a_small_drift_is_not() -> None:
    stored = {"config": {"seed": 0}, "key": "k", "documents": ["Q: 1+1=\\boxed{2}"], "losses": [3.1, 2.9],
              "answers": ["a"]}
    assert differences(dict(stored), stored) == []
    assert differences({**stored, "losses": [3.1, 2.9 + LOSS_TOLERANCE / 2]}, stored) == []
    assert differences({**stored, "losses": [3.1, 2.9 + 2 * LOSS_TOLERANCE]}, stored) == [
        f"losses: [3.1, {2.9 + 2 * LOSS_TOLERANCE}] against [3.1, 2.9] stored"]
    assert differences({**stored, "losses": [3.1]}, stored) != []
    assert [d.split(":")[0] for d in differences({**stored, "documents": ["Q: 1+1=\\boxed{3}"]}, stored)] == [
        "documents"]
