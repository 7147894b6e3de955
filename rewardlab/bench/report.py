"""The bench's files: the Markdown summary (mean ± std over seeds), ``results.csv`` and the curves.

The table a terminal shows is :mod:`rewardlab.bench.table`.
"""

from __future__ import annotations

import csv
import itertools
import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from rewardlab.types import PHASES

_GROUP_KEYS = ("organism", "reward", "advantage", "clipping")
_PASS_AT = 5  # position of the pass@k columns in _MARKDOWN (after "trace after")


def _mean_std(values: list[float]) -> str:
    values = [v for v in values if isinstance(v, (int, float)) and not math.isnan(v)]
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f}±{statistics.stdev(values):.3f}"


def _cell(values: list[float]) -> str:
    """A Markdown table cell: mean ± std over seeds."""
    return _mean_std(values).replace("±", " ± ")


def _pass_keys(rows: list[dict[str, Any]]) -> list[str]:
    """The grid's ``pass@k`` result keys, the "before" ones first."""
    return sorted({k for row in rows for k in row if k.startswith("pass@")}, key=lambda k: k.endswith("after"))


def _with_pass_at(columns: tuple[Any, ...], position: int, pass_columns: list[Any]) -> list[Any]:
    return [*columns[:position], *pass_columns, *columns[position:]]


def _groups(rows: list[dict[str, Any]]) -> dict[tuple, list[dict[str, Any]]]:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[k] for k in _GROUP_KEYS)].append(row)
    return groups


# Columns of the Markdown summary: (header, result key); pass@k is found per grid.
_MARKDOWN = (("accuracy before", "accuracy_before"), ("accuracy after", "accuracy_after"),
             ("Δ accuracy", "accuracy_delta"), ("trace before", "trace_before"), ("trace after", "trace_after"),
             ("greedy accuracy before", "greedy_accuracy_before"), ("greedy accuracy after", "greedy_accuracy_after"),
             ("greedy trace before", "greedy_trace_before"), ("greedy trace after", "greedy_trace_after"),
             ("projected from trace after", "projected_accuracy"), ("elicitation ceiling", "elicitation_ceiling"),
             ("ECE after", "ece_after"), ("hallucination after", "hallucination_after"),
             ("abstains on unanswerable after", "unanswerable_abstention_after"),
             ("agreement start", "agreement_start"), ("agreement end", "agreement_end"),
             ("entropy start", "entropy_start"), ("entropy end", "entropy_end"),
             ("generation share", "generation_share"), ("scoring share", "scoring_share"),
             ("update share", "update_share"), ("cell seconds", "seconds"))


