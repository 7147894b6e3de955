"""The ``rubric`` reward: a weighted checklist, each criterion judged yes or no by a judge model.

Rubrics as Rewards (Gunjal et al. 2025, arXiv 2507.17746), explicit aggregation: with criteria j of weight w_j > 0
and the judge's verdict c_j ∈ {0, 1} on each,

.. math:: r = \\frac{\\sum_j w_j c_j}{\\sum_j w_j}

over the criteria whose verdict is readable; ``None`` (no signal) when none is, or when a sample has no criteria.
Criteria come from the config (``criteria``) or, per problem, from a dataset column (``criteria_column``: a list of
strings or of ``{criterion, weight}`` mappings, or that list as JSON text); a row whose column is empty falls back
to the config's. Each criterion is one request to the judge backend (``openai``, ``transformers`` or ``echo``), sent
through the ``judge`` reward's machinery: its disk cache (``cache_dir``), identical requests sent once, and the
backend's concurrency, retries and key redaction. The prompt is ``rewardlab/judge/templates/rubric.txt`` unless
``template`` names another file; the verdict is the reply's last ``\\boxed{YES}`` / ``\\boxed{NO}``.

Diagnostics: ``rubric_met`` (per sample, each criterion's verdict 1.0 / 0.0 / ``None``), ``rubric_raw`` (replies).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from rewardlab.configurable import config_field
from rewardlab.judge.backends import BackendSpec, field_backend
from rewardlab.judge.backends.base import ChatRequest, Sampling
from rewardlab.judge.reward import JudgeReward
from rewardlab.judge.templates import JudgeTemplate, load_template
from rewardlab.rewards.base import Reward
from rewardlab.types import RewardResult, RolloutBatch

_VERDICT = re.compile(r"\\boxed\s*\{\s*(?:\\text\s*\{)?\s*(yes|no)\b", re.IGNORECASE)


def parse_yes_no(text: str) -> float | None:
    """1.0 for a last ``\\boxed{YES}``, 0.0 for ``\\boxed{NO}``, ``None`` when the reply has neither."""
    found = _VERDICT.findall(text) if isinstance(text, str) else []
    return None if not found else float(found[-1].lower() == "yes")


@dataclass(frozen=True)
class Criterion:
    """One item of a checklist."""

    text: str = config_field(help="what the response must do, as a yes/no question or a statement")
    weight: float = config_field(1.0, help="its weight in the score (> 0)")

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a criterion needs text")
        if not self.weight > 0:
            raise ValueError(f"criterion {self.text!r}: weight must be > 0, got {self.weight}")


def column_criteria(value: Any, where: str) -> tuple[Criterion, ...]:
    """The criteria a dataset cell holds (see the module docstring); ``()`` for an empty cell."""
    if value is None or value == "" or value == []:
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return (Criterion(value),)
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{where}: criteria must be a list of strings or {{criterion, weight}} mappings, "
                         f"got {type(value).__name__}: {value!r}")
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(Criterion(item))
        elif isinstance(item, dict) and isinstance(item.get("criterion", item.get("text")), str):
            out.append(Criterion(item.get("criterion", item.get("text")), float(item.get("weight", 1.0))))
        else:
            raise ValueError(f"{where}: a criterion is a string or a mapping with 'criterion' and 'weight', "
                             f"got {item!r}")
    return tuple(out)


@dataclass(frozen=True)
class RubricReward(Reward):
    """Rubric: r = Σ_j w_j c_j / Σ_j w_j, each criterion's c_j ∈ {0, 1} judged by a judge model (Rubrics as Rewards).

    See the module docstring for where the criteria come from, the prompt and the diagnostics. YAML::

        reward: {type: rubric, backend: {type: openai, model: m, base_url: "http://127.0.0.1:8000/v1"},
                 criteria: [{text: "States the final answer in \\\\boxed{}", weight: 1},
                            {text: "Checks the answer", weight: 0.5}]}
    """

    type_name: ClassVar[str] = "rubric"

    backend: BackendSpec = config_field(help="the judge model: {type: openai | transformers | echo, ...}")
    criteria: tuple[Criterion, ...] = config_field((), help="the checklist: [{text, weight}, ...] (used where "
                                                            "criteria_column is unset or empty)")
    criteria_column: str | None = config_field(None, help="dataset column holding each problem's own criteria")
    template: str | None = config_field(None, help="path to a prompt template (default: the shipped rubric.txt)")
    temperature: float = config_field(0.0, help="judge sampling temperature")
    max_tokens: int = config_field(512, help="most tokens the judge may write per criterion")
    seed: int = config_field(0, help="judge sampling seed")
    answer_column: str | None = config_field("answer", help="column with the reference shown to the judge "
                                                            "(null: show none)")
    cache_dir: str | None = config_field(None, help="folder caching judge replies on disk (null: no cache)")

    def __post_init__(self) -> None:
        object.__setattr__(self, "backend", field_backend(self.backend))
        object.__setattr__(self, "criteria", tuple(self.criteria))
        if not self.criteria and not self.criteria_column:
            raise ValueError("a rubric needs criteria: list them in `criteria` or name a `criteria_column`")
        if self.temperature < 0 or self.max_tokens < 1:
            raise ValueError(f"temperature must be >= 0 and max_tokens >= 1, got {self.temperature}, "
                             f"{self.max_tokens}")
        self.prompt_template  # noqa: B018  (a bad template file fails at config time)

    @property
    def prompt_template(self) -> JudgeTemplate:
        if "_template" not in self.__dict__:
            object.__setattr__(self, "_template", load_template(self.template, "rubric"))
        return self.__dict__["_template"]

    @property
    def judge(self) -> JudgeReward:
        """The judge whose cache, batching and client send this rubric's requests."""
        if "_judge" not in self.__dict__:
            object.__setattr__(self, "_judge", JudgeReward(backend=self.backend, cache_dir=self.cache_dir,
                                                           answer_column=self.answer_column))
        return self.__dict__["_judge"]

    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def close(self) -> None:
        judge = self.__dict__.pop("_judge", None)
        if judge is not None:
            judge.close()

    def _criteria(self, batch: RolloutBatch) -> list[tuple[Criterion, ...]]:
        if not self.criteria_column:
            return [self.criteria] * len(batch)
        cells = batch.column(self.criteria_column)
        return [column_criteria(cell, f"column {self.criteria_column!r}, sample {i}") or self.criteria
                for i, cell in enumerate(cells)]

    def score(self, batch: RolloutBatch) -> RewardResult:
        lists = self._criteria(batch)
        values = self.judge._values(batch)  # problem, reference, reference_block: the judge's own reading
        sampling = Sampling(temperature=self.temperature, top_p=1.0, max_tokens=self.max_tokens, seed=self.seed)
        requests = [ChatRequest(self.prompt_template.render({**values[i], "response": batch.completions[i],
                                                             "criterion": c.text}), sampling)
                    for i, criteria in enumerate(lists) for c in criteria]
        replies = iter(self.judge.ask(requests))
        scores, met, raws = [], [], []
        for criteria in lists:
            texts = [next(replies).text for _ in criteria]
            verdicts = tuple(parse_yes_no(t) for t in texts)
            weight = sum(c.weight for c, v in zip(criteria, verdicts, strict=True) if v is not None)
            scores.append(None if weight == 0 else
                          sum(c.weight * v for c, v in zip(criteria, verdicts, strict=True) if v is not None) / weight)
            met.append(verdicts)
            raws.append(tuple(texts))
        return RewardResult(tuple(scores), {"rubric_met": tuple(met), "rubric_raw": tuple(raws)})

