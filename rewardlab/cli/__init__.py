"""The ``rewardlab`` command line."""