def markdown_summary(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """The comparison as a Markdown table, each figure mean ± std over seeds (for ``summary.md`` and the docs).

    ``columns`` names the result keys to show after the group columns, in order (default: the bench's own set);
    each keeps its header, or is headed by its key with spaces.
    """
    shown = _with_pass_at(_MARKDOWN, _PASS_AT, [(k.replace("_", " "), k) for k in _pass_keys(rows)])
    if columns is not None:
        headers = {key: name for name, key in shown}
        shown = [(headers.get(key, key.replace("_", " ")), key) for key in columns]
    header = [*_GROUP_KEYS, "seeds", *(name for name, _ in shown)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, members in _groups(rows).items():
        cells = [str(k) if not isinstance(k, bool) else ("on" if k else "off") for k in key]
        figures = [_cell([m.get(c, math.nan) for m in members]) for _, c in shown]
        lines.append("| " + " | ".join([*cells, str(len(members)), *figures]) + " |")
    return "\n".join(lines) + "\n"


def events_table(rows: list[dict[str, Any]]) -> str:
    """When each run's monitor first raised each event (the rows' ``events``), seed by seed (Markdown).

    One line per (organism, reward, advantage, clipping); one column per event raised in any row, its cell the
    first step of each seed in seed order (``—``: not raised in that seed). Rows without ``events`` (kept before
    the bench recorded them) are refused, so a blank cell always means "not raised"."""
    missing = [row["id"] for row in rows if "events" not in row]
    if missing:
        raise ValueError(f"{len(missing)} row(s) record no events (e.g. {missing[0]}); rerun those cells")
    names = sorted({name for row in rows for name in row["events"]})
    header = [*_GROUP_KEYS, "seeds", *(names or ["events"])]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, members in _groups(rows).items():
        members = sorted(members, key=lambda row: row["seed"])
        cells = [str(k) if not isinstance(k, bool) else ("on" if k else "off") for k in key]
        steps = [", ".join(str(m["events"].get(name, "—")) for m in members) for name in names] or ["none raised"]
        lines.append("| " + " | ".join([*cells, ", ".join(str(m["seed"]) for m in members), *steps]) + " |")
    return "\n".join(lines) + "\n"


def shares_table(rows: list[dict[str, Any]]) -> str:
    """Where the training steps' time went (the rows' ``*_share``), over the cells (Markdown): each phase's mean
    share and range, largest first, then the scoring share by reward. Rows without the shares are refused."""
    missing = [row["id"] for row in rows if any(f"{phase}_share" not in row for phase in PHASES)]
    if missing:
        raise ValueError(f"{len(missing)} row(s) record no phase shares (e.g. {missing[0]}); rerun those cells")
    lines = [f"| phase | mean share over {len(rows)} cells | range over cells |", "|---|---|---|"]
    by_phase = {phase: [row[f"{phase}_share"] for row in rows] for phase in PHASES}
    for phase, values in sorted(by_phase.items(), key=lambda item: -statistics.mean(item[1])):
        lines.append(f"| {phase} | {statistics.mean(values):.1%} | {min(values):.1%}–{max(values):.1%} |")
    by_reward: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_reward[row["reward"]].append(row["scoring_share"])
    ranked = sorted(by_reward.items(), key=lambda item: statistics.mean(item[1]))
    lines += ["", "| reward | cells | scoring share, mean | range |", "|---|---|---|---|"]
    lines += [f"| {reward} | {len(values)} | {statistics.mean(values):.2%} | {min(values):.2%}–{max(values):.2%} |"
              for reward, values in ranked]
    return "\n".join(lines) + "\n"


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def plot_curves(rows: list[dict[str, Any]], out_dir: Path, problems: int | None = None,
                samples: int | None = None) -> list[Path]:
    """Held-out accuracy and trace-rate curves per reward, one PNG per organism.

    The lines are the measurements during training: one sample per problem. The table's "before" and
    "after" figures take ``samples`` per problem (``eval.k``), so they are drawn apart, as diamonds at
    the first and the last step; the two differ from the line's ends by sampling noise. ``problems``
    (``eval.n``) and ``samples`` are stated on the figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from rewardlab.training.tracking import read_metrics

    on = f" on {problems} held-out problems" if problems else ""
    k = f"k={samples}" if samples else "k"
    written = []
    for organism in sorted({row["organism"] for row in rows}):
        figure = Figure(figsize=(10, 4.6), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.subplots(1, 2)
        table_label = f"before / after: {k} samples per problem (the table's figures)"
        drawn = False
        for row in (r for r in rows if r["organism"] == organism):
            metrics = out_dir / "cells" / row["id"] / "metrics.jsonl"
            if not metrics.is_file():
                continue
            records = read_metrics(metrics)
            points = [(r["step"], r) for r in records if "heldout/accuracy" in r]
            for _, r in points:  # a run measured before the measurement's names were unified logged heldout/trace_rate
                r.setdefault("heldout/code_reasoning_rate", r.get("heldout/trace_rate", math.nan))
            label = f"{row['reward']}, {row['advantage']} ({'clip' if row['clipping'] else 'no clip'}, s{row['seed']})"
            last = max((r["step"] for r in records), default=1)  # the after diamond at the last step, curve or none
            drawn = drawn or bool(points)
            for ax, curve, key in ((axes[0], "heldout/accuracy", "accuracy"), (axes[1], "heldout/code_reasoning_rate",
                                                                                 "trace")):
                color = ax.plot([s for s, _ in points], [r[curve] for _, r in points], label=label)[0].get_color() \
                    if points else None  # a cell measured only at the ends has its diamonds alone, named
                ax.plot([0, last], [row[f"{key}_before"], row[f"{key}_after"]], linestyle="none", marker="D",
                        markersize=5, color=color, markeredgecolor="black", label=table_label if points else label)
            table_label = table_label if not points else "_nolegend_"  # one legend entry for the lines' diamonds
        titles = ("held-out accuracy", "trace rate ('python' in answer)")
        for ax, name in zip(axes, titles, strict=True):
            ax.set_xlabel("GRPO step")
            ax.set_title(name)
            ax.set_ylim(0, 1)
        axes[0].legend(fontsize=7)
        lines = f"lines: 1 sample per problem{on}, during training" if drawn else "no measurement during training"
        figure.suptitle(f"organism: {organism}\n{lines}; diamonds: {k} samples per problem, before and after "
                        "(the table)", fontsize=9)
        path = out_dir / f"curves-{organism}.png"
        figure.savefig(path, dpi=110, bbox_inches="tight")
        written.append(path)
    return written


def _pass_ks(rows: list[dict[str, Any]]) -> list[int]:
    return sorted({int(k.removeprefix("pass@").removesuffix("_after")) for row in rows for k in row
                   if k.startswith("pass@") and k.endswith("_after")})


def _standing(differences: list[float]) -> str:
    """Where one transform stands against another when their mean difference never changes sign."""
    if all(d > 0 for d in differences):
        return "ahead of"
    return "behind" if all(d < 0 for d in differences) else "level with or behind"


def passk_comparison(rows: list[dict[str, Any]], first: str, second: str) -> str:
    """Two advantage transforms' pass@k after training, k by k, and where their order flips (Markdown).

    ``first`` and ``second`` name the rows' ``advantage`` (e.g. ``nsr`` and ``psr``). Each figure is the
    mean ± std over seeds; the difference is taken seed by seed (the seeds both ran) before averaging.
    The closing sentences name each k between which the mean difference changes sign (or say that one
    leads at every k), and, over two or more seeds, the k where the mean difference exceeds its standard
    deviation over seeds (the rest is within seed noise).
    """
    runs = {name: {row["seed"]: row for row in rows if row.get("advantage") == name} for name in (first, second)}
    seeds = sorted(set(runs[first]) & set(runs[second]))
    if not seeds:
        raise ValueError(f"no seed has rows for both {first!r} and {second!r}")
    lines = [f"| k | {first} | {second} | {first} − {second} | seeds |", "|---|---|---|---|---|"]
    signs: list[tuple[int, float]] = []
    beyond_noise: list[int] = []
    for k in _pass_ks(rows):
        key = f"pass@{k}_after"
        differences = [runs[first][s][key] - runs[second][s][key] for s in seeds]
        mean = statistics.mean(differences)
        signs.append((k, mean))
        if len(seeds) > 1 and abs(mean) > statistics.stdev(differences):
            beyond_noise.append(k)
        figures = [_cell([runs[name][s][key] for s in seeds]) for name in (first, second)]
        lines.append(f"| {k} | {' | '.join(figures)} | {_cell(differences)} | {len(seeds)} |")
    flips = [(a, b, y) for (a, x), (b, y) in itertools.pairwise(signs) if (x > 0) != (y > 0)]
    if flips:
        said = "; ".join(f"between k = {a} and k = {b} ({first} {'ahead' if y > 0 else 'not ahead'} from k = {b})"
                         for a, b, y in flips)
        closing = f"The mean difference changes sign {said}."
    else:
        closing = f"No crossing: {first} is {_standing([mean for _, mean in signs])} {second} at every k."
    if len(seeds) > 1:
        where = f"at k = {', '.join(map(str, beyond_noise))}" if beyond_noise else "at no k"
        closing += f" The mean difference exceeds its standard deviation over seeds {where}."
    return "\n".join(lines) + "\n\n" + closing + "\n"
