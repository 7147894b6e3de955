"""The one loader of a Hugging Face causal LM: the model, and its tokenizer with a pad token and left padding.

``rewardlab train``, ``rewardlab sample``'s local backend, the local judge, SmolLM2's loader and the organisms'
loader (the bench, clip-bands) call it, so
every model generates with the same pad token (:mod:`rewardlab.sampling.backends.hf` is the one generate
loop). transformers is imported when a model is loaded, never with this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def load_causal_lm(path: str, *, dtype: Any = "auto", device: Any = None, local_files_only: bool = False,
                   eos_token: str | None = None) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A causal LM from ``path`` (a folder or hub id) in ``dtype``, and its tokenizer with a pad token (the
    end-of-sequence token when it has none; ``eos_token`` when the tokenizer names no end-of-sequence token)
    and left padding; on ``device`` in eval mode when one is given. The one loader of a Hugging Face model:
    ``rewardlab train``, ``rewardlab sample``, the local judge, SmolLM2's loader and the organisms' loader call it.

    Raises what ``from_pretrained`` raises (callers turn it into their own error).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, local_files_only=local_files_only)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local_files_only)
    if tokenizer.eos_token is None and eos_token is not None:
        tokenizer.eos_token = eos_token
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    if device is not None:
        model = model.to(device).eval()
    return model, tokenizer
