"""Model organisms: tiny LMs pretrained on the CPU with a controlled answer style."""

from rewardlab.organisms.evaluate import heldout_problems, measure, problem_set
from rewardlab.organisms.pretrain import ORGANISMS, OrganismConfig, load_organism, pretrain

__all__ = ["ORGANISMS", "OrganismConfig", "heldout_problems", "load_organism", "measure", "pretrain", "problem_set"]
