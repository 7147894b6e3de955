"""``rewardlab eval --json`` against ``rewardlab score -r binary`` on one large rollouts file, side by side.

Builds a rollouts file of ``--lines`` samples, 8 per problem, in which about half the lines hold an
answer seen nowhere else (200,000 lines give about 100,000 distinct answers): fractions and decimals,
so that math-verify parses them (plain integers are compared without it). Then runs both commands on
it, each in a fresh process, ``--rounds`` times alternating, and prints their wall times, the ratio
eval / score (target: at most 1.5) and whether the accuracy both report is identical.

    python benchmarks/bench_eval_vs_score.py --lines 20000        # a quick run
    python benchmarks/bench_eval_vs_score.py                      # the full 200,000 lines
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PER_PROBLEM = 8


def build_file(path: Path, lines: int, seed: int = 0) -> int:
    """Write ``lines`` rollouts, ``PER_PROBLEM`` per problem; returns the number of distinct answers."""
    rng = random.Random(seed)
    pool = int(lines * 0.75)  # wrong answers drawn from a space this large: about half the lines distinct overall
    answers: set[str] = set()
    with path.open("w", encoding="utf-8") as handle:
        for line in range(lines):
            problem, sample = divmod(line, PER_PROBLEM)
            reference = f"\\frac{{{problem + 1}}}{{{7 + problem % 5}}}"
            roll = rng.random()
            if roll < 0.4:
                answer = reference
            elif roll < 0.5:
                answer = reference.replace("\\frac", "\\dfrac")
            else:
                wrong = rng.randrange(pool)
                answer = f"{wrong / 100:.2f}" if wrong % 2 else f"\\frac{{{wrong}}}{{{problem % 9 + 11}}}"
            answers.add(answer)
            steps = " ".join(f"{rng.randint(2, 99)} * {rng.randint(2, 9)}" for _ in range(rng.randint(1, 4)))
            row = {"id": f"p{problem}", "prompt": f"Problem {problem}: compute the ratio.", "answer": reference,
                   "completion": f"We compute {steps}. So the answer is \\boxed{{{answer}}}.", "sample": sample}
            handle.write(json.dumps(row) + "\n")
    return len(answers)


def timed(command: list[str]) -> tuple[float, dict]:
    """Wall seconds of one command run in a fresh process, and the JSON it printed."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000, help="rollouts in the file (8 per problem)")
    parser.add_argument("--rounds", type=int, default=1, help="times each command is run, alternating")
    parser.add_argument("--keep", metavar="DIR", help="build the file in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"rollouts-{args.lines}.jsonl"
        distinct = build_file(path, args.lines)
        print(f"{path}: {args.lines} lines, {args.lines // PER_PROBLEM} problems, {distinct} distinct answers")
        cli = [sys.executable, "-m", "rewardlab.cli.main"]
        score_cmd = [*cli, "score", str(path), "-r", "binary", "--json"]
        eval_cmd = [*cli, "eval", str(path), "--json", "--out", str(folder / "eval")]
        times: dict[str, list[float]] = {"score": [], "eval": []}
        for _ in range(args.rounds):
            score_s, scored = timed(score_cmd)
            eval_s, evaluated = timed(eval_cmd)
            times["score"].append(score_s)
            times["eval"].append(eval_s)
            if args.keep:
                (folder / "eval.json").write_text(json.dumps(evaluated, indent=2, sort_keys=True))
            print(f"  score -r binary {score_s:8.2f} s   eval --json {eval_s:8.2f} s   ratio {eval_s / score_s:.2f}")
    score_mean = scored["rows"][0]["mean"]
    accuracy = evaluated["accuracy"]
    best = {name: min(values) for name, values in times.items()}
    print(f"best of {args.rounds}: score {best['score']:.2f} s, eval {best['eval']:.2f} s, "
          f"ratio eval / score {best['eval'] / best['score']:.2f} (target <= 1.5)")
    print(f"accuracy: score {score_mean!r}, eval {accuracy!r}; identical: {score_mean == accuracy}")
    if score_mean != accuracy:
        raise SystemExit("the two commands report different accuracies")


if __name__ == "__main__":
    main()
