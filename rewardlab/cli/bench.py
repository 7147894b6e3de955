"""``rewardlab bench``: run a grid of cells (the embedded default when no config is given) and report it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rewardlab.cli.console import wide_console


def run_bench(config_path: str | None, *, out_dir: str | None = None, cache_dir: str | None = None) -> int:
    from rewardlab.bench.config import load_bench_config
    from rewardlab.bench.report import plot_curves, summary_table, write_csv
    from rewardlab.bench.runner import run_grid

    config = load_bench_config(config_path)
    if out_dir is not None:
        from dataclasses import replace

        config = replace(config, out_dir=out_dir)
    console = wide_console()
    cells = config.cells()
    started = time.perf_counter()
    console.print(f"rewardlab bench: {len(cells)} cells → {config.out_dir}")

    def progress(cell: dict[str, Any], index: int) -> None:
        console.print(f"[{index + 1}/{len(cells)}] {cell['id']}  ({time.perf_counter() - started:.0f} s elapsed)")

    rows = run_grid(config, Path(cache_dir) if cache_dir else None, progress=progress)
    out = Path(config.out_dir)
    write_csv(rows, out / "results.csv")
    plots = plot_curves(rows, out)
    console.print(summary_table(rows, title=f"rewardlab bench ({len(rows)} cells, "
                                            f"{time.perf_counter() - started:.0f} s)"))
    console.print(f"results: {out / 'results.jsonl'}, {out / 'results.csv'}; plots: "
                  + ", ".join(str(p) for p in plots))
    return 0
