"""What the commands print to: a console of the terminal's width (a wide page when piped), and
docstrings and help texts turned from reStructuredText into the plain text a terminal shows."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import textwrap
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

_SPAN = r"(?:[^`\n]|\n(?![ \t]*\n))"  # inline markup may wrap onto the next line, never across a blank line
_ROLE = re.compile(r":[A-Za-z][\w.+-]*(?::[\w.+-]+)?:`(" + _SPAN + r"+?)`")  # :func:`x`, :class:`~a.B`, :ref:`t <x>`
_LITERAL = re.compile(r"(?<![`\w])``(?=[^`\s])(" + _SPAN + r"+?)(?<=[^`\s])``(?![`\w])")  # ``x``, not ```python
_INTERPRETED = re.compile(r"(?<![`\w])`([^`\s]" + _SPAN + r"*?)`(?:__?)?(?![`\w])")  # `x`, `x`_, `title <url>`_
_STRONG = re.compile(r"(?<![\w*])\*\*([^\s*][^*\n]*?)\*\*(?![\w*])")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^\s*][^*\n]*?)(?<!\s)\*(?![\w*])")
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w-]+)::\s*(.*)$")
_DIRECTIVE_OPTION = re.compile(r"^\s+:[\w-]+:(\s.*)?$")
_ADMONITIONS = {"note", "warning", "tip", "important", "caution", "attention", "hint", "danger", "error", "seealso"}


def _target_title(body: str) -> str:
    """``title <target>`` → title; ``~pkg.mod.Name`` → Name; otherwise the text as written."""
    if body.endswith(">") and "<" in body:
        return body[:body.rindex("<")].strip()
    if body.startswith("~"):
        return body[1:].rsplit(".", 1)[-1]
    return body.lstrip("!")


def _literal_block_marker(line: str) -> str:
    """A paragraph's closing ``::``: "YAML::" → "YAML:", "text ::" → "text", a lone "::" → ""."""
    if not line.endswith("::"):
        return line
    stripped = line[:-2]
    return stripped.rstrip() if not stripped.strip() or stripped.endswith((" ", "\t")) else stripped + ":"


def plain_text(rst: str) -> str:
    """reStructuredText as a terminal should show it.

    ``x``, :func:`x`, `x`, **x** and *x* become x (:class:`~a.B` becomes B, `title <url>`_ the title);
    a ``.. code-block::`` line goes and its indented content stays; ``.. math:: f`` keeps the formula f;
    ``.. note::`` becomes "Note:"; a paragraph's closing ``::`` becomes ``:``. All else is kept as is,
    code fences such as ```python included.
    """
    lines: list[str] = []
    in_directive_options = False
    for line in rst.splitlines():
        directive = _DIRECTIVE.match(line)
        if directive:
            indent, name, argument = directive.groups()
            if name.lower() in _ADMONITIONS:
                lines.append(f"{indent}{name.capitalize()}: {argument}".rstrip())
            elif name.lower() == "math" and argument:  # the formula itself, shown as the block it heads
                lines.append(f"{indent}    {argument}")
            in_directive_options = True
            continue
        if in_directive_options and _DIRECTIVE_OPTION.match(line):
            continue
        in_directive_options = False
        lines.append(_literal_block_marker(line))
    text = "\n".join(lines)
    text = _ROLE.sub(lambda m: _target_title(m.group(1)), text)
    text = _LITERAL.sub(r"\1", text)
    text = _INTERPRETED.sub(lambda m: _target_title(m.group(1)), text)
    text = _STRONG.sub(r"\1", text)
    return _EMPHASIS.sub(r"\1", text)


class PlainHelpFormatter(argparse.HelpFormatter):
    """argparse's help with descriptions and argument help passed through :func:`plain_text`."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain_text(text))

    def _expand_help(self, action: argparse.Action) -> str:
        return plain_text(super()._expand_help(action))


def wide_console(width: int = 200) -> Console:
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=width)


def output_width(default: int = 100) -> int:
    """Columns a command's lines may take: the terminal's when stdout is one, else ``$COLUMNS``, else ``default``."""
    if sys.stdout.isatty():
        return shutil.get_terminal_size((default, 24)).columns
    try:
        return max(20, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        return default


def fitted(text: str, width: int, indent: str = "  ") -> str:
    """``text`` wrapped at spaces into lines of at most ``width`` characters, continuation lines indented.

    A word longer than a line (a long path) starts a line of its own and is folded only if it alone is wider.
    """
    return "\n".join(textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False)) or text


class StatusLine:
    """One line a terminal redraws in place (a progress status), with ordinary lines printed above it.

    ``show`` takes the status as parts, most important first, and shows the parts that fit the width,
    so the line never wraps (a wrapped line could not be redrawn). Off a terminal it shows nothing.
    """

    def __init__(self, width: int, stream: TextIO | None = None) -> None:
        self.width, self.stream = width, stream or sys.stdout
        self.live = self.stream.isatty()
        self.shown = ""

    def show(self, parts: list[str]) -> None:
        if not self.live:
            return
        text = ""
        for part in parts:
            joined = f"{text} · {part}" if text else part
            if len(joined) < self.width:
                text = joined
        self.shown = text
        self.stream.write("\r\033[K" + text)
        self.stream.flush()

    def print(self, line: str) -> None:
        """``line`` above the status, which is drawn again below it."""
        if self.live and self.shown:
            self.stream.write("\r\033[K")
        self.stream.write(line + "\n")
        if self.live and self.shown:
            self.stream.write(self.shown)
        self.stream.flush()

    def close(self) -> None:
        if self.live and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
        self.shown = ""
