"""rewardlab's modules import each other without circles: the package is a stack of floors.

The graph is read from the source by AST, not by importing. An edge ``A -> B`` means that executing
module ``A`` executes ``B``: ``import x.y.z`` and ``from x.y import z`` run ``x.y.z`` and, first, every
package ``__init__`` on its way (those that ``A`` does not already sit inside). Imports at the top of a
module (including inside ``if``/``try`` blocks) are module-level; imports inside a function or method
run only when it is called and are reported apart. ``if TYPE_CHECKING:`` imports never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rewardlab"


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package, by dotted name (a package by the name of its ``__init__``)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(body: list[ast.stmt], in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """(import statement, whether it runs only inside a function), skipping ``if TYPE_CHECKING:`` blocks."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_function
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _imports(node.body, True)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _imports(node.orelse, in_function)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from _imports(getattr(node, field, []) or [], in_function)


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, known: Mapping[str, Path]) -> set[str]:
    """The rewardlab modules that ``node`` names (a ``from P import name`` names ``P.name`` when it is a module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = importer.split(".") if is_package else importer.split(".")[:-1]
            anchor = anchor[:len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return {name for name in names if name in known}


def _executed(target: str, importer: str) -> set[str]:
    """``target`` and the packages on its way that ``importer`` is not already inside."""
    parts = target.split(".")
    ancestors_of_importer = {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 2)}
    way = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return {m for m in way if m not in ancestors_of_importer and m != importer}


def import_graph(root: Path = PACKAGE) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module-level edges, function-level edges) between the modules of the package."""
    known = module_names(root)
    top: dict[str, set[str]] = {name: set() for name in known}
    late: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, in_function in _imports(tree.body, False):
            for target in _targets(node, name, path.name == "__init__.py", known):
                (late if in_function else top)[name] |= _executed(target, name)
    return top, late


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) per strongly connected component that has one (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                components.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [_cycle_in(component, edges) for component in components]


def _cycle_in(component: set[str], edges: Mapping[str, set[str]]) -> list[str]:
    """A shortest cycle through the first member of a strongly connected component (breadth first)."""
    start = min(component)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(edges.get(node, set()) & component):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if nxt not in parents:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle in {component}")  # pragma: no cover


def _describe(found: list[list[str]]) -> str:
    return "\n".join(" -> ".join(cycle) for cycle in found)


# --- the graph reader itself ---------------------------------------------------------------------------------


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_a_circle_through_a_package_init_is_found(tmp_path: Path) -> None:
    # pkg.a imports pkg.b.c, which runs pkg/b/__init__.py first, which imports pkg.a: a circle.
    root = _write(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from pkg.b.c import x\n",
                             "pkg/b/__init__.py": "from pkg.a import y\n", "pkg/b/c.py": "x = 1\n"})
    top, _ = import_graph(root)
    assert top["pkg.a"] == {"pkg.b", "pkg.b.c"}
    assert cycles(top) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_function_level_and_type_checking_imports_are_kept_apart(tmp_path: Path) -> None:
    root = _write(tmp_path, {"pkg/__init__.py": "", "pkg/b.py": "from . import a\n",
                             "pkg/a.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.c\n"
                                          "def f():\n    from pkg import b\n"),
                             "pkg/c.py": "import pkg.a\n"})
    top, late = import_graph(root)
    assert top["pkg.a"] == set() and late["pkg.a"] == {"pkg.b"} and top["pkg.b"] == {"pkg.a"}
    assert cycles(top) == []
    assert cycles({k: top[k] | late[k] for k in top}) == [["pkg.a", "pkg.b", "pkg.a"]]


# --- rewardlab ---------------------------------------------------------------------------------------------


def test_rewardlab_has_no_import_circle_among_module_level_imports() -> None:
    top, late = import_graph()
    assert top["rewardlab.judge.reward"], "the graph reader found no imports: is the package where it expects?"
    found = cycles(top)
    every = cycles({name: top[name] | late[name] for name in top})
    assert not found, (f"module-level import circles:\n{_describe(found)}\n"
                       f"(counting function-level imports too:\n{_describe(every)})")


def test_no_function_level_import_closes_a_circle_either() -> None:
    top, late = import_graph()
    found = cycles({name: top[name] | late[name] for name in top})
    assert not found, f"import circles through function-level imports:\n{_describe(found)}"
