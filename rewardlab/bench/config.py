"""The bench grid: which organisms, rewards, advantage transforms, clipping settings and seeds.

Each combination is a *cell*: pretrain (or load) the organism, measure it on held-out problems,
train it with rewardlab's GRPO trainer, measure it again. The grid is plain data with one
embedded default (:data:`DEFAULT_GRID`) that runs on two CPU cores within minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from rewardlab.advantages import build_advantage
from rewardlab.answers.extraction import DEFAULT_EXTRACTION
from rewardlab.bench.cell_ids import cell_id
from rewardlab.catalogue import build_reward, default_registry
from rewardlab.configurable import config_field, encode_fields, key_fields
from rewardlab.monitoring.detectors import MonitorConfig
from rewardlab.organisms.pretrain import ORGANISMS, OrganismConfig
from rewardlab.registry import ConfigError, build_dataclass, suggest
from rewardlab.rewards.verified import check_extraction, with_extraction
from rewardlab.training.config import ClippingConfig, HeldOutConfig, ModelConfig, TrainConfig
from rewardlab.training.resolved import ResolvedRun

# Pretrained models a grid can name beside the organisms (loaded without the hub; see rewardlab.models).
PRETRAINED: tuple[str, ...] = ("smollm2",)
# Where a grid's organisms come from (the field `pretrain`): the shipped weights where there are some, or this machine.
PRETRAIN_CHOICES: tuple[str, ...] = ("shipped", "always")


@dataclass(frozen=True)
class NamedReward:
    """A reward in the grid, with the label its rows carry."""

    name: str = config_field(help="label of the reward in the table")
    reward: Any = config_field(help="the reward: a name or a {type: ...} mapping")

    def __post_init__(self) -> None:
        object.__setattr__(self, "reward", build_reward(self.reward))


# The GRPO run of every cell unless a grid's `train.trl` says otherwise: the Spurious Rewards setup shrunk to
# a CPU. A generation batch holds per_device_train_batch_size × steps_per_generation / num_generations = 16
# prompts × 8 samples, taken in 4 optimiser steps (so clipping can bind), one pass (num_iterations).
CELL_TRL: Mapping[str, Any] = MappingProxyType({
    "max_steps": 120, "per_device_train_batch_size": 32, "steps_per_generation": 4, "num_iterations": 1,
    "num_generations": 8, "learning_rate": 3.0e-5, "lr_scheduler_type": "constant", "warmup_steps": 0, "beta": 0.0,
    "temperature": 1.0, "loss_type": "dapo", "max_completion_length": 80, "use_cpu": True, "bf16": False,
    "activation_checkpointing": False, "report_to": [], "save_strategy": "no", "logging_steps": 1, "disable_tqdm": True,
})


@dataclass(frozen=True)
class CellTraining:
    """The training sections every cell shares: TRL's fields over :data:`CELL_TRL`, and the clip range."""

    trl: dict[str, Any] = config_field(
        default_factory=dict, help="trl.GRPOConfig fields over the bench's CPU defaults (max_steps 120, "
        "per_device_train_batch_size 32, steps_per_generation 4, num_generations 8, learning_rate 3e-5, "
        "max_completion_length 80, ...)")
    clipping: dict[str, Any] = config_field(
        default_factory=dict, help="clipping section of the cells with clipping on, e.g. {epsilon: 0.05}; the "
        "grid's `clipping` list turns it on or off per cell")
    monitor: MonitorConfig = config_field(
        default_factory=MonitorConfig, help="every cell's reward-hacking alarms (rewardlab train's monitor: "
        "section), e.g. {window: 8}; events go to each cell's metrics.jsonl")

    def __post_init__(self) -> None:
        if "enabled" in self.clipping:
            raise ConfigError("train.clipping.enabled is set per cell by the grid's `clipping` list "
                              "(e.g. clipping: [true, false]); remove it from train.clipping")

    def trl_values(self) -> dict[str, Any]:
        """Every cell's ``trl:`` section: :data:`CELL_TRL` with the grid's fields over it."""
        return {**CELL_TRL, **self.trl}


