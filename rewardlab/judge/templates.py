"""Judge prompt templates: plain text files that users copy and edit.

A template file is split into chat messages at lines that are exactly ``[system]``, ``[user]`` or
``[assistant]``; lines before the first such marker are a comment and are dropped (a file with no
marker at all is one user message). Placeholders are :class:`string.Template` ones, ``$name`` or
``${name}``; write ``$$`` for a literal dollar sign. Braces need no escaping, so ``\\boxed{}`` is
written as it is.

Placeholders:

============================  =====================================================================
``$problem``                  the prompt the policy answered (a conversation as ``role: content`` lines)
``$response``                 pointwise: the response being judged (required in a pointwise template)
``$response_1``, ``$response_2``  pairwise: the two responses, shown as Assistant 1 and 2 (both required)
``$reference``                the reference answer, or ``(none)``
``$reference_block``          ``"Reference answer: ...\\n\\n"`` when there is one, else empty
============================  =====================================================================

The defaults ship in ``rewardlab/judge/templates/`` (``pointwise.txt``, ``pairwise.txt``); copy one,
edit it, and set ``template: path/to/mine.txt`` on the ``judge`` reward.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from rewardlab.judge.backends.base import Messages

Mode = Literal["pointwise", "pairwise", "rubric"]
ROLES = ("system", "user", "assistant")
COMMON_PLACEHOLDERS = ("problem", "reference", "reference_block")
REQUIRED_PLACEHOLDERS: Mapping[str, tuple[str, ...]] = {"pointwise": ("response",),
                                                         "pairwise": ("response_1", "response_2"),
                                                         "rubric": ("response", "criterion")}


def placeholders_of(text: str) -> set[str]:
    """The names of the ``$name`` / ``${name}`` placeholders in ``text``.

    Raises:
        ValueError: a ``$`` that starts no valid placeholder (write ``$$`` for a dollar sign).
    """
    names = set()
    for match in string.Template.pattern.finditer(text):
        if match.group("invalid") is not None:
            line = text.count("\n", 0, match.start()) + 1
            raise ValueError(f"line {line}: a '$' that starts no placeholder; write $$ for a literal dollar sign")
        name = match.group("named") or match.group("braced")
        if name:
            names.add(name)
    return names


@dataclass(frozen=True)
class JudgeTemplate:
    """A parsed template: its chat sections and where it came from."""

    source: str
    sections: tuple[tuple[str, str], ...]

    def render(self, values: Mapping[str, str]) -> Messages:
        """The chat messages with every placeholder filled from ``values``."""
        return tuple((role, string.Template(text).substitute(values)) for role, text in self.sections)


def parse_template(text: str, mode: Mode, source: str = "<string>") -> JudgeTemplate:
    """Split ``text`` into sections and check its placeholders against ``mode``.

    Raises:
        ValueError: naming ``source``: no user section, an unknown or missing placeholder, a stray ``$``.
    """
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        marker = line.strip().lower()
        if marker.startswith("[") and marker.endswith("]") and marker[1:-1] in ROLES:
            sections.append((marker[1:-1], []))
        elif sections:
            sections[-1][1].append(line)
    if not sections:
        sections = [("user", text.splitlines())]
    parsed = tuple((role, "\n".join(lines).strip("\n")) for role, lines in sections)
    if not any(role == "user" and body.strip() for role, body in parsed):
        raise ValueError(f"judge template {source}: no [user] section with text")
    allowed = set(COMMON_PLACEHOLDERS) | set(REQUIRED_PLACEHOLDERS[mode])
    used: set[str] = set()
    for role, body in parsed:
        try:
            used |= placeholders_of(body)
        except ValueError as exc:
            raise ValueError(f"judge template {source}, [{role}] section, {exc}") from None
    unknown = sorted(used - allowed)
    if unknown:
        raise ValueError(f"judge template {source} uses unknown placeholder(s) {', '.join('$' + u for u in unknown)}; "
                         f"a {mode} template may use {', '.join('$' + a for a in sorted(allowed))}")
    missing = [name for name in REQUIRED_PLACEHOLDERS[mode] if name not in used]
    if missing:
        raise ValueError(f"judge template {source} never shows {', '.join('$' + m for m in missing)}: a {mode} "
                         "template must place the response(s) to judge")
    return JudgeTemplate(source=source, sections=parsed)


def default_template_text(mode: Mode) -> str:
    """The text of the template shipped for ``mode`` (``rewardlab/judge/templates/<mode>.txt``)."""
    return (resources.files("rewardlab.judge") / "templates" / f"{mode}.txt").read_text(encoding="utf-8")


def load_template(path: str | os.PathLike[str] | None, mode: Mode) -> JudgeTemplate:
    """The template at ``path``, or the shipped default for ``mode`` when ``path`` is ``None``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the template is malformed (see :func:`parse_template`).
    """
    if path is None:
        return parse_template(default_template_text(mode), mode, source=f"(default {mode}.txt)")
    file = Path(path).expanduser()
    if not file.is_file():
        raise FileNotFoundError(f"judge template {str(path)!r} is not a file; copy one of the defaults from "
                                f"{resources.files('rewardlab.judge') / 'templates'} and point `template` to it")
    return parse_template(file.read_text(encoding="utf-8"), mode, source=str(file))
