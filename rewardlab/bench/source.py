"""A bench cell's source: the organism it trains, the bench's problems and the bench's measurement.

``rewardlab train`` reads its policy, prompts and measurement from the config
(:class:`rewardlab.training.sources.FromConfig`); a bench cell reads them here
(:class:`OrganismSource`) and passes the source to the same ``train``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardlab.bench.config import BenchConfig
from rewardlab.organisms.evaluate import heldout_problems, measure
from rewardlab.organisms.pretrain import Progress, load_organism
from rewardlab.organisms.shipped import organism_folder
from rewardlab.rewards.base import Reward, walk
from rewardlab.training.config import HeldOutConfig
from rewardlab.training.sources import Measure

# The held-out samples a cell measured after training, as a rollouts file (`rewardlab eval` reads it).
HELDOUT_AFTER = "heldout_after.jsonl"


@dataclass(frozen=True)
class OrganismSource:
    """Cell ``cell`` of grid ``config``: its organism (or pretrained model), its problems and its measurement.

    The measurement is the bench's (:func:`measure_subject`) with the settings of the cell's ``heldout:``
    section; after training it writes the cell's held-out samples and reliability plot into ``run_dir``.
    The organism was measured before any RL already (once per organism), so ``train`` does not measure it
    before; a cell prints nothing of its own (the bench prints its progress).
    """

    config: BenchConfig
    cell: dict[str, Any]
    heldout: HeldOutConfig
    run_dir: Path
    cache_dir: Path | None = None
    pretrain_progress: Progress | None = None
    measure_before: bool = False
    quiet: bool = True

    @property
    def where(self) -> str:
        return f"bench cell {self.cell['id']}"

    def check(self) -> None:
        """Nothing to check: the bench's problems are generated, and the grid was checked at load."""

    def policy(self) -> tuple[Any, Any]:
        return load_subject(self.config, self.cell["organism"], self.cache_dir, self.pretrain_progress)

    def prompts(self, model: Any, tokenizer: Any) -> Any:
        return training_set(self.config, self.cell, model, tokenizer)

    def measurement(self, tokenizer: Any) -> Measure:
        config, name, heldout, run_dir = self.config, self.cell["organism"], self.heldout, self.run_dir

        def measured(model: Any, tokenizer: Any, final: bool) -> dict[str, float]:
            if final:
                return measure_subject(config, name, model, tokenizer, heldout, samples=heldout.k,
                                       pass_ks=config.eval.pass_at, label=f"{name}, cell {self.cell['id']}",
                                       reliability=run_dir / "reliability.png", rollouts=run_dir / HELDOUT_AFTER)
            return measure_subject(config, name, model, tokenizer, heldout)

        return measured


def load_subject(config: BenchConfig, name: str, cache_dir: Path | None,
                 pretrain_progress: Progress | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) a cell starts from: the organism (pretrained first if not cached) or the pretrained model."""
    if config.is_pretrained(name):
        from rewardlab.training.config import ModelConfig
        from rewardlab.training.sources import build_model

        return build_model(ModelConfig(name=name))
    return load_organism(organism_path(config, name, cache_dir, pretrain_progress))


def organism_path(config: BenchConfig, name: str, cache_dir: Path | None,
                  pretrain_progress: Progress | None = None) -> Path:
    """Organism ``name``'s folder: shipped with rewardlab, or pretrained here (``pretrain: always``; none shipped)."""
    return organism_folder(config.organism(name), cache_dir, pretrain_progress,
                           use_shipped=config.pretrain == "shipped")


def measure_subject(config: BenchConfig, name: str, model: Any, tokenizer: Any, heldout: HeldOutConfig,
                    **kwargs: Any) -> dict[str, float]:
    """The bench's measurement of ``name``'s policy: ``heldout``'s problem count, temperature and length, the
    grid's unanswerable share and extraction policy."""
    return measure(model, tokenizer, n=heldout.n, temperature=heldout.temperature,
                   unanswerable_share=config.unanswerable_share, max_new_tokens=heldout.max_new_tokens,
                   chat=config.is_pretrained(name), max_operand=config.max_operand(name), extraction=config.policy,
                   **kwargs)


def _reads_incorrect_labels(reward: Reward) -> bool:
    from rewardlab.rewards import IncorrectLabel

    return any(isinstance(r, IncorrectLabel) for r in walk(reward))


def training_set(config: BenchConfig, cell: dict[str, Any], model: Any, tokenizer: Any) -> Any:
    """The cell's training prompts and labels as a ``datasets.Dataset``.

    For a reward that reads wrong labels (``incorrect``), the labels are built as Spurious Rewards
    builds them: the organism samples 8 answers per prompt, the majority answer is kept where it is
    wrong, and only those prompts are trained on (drawn from a pool the size the run needs; TRL
    cycles over the kept prompts for as many epochs as the steps take).
    """
    from datasets import Dataset

    needed = config.prompts_needed()
    reward = config.reward(cell["reward"])
    chat = config.is_pretrained(cell["organism"])
    prompts, answers = heldout_problems(needed, seed=1000 + cell["seed"],
                                        max_operand=config.max_operand(cell["organism"]),
                                        unanswerable_share=config.unanswerable_share, chat=chat)
    if not _reads_incorrect_labels(reward):
        return Dataset.from_dict({"prompt": prompts, "answer": answers})
    from rewardlab.models.rng import own_rng
    from rewardlab.rewards import IncorrectLabel, incorrect_labels
    from rewardlab.training.heldout import generate

    samples = 8
    with own_rng(model.device, 1000 + cell["seed"]):  # the cell's labels, whatever the worker ran before
        texts = generate(model, tokenizer, prompts, max_new_tokens=config.trl_value("max_completion_length"),
                         samples=samples, temperature=1.0)
    found = next(r for r in walk(reward) if isinstance(r, IncorrectLabel)).answers(texts)  # by the grid's policy
    per_prompt = [found[i * samples:(i + 1) * samples] for i in range(len(prompts))]
    wrong = incorrect_labels(per_prompt, answers)
    keep = [i for i, label in enumerate(wrong) if label is not None]
    if not keep:
        raise RuntimeError(f"the organism's majority answer is right on all {len(prompts)} pooled prompts; "
                           "the incorrect reward has no wrong labels to train on")
    return Dataset.from_dict({"prompt": [prompts[i] for i in keep], "answer": [answers[i] for i in keep],
                              "incorrect_answer": [wrong[i] for i in keep]})
