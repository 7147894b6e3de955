"""TRL is imported only by the training package, so every other part of rewardlab loads without it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rewardlab"


def _is_trl(name: str | None) -> bool:
    return name is not None and (name == "trl" or name.startswith("trl."))


def _trl_imports(path: Path) -> list[int]:
    """Line numbers of ``import trl...`` and ``from trl... import`` anywhere in a module (functions included)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        if any(_is_trl(name) for name in names):
            lines.append(node.lineno)
    return lines


def test_trl_is_imported_only_under_rewardlab_training() -> None:
    outside = {f"{path.relative_to(PACKAGE.parent)}:{line}"
               for path in PACKAGE.rglob("*.py") if path.parent.name != "training" or path.parent.parent != PACKAGE
               for line in _trl_imports(path)}
    assert not outside, f"trl imported outside rewardlab/training/: {sorted(outside)}"


def test_the_scan_sees_an_import_of_trl_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from trl import GRPOConfig\n    import trl.trainer\n")
    assert _trl_imports(module) == [2, 3]
