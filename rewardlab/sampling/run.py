"""``sample_to_file``: every missing sample of a settings' problems, appended to one rollouts file."""

from __future__ import annotations

import os
from pathlib import Path

from rewardlab.sampling.problems import load_problems, render
from rewardlab.sampling.progress import SampleProgress
from rewardlab.sampling.requests import build_requests, output_record
from rewardlab.sampling.settings import SampleSettings
from rewardlab.sampling.writer import SampleWriter, samples_present


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
        if not requests:
            report.note(f"{path}: all {total} samples are there already")
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
