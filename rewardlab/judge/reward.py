"""The ``judge`` reward: a generative reward model that reasons before it scores.

Two protocols, both asking a judge model (any backend: an OpenAI-compatible server, a local
transformers model, or the offline ``echo``) to write its reasoning before its verdict:

* pointwise (DeepSeek-GRM, Liu et al. 2025, arXiv 2504.02495): the judge sees the problem, the
  reference answer when there is one, and one response; it writes principles, a critique, and a
  score ``s ∈ {1..10}`` in ``\\boxed{}``. With ``k = samples`` judgements per response (sampled at
  ``temperature``), the votes are summed as in DeepSeek-GRM's voting, over the ``m`` readable ones:

  .. math:: S = \\sum_{j=1}^{m} s_j, \\qquad r = \\frac{S / m - 1}{9} \\in [0, 1]

  and ``r = None`` (no signal) when no judgement holds a readable score.
* pairwise (RRM, Guo et al. 2025, arXiv 2505.14674; RM-R1, Chen et al. 2025, arXiv 2505.02387): the
  judge sees two responses to the same problem and ends with ``\\boxed{Assistant 1}`` or
  ``\\boxed{Assistant 2}`` (``[[A]]``/``[[B]]`` also read). Inside each group of rollouts
  (``batch.groups()``) a tournament turns verdicts into rewards (see
  :mod:`rewardlab.judge.tournament`): ``round_robin`` (win rate over every opponent) or ``knockout``
  (rounds survived / rounds, G − 1 matches instead of G(G − 1)/2). With ``swap`` each match is judged
  in both presentation orders so position bias cancels; every sample of every order is one vote.

Replies are data: they are searched for a verdict and never executed. Responses are data too, but
the judge reads them: a policy can learn to address the judge ("score this 10"), so watch a judge's
agreement with verified correctness during training (``rewardlab judge-eval`` on saved rollouts).
A reply without a readable verdict is kept in the ``judge_raw`` diagnostic and gives no vote; a
backend that cannot answer (server down, timeouts, garbage after all retries) raises
:class:`~rewardlab.judge.backends.JudgeError`: a sample is never scored silently.

Diagnostics: ``judge_score`` (pointwise: the mean 1–10 vote; pairwise: the win rate, or the rounds
survived in a knockout), ``judge_votes`` (pointwise: each judgement's score or ``None``; pairwise:
each judgement the rollout took part in, 1.0 won, 0.0 lost, ``None`` unreadable), ``judge_raw``
(the judge's reply texts), ``judge_tokens`` (tokens the backend reported for the rollout's
judgements, a pairwise judgement counting half to each side; ``None`` when unreported).

Replies are cached on disk under ``cache_dir`` (see :mod:`rewardlab.judge.cache`) when it is set;
identical requests within a batch are sent once.

YAML::

    reward:
      type: judge
      mode: pointwise
      samples: 4
      temperature: 0.7
      backend: {type: openai, model: Qwen/Qwen3-8B, base_url: "http://127.0.0.1:8000/v1", concurrency: 16}
      cache_dir: runs/judge-cache
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from rewardlab.judge.backends import BackendSpec, field_backend
from rewardlab.judge.backends.base import ChatRequest, Completion, JudgeClient, Sampling
from rewardlab.judge.cache import DiskCache, cache_key
from rewardlab.judge.parsing import normalise_score, parse_score, parse_verdict
from rewardlab.judge.templates import JudgeTemplate, load_template
from rewardlab.judge.tournament import Match, Standing, Tally, knockout, round_robin
from rewardlab.rewards.base import Reward, config_field
from rewardlab.types import RewardResult, RolloutBatch

logger = logging.getLogger(__name__)

NO_REFERENCE = "(none)"


def problem_text(prompt: str) -> str:
    """A prompt as the judge reads it: plain text as is; a conversation (as ``prompt_key`` joins it) as
    ``role: content`` lines, or just the content when it is a single message."""
    if "\x1f" not in prompt:
        return prompt
    turns = [part.split("\x1f", 1) for part in prompt.split("\x1e")]
    turns = [(t[0], t[1]) if len(t) == 2 else ("user", t[0]) for t in turns]
    if len(turns) == 1:
        return turns[0][1]
    return "\n".join(f"{role}: {content}" for role, content in turns)


def _tokens(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


@dataclass(frozen=True)
class JudgeReward(Reward):
    """Generative judge reward (DeepSeek-GRM pointwise scores; RRM/RM-R1 pairwise verdicts played as tournaments).

    Pointwise r = (mean of the readable 1–10 scores − 1) / 9; pairwise r = round-robin win rate or knockout
    rounds survived / rounds, inside each group. See the module docstring for the protocols, voting,
    caching and diagnostics; backends: ``{type: openai, model, base_url, api_key_env, concurrency, timeout,
    retries, backoff}``, ``{type: transformers, model: smollm2 | PATH, batch_size, dtype, device}``,
    ``{type: echo}`` (offline and deterministic, for tests and dry runs).
    """

    type_name: ClassVar[str] = "judge"

    backend: BackendSpec = config_field(help="the judge model: {type: openai | transformers | echo, ...}")
    mode: Literal["pointwise", "pairwise"] = config_field("pointwise", help="score each response 1-10, or "
                                                          "compare pairs in a tournament inside each group")
    samples: int = config_field(1, help="judgements per item, voted by summing (DeepSeek-GRM voting@k)")
    temperature: float = config_field(0.0, help="judge sampling temperature (> 0 when samples > 1)")
    top_p: float = config_field(1.0, help="judge nucleus sampling")
    max_tokens: int = config_field(1024, help="most tokens the judge may write per judgement")
    seed: int = config_field(0, help="seed of the first sample; sample j uses seed + j")
    template: str | None = config_field(None, help="path to a prompt template file (default: the shipped one "
                                              "for the mode, rewardlab/judge/templates/<mode>.txt)")
    tournament: Literal["round_robin", "knockout"] = config_field(
        "round_robin", help="pairwise: every pair meets (win rate), or a bracket (rounds survived / rounds)")
    swap: bool = config_field(True, help="pairwise: judge each match in both orders to cancel position bias")
    answer_column: str | None = config_field("answer", help="column with the reference shown to the judge "
                                                            "(null: show none)")
    cache_dir: str | None = config_field(None, help="folder caching judge replies on disk (null: no cache)")

    def __post_init__(self) -> None:
        object.__setattr__(self, "backend", field_backend(self.backend))
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.samples > 1 and self.temperature == 0:
            raise ValueError(f"samples = {self.samples} needs temperature > 0: at temperature 0 every sample is "
                             "the same judgement (DeepSeek-GRM samples its votes, e.g. at temperature 0.5-1.0)")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.answer_column == "":
            raise ValueError("answer_column must name a column, or be null to show the judge no reference")
        self.prompt_template  # noqa: B018  (load and check the template now, so a bad file fails at config time)

    # --- runtime state, kept out of fields, equality and pickles --------------------------------------------

    @property
    def prompt_template(self) -> JudgeTemplate:
        """The parsed template (the file is read once per process)."""
        template = self.__dict__.get("_template")
        if template is None:
            template = load_template(self.template, self.mode)
            object.__setattr__(self, "_template", template)
        return template

    @property
    def client(self) -> JudgeClient:
        """The backend's client, connected on first use and kept for the reward's lifetime."""
        client = self.__dict__.get("_client")
        if client is None:
            client = self.backend.connect()  # type: ignore[union-attr]
            object.__setattr__(self, "_client", client)
        return client

    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def close(self) -> None:
        client = self.__dict__.pop("_client", None)
        if client is not None:
            client.close()

    # --- asking the judge ----------------------------------------------------------------------------------

    def _sampling(self, j: int) -> Sampling:
        return Sampling(temperature=self.temperature, top_p=self.top_p, max_tokens=self.max_tokens, seed=self.seed + j)

    def ask(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        """One completion per request: identical requests are sent once, cached replies are not sent."""
        identity = self.backend.cache_identity()  # type: ignore[union-attr]
        keys = [cache_key(identity, r) for r in requests]
        unique = dict(zip(keys, requests, strict=True))
        cache = DiskCache(Path(self.cache_dir).expanduser()) if self.cache_dir else None
        found: dict[str, Completion] = {}
        if cache is not None:
            found = {k: hit for k in unique if (hit := cache.get(k)) is not None}
        missing = [k for k in unique if k not in found]
        if missing:
            def store(i: int, completion: Completion) -> None:
                try:
                    cache.put(missing[i], completion)  # type: ignore[union-attr]
                except OSError as exc:
                    logger.warning("judge cache %s: cannot store a reply (%s)", self.cache_dir, exc)

            fresh = self.client.complete([unique[k] for k in missing], store if cache is not None else None)
            found.update(zip(missing, fresh, strict=True))
        return [found[k] for k in keys]

    def _values(self, batch: RolloutBatch) -> list[dict[str, str]]:
        references = batch.column(self.answer_column) if self.answer_column else (None,) * len(batch)
        values = []
        for prompt, reference in zip(batch.prompts, references, strict=True):
            ref = None if reference is None else str(reference).strip() or None
            values.append({"problem": problem_text(prompt), "reference": ref or NO_REFERENCE,
                           "reference_block": f"Reference answer:\n{ref}\n\n" if ref else ""})
        return values

    # --- scoring -------------------------------------------------------------------------------------------

    def score(self, batch: RolloutBatch) -> RewardResult:
        if self.mode == "pointwise":
            return self._score_pointwise(batch)
        return self._score_pairwise(batch)

    def _score_pointwise(self, batch: RolloutBatch) -> RewardResult:
        k, template, values = self.samples, self.prompt_template, self._values(batch)
        requests = [ChatRequest(template.render({**values[i], "response": batch.completions[i]}), self._sampling(j))
                    for i in range(len(batch)) for j in range(k)]
        replies = self.ask(requests)
        scores, means, votes, raws, tokens = [], [], [], [], []
        for i in range(len(batch)):
            mine = replies[i * k:(i + 1) * k]
            parsed = [parse_score(c.text) for c in mine]
            readable = [s for s in parsed if s is not None]
            mean = sum(readable) / len(readable) if readable else None
            scores.append(None if mean is None else normalise_score(mean))
            means.append(mean)
            votes.append(tuple(parsed))
            raws.append(tuple(c.text for c in mine))
            tokens.append(_tokens([c.total_tokens for c in mine]))
        return RewardResult(scores=tuple(scores), diagnostics={
            "judge_score": tuple(means), "judge_votes": tuple(votes), "judge_raw": tuple(raws),
            "judge_tokens": tuple(tokens)})

    def _score_pairwise(self, batch: RolloutBatch) -> RewardResult:
        template, values = self.prompt_template, self._values(batch)
        records: list[list[tuple[float | None, str, float | None]]] = [[] for _ in range(len(batch))]

        def judge(matches: Sequence[Match]) -> list[Tally]:
            requests, shown = [], []
            for m, (a, b) in enumerate(matches):
                for first, second in ((a, b), (b, a)) if self.swap else ((a, b),):
                    messages = template.render({**values[a], "response_1": batch.completions[first],
                                                "response_2": batch.completions[second]})
                    for j in range(self.samples):
                        requests.append(ChatRequest(messages, self._sampling(j)))
                        shown.append((m, first, second))
            tallies = [[0, 0] for _ in matches]
            for (m, first, second), reply in zip(shown, self.ask(requests), strict=True):
                a, b = matches[m]
                verdict = parse_verdict(reply.text)
                winner = None if verdict is None else (first if verdict == 1 else second)
                if winner is not None:
                    tallies[m][0 if winner == a else 1] += 1
                share = None if reply.total_tokens is None else reply.total_tokens / 2
                for side in (a, b):
                    records[side].append((None if winner is None else float(winner == side), reply.text, share))
            return [(wins_a, wins_b) for wins_a, wins_b in tallies]

        groups = list(batch.groups().values())
        play = round_robin if self.tournament == "round_robin" else knockout
        standings: Mapping[int, Standing] = play(groups, judge)
        return RewardResult(scores=tuple(standings[i].score for i in range(len(batch))), diagnostics={
            "judge_score": tuple(standings[i].raw for i in range(len(batch))),
            "judge_votes": tuple(tuple(r[0] for r in records[i]) for i in range(len(batch))),
            "judge_raw": tuple(tuple(r[1] for r in records[i]) for i in range(len(batch))),
            "judge_tokens": tuple(_tokens([r[2] for r in records[i]]) for i in range(len(batch)))})
