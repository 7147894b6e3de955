"""``rewardlab list``: every registered reward, its one-line doc, fields, defaults and help."""

from __future__ import annotations

import inspect

from rich.table import Table

from rewardlab.cli.console import wide_console
from rewardlab.registry import default_registry, field_help


def run_list(name: str | None = None) -> int:
    registry = default_registry()
    console = wide_console()
    if name is not None:
        cls = registry.lookup(name)
        console.print(f"[bold]{name}[/bold]  ({cls.__module__}.{cls.__qualname__})\n")
        console.print(inspect.getdoc(cls) or "")
        console.print()
        names = [name]
    else:
        names = registry.names()
    table = Table(title="rewardlab rewards", show_lines=True)
    for column in ("reward", "description", "fields (name: type = default — help)"):
        table.add_column(column, overflow="fold")
    for reward_name in names:
        cls = registry.lookup(reward_name)
        doc = (inspect.getdoc(cls) or "").split("\n")[0]
        fields = "\n".join(f"{n}: {t} = {d} — {h}" for n, t, d, h in field_help(cls)) or "(none)"
        table.add_row(reward_name, doc, fields)
    console.print(table)
    return 0
