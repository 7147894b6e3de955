"""A record of the machine and the code a run folder came from, so that a figure that differs can be traced.

:func:`machine_record` returns plain data for a summary file: the versions of the packages the figures depend
on (read from the installed distributions' metadata, so nothing is imported), the CPU model or the GPU's name,
the thread count torch uses, and the git commit when the code runs from a checkout. Light at import: torch is
read only if a caller has already imported it (a light command never pays for it).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

# The distributions whose versions can move a figure.
RECORDED_PACKAGES = ("rewardlab", "torch", "transformers", "trl", "math-verify", "accelerate", "datasets")


def package_versions(names: tuple[str, ...] = RECORDED_PACKAGES) -> dict[str, str | None]:
    """Each distribution's installed version (None where it is not installed)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what :mod:`platform` says)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name") and ":" in line:
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def _torch_facts() -> dict[str, Any]:
    """GPU name and torch's thread count, read only when torch is already imported (else None: unknown)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return {"gpu": None, "torch_threads": None}
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"gpu": gpu, "torch_threads": torch.get_num_threads()}


def git_commit(start: str | Path | None = None) -> str | None:
    """The commit of the checkout holding the ``rewardlab`` package (a ``+dirty`` suffix when tracked files
    differ from it); None when the package is not in a git checkout or git is absent."""
    folder = Path(start) if start is not None else Path(__file__).resolve().parent
    try:
        def git(*args: str) -> str:
            return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10,
                                  check=True).stdout.strip()

        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if dirty else commit


def machine_record() -> dict[str, Any]:
    """Versions, CPU model, GPU name, thread counts, Python and the git commit, as plain data."""
    return {"packages": package_versions(), "python": platform.python_version(), "platform": platform.platform(),
            "cpu": cpu_model(), "cpu_count": os.cpu_count(), **_torch_facts(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"), "git_commit": git_commit()}
