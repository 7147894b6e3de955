"""Where a run's policy, prompts and measurement come from: the sources that ``train`` takes beside its config.

A :class:`~rewardlab.training.config.TrainConfig` says how to train (reward, advantage, clipping, the
``trl:`` section, monitoring); a :class:`RunSource` says what to train and how to measure it. Two exist:

- :class:`FromConfig` (``rewardlab train``): the config's ``model:``, ``data:`` and ``heldout:`` sections;
- ``rewardlab.bench.source.OrganismSource`` (a bench cell): an organism, the bench's problems and its
  measurement.

``train`` asks a source, in this order: :meth:`~RunSource.check` (before anything is built), then
:meth:`~RunSource.policy`, :meth:`~RunSource.prompts` and :meth:`~RunSource.measurement`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from rewardlab.registry import ConfigError
from rewardlab.training.config import DataConfig, ModelConfig, TrainConfig

# measure(model, tokenizer, final) -> figures: called every ``heldout.every`` steps (``final`` false) and before
# and after training (``final`` true), each time on a fork of torch's RNG.
Measure = Callable[[Any, Any, bool], dict[str, float]]


class RunSource(Protocol):
    """Where a run's policy, prompts and measurement come from."""

    @property
    def where(self) -> str:
        """What the run's errors name: the config file, or the bench cell."""

    @property
    def measure_before(self) -> bool:
        """Whether ``train`` measures the policy before training (a bench cell measured its organism already)."""

    @property
    def quiet(self) -> bool:
        """Whether the run prints TRL's per-step lines and the monitor's events (the bench prints its own)."""

    def check(self) -> None:
        """Refuse, before anything is built, what cannot be read here (e.g. a data file that does not exist)."""

    def policy(self) -> tuple[Any, Any]:
        """(model, tokenizer) to train."""

    def prompts(self, model: Any, tokenizer: Any) -> Any:
        """The training prompts, a ``datasets.Dataset`` with ``prompt`` and ``answer`` columns."""

    def measurement(self, tokenizer: Any) -> Measure:
        """How the policy is measured before, during and after training."""


@dataclass(frozen=True)
class FromConfig:
    """A run's policy, prompts and held-out measurement as its config's ``model:``, ``data:`` and ``heldout:``
    sections describe them (``rewardlab train``)."""

    config: TrainConfig
    file: str | None = None
    measure_before: bool = True
    quiet: bool = False

    @property
    def where(self) -> str:
        return self.file or self.config.run_dir

    def check(self) -> None:
        if self.config.data is None:
            raise ConfigError(f"{self.where}: data: null means another source supplies the prompts (a bench cell's "
                              "organism); to train from a config, name a set, e.g. data: {name: arithmetic}")
        if (missing := self.config.data.missing_path()) is not None:
            raise FileNotFoundError(f"{self.where}: {missing}")

    def policy(self) -> tuple[Any, Any]:
        return build_model(self.config.model)

    def prompts(self, model: Any, tokenizer: Any) -> Any:
        return build_dataset(self.config.data, chat=_chat(self.config, tokenizer))

    def measurement(self, tokenizer: Any) -> Measure:
        """:func:`~rewardlab.training.heldout.evaluate_heldout` with the gold reward on held-out problems."""
        from rewardlab.training.heldout import evaluate_heldout

        config = self.config
        if config.gold is None:
            return lambda model, tokenizer, final: {}
        rows = _heldout_rows(config, _chat(config, tokenizer))
        h = config.heldout

        def measure(model: Any, tokenizer: Any, final: bool) -> dict[str, float]:
            return evaluate_heldout(model, tokenizer, rows["prompt"], rows["answer"], config.gold, k=h.k,
                                    max_new_tokens=h.max_new_tokens, temperature=h.temperature)

        return measure


def _chat(config: TrainConfig, tokenizer: Any) -> bool:
    """Whether prompts are chat messages: a model other than the tiny one, whose tokenizer has a chat template."""
    return config.model.name != "tiny" and getattr(tokenizer, "chat_template", None) is not None


def build_model(config: ModelConfig) -> tuple[Any, Any]:
    """(model, tokenizer) for a model config; hub and local models load in ``config.dtype``."""
    if config.name == "tiny":
        from rewardlab.models.tiny import char_tokenizer, tiny_model

        tokenizer = char_tokenizer()
        model = tiny_model(tokenizer, config.tiny)
        if config.dtype != "auto":
            import torch

            model = model.to(getattr(torch, config.dtype))
        return model, tokenizer
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rewardlab.models.smollm2 import resolve_model_path

    path = resolve_model_path(config.name)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return AutoModelForCausalLM.from_pretrained(path, dtype=config.dtype), tokenizer


def build_dataset(config: DataConfig, *, chat: bool = False) -> Any:
    """The training prompts as a ``datasets.Dataset`` with ``prompt`` and ``answer`` columns."""
    if config.name == "arithmetic":
        from rewardlab.data.synthetic import arithmetic_problems

        dataset = arithmetic_problems(config.limit or 512, seed=config.seed, max_operand=config.max_operand)
    else:
        from rewardlab.data import load_math_dataset

        dataset = load_math_dataset(config.name, config.path, split=config.split, keep_columns=config.keep_columns)
        if config.limit is not None:
            dataset = dataset.select(range(min(config.limit, len(dataset))))

    def shape(row: dict[str, Any]) -> dict[str, Any]:
        text = config.template.replace("{prompt}", row["prompt"])
        return {"prompt": [{"role": "user", "content": text}] if chat else text}

    return dataset.map(shape)


def _heldout_rows(config: TrainConfig, chat: bool) -> dict[str, list[Any]]:
    """Held-out problems: fresh synthetic ones (another seed), or the rows after the training slice."""
    data = config.data
    if data.name == "arithmetic":
        held = DataConfig(name="arithmetic", limit=config.heldout.n, seed=data.seed + 10_000,
                          max_operand=data.max_operand, template=data.template)
        dataset = build_dataset(held, chat=chat)
    else:
        full = build_dataset(DataConfig(name=data.name, path=data.path, split=data.split, template=data.template),
                             chat=chat)
        start = min(data.limit or 0, max(0, len(full) - config.heldout.n))
        dataset = full.select(range(start, min(len(full), start + config.heldout.n)))
    return {"prompt": list(dataset["prompt"]), "answer": list(dataset["answer"])}
