"""Generative judges as rewards: a model reasons about a response, then scores it (pointwise) or
compares two (pairwise), through a local transformers model or any OpenAI-compatible server.

* :class:`JudgeReward` (``{type: judge, ...}``): the reward; see :mod:`rewardlab.judge.reward`.
* :mod:`rewardlab.judge.backends`: ``openai`` (HTTP, standard library only), ``transformers``, ``echo``.
* :mod:`rewardlab.judge.templates`: the editable prompt files and their ``$placeholders``.
* :mod:`rewardlab.judge.parsing`, :mod:`rewardlab.judge.tournament`: verdict reading and group tournaments.
* :mod:`rewardlab.judge.cache`: the on-disk reply cache; :mod:`rewardlab.judge.evaluation`: agreement
  with verified correctness (``rewardlab judge-eval``).
"""

from rewardlab.judge.backends import (
    ChatRequest,
    Completion,
    EchoBackend,
    JudgeBackend,
    JudgeClient,
    JudgeError,
    OpenAIBackend,
    Sampling,
    TransformersBackend,
    build_backend,
)
from rewardlab.judge.parsing import normalise_score, parse_score, parse_verdict
from rewardlab.judge.reward import JudgeReward
from rewardlab.judge.templates import JudgeTemplate, load_template
from rewardlab.judge.tournament import Standing, knockout, round_robin

__all__ = [
    "ChatRequest", "Completion", "EchoBackend", "JudgeBackend", "JudgeClient", "JudgeError", "JudgeReward",
    "JudgeTemplate", "OpenAIBackend", "Sampling", "Standing", "TransformersBackend", "build_backend", "knockout",
    "load_template", "normalise_score", "parse_score", "parse_verdict", "round_robin",
]
