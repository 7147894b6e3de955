"""``sample_to_file``: every missing sample of a settings' problems, appended to one rollouts file."""

from __future__ import annotations

import os
from pathlib import Path

from rewardlab.sampling.settings import SampleSettings


def sample_to_file(settings: SampleSettings, out_path: str | os.PathLike[str], progress: bool = True) -> Path:
    """Sample ``settings.n`` completions of each problem into ``out_path`` (JSON lines), appending only the
    samples the file lacks; returns the path."""
    raise NotImplementedError("sampling is being written")
