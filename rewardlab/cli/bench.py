"""``rewardlab bench``: run a grid of cells (the embedded default when no config is given) and report it."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rewardlab.cli.console import wide_console


def run_bench(config_path: str | None, *, out_dir: str | None = None, cache_dir: str | None = None,
              jobs: int | None = None) -> int:
    from rewardlab.bench.config import load_bench_config
    from rewardlab.bench.report import markdown_summary, plot_curves, summary_table, write_csv
    from rewardlab.bench.runner import quiet_libraries, run_grid

    config = load_bench_config(config_path)
    quiet_libraries()
    if out_dir is not None:
        from dataclasses import replace

        config = replace(config, out_dir=out_dir)
    console = wide_console()
    cells = config.cells()
    started = time.perf_counter()
    jobs = jobs or min(os.cpu_count() or 1, len(cells))
    console.print(f"rewardlab bench: {len(cells)} cells → {config.out_dir} ({jobs} job{'s' * (jobs > 1)})")

    def progress(message: str) -> None:
        console.print(f"{time.perf_counter() - started:6.0f} s  {message}", markup=False)

    rows = run_grid(config, Path(cache_dir) if cache_dir else None, progress=progress, jobs=jobs)
    out = Path(config.out_dir)
    write_csv(rows, out / "results.csv")
    (out / "summary.md").write_text(markdown_summary(rows))
    plots = plot_curves(rows, out)
    console.print(summary_table(rows, title=f"rewardlab bench ({len(rows)} cells, "
                                            f"{time.perf_counter() - started:.0f} s)"))
    console.print(f"results: {out / 'results.jsonl'}, {out / 'results.csv'}, {out / 'summary.md'}; plots: "
                  + ", ".join(str(p) for p in plots))
    return 0
