"""The bench grid: which organisms, rewards, advantage transforms, clipping settings and seeds.

Each combination is a *cell*: pretrain (or load) the organism, measure it on held-out problems,
train it with rewardlab's GRPO trainer, measure it again. The grid is plain data with one
embedded default (:data:`DEFAULT_GRID`) that runs on two CPU cores within minutes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rewardlab.advantages import build_advantage
from rewardlab.catalogue import build_reward, default_registry
from rewardlab.configurable import config_field, encode_fields, key_fields
from rewardlab.organisms.pretrain import ORGANISMS, OrganismConfig
from rewardlab.registry import ConfigError, build_dataclass, suggest

# Pretrained models a grid can name beside the organisms (loaded without the hub; see rewardlab.models).
PRETRAINED: tuple[str, ...] = ("smollm2",)


@dataclass(frozen=True)
class NamedReward:
    """A reward in the grid, with the label its rows carry."""

    name: str = config_field(help="label of the reward in the table")
    reward: Any = config_field(help="the reward: a name or a {type: ...} mapping")

    def __post_init__(self) -> None:
        object.__setattr__(self, "reward", build_reward(self.reward))


@dataclass(frozen=True)
class RLSettings:
    """The GRPO run of one cell (the Spurious Rewards setup, shrunk to a CPU)."""

    steps: int = config_field(120, help="optimiser steps")
    prompts_per_step: int = config_field(16, help="prompts per generation batch")
    num_generations: int = config_field(8, help="samples per prompt (G)")
    learning_rate: float = config_field(3e-5, help="AdamW learning rate (constant)")
    updates_per_batch: int = config_field(4, help="optimiser steps per generation batch (clipping needs > 1)")
    epochs_per_batch: int = config_field(
        1, help="passes over each generation batch (GRPO's μ, TRL's num_iterations); each pass takes "
        "updates_per_batch steps, so the policy moves further from the one that sampled the batch")
    max_completion_length: int = config_field(80, help="tokens per completion (a trace with a confidence is ~70)")
    temperature: float = config_field(1.0, help="sampling temperature")
    clip_epsilon: float = config_field(
        0.2, help="PPO clip range ε on both sides of the ratio in cells with clipping on (Spurious Rewards: 0.2)")
    loss_type: str = config_field("dapo", help="TRL loss_type")

    def __post_init__(self) -> None:
        if min(self.steps, self.prompts_per_step, self.num_generations, self.updates_per_batch,
               self.epochs_per_batch) < 1:
            raise ValueError(
                "steps, prompts_per_step, num_generations, updates_per_batch and epochs_per_batch must be >= 1")
        if not 0.0 < self.clip_epsilon < 1.0:
            raise ValueError(f"clip_epsilon must be in (0, 1), got {self.clip_epsilon}; write 0.2 for the "
                             "Spurious Rewards setting, or turn clipping off with `clipping: [false]`")
        if (self.prompts_per_step * self.num_generations) % self.updates_per_batch:
            raise ValueError("prompts_per_step × num_generations must be a multiple of updates_per_batch")


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
_RL_LATER_DEFAULTS = {"epochs_per_batch": 1, "clip_epsilon": 0.2}
_EVAL_LATER_DEFAULTS = {"temperature": 1.0}


@dataclass(frozen=True)
class EvalSettings:
    """Held-out measurement before and after training."""

    n: int = config_field(200, help="held-out problems")
    k: int = config_field(8, help="samples per problem for pass@k")
    every: int = config_field(40, help="held-out measurement every N steps for the curves (0 = off)")
    temperature: float = config_field(
        1.0, help="sampling temperature of the held-out samples (accuracy, pass@k, trace rate); greedy figures "
        "are measured too")

    def __post_init__(self) -> None:
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
    unanswerable_share: float = config_field(
        0.2, help="fraction of training and held-out problems with an unknown operand (abstention's test)")
    rewards: tuple[NamedReward, ...] = config_field(
        (NamedReward("ground_truth", "binary"), NamedReward("random", {"type": "random", "p": 0.5})),
        help="list of {name, reward}")
    advantages: tuple[str, ...] = config_field(("group_norm",), help="advantage transforms")
    clipping: tuple[bool, ...] = config_field((True,), help="clipping on (true) and/or off (false)")
    seeds: tuple[int, ...] = config_field((0,), help="RL seeds")
    rl: RLSettings = config_field(default_factory=RLSettings, help="the GRPO run of each cell")
    eval: EvalSettings = config_field(default_factory=EvalSettings, help="held-out measurement")

    def __post_init__(self) -> None:
        variants = [v.name for v in self.organism_variants]
        if len(set(variants)) < len(variants):
            raise ConfigError(f"organism variants need distinct names, got {', '.join(variants)}")
        for name in self.organisms:
            if name not in ORGANISMS and name not in PRETRAINED and name not in variants:
                choices = [*ORGANISMS, *variants, *PRETRAINED]
                raise ConfigError(f"unknown organism {name!r}; {suggest(name, choices)}"
                                  f"available: {', '.join(choices)}")
        for spec in self.advantages:
            build_advantage(spec)
        if not 0.0 <= self.unanswerable_share < 1.0:
            raise ValueError(f"unanswerable_share must lie in [0, 1), got {self.unanswerable_share}")
        if not (self.rewards and self.seeds and self.clipping and self.advantages):
            raise ValueError("the grid needs at least one reward, seed, clipping setting and advantage")

    @staticmethod
    def is_pretrained(name: str) -> bool:
        """Whether ``name`` is a pretrained chat model rather than an organism trained here."""
        return name in PRETRAINED

    def subject_key(self, name: str) -> str:
        """What identifies the model a cell starts from: the organism's config hash, or the model's name."""
        return name if self.is_pretrained(name) else self.organism(name).key()

    def organism(self, name: str) -> OrganismConfig:
        """The pretraining config of organism ``name``: built in or a variant, with ``organism_steps`` applied."""
        variant = next((v for v in self.organism_variants if v.name == name), None)
        base = variant.config() if variant else ORGANISMS[name]
        if self.organism_steps is None:
            return base
        from dataclasses import replace

        return replace(base, steps=self.organism_steps)

    def cells(self) -> list[dict[str, Any]]:
        """Every cell of the grid, each with a stable id."""
        cells = []
        for organism in self.organisms:
            for named in self.rewards:
                for advantage in self.advantages:
                    for clip in self.clipping:
                        for seed in self.seeds:
                            cell = {"organism": organism, "reward": named.name, "advantage": advantage,
                                    "clipping": clip, "seed": seed}
                            payload = {**cell, "reward_config": named.reward.to_config(),
                                       "organism_key": self.subject_key(organism),
                                       "rl": key_fields(self.rl, _RL_LATER_DEFAULTS),
                                       "unanswerable_share": self.unanswerable_share,
                                       "eval": key_fields(self.eval, _EVAL_LATER_DEFAULTS)}
                            digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:10]
                            cells.append({**cell, "id": f"{organism}-{named.name}-{advantage}-"
                                                        f"{'clip' if clip else 'noclip'}-s{seed}-{digest}"})
        return cells

    def reward(self, name: str) -> Any:
        return next(r.reward for r in self.rewards if r.name == name)


# The embedded default: ground truth against random reward, on an organism that has a better style to
# elicit and on one that has none, in under a quarter of an hour on two cores with the organisms
# pretrained (the same organisms as the findings grids, so a later grid finds them cached).
DEFAULT_GRID: dict[str, Any] = {
    "out_dir": "runs/bench-default",
    "organisms": ["qwen_math_like", "llama_like"],
    "rewards": [{"name": "ground_truth", "reward": "binary"},
                {"name": "random", "reward": {"type": "random", "p": 0.5}}],
    "rl": {"steps": 120, "learning_rate": 3.0e-5},
    "eval": {"n": 200, "k": 8, "every": 40},
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
