"""``rewardlab bench``: model organisms × rewards × advantages × clipping × seeds, measured before and after RL."""
