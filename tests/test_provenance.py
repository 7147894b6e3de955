"""The record of the machine and the code that every run folder's summary carries."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from rewardlab.provenance import git_commit, machine_record, package_versions

ROOT = Path(__file__).resolve().parents[1]


def test_versions_are_the_installed_distributions() -> None:
    versions = package_versions(("torch", "transformers", "trl", "math-verify", "no-such-distribution-xyz"))
    assert versions["trl"] == metadata.version("trl") and versions["math-verify"] == metadata.version("math-verify")
    assert versions["no-such-distribution-xyz"] is None


def test_the_git_commit_is_the_checkout_head_or_none_outside_one(tmp_path: Path) -> None:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:  # an installed copy, not a checkout
        assert git_commit() is None
    else:
        assert git_commit().removesuffix("+dirty") == head.stdout.strip()
    assert git_commit(tmp_path) is None


def test_the_record_names_cpu_versions_threads_and_commit_without_importing_torch() -> None:
    code = ("import sys, json; from rewardlab.provenance import machine_record; r = machine_record(); "
            "assert 'torch' not in sys.modules; print(json.dumps(r))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert '"cpu": ' in done.stdout and '"torch_threads": null' in done.stdout
    import torch

    record = machine_record()
    assert record["torch_threads"] == torch.get_num_threads() and record["cpu"]
    assert set(record["packages"]) >= {"torch", "transformers", "trl", "math-verify"}
