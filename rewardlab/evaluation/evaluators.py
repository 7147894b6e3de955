"""Accumulating evaluators, torchmetrics-style: ``update`` per batch, ``compute`` at the end, ``reset``.

Each evaluator only stores the raw per-sample values it is given and computes through the pure
functions of :mod:`rewardlab.metrics`, so a metric has one definition whether it is computed once
or accumulated over many batches: updating with chunks gives the same result as one update with
everything. Inputs are sequences in which ``None`` means "missing"; the metrics leave such entries out.

Each evaluator also says what it takes from a :class:`~rewardlab.evaluation.scored.ScoredBatch`
(:meth:`Evaluator.feed`), which is how an :class:`~rewardlab.evaluation.collection.EvaluatorCollection`
feeds all its members from one reward result.
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewardlab.answers.vote import EXACT, Equivalence
from rewardlab.metrics import (
    InsufficientSamplesError,
    abstention_rate,
    agreement_rate,
    auroc,
    boxed_rate,
    brier_score,
    code_reasoning_rate,
    complete_pairs,
    correlation,
    expected_calibration_error,
    maj_at_k,
    mean_accuracy,
    mean_available,
    mean_length,
    mean_pass_at_k,
    proxy_precision_recall,
    pseudo_label_accuracy,
    reliability_diagram,
)
from rewardlab.metrics.truthfulness import truthfulness_rates

if TYPE_CHECKING:
    from rewardlab.evaluation.scored import ScoredBatch


def _check_lengths(reference: tuple[str, Sequence[Any]], *others: tuple[str, Sequence[Any] | None]) -> int:
    """The common length of the named sequences (``None`` ones skipped); ``ValueError`` when they differ."""
    name, values = reference
    n = len(values)
    for other_name, other in others:
        if other is not None and len(other) != n:
            raise ValueError(f"{other_name} must have the same length as {name}: got {len(other)} and {n}")
    return n


class Evaluator(ABC):
    """An accumulating metric: ``update`` with batches, ``compute`` the metrics so far, ``reset``."""

    @abstractmethod
    def update(self, *args: Any, **kwargs: Any) -> None:
        """Add one batch of per-sample values."""

    @abstractmethod
    def compute(self) -> dict[str, float]:
        """The metrics over everything added since construction or the last :meth:`reset`."""

    @abstractmethod
    def reset(self) -> None:
        """Forget everything added."""

    def feed(self, batch: ScoredBatch) -> bool:
        """Update with what this evaluator takes from ``batch``; ``False`` (and no update) when it holds none.

        An evaluator joins an :class:`~rewardlab.evaluation.collection.EvaluatorCollection` by defining this.
        """
        raise TypeError(f"{type(self).__name__} cannot be fed from a scored batch: define "
                        f"feed(self, batch: ScoredBatch) -> bool to use it in an EvaluatorCollection")


class AccuracyEvaluator(Evaluator):
    """Mean accuracy, pass@k and (given answers) maj@k over prompt groups.

    ``update(correct, group_ids, answers=None)`` takes one correctness value per sample (``None``:
    unscorable), the id of the prompt group each sample belongs to (any hashable), and optionally the
    extracted answer of each sample (``None``: no answer) for majority voting. All the samples of a
    group must arrive in one update (they need not be adjacent in it): a group id already seen in an
    earlier update raises ``ValueError``. Samples keep their order within a group, which decides
    maj@k's "first k samples" and its ties.

    ``compute()`` gives ``accuracy`` and, for each ``k`` in ``ks``, ``pass@k`` over the groups with at
    least ``k`` scorable samples and ``maj@k`` over the groups with at least ``k`` samples (only when
    answers were given); a ``k`` that no group reaches is left out. Answers must be given in every
    update or in none. Answers vote together when ``equivalence`` says so: identical answers by
    default; pass ``checker.equivalence()`` to vote by math-verify classes, as ``self_consistency``
    and ``rewardlab eval`` do (:func:`~rewardlab.metrics.accuracy.maj_at_k`).
    """

    def __init__(self, ks: Sequence[int] = (1, 4, 8), equivalence: Equivalence = EXACT) -> None:
        self.equivalence = equivalence
        for k in ks:
            if isinstance(k, bool) or not isinstance(k, int) or k < 1:
                raise ValueError(f"every k must be a positive integer, got {k!r}")
        self.ks: tuple[int, ...] = tuple(dict.fromkeys(ks))
        self.reset()

    def reset(self) -> None:
        self._correct: dict[Hashable, list[bool | None]] = {}
        self._answers: dict[Hashable, list[Hashable | None]] = {}
        self._with_answers: bool | None = None

    def update(self, correct: Sequence[bool | None], group_ids: Sequence[Hashable],
               answers: Sequence[Hashable | None] | None = None) -> None:
        """Add the samples of whole groups: see the class docstring."""
        _check_lengths(("correct", correct), ("group_ids", group_ids), ("answers", answers))
        if not len(correct):
            return
        with_answers = answers is not None
        if self._with_answers is not None and with_answers != self._with_answers:
            raise ValueError("answers must be given in every update or in none (maj@k needs every group's)")
        repeated = set(group_ids) & self._correct.keys()
        if repeated:
            shown = ", ".join(sorted(map(repr, repeated))[:5])
            raise ValueError(f"group ids {shown} were already seen in an earlier update; "
                             "all samples of a group must arrive in the same update")
        self._with_answers = with_answers
        for index, group in enumerate(group_ids):
            self._correct.setdefault(group, []).append(correct[index])
            if answers is not None:
                self._answers.setdefault(group, []).append(answers[index])

    def compute(self) -> dict[str, float]:
        correct_per_group = list(self._correct.values())
        result = {"accuracy": mean_accuracy(c for group in correct_per_group for c in group)}
        for k in self.ks:
            with suppress(InsufficientSamplesError):  # no group reaches k: leave pass@k out
                result[f"pass@{k}"] = mean_pass_at_k(correct_per_group, k)
        if self._with_answers:
            answers_per_group = [self._answers[group] for group in self._correct]
            for k in self.ks:
                with suppress(InsufficientSamplesError):
                    result[f"maj@{k}"] = maj_at_k(answers_per_group, correct_per_group, k, self.equivalence)
        return result

    def feed(self, batch: ScoredBatch) -> bool:
        """Gold correctness over the batch's groups, voting with the gold reward's ``parsed_answer``."""
        if batch.correct is None or batch.group_ids is None:
            return False
        self.update(batch.correct, batch.group_ids, batch.answers)
        return True


class CalibrationEvaluator(Evaluator):
    """Calibration of a confidence in [0, 1] against correctness: ``ece``, ``brier`` and ``auroc``.

    ``update(confidence, correct)`` takes equal-length sequences; pairs with a missing value are left
    out of every metric (:attr:`n` counts the complete pairs). ``plot(path)`` writes the reliability
    diagram of everything added so far.
    """

    def __init__(self, n_bins: int = 10) -> None:
        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
            raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
        self.n_bins = n_bins
        self.reset()

    def reset(self) -> None:
        self._confidence: list[float | None] = []
        self._correct: list[bool | None] = []

    def update(self, confidence: Sequence[float | None], correct: Sequence[bool | None]) -> None:
        """Add one batch of (confidence, correctness) pairs."""
        _check_lengths(("confidence", confidence), ("correct", correct))
        self._confidence.extend(confidence)
        self._correct.extend(correct)

    @property
    def n(self) -> int:
        """The number of complete (confidence, correctness) pairs added so far."""
        return int(complete_pairs(self._confidence, self._correct, ("confidence", "correct"))[0].size)

    def compute(self) -> dict[str, float]:
        return {
            "ece": expected_calibration_error(self._confidence, self._correct, self.n_bins),
            "brier": brier_score(self._confidence, self._correct),
            "auroc": auroc(self._confidence, self._correct),
        }

    def feed(self, batch: ScoredBatch) -> bool:
        """The stated confidence (else the proxy's) against gold correctness, once any sample states one."""
        if batch.correct is None or batch.confidence is None:
            return False
        self.update(batch.confidence, batch.correct)
        return True

    def plot(self, path: str | os.PathLike[str], title: str = "Reliability diagram") -> Path:
        """Write the reliability diagram of everything added so far as a PNG; returns its path."""
        return reliability_diagram(self._confidence, self._correct, path, self.n_bins, title=title)


class DriftEvaluator(Evaluator):
    """A proxy reward against gold correctness (TTRL's reward accuracy and label accuracy).

    ``update(proxy, gold, pseudo_label_correct=None)`` takes per-sample proxy rewards, gold
    correctness and, optionally, whether each sample's pseudo-label matched the gold answer.
    ``compute()`` gives ``agreement``, ``correlation``, ``precision``, ``recall`` (of
    ``proxy > threshold`` as a detector of correct answers), ``gold_accuracy`` and,
    once any update gave pseudo-label correctness, ``pseudo_label_accuracy`` (over the samples that
    have it).
    """

    def __init__(self, threshold: float = 0.5) -> None:
        if not math.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, got {threshold!r}")
        self.threshold = float(threshold)
        self.reset()

    def reset(self) -> None:
        self._proxy: list[float | None] = []
        self._gold: list[bool | None] = []
        self._label_correct: list[bool | None] = []
        self._with_labels = False

    def update(self, proxy: Sequence[float | None], gold: Sequence[bool | None],
               pseudo_label_correct: Sequence[bool | None] | None = None) -> None:
        """Add one batch of (proxy reward, gold correctness[, pseudo-label correctness]) per sample."""
        n = _check_lengths(("proxy", proxy), ("gold", gold), ("pseudo_label_correct", pseudo_label_correct))
        self._proxy.extend(proxy)
        self._gold.extend(gold)
        if pseudo_label_correct is None:
            self._label_correct.extend([None] * n)
        else:
            self._label_correct.extend(pseudo_label_correct)
            self._with_labels = True

    def compute(self) -> dict[str, float]:
        precision, recall = proxy_precision_recall(self._proxy, self._gold, self.threshold)
        result = {
            "agreement": agreement_rate(self._proxy, self._gold, self.threshold),
            "correlation": correlation(self._proxy, self._gold),
            "precision": precision,
            "recall": recall,
            "gold_accuracy": mean_accuracy(self._gold),
        }
        if self._with_labels:
            result["pseudo_label_accuracy"] = pseudo_label_accuracy(self._label_correct)
        return result

    def feed(self, batch: ScoredBatch) -> bool:
        """The proxy's scores against gold correctness, with the proxy's ``pseudo_label_correct``."""
        if batch.correct is None:
            return False
        self.update(batch.proxy.scores, batch.correct, batch.pseudo_label_correct)
        return True


class BehaviourEvaluator(Evaluator):
    """What completions look like: ``code_reasoning_rate``, ``boxed_rate``, ``mean_length`` (characters).

    ``update(completions, abstained=None)`` takes completion texts (``None``: missing) and optionally
    whether each sample abstained; ``abstention_rate`` is reported once any update gave it, over the
    samples that have it.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._texts: list[str | None] = []
        self._abstained: list[bool | None] = []
        self._with_abstained = False

    def update(self, completions: Sequence[str | None],
               abstained: Sequence[bool | None] | None = None) -> None:
        """Add one batch of completions (and abstention flags)."""
        n = _check_lengths(("completions", completions), ("abstained", abstained))
        if isinstance(completions, str):
            raise ValueError("completions must be a sequence of strings, not one string")
        self._texts.extend(completions)
        if abstained is None:
            self._abstained.extend([None] * n)
        else:
            self._abstained.extend(abstained)
            self._with_abstained = True

    def compute(self) -> dict[str, float]:
        result = {
            "code_reasoning_rate": code_reasoning_rate(self._texts),
            "boxed_rate": boxed_rate(self._texts),
            "mean_length": mean_length(self._texts),
        }
        if self._with_abstained:
            result["abstention_rate"] = abstention_rate(self._abstained)
        return result

    def feed(self, batch: ScoredBatch) -> bool:
        """The completions, with the proxy's ``abstained`` diagnostic."""
        if batch.completions is None:
            return False
        self.update(batch.completions, batch.abstained)
        return True


class ProxyEvaluator(Evaluator):
    """The evaluated reward itself: ``proxy_reward`` (its mean score) and ``no_signal_rate``.

    ``update(scores)`` takes per-sample scores, ``None`` meaning "no signal". ``proxy_reward`` is the
    mean over the scored samples, ``no_signal_rate`` the fraction of samples without a score.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._scores: list[float | None] = []

    def update(self, scores: Sequence[float | None]) -> None:
        """Add one batch of scores."""
        self._scores.extend(scores)

    def compute(self) -> dict[str, float]:
        return {"proxy_reward": mean_available(self._scores),
                "no_signal_rate": mean_available([s is None for s in self._scores])}

    def feed(self, batch: ScoredBatch) -> bool:
        self.update(batch.proxy.scores)
        return True


class TruthfulnessEvaluator(Evaluator):
    """TruthRL's ``truthfulness`` (accuracy minus hallucination) and ``hallucination_rate``.

    ``update(correct, abstained)`` takes equal-length sequences; samples with a missing value are left
    out (:func:`rewardlab.metrics.truthfulness.truthfulness_rates`). The abstention rate is the
    :class:`BehaviourEvaluator`'s.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._correct: list[bool | None] = []
        self._abstained: list[bool | None] = []

    def update(self, correct: Sequence[bool | None], abstained: Sequence[bool | None]) -> None:
        """Add one batch of (correctness, abstention) per sample."""
        _check_lengths(("correct", correct), ("abstained", abstained))
        self._correct.extend(correct)
        self._abstained.extend(abstained)

    def compute(self) -> dict[str, float]:
        accuracy, _, hallucination = truthfulness_rates(self._correct, self._abstained)
        return {"truthfulness": accuracy - hallucination, "hallucination_rate": hallucination}

    def feed(self, batch: ScoredBatch) -> bool:
        """Gold correctness with the proxy's ``abstained`` diagnostic (the ``ternary`` reward gives both)."""
        if batch.correct is None or batch.abstained is None:
            return False
        self.update(batch.correct, batch.abstained)
        return True
