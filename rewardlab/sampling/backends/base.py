"""What every sampling backend speaks: requests in, ``(request, output)`` pairs out as they finish."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from rewardlab.sampling.errors import SamplingError
from rewardlab.sampling.requests import SampleOutput, SampleRequest

__all__ = ["Sampler", "SamplingError"]


class Sampler(Protocol):
    """A live backend (a loaded model, or a connection to an endpoint)."""

    def complete(self, requests: Sequence[SampleRequest]) -> Iterator[tuple[SampleRequest, SampleOutput]]:
        """Each request with its output, as each finishes (in any order; each exactly once).

        Raises:
            SamplingError: the backend failed for good (after its own retries).
        """
        ...

    def close(self) -> None:
        """Release the model, threads or connections."""
        ...
