"""Model organisms: tiny LMs pretrained on the CPU with a controlled answer style."""

from rewardlab.organisms.pretrain import ORGANISMS, OrganismConfig, load_organism, measure, pretrain

__all__ = ["ORGANISMS", "OrganismConfig", "load_organism", "measure", "pretrain"]
