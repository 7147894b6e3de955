"""``rewardlab list``: every registered reward and advantage transform, with fields, defaults and help.

Docstrings and help texts are reStructuredText; they are shown as plain text (:func:`plain_text`).
"""

from __future__ import annotations

import inspect

from rich.markup import escape
from rich.table import Table

from rewardlab.catalogue import default_registry
from rewardlab.cli.console import plain_text, wide_console
from rewardlab.registry import ConfigError, Registry, field_help, suggest


def _registries() -> list[Registry]:
    from rewardlab.advantages import default_advantage_registry

    return [default_registry(), default_advantage_registry()]


def _table(registry: Registry, names: list[str]) -> Table:
    table = Table(title=f"rewardlab {registry.kind}s", show_lines=True)
    for column in (registry.kind, "description", "fields (name: type = default — help)"):
        table.add_column(column, overflow="fold")
    for name in names:
        cls = registry.lookup(name)
        doc = plain_text((inspect.getdoc(cls) or "").split("\n")[0])
        fields = "\n".join(f"{n}: {t} = {d} — {plain_text(h)}" for n, t, d, h in field_help(cls)) or "(none)"
        table.add_row(name, escape(doc), escape(fields))  # docstrings hold brackets: 1[correct], [0, 1]
    return table


def run_list(name: str | None = None) -> int:
    console = wide_console()
    registries = _registries()
    if name is None:
        for registry in registries:
            console.print(_table(registry, registry.names()))
        return 0
    for registry in registries:
        if name in registry.names():
            cls = registry.lookup(name)
            console.print(f"[bold]{name}[/bold]  ({cls.__module__}.{cls.__qualname__})\n")
            console.print(escape(plain_text(inspect.getdoc(cls) or "")))
            console.print(_table(registry, [name]))
            return 0
    every = [n for registry in registries for n in registry.names()]
    raise ConfigError(f"unknown reward or advantage transform {name!r}; {suggest(name, every)}"
                      f"available: {', '.join(every)}")
