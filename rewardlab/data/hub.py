"""Loading a set from the Hugging Face hub, with the config and split names that some repositories need."""

from __future__ import annotations

import os
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rewardlab.data.files import FILE_SUFFIXES

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")


@dataclass(frozen=True)
class HubLayout:
    """How a hub repository differs from the defaults: its config, and our split names to its own."""

    config: str | None = None
    splits: Mapping[str, str] = field(default_factory=dict)


# Hub repositories whose config or split names are not the defaults (keys are lower-cased ids).
HUB_LAYOUTS: Mapping[str, HubLayout] = types.MappingProxyType({
    "openai/gsm8k": HubLayout(config="main"),
    "gsm8k": HubLayout(config="main"),
    "maxwell-jia/aime_2024": HubLayout(splits=types.MappingProxyType({"test": "train"})),
    "huggingfaceh4/aime_2024": HubLayout(splits=types.MappingProxyType({"test": "train"})),
})


def hub_layout(hub_id: str) -> HubLayout:
    """The known layout of ``hub_id`` (case ignored), or the defaults."""
    return HUB_LAYOUTS.get(hub_id.strip().lower(), HubLayout())


def looks_local(spec: str | os.PathLike[str]) -> bool:
    """Whether a path that does not exist was meant as a local path rather than a hub id."""
    if not isinstance(spec, str):
        return True
    text = spec.strip()
    return not _HUB_ID.fullmatch(text) or text.startswith(".") or text.lower().endswith(FILE_SUFFIXES)


def load_hub(hub_id: str, split: str, config: str | None) -> list[dict[str, Any]]:
    """The raw rows of ``split`` of a hub dataset (``datasets.load_dataset``; the layout maps names)."""
    import datasets

    layout = hub_layout(hub_id)
    hub_split = layout.splits.get(split, split)
    loaded = datasets.load_dataset(hub_id, config or layout.config, split=hub_split)
    if isinstance(loaded, datasets.DatasetDict):
        if hub_split not in loaded:
            raise ValueError(f"hub dataset {hub_id!r} has no split {hub_split!r}; splits: {sorted(loaded)}")
        loaded = loaded[hub_split]
    return loaded.to_list()
