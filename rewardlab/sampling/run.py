"""``sample_to_file``: every missing sample of a settings' problems, appended to one rollouts file."""

from __future__ import annotations

import os
from pathlib import Path

from rewardlab.sampling.problems import load_problems, render
from rewardlab.sampling.progress import SampleProgress
from rewardlab.sampling.requests import build_requests, output_record
from rewardlab.sampling.settings import SampleSettings
from rewardlab.sampling.writer import SampleWriter, samples_present


def beyond_request(present: set[tuple[int, int]], n_problems: int, n: int) -> list[tuple[int, int]]:
    """The ``(group_id, sample)`` pairs of a file outside what is asked: a sample index ``>= n`` or a problem
    past the first ``n_problems``."""
    return sorted(key for key in present if key[0] >= n_problems or key[1] >= n)


def more_than_asked(path: Path, held: int, extra: list[tuple[int, int]], n_problems: int, n: int) -> str:
    """The note that a file holds more samples than asked, saying which ones a rerun uses and which it leaves."""
    most = max(s for _, s in extra) + 1
    past = max(g for g, _ in extra) + 1
    scope = f"samples 0-{n - 1} of problems 0-{n_problems - 1}"
    held_scope = f"up to {max(most, n)} per problem" + (f", for {past} problems" if past > n_problems else "")
    return (f"{path}: holds {held} samples ({held_scope}), more than the {n_problems * n} asked (-n {n}"
            f"{f' --limit {n_problems}' if past > n_problems else ''}): these settings use {scope} and draw "
            f"only those missing; the other {len(extra)} stay in the file, and rewardlab eval and score read "
            f"every line, so to evaluate only these write to another file (-o)")


def sample_to_file(settings: SampleSettings, out_path: str | os.PathLike[str], progress: bool = True) -> Path:
    """Sample ``settings.n`` completions of each problem into ``out_path`` (JSON lines); returns the path.

    Only the samples the file lacks are drawn, so rerunning the same settings after a kill finishes the
    file, and a larger ``limit`` or ``n`` adds to it. Each line holds ``prompt`` (the template applied),
    ``completion``, ``answer``, ``group_id`` (the problem's position), ``sample`` (its index in the group),
    ``id`` (the problem's id), ``completion_tokens`` when known, and the model and sampling settings.

    Raises:
        ValueError: unknown data, bad rows, or a file drawn with other settings (the message says what to do).
        rewardlab.sampling.backends.SamplingError: the model does not load, the endpoint cannot be reached
            or fails for good.
    """
    path = Path(out_path)
    problems = load_problems(settings.data, settings.split, settings.limit)
    fields = settings.record_fields()
    present = samples_present(path, fields, [render(settings.template, p.prompt) for p in problems])
    requests = build_requests(problems, n=settings.n, template=settings.template, seed=settings.seed, done=present)
    total = len(problems) * settings.n
    with SampleProgress(total, total - len(requests), enabled=progress) as report:
        extra = beyond_request(present, len(problems), settings.n)
        if extra:
            report.note(more_than_asked(path, len(present), extra, len(problems), settings.n))
        if not requests:
            report.note(f"{path}: all {total} samples asked for are there already")
            return path
        if len(requests) < total:
            report.note(f"{path}: resuming, {total - len(requests)} of {total} samples there already")
        from rewardlab.sampling.backends import open_sampler

        report.note(f"starting the {settings.resolved_backend} backend for {settings.model}")
        sampler = open_sampler(settings)
        report.restart_clock()
        try:
            with SampleWriter(path) as writer:
                for request, output in sampler.complete(requests):
                    writer.append(output_record(request, output, fields))
                    report.advance()
        finally:
            sampler.close()
        report.note(f"{path}: {writer.written} samples written ({report.rate():.2f}/s), {total} in all")
    return path
