"""From configuration to objects, one-to-one: ``{type: name, ...fields}``.

A :class:`Registry` maps names to component classes. ``registry.build({"type": "random", "p": 0.5})``
converts each field by its type hint (nested components are built recursively), fails on unknown
names and fields with the valid choices and a did-you-mean, and leaves each class to check its own
values in ``__post_init__``. A name ``package.module:Class`` imports a class from outside rewardlab.

The registry is an immutable value built from an explicit list of classes: nothing is registered
by importing a module. This module is machinery only: it lists no component (entries are rewards
unless another ``base`` is named, and ``Reward`` is then imported on first use). The rewards that ship
with rewardlab are listed in :mod:`rewardlab.catalogue` (``default_registry``, ``build_reward``), the
advantage transforms in :mod:`rewardlab.advantages` and the judge backends in :mod:`rewardlab.judge.backends`.
"""

from __future__ import annotations

import dataclasses
import importlib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

from rewardlab.configurable import Configurable, suggest


class ConfigError(ValueError):
    """A configuration names something that does not exist or holds a value that is not allowed."""


@dataclass(frozen=True)
class Registry:
    """Component classes by name. Immutable: :meth:`with_rewards` returns a new registry.

    ``base`` is the class every entry derives from (``None``: ``Reward``) and ``kind`` the word
    used in messages ("reward", "advantage transform").
    """

    entries: Mapping[str, type[Any]]
    base: type[Configurable] | None = None
    kind: str = "reward"

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", types.MappingProxyType(dict(self.entries)))
        if self.base is None:
            from rewardlab.rewards.base import Reward  # the usual base, imported only when no other is named

            object.__setattr__(self, "base", Reward)

    @classmethod
    def of(cls, *reward_classes: type[Any], base: type[Configurable] | None = None, kind: str = "reward") -> Registry:
        """A registry of ``reward_classes``, keyed by their ``type_name``; duplicates are refused."""
        entries: dict[str, type[Any]] = {}
        for reward_cls in reward_classes:
            name = reward_cls.type_name
            if not name:
                raise ConfigError(f"{reward_cls.__qualname__} has no type_name; set `type_name = '...'` on the class")
            if name in entries and entries[name] is not reward_cls:
                raise ConfigError(f"two {kind}s are named {name!r}: {entries[name].__qualname__} and "
                                  f"{reward_cls.__qualname__}; rename one")
            entries[name] = reward_cls
        return cls(entries, base, kind)

    def with_rewards(self, *reward_classes: type[Any]) -> Registry:
        """A new registry holding these rewards as well."""
        return Registry.of(*self.entries.values(), *reward_classes, base=self.base, kind=self.kind)

    def names(self) -> list[str]:
        return sorted(self.entries)

    def lookup(self, name: str) -> type[Any]:
        """The class registered as ``name``, or the class at import path ``package.module:Class``."""
        if name in self.entries:
            return self.entries[name]
        if ":" in name:
            return self._import(name)
        raise ConfigError(f"unknown {self.kind} {name!r}; {suggest(name, self.entries)}"
                          f"available: {', '.join(self.names())} (or an import path 'package.module:Class')")

    def build(self, spec: str | Mapping[str, Any] | Configurable) -> Any:
        """An object from a name, a ``{type: name, ...fields}`` mapping, or an object (returned as is)."""
        if isinstance(spec, self.base):
            return spec
        if isinstance(spec, str):
            spec = {"type": spec}
        if not isinstance(spec, Mapping):
            raise ConfigError(f"a {self.kind} is a name or a mapping with a 'type' key, "
                              f"got {type(spec).__name__}: {spec!r}")
        if "type" not in spec:
            raise ConfigError(f"{self.kind} mapping {dict(spec)!r} has no 'type'; "
                              f"write e.g. {{type: {self.names()[0]}}}; available: {', '.join(self.names())}")
        fields = {k: v for k, v in spec.items() if k != "type"}
        return build_dataclass(self.lookup(str(spec["type"])), fields, registry=self, where=str(spec["type"]))


    def _import(self, path: str) -> type[Any]:
        module_name, _, attr = path.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot import {self.kind} {path!r}: {exc}") from exc
        if not (isinstance(obj, type) and issubclass(obj, self.base)):
            raise ConfigError(f"{path!r} is not a rewardlab {self.base.__name__} subclass (got {obj!r})")
        return obj


def field_help(cls: type) -> list[tuple[str, str, str, str]]:
    """(name, type, default, help) for each configurable field of a dataclass."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "(required)"
        type_text = getattr(hints[f.name], "__name__", None) or str(hints[f.name]).replace("typing.", "")
        rows.append((f.name, type_text, default, f.metadata.get("help", "")))
    return rows


def build_dataclass(cls: type, values: Mapping[str, Any], *, registry: Registry, where: str) -> Any:
    """Instantiate dataclass ``cls`` from plain data, converting each field by its type hint."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where}: expected a mapping of fields, got {type(values).__name__}: {values!r}")
    hints = typing.get_type_hints(cls)
    init = {f.name: f for f in dataclasses.fields(cls) if f.init}
    for key in values:
        if key not in init:
            raise ConfigError(f"{where}: unknown field {key!r}; {suggest(str(key), init)}"
                              f"valid fields: {', '.join(init) or '(none)'}")
    missing = [n for n, f in init.items() if n not in values and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{where}: missing required field(s) {', '.join(missing)}")
    kwargs = {k: _convert(hints[k], v, registry=registry, where=f"{where}.{k}") for k, v in values.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{where}: {exc}") from exc


def _convert(tp: Any, value: Any, *, registry: Registry, where: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _convert(option, value, registry=registry, where=where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{where}: {value!r} fits none of {tp}")
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} is not allowed; {suggest(str(value), map(str, args))}"
                              f"choose one of: {', '.join(map(repr, args))}")
        return value
    if origin is tuple:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}: {value!r}")
        item = args[0]
        return tuple(_convert(item, v, registry=registry, where=f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(tp, type) and issubclass(tp, registry.base):
        return registry.build(value)
    if dataclasses.is_dataclass(tp):
        return value if isinstance(value, tp) else build_dataclass(tp, value, registry=registry, where=where)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {type(value).__name__}: {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {type(value).__name__}: {value!r}")
        return value
    if tp in (bool, str) and not isinstance(value, tp):
        raise ConfigError(f"{where}: expected {tp.__name__}, got {type(value).__name__}: {value!r}")
    return value