@dataclass(frozen=True)
class OrganismVariant:
    """An organism defined in the grid: a built-in one with some of its pretraining settings changed."""

    name: str = config_field(help="the variant's name, as written in `organisms` and shown in the table")
    like: str = config_field(help=f"the built-in organism it starts from ({', '.join(ORGANISMS)})")
    changes: Any = config_field(
        default_factory=dict, help="OrganismConfig fields to change, e.g. {trace_share: 0.9, trace_error_rate: 0.2}")

    def __post_init__(self) -> None:
        if self.name in ORGANISMS or self.name in PRETRAINED:
            raise ConfigError(f"organism variant {self.name!r} takes the name of a built-in one; give it a new name")
        if self.like not in ORGANISMS:
            raise ConfigError(f"organism variant {self.name!r}: unknown organism {self.like!r} in `like`; "
                              f"{suggest(self.like, ORGANISMS)}available: {', '.join(ORGANISMS)}")
        if not isinstance(self.changes, dict):
            raise ConfigError(f"organism variant {self.name!r}: `changes` must be a mapping of OrganismConfig "
                              f"fields, got {type(self.changes).__name__}")
        self.config()  # checks the changed fields now, at load

    def config(self) -> OrganismConfig:
        """The variant's pretraining config: ``like`` with ``changes`` applied and checked."""
        values = {**encode_fields(ORGANISMS[self.like]), **self.changes}
        return build_dataclass(OrganismConfig, values, registry=default_registry(),
                               where=f"organism variant {self.name!r}")


# Settings added after cells were first keyed (left out of a key at their default, so old cells resume).
_EVAL_LATER_DEFAULTS = {"temperature": 1.0, "pass_at": []}
_REWARD_LATER_DEFAULTS: Mapping[str, Mapping[str, Any]] = {"self_consistency": {"group_timeout": 10.0}}
# ... and fields added later to every reward that has them (the grid's own extraction is keyed apart).
_ANY_REWARD_LATER_DEFAULTS: Mapping[str, Any] = {"extraction": DEFAULT_EXTRACTION}
# Rewards whose ``fallback: true`` (their default) the default ``extraction`` replaced: their keys keep it, so cells
# keyed before stay theirs (the organisms state their answers in boxes, which both read alike; tested).
_FORMER_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    name: {"fallback": True} for name in ("binary", "incorrect", "self_consistency", "ternary")}


def _eval_key(evaluation: EvalSettings) -> dict[str, Any]:
    """The eval settings of a cell's key, keyed as if measured only before and after training (``every: 0``).

    Measurement samples on its own RNG, so ``every`` only adds points to the curves: the policy and its final
    figures are the same at any cadence, and grids that differ only in it share their cells. Before that,
    measuring mid-run reseeded training's RNG; rows of those runs keep their old keys (``every: 40``) and so
    read as not yet rerun, while cells that measured only at the ends (``every: 0``) keep theirs.
    """
    return {**key_fields(evaluation, _EVAL_LATER_DEFAULTS), "every": 0}


def _reward_key(spec: Any) -> Any:
    """A reward's config for a cell key: fields added later are left out (at any depth) while at their default."""
    if isinstance(spec, list):
        return [_reward_key(item) for item in spec]
    if not isinstance(spec, dict):
        return spec
    later = {**_ANY_REWARD_LATER_DEFAULTS, **_REWARD_LATER_DEFAULTS.get(spec.get("type"), {})}
    former = _FORMER_DEFAULTS.get(spec.get("type"), {}) if spec.get("extraction") == DEFAULT_EXTRACTION else {}
    return {**former, **{k: _reward_key(v) for k, v in spec.items() if k not in later or later[k] != v}}


