"""Run llb on every bundled example (the LLB paper's problems) and tabulate what it finds.

Usage: python benchmarks/paper.py [--examples NAME ...] [--seed S] [--out DIR]

For each example folder under examples/, runs ``llb run`` on its recorded candidate programs (into
DIR/<name>, default a folder under /tmp, so reruns reuse finished programs) and prints one row:
programs, valid, distinct, wall seconds, the weights' effective sample size, and the goal's summary
under evidence weights (LLB) and flat weights. For an array goal the row shows the mean over its
elements of the posterior mean and of the 90% interval width. The table is appended to
benchmarks/results/paper.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from results_file import heading, publish

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "paper.md"


def goal_columns(posterior: dict) -> tuple[str, str]:
    """(mean, 90% width) of a scalar goal, or their averages over an array goal's elements."""
    if not posterior:
        return "-", "-"
    means = [s["mean"] for s in posterior.values()]
    widths = [s["q95"] - s["q05"] for s in posterior.values()]
    prefix = "" if len(means) == 1 else "avg "
    return f"{prefix}{sum(means) / len(means):.3f}", f"{prefix}{sum(widths) / len(widths):.3f}"


def run_example(name: str, *, seed: int, out: Path) -> dict:
    start = time.perf_counter()
    command = [sys.executable, "-m", "llb", "run", str(ROOT / "examples" / name), "--out", str(out / name), "--seed", str(seed), "--quiet"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}  # use the recorded programs
    completed = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise SystemExit(f"llb run failed on {name}: {completed.stderr.strip()}")
    result = json.loads((out / name / "result.json").read_text())
    return {"name": name, "seconds": seconds, "result": result}


def table(rows: list[dict]) -> str:
    header = "| example | programs | valid | distinct | seconds | weights ESS | LLB mean | LLB 90% width | flat mean | flat 90% width |"
    lines = [header, "|" + "|".join(["---"] * 10) + "|"]
    for row in rows:
        result = row["result"]
        llb_mean, llb_width = goal_columns(result["posterior"]["llb"])
        flat_mean, flat_width = goal_columns(result["posterior"]["flat"])
        lines.append(
            f"| {row['name']} | {result['num_programs']} | {result['num_valid']} | {result['num_unique']} | "
            f"{row['seconds']:.0f} | {result['weights_ess']:.2f} | {llb_mean} | {llb_width} | {flat_mean} | {flat_width} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="*", help="example names (default: every folder in examples/)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/llb-paper-runs"))
    args = parser.parse_args()
    names = args.examples or sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "problem.toml").exists())
    rows = []
    for name in names:
        print(f"running {name} ...", flush=True)
        rows.append(run_example(name, seed=args.seed, out=args.out))
    publish(f"{heading('paper examples')}, seed {args.seed}\n\n{table(rows)}", RESULTS)


if __name__ == "__main__":
    main()
