"""What pyproject.toml asks of its dependencies is what they declare."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
import tomllib

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def _requirements() -> list[str]:
    project = PYPROJECT["project"]
    return [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]


@pytest.mark.parametrize("requirement", [r for r in _requirements() if "[" in r.split(";")[0]])
def test_every_extra_asked_of_an_installed_dependency_is_one_it_declares(requirement: str) -> None:
    name, extras = re.match(r"([A-Za-z0-9_.-]+)\[([^\]]+)\]", requirement).groups()
    if name == "rewardlab":
        declared = set(PYPROJECT["project"]["optional-dependencies"])
    else:
        try:
            declared = set(importlib.metadata.metadata(name).get_all("Provides-Extra") or [])
        except importlib.metadata.PackageNotFoundError:
            pytest.skip(f"{name} is not installed here")
    # pip compares an extra's name as written with the names the package declares.
    assert {e.strip() for e in extras.split(",")} <= declared, f"{requirement}: {name} declares {sorted(declared)}"


def test_the_antlr_runtime_is_the_one_math_verify_parses_with() -> None:
    pinned = next(r for r in PYPROJECT["project"]["dependencies"] if r.startswith("antlr4-python3-runtime"))
    assert importlib.metadata.version("antlr4-python3-runtime") == pinned.split("==")[1]
