"""Where the shared evaluation sets are, wherever the repository is checked out.

``$REWARDLAB_DATA_DIR`` when set, else ``../shared/data`` beside the repository, else the
workplace's ``/work/shared/data``. Tests read the sets from there and never copy them. A missing
folder fails the tests that need it (with this explanation), it does not skip them.
"""

from __future__ import annotations

import os
from pathlib import Path

_CANDIDATES = [Path(os.environ["REWARDLAB_DATA_DIR"])] if os.environ.get("REWARDLAB_DATA_DIR") else []
_CANDIDATES += [Path(__file__).resolve().parents[2] / "shared" / "data", Path("/work/shared/data")]


def shared_data() -> Path:
    """The shared data folder; raises with what was searched when it is absent."""
    for candidate in _CANDIDATES:
        if (candidate / "math500").is_dir():
            return candidate
    raise FileNotFoundError(f"the shared evaluation sets are not at any of {[str(c) for c in _CANDIDATES]}; "
                            "set REWARDLAB_DATA_DIR to the folder that holds math500/, aime24/, amc23/, gsm8k/")
