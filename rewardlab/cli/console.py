"""The console the commands print to: the terminal's width, or a wide page when output is piped."""

from __future__ import annotations

from rich.console import Console


def wide_console(width: int = 200) -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=width)
