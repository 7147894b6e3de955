"""Training: the GRPO trainer on TRL, its configuration, and the run directory.

Only :mod:`rewardlab.training.trainer` imports TRL; import it from there (``rewardlab.training.trainer
.GRPOTrainer``) or through :func:`rewardlab.training.run.train`, so light commands stay light.
"""