@dataclass(frozen=True)
class EvalSettings:
    """Held-out measurement before and after training."""

    n: int = config_field(200, help="held-out problems")
    k: int = config_field(8, help="samples per problem for pass@k")
    every: int = config_field(
        40, help="held-out measurement every N steps for the curves (0 = off); training and the final figures are "
        "the same at any value, so it is not part of a cell id")
    temperature: float = config_field(
        1.0, help="sampling temperature of the held-out samples (accuracy, pass@k, trace rate); greedy figures "
        "are measured too")
    pass_at: tuple[int, ...] = config_field(
        (), help="more pass@k sizes below k to report after training, e.g. [1, 2, 4, 16, 64] for a pass@k curve "
        "(pass@k for k itself is always reported)")

    def __post_init__(self) -> None:
        if any(not 1 <= j < self.k for j in self.pass_at):
            raise ValueError(f"eval.pass_at sizes must lie in [1, k) with k={self.k}, got {list(self.pass_at)}")
        if self.n < 1 or self.k < 1 or self.every < 0 or self.temperature <= 0:
            raise ValueError(f"eval needs n >= 1, k >= 1, every >= 0 and temperature > 0, got n={self.n}, "
                             f"k={self.k}, every={self.every}, temperature={self.temperature}")


@dataclass(frozen=True)
class BenchConfig:
    """A grid of bench cells."""

    out_dir: str = config_field("runs/bench", help="folder for results.jsonl, results.csv, plots and cell runs")
    organisms: tuple[str, ...] = config_field(
        ("qwen_math_like", "llama_like", "bad_code"),
        help=f"organism names ({', '.join(ORGANISMS)}) or a pretrained model ({', '.join(PRETRAINED)}), "
             "which meets the same problems as chat messages")
    organism_variants: tuple[OrganismVariant, ...] = config_field(
        (), help="organisms defined here, each {name, like, changes}: a built-in organism with changed settings")
    organism_steps: int | None = config_field(None, help="override the organisms' pretraining steps")
    pretrain: str = config_field(
        "shipped", help="shipped: organisms rewardlab ships pretrained (rewardlab/organisms/shipped) are taken "
        "from there, the same on every machine, and the others pretrained here; always: every organism is "
        "pretrained on this machine (cached; `rewardlab bench --pretrain` sets it)")
    unanswerable_share: float = config_field(
        0.2, help="fraction of training and held-out problems with an unknown operand (abstention's test)")
    rewards: tuple[NamedReward, ...] = config_field(
        (NamedReward("ground_truth", "binary"), NamedReward("random", {"type": "random", "p": 0.5})),
        help="list of {name, reward}")
    advantages: tuple[str, ...] = config_field(("group_norm",), help="advantage transforms")
    clipping: tuple[bool, ...] = config_field((True,), help="clipping on (true) and/or off (false)")
    seeds: tuple[int, ...] = config_field((0,), help="RL seeds")
    train: CellTraining = config_field(
        default_factory=CellTraining, help="the GRPO run of each cell: {trl: {...}, clipping: {...}}, as in a "
        "training config")
    eval: EvalSettings = config_field(default_factory=EvalSettings, help="held-out measurement")
    extraction: str | None = config_field(
        None, help="how every answer-checking reward, the gold and the measurement read answers: math_verify, qwen "
                   "or boxed (null: math_verify, the default); part of a cell id when not the default")

    def __post_init__(self) -> None:
        if self.extraction is not None:
            check_extraction(self.extraction)
        variants = [v.name for v in self.organism_variants]
        if len(set(variants)) < len(variants):
            raise ConfigError(f"organism variants need distinct names, got {', '.join(variants)}")
        for name in self.organisms:
            if name not in ORGANISMS and name not in PRETRAINED and name not in variants:
                choices = [*ORGANISMS, *variants, *PRETRAINED]
                raise ConfigError(f"unknown organism {name!r}; {suggest(name, choices)}"
                                  f"available: {', '.join(choices)}")
        if self.pretrain not in PRETRAIN_CHOICES:
            raise ConfigError(f"unknown pretrain {self.pretrain!r}; {suggest(self.pretrain, PRETRAIN_CHOICES)}"
                              f"write one of: {', '.join(PRETRAIN_CHOICES)}")
        for spec in self.advantages:
            build_advantage(spec)
        if not 0.0 <= self.unanswerable_share < 1.0:
            raise ValueError(f"unanswerable_share must lie in [0, 1), got {self.unanswerable_share}")
        if not (self.rewards and self.seeds and self.clipping and self.advantages):
            raise ValueError("the grid needs at least one reward, seed, clipping setting and advantage")
        # the training sections are checked now, at load, as `rewardlab train` checks them (each clipping setting
        # and each advantage, whose group needs may clash with trl.num_generations)
        for clip, advantage in [(clip, self.advantages[0]) for clip in self.clipping] + [
                (self.clipping[0], advantage) for advantage in self.advantages[1:]]:
            probe = {"id": "probe", "seed": self.seeds[0], "reward": self.rewards[0].name,
                     "advantage": advantage, "clipping": clip}
            try:
                self.train_config(probe, subject="probe")
            except ValueError as exc:
                raise ConfigError(f"train: {exc}") from exc

    @staticmethod
    def is_pretrained(name: str) -> bool:
        """Whether ``name`` is a pretrained chat model rather than an organism trained here."""
        return name in PRETRAINED

    def subject_key(self, name: str) -> str:
        """What identifies the model a cell starts from: the organism's config hash, or the model's name.

        An organism pretrained on this machine (``pretrain: always``) is marked as such, so its cells and
        its measurement are not taken for those of the shipped organism.
        """
        if self.is_pretrained(name):
            return name
        return self.organism(name).key() + ("-pretrained-here" if self.pretrain == "always" else "")

    def max_operand(self, name: str) -> int:
        """The largest operand of ``name``'s held-out and training problems: the organism's own (9 for a chat model)."""
        return 9 if self.is_pretrained(name) else self.organism(name).max_operand

    def organism(self, name: str) -> OrganismConfig:
        """The pretraining config of organism ``name``: built in or a variant, with ``organism_steps`` applied."""
        variant = next((v for v in self.organism_variants if v.name == name), None)
        base = variant.config() if variant else ORGANISMS[name]
        if self.organism_steps is None:
            return base
        from dataclasses import replace

        return replace(base, steps=self.organism_steps)

    def cells(self) -> list[dict[str, Any]]:
        """Every cell of the grid, each with a stable id (:func:`rewardlab.bench.cell_ids.cell_id`).

        A cell's id hashes what it trains: the organism, the reward's config, the advantage, the resolved
        run (:meth:`resolved`: every ``GRPOConfig`` value the cell sets, clipping included), the problems and
        the measurement; a field added to any of them changes the ids of the cells that set it.
        """
        runs = {clip: self.resolved(clip).plain() for clip in self.clipping}
        cells = []
        for organism in self.organisms:
            for named in self.rewards:
                for advantage in self.advantages:
                    for clip in self.clipping:
                        for seed in self.seeds:
                            cell = {"organism": organism, "reward": named.name, "advantage": advantage,
                                    "clipping": clip, "seed": seed}
                            payload = {**cell, "reward_config": _reward_key(named.reward.to_config()),
                                       "organism_key": self.subject_key(organism), "run": runs[clip],
                                       "unanswerable_share": self.unanswerable_share,
                                       "eval": _eval_key(self.eval), **self._extraction_key()}
                            if self.train.monitor.stop_on:  # a run that can stop early is another cell
                                payload["stop_on"] = list(self.train.monitor.stop_on)
                            prefix = f"{organism}-{named.name}-{advantage}-{'clip' if clip else 'noclip'}-s{seed}"
                            cells.append({**cell, "id": cell_id(prefix, payload)})
        return cells

    def _extraction_key(self) -> dict[str, str]:
        """The extraction policy in a cell's key, only where it is not the default (cells keyed before it stay)."""
        return {} if self.policy == DEFAULT_EXTRACTION else {"extraction": self.policy}

    @property
    def policy(self) -> str:
        """The extraction policy the grid's answer checkers read by."""
        return self.extraction or DEFAULT_EXTRACTION

    def reward(self, name: str) -> Any:
        """The named reward, its answer checkers reading by the grid's extraction policy."""
        return with_extraction(next(r.reward for r in self.rewards if r.name == name), self.extraction)

    def trl_value(self, name: str) -> Any:
        """A ``GRPOConfig`` value the cells set (e.g. ``temperature``, ``max_completion_length``), as resolved."""
        return self.resolved(True).values[name]

    def clipping_of(self, clip: bool) -> ClippingConfig:
        """The clipping section of the cells with clipping on (``clip``) or off."""
        return ClippingConfig(**{**self.train.clipping, "enabled": clip})

    def resolved(self, clip: bool) -> ResolvedRun:
        """The resolved run of the cells with clipping on (``clip``) or off: the one reader of the cells' ``trl:``
        section, as :class:`~rewardlab.training.config.TrainConfig` resolves a config's (one process)."""
        return ResolvedRun.of(self.train.trl_values(), self.clipping_of(clip), None)

    def heldout_settings(self) -> HeldOutConfig:
        """How every cell measures its policy (before RL, during and after training): the grid's ``eval``
        settings, generating as long as the cells' completions."""
        return HeldOutConfig(every=self.eval.every, n=self.eval.n, k=self.eval.k,
                             max_new_tokens=self.trl_value("max_completion_length"), temperature=self.eval.temperature)

    def train_config(self, cell: dict[str, Any], subject: str) -> TrainConfig:
        """The training run of ``cell``, as ``rewardlab train`` reads it, starting from the model ``subject``.

        Its prompts come from the cell's source (``data: null``; :class:`rewardlab.bench.source.OrganismSource`),
        which measures with the ``heldout`` settings written here (:meth:`heldout_settings`).
        """
        return TrainConfig(
            run_dir=str(Path(self.out_dir) / "cells" / cell["id"]), seed=cell["seed"], model=ModelConfig(name=subject),
            data=None, heldout=self.heldout_settings(),
            reward=self.reward(cell["reward"]), gold={"type": "binary", "workers": 1, "extraction": self.policy},
            advantage=cell["advantage"], clipping=self.clipping_of(cell["clipping"]), trl=self.train.trl_values(),
            monitor=self.train.monitor, save_final=False)

    def prompts_needed(self) -> int:
        """Training prompts a cell draws (:meth:`~rewardlab.training.resolved.ResolvedRun.prompts_needed`)."""
        return self.resolved(True).prompts_needed()


