"""One :class:`SampleRequest` per sample still to draw, and the output line each one becomes."""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewardlab.sampling.problems import Problem, render
from rewardlab.types import COMPLETION_TOKENS, TRUNCATED


def sample_seed(seed: int, group_id: int, sample: int) -> int:
    """A sample's own seed: fixed by the run's seed and the sample's place, not by how many are drawn."""
    return zlib.crc32(f"{seed}/{group_id}/{sample}".encode()) & 0x7FFFFFFF


@dataclass(frozen=True)
class SampleRequest:
    """Sample ``sample`` of problem ``group_id``: the prompt sent (template applied) and the answer kept."""

    group_id: int
    sample: int
    prompt: str
    answer: str
    problem_id: str
    seed: int

    @property
    def key(self) -> tuple[int, int]:
        return self.group_id, self.sample


@dataclass(frozen=True)
class SampleOutput:
    """A backend's completion of one request, with its generated-token count and whether it ran out of tokens
    (an OpenAI-compatible server's ``finish_reason: length``) when known."""

    text: str
    completion_tokens: int | None = None
    truncated: bool | None = None


def ran_out(finish_reason: str | None) -> bool | None:
    """Whether a completion with this OpenAI-style ``finish_reason`` ran out of tokens (``length``); ``None``
    when the backend gave no reason."""
    return None if finish_reason is None else finish_reason == "length"


def build_requests(problems: Sequence[Problem], *, n: int, template: str, seed: int,
                   done: Collection[tuple[int, int]] = ()) -> list[SampleRequest]:
    """Every ``(problem, sample)`` pair for ``sample < n`` whose key is not in ``done``, problem by problem."""
    return [SampleRequest(group_id=g, sample=s, prompt=render(template, problem.prompt), answer=problem.answer,
                          problem_id=problem.id, seed=sample_seed(seed, g, s))
            for g, problem in enumerate(problems) for s in range(n) if (g, s) not in done]


def output_record(request: SampleRequest, output: SampleOutput, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON line of one sample: what ``rewardlab score`` reads, then the model and sampling settings."""
    record = {"prompt": request.prompt, "completion": output.text, "answer": request.answer,
              "group_id": request.group_id, "sample": request.sample, "id": request.problem_id, **settings}
    if output.completion_tokens is not None:
        record[COMPLETION_TOKENS] = output.completion_tokens
    if output.truncated is not None:
        record[TRUNCATED] = output.truncated
    return record
