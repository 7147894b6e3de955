"""Tiny causal LMs built in code: a character tokenizer and a small Llama, no hub needed.

Used by the tests, the CPU configs and the model organisms: a model of a few hundred thousand
parameters trains a GRPO step in well under a second on two CPU cores.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from rewardlab.configurable import config_field

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")
# New characters go at the end, so the ids of the older ones never change.
CHARACTERS = string.digits + string.ascii_lowercase + "QA+-*/=:;,.{}()\\ _<>"


def char_tokenizer(characters: str = CHARACTERS):  # -> PreTrainedTokenizerFast
    """A tokenizer with one token per character (plus pad/bos/eos/unk) that TRL accepts as processing_class."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate((*SPECIALS, *dict.fromkeys(characters)))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(pattern="", behavior="isolated")
    core.decoder = decoders.Fuse()  # decode characters back to text without separators
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", bos_token="<bos>",
                                        eos_token="<eos>", unk_token="<unk>")
    tokenizer.padding_side = "left"
    return tokenizer


@dataclass(frozen=True)
class TinyModelConfig:
    """Shape of a tiny Llama built from scratch."""

    hidden_size: int = config_field(64, help="width of the residual stream")
    num_layers: int = config_field(2, help="transformer blocks")
    num_heads: int = config_field(4, help="attention heads (must divide hidden_size)")
    intermediate_size: int = config_field(128, help="MLP width")
    max_positions: int = config_field(128, help="longest prompt + completion in tokens")
    seed: int = config_field(0, help="seed of the random initialisation")

    def __post_init__(self) -> None:
        for name in ("hidden_size", "num_layers", "num_heads", "intermediate_size", "max_positions"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.hidden_size % self.num_heads:
            raise ValueError(f"num_heads ({self.num_heads}) must divide hidden_size ({self.hidden_size})")


def tiny_model(tokenizer, config: TinyModelConfig | None = None):  # -> LlamaForCausalLM
    """A freshly initialised small Llama sized for ``tokenizer``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = config or TinyModelConfig()
    torch.manual_seed(config.seed)
    llama = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_layers, num_attention_heads=config.num_heads,
        num_key_value_heads=config.num_heads, max_position_embeddings=config.max_positions,
        tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id)
    return LlamaForCausalLM(llama)
