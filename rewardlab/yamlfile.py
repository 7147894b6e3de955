"""Config files read strictly: a key written twice in one mapping is an error, not a silent overwrite.

PyYAML's ``safe_load`` keeps the last of two equal keys, so a file that sets ``max_steps`` twice
trains with whichever came last. :func:`read_yaml` refuses it, naming the file, both lines and the key.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml

from rewardlab.registry import ConfigError


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that raises on a repeated key in a mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise DuplicateKeyError(f"key {key!r} appears twice in one mapping (lines {seen[key]} and {line}); "
                                        "keep the one you mean and delete the other", line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


class DuplicateKeyError(ConfigError):
    """A YAML mapping that repeats a key; ``line`` is the repeat's line (1-based)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse_yaml(text: str, where: str = "<text>") -> Any:
    """The data in YAML ``text``; a repeated key or a syntax error raises :class:`ConfigError` naming ``where``."""
    stream = io.StringIO(text)
    stream.name = where  # YAML's error marks name the file
    try:
        return yaml.load(stream, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no arbitrary objects
    except DuplicateKeyError as exc:
        raise ConfigError(f"{where}:{exc.line}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {' '.join(str(exc).split())}") from exc


def read_yaml(path: str | Path) -> Any:
    """The data in the YAML file at ``path``, read by :func:`parse_yaml`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no config file at {path}")
    return parse_yaml(path.read_text(), str(path))
