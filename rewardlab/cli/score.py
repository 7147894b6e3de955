"""``rewardlab score``: one comparison row per reward over a file of rollouts."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from rewardlab.answers.grader import describe, explain, grader_record
from rewardlab.catalogue import RewardSpec, build_reward
from rewardlab.cli.console import fitted, output_width
from rewardlab.data.rollouts import load_rollouts, rollouts_to_batch
from rewardlab.evaluation.compare import compare_rewards
from rewardlab.registry import ConfigError
from rewardlab.rewards.verified import with_extraction

_COLUMNS = ("reward", "n_signal", "mean", "agreement", "correlation", "precision", "recall",
            "pseudo_label_accuracy", "ece", "brier", "auroc")


def parse_spec(text: str, kind: str = "reward", example: str = "binary or '{type: random, p: 0.5}'") -> RewardSpec:
    """A reward spec (or another ``kind``'s) from the command line: a name, an inline YAML/JSON mapping, or a
    YAML file; ``example`` ends the error message."""
    path = Path(text)
    if text.endswith((".yaml", ".yml", ".json")) and path.is_file():
        return yaml.safe_load(path.read_text())
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"cannot read {kind} spec {text!r}: {exc}") from exc
    if not isinstance(spec, (str, dict)):
        raise ConfigError(f"{kind} spec {text!r} is neither a name nor a mapping; write e.g. {example}")
    return spec


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def build_graded(spec: str, extraction: str | None) -> Any:
    """A reward from its command-line spec, reading answers by the run's ``--extraction`` where it checks them."""
    try:
        return with_extraction(build_reward(parse_spec(spec)), extraction)
    except ValueError as exc:
        raise ConfigError(f"{spec}: {exc}") from exc


def run_score(rollouts: str, specs: Sequence[str], *, gold: str = "binary", as_json: bool = False,
              dedupe: bool = False, extraction: str | None = None, explain_samples: bool = False,
              policy: str | None = None) -> int:
    """Score the rollouts file (read as ``rewardlab eval`` reads it, :func:`load_rollouts`) under each reward; a
    reward that reads the policy reads ``policy``'s view of the rollouts (:mod:`rewardlab.policy.load`)."""
    from rewardlab.policy.load import check_policy_given

    rewards = [(text, build_graded(text, extraction)) for text in specs]
    gold_reward = build_graded(gold, extraction)
    check_policy_given([gold_reward, *(r for _, r in rewards)], policy)
    read = load_rollouts(rollouts, dedupe=dedupe)
    batch = rollouts_to_batch(read.rows)
    if policy:
        from rewardlab.policy.load import LoadedPolicy

        batch = LoadedPolicy(policy).with_view(batch)
    grader = grader_record(gold_reward)
    try:
        rows = compare_rewards(batch, rewards, gold_reward)
        explained = _explained(batch, rewards) if explain_samples else {}
    finally:
        for _, reward in rewards:
            reward.close()
        gold_reward.close()
    if as_json:
        clean = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                 for row in rows]
        out = {"rollouts": str(rollouts), "n": len(batch), "duplicates_dropped": read.duplicates_dropped,
               "gold": gold, "grader": grader, "rows": clean}
        if explained:
            out["explain"] = {name: [vars(row) for row in samples] for name, samples in explained.items()}
        print(json.dumps(out, indent=2))
        return 0
    # The bench's plain layout, so the table fits COLUMNS (else 100) when piped as bench's and eval's do: headers
    # wrap at words, figures never, and columns that do not fit continue in a second block.
    from rewardlab.bench.table import text_table

    columns = [c for c in _COLUMNS[1:] if any(c in row for row in rows)]
    width = output_width()
    dropped = read.duplicates_dropped and f"; --dedupe left out {read.duplicates_dropped} repeated sample line(s)"
    print(fitted(f"{rollouts}: {len(batch)} rollouts, gold = {gold}{dropped or ''}", width))
    print(fitted(describe(grader), width))
    print("\n".join(text_table(("reward", [str(row["reward"]) for row in rows]),
                                [(c.replace("_", " "), [_cell(row.get(c, math.nan)) for row in rows]) for c in columns],
                                width)))
    for name, samples in explained.items():
        _print_explained(name, samples, width)
    return 0


def _explained(batch: Any, rewards: Sequence[tuple[str, Any]]) -> dict[str, list[Any]]:
    """Per answer-checking reward, each sample's extracted answer, its parse and the verdict (``--explain``)."""
    out = {}
    for name, reward in rewards:
        if grader_record(reward) is None:
            continue
        diagnostics = reward.score(batch).diagnostics
        if "parsed_answer" in diagnostics and "correct" in diagnostics:
            out[name] = explain(reward, batch.completions, batch.column(reward.answer_column), diagnostics)
    return out


def _print_explained(name: str, samples: Sequence[Any], width: int) -> None:
    """The ``--explain`` table of one reward, in the same plain layout as the comparison."""
    from rewardlab.bench.table import text_table

    print(fitted(f"\n{name}: what the grader read, sample by sample", width))
    verdicts = ["no signal" if r.verdict is None else ("right" if r.verdict else "wrong") for r in samples]
    print("\n".join(text_table(("#", [str(i) for i in range(len(samples))]), [
        ("completion (end)", [" ".join(r.completion[-40:].split()) for r in samples]),
        ("label", [str(r.label) for r in samples]), ("extracted", [str(r.answer) for r in samples]),
        ("parsed", [str(r.parsed) for r in samples]), ("verdict", verdicts)], width)))
