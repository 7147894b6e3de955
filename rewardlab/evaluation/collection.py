"""Named evaluators fed together from one reward result, as torchmetrics' ``MetricCollection`` is fed.

>>> from rewardlab.evaluation import BehaviourEvaluator, DriftEvaluator, EvaluatorCollection, ProxyEvaluator
>>> from rewardlab.types import RewardResult
>>> evaluators = EvaluatorCollection({"proxy": ProxyEvaluator(), "behaviour": BehaviourEvaluator(),
...                                   "drift": DriftEvaluator()})
>>> proxy = RewardResult(scores=(1.0, 0.0, None))
>>> gold = RewardResult(scores=(1.0, 1.0, 0.0), diagnostics={"correct": (True, True, False)})
>>> evaluators.update(["\\\\boxed{4}", "python", "?"], proxy, gold)
>>> figures = evaluators.compute()
>>> figures["proxy_reward"], figures["agreement"], figures["boxed_rate"]
(0.5, 0.5, 0.3333333333333333)

Each member takes what it needs from the batch (:meth:`Evaluator.feed`): behaviour the completions
and the proxy's ``abstained``; drift the proxy's scores, gold correctness and ``pseudo_label_correct``;
calibration a stated confidence against gold correctness; accuracy, pass@k and maj@k gold correctness
over the groups; truthfulness gold correctness with ``abstained``. A member that was never fed (no
gold, no confidence stated, no groups given) is left out of :meth:`EvaluatorCollection.compute`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence

from rewardlab.evaluation.evaluators import Evaluator
from rewardlab.evaluation.scored import ScoredBatch
from rewardlab.types import RewardResult


class EvaluatorCollection(Mapping[str, Evaluator]):
    """Evaluators by name, updated from one scored batch and computed into one flat dict.

    Args:
        evaluators: the members, by name, in the order their figures appear in :meth:`compute`.
        prefix: put before every key of :meth:`compute` (``"sampled_"`` gives ``sampled_accuracy``).

    The keys of :meth:`compute` are the members' own (each evaluator documents its keys), with
    ``prefix``; two members that report the same key raise ``ValueError``. The collection is a
    read-only mapping of its members: ``collection["calibration"].plot(path)``.
    """

    def __init__(self, evaluators: Mapping[str, Evaluator], *, prefix: str = "") -> None:
        if not evaluators:
            raise ValueError("an EvaluatorCollection needs at least one evaluator, e.g. "
                             "EvaluatorCollection({'drift': DriftEvaluator()})")
        wrong = {name: type(e).__name__ for name, e in evaluators.items() if not isinstance(e, Evaluator)}
        if wrong:
            raise TypeError(f"members must be Evaluator instances; got {wrong}")
        self._members: dict[str, Evaluator] = dict(evaluators)
        self.prefix = prefix
        self._fed: set[str] = set()

    def __getitem__(self, name: str) -> Evaluator:
        return self._members[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def update(self, completions: Sequence[str | None] | None, proxy: RewardResult, gold: RewardResult | None = None,
               *, group_ids: Sequence[Hashable] | None = None,
               confidence: Sequence[float | None] | None = None) -> None:
        """Feed every member one batch: see :class:`~rewardlab.evaluation.scored.ScoredBatch` for the fields.

        ``confidence`` overrides the proxy's ``confidence`` diagnostic (a dataset column, a parsed tag).
        """
        self.feed(ScoredBatch(proxy=proxy, gold=gold, completions=completions, group_ids=group_ids,
                              stated_confidence=confidence))

    def feed(self, batch: ScoredBatch) -> None:
        """Feed every member ``batch``; members that take nothing from it stay as they were."""
        for name, member in self._members.items():
            if member.feed(batch):
                self._fed.add(name)

    def compute(self) -> dict[str, float]:
        """The figures of every member fed since construction or :meth:`reset`, with ``prefix``."""
        figures: dict[str, float] = {}
        source: dict[str, str] = {}
        for name, member in self._members.items():
            if name not in self._fed:
                continue
            for key, value in member.compute().items():
                if key in figures:
                    raise ValueError(f"members {source[key]!r} and {name!r} both report {key!r}; "
                                     "put them in separate collections with different prefixes")
                figures[key], source[key] = value, name
        return {f"{self.prefix}{key}": value for key, value in figures.items()}

    def reset(self) -> None:
        """Reset every member."""
        for member in self._members.values():
            member.reset()
        self._fed.clear()
