"""What ``rewardlab sample`` is asked to do: one frozen dataclass, checked when it is made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rewardlab.configurable import config_field
from rewardlab.openai_client import check_base_url

BACKENDS = ("auto", "transformers", "openai", "vllm")
"""``auto``: ``openai`` when an endpoint is given, else ``transformers``."""
RECORDED = ("temperature", "top_p", "max_new_tokens", "template", "chat", "seed")
"""The sampling settings written on every output line (beside the model and the backend)."""


@dataclass(frozen=True)
class SampleSettings:
    """A model, the problems to sample it on, and how to sample."""

    model: str = config_field(help="model folder, hub id, 'smollm2', a run's final/ folder, or (with --endpoint) "
                                   "the model name the server knows")
    data: str = config_field(help="math500, aime24, amc23, gsm8k, a hub id, or a .json/.jsonl file of records "
                                  "with prompt and answer (and optionally id)")
    split: str = config_field("test", help="split of a named set or hub id")
    limit: int | None = config_field(None, help="sample only the first N problems")
    n: int = config_field(1, help="samples per problem (one group)")
    temperature: float = config_field(1.0, help="sampling temperature; 0 is greedy")
    top_p: float = config_field(1.0, help="nucleus sampling mass")
    max_new_tokens: int = config_field(1024, help="most tokens generated per sample")
    template: str = config_field("{prompt}", help="prompt template; {prompt} is replaced literally by the problem")
    chat: bool = config_field(True, help="send the prompt as a user message through the chat template")
    seed: int = config_field(0, help="seed of sampling; a sample's own seed is derived from it and its position")
    endpoint: str | None = config_field(None, help="OpenAI-compatible API root, e.g. http://127.0.0.1:8000/v1")
    concurrency: int = config_field(16, help="requests in flight (endpoint) or prompts per batch (local model)")
    backend: str = config_field("auto", help="auto, transformers, openai or vllm")

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("model must name a model folder, a hub id or 'smollm2'")
        if not self.data.strip():
            raise ValueError("data must name a set (math500, aime24, amc23, gsm8k), a hub id or a .json/.jsonl file")
        for name in ("n", "max_new_tokens", "concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 (or left out for every problem), got {self.limit}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 is greedy), got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if "{prompt}" not in self.template:
            raise ValueError(f"the template must contain '{{prompt}}', got {self.template!r}; "
                             "write e.g. --template '{prompt} Put the final answer in \\boxed{}.'")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.endpoint is not None:
            check_base_url(self.endpoint, "endpoint")
        if self.resolved_backend == "openai" and self.endpoint is None:
            raise ValueError("the openai backend needs --endpoint http://HOST:PORT/v1")
        if self.endpoint is not None and self.resolved_backend != "openai":
            raise ValueError(f"--endpoint is for the openai backend, not {self.backend!r}; drop one of them")

    @property
    def resolved_backend(self) -> str:
        """The backend that runs: ``auto`` made concrete."""
        if self.backend != "auto":
            return self.backend
        return "openai" if self.endpoint is not None else "transformers"

    def record_fields(self) -> dict[str, Any]:
        """What each output line records of these settings: the model, the backend that ran and how it sampled
        (the data, split and limit say which lines there are, not how one was drawn)."""
        return {"model": self.model, "backend": self.resolved_backend,
                **{name: getattr(self, name) for name in RECORDED}}