# The embedded default: ground truth against random reward, on an organism that has a better style to
# elicit and on one that has none, in under a quarter of an hour on two cores with the organisms
# pretrained (most of it pretraining; docs/results.md gives the measured wall time). One seed is what that
# budget holds, and it measures only before and after training (curves without lines). Its four cells are
# seed 0 of the spurious and organisms grids, the same ids (a cell's id is keyed as if `eval.every` were 0), so their
# three seeds (docs/results.md) show how far the contrast holds, and a later findings grid finds them and
# the organisms already done.
DEFAULT_GRID: dict[str, Any] = {
    "out_dir": "runs/bench-default",
    "organisms": ["qwen_math_like", "llama_like"],
    "rewards": [{"name": "ground_truth", "reward": "binary"},
                {"name": "random", "reward": {"type": "random", "p": 0.5}}],
    "seeds": [0],
    "train": {"trl": {"max_steps": 120, "learning_rate": 3.0e-5}},
    "eval": {"n": 200, "k": 8, "every": 0},
}


def load_bench_config(source: str | Path | dict[str, Any] | None = None) -> BenchConfig:
    """A checked :class:`BenchConfig` from a YAML file, a mapping, or the embedded default."""
    if source is None:
        values, where = DEFAULT_GRID, "default grid"
    elif isinstance(source, dict):
        values, where = source, "bench config"
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no bench config at {path}")
        values, where = yaml.safe_load(path.read_text()) or {}, str(path)
    return build_dataclass(BenchConfig, values, registry=default_registry(), where=where)
