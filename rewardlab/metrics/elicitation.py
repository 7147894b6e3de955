"""What RLVR can reach by elicitation alone: accuracy once a behaviour's share moves, nothing else learned.

Spurious Rewards (Shao et al. 2025, Table 1) splits a model's answers by a latent behaviour (code
reasoning for Qwen2.5-Math: 65% of answers, 60.9% accurate against 35.0% without). If training only
shifts the behaviour's share to ``p'`` and teaches nothing, accuracy becomes

.. math:: \\text{acc}(p') = p' \\cdot \\text{acc}_\\text{with} + (1 - p') \\cdot \\text{acc}_\\text{without}

and the *elicitation ceiling* is the better of the two accuracies (``p' = 1`` or ``p' = 0``).
"""

from __future__ import annotations

import math


def projected_accuracy(share: float, accuracy_with: float, accuracy_without: float) -> float:
    """Accuracy at behaviour share ``share`` when each style keeps its accuracy.

    A style that no sample showed (its accuracy NaN) contributes nothing when its weight is 0;
    otherwise the projection is NaN, as nothing is known of that style.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"a behaviour share lies in [0, 1], got {share}")
    terms = [(share, accuracy_with), (1.0 - share, accuracy_without)]
    return sum(weight * accuracy for weight, accuracy in terms if weight > 0.0) \
        if all(weight == 0.0 or not math.isnan(accuracy) for weight, accuracy in terms) else math.nan


def best_style_accuracy(accuracy_with: float, accuracy_without: float) -> float:
    """The most a shift of the mix alone can give: the better style's accuracy (NaN when neither was seen)."""
    return max((a for a in (accuracy_with, accuracy_without) if not math.isnan(a)), default=math.nan)
