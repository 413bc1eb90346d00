"""Run llb on every bundled example (the LLB paper's problems) and tabulate what it finds.

Usage: python benchmarks/paper.py [--examples NAME ...] [--seed S] [--out DIR] [--cold | --cold-once]

For each example folder under examples/, runs ``llb run`` on its recorded candidate programs (into
DIR/<name>, default a folder under /tmp, so reruns reuse finished programs) and prints one row:
programs, valid, distinct, wall seconds, the weights' effective sample size, and the goal's summary
under evidence weights (LLB) and flat weights. For an array goal the row shows the mean over its
elements of the posterior mean and of the 90% interval width. A second table profiles where the
time went: seconds each distinct program's own process spent, summed over the programs, in
validation and the prior analysis, compilation (a library compiled for several programs at once
counts, with the analysis of those programs, in the program that compiled it), the first fit,
refits (dense-metric refits, higher adapt_delta targets, longer chains and reparameterised
versions, their compiles included) and the evidence (with the prior's normaliser), the libraries
compiled and the programs' models in them, and the wall time. With ``--cold``
every example starts from an empty compile cache (the Stan toolchain itself stays built); with
``--cold-once`` the first does and the others reuse what those before them compiled, as on a fresh
machine that runs them all. Both tables are appended to benchmarks/results/paper.md, with the time
one reference compile took before and after the runs: this machine's speed drifts, and that time
is what runs made hours apart can be scaled by.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


def run_example(name: str, *, seed: int, out: Path, cache: Path | None = None) -> dict:
    """``llb run`` on one example; with ``cache``, that compile cache instead of the default one."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "llb", "run", str(ROOT / "examples" / name), "--out", str(out / name), "--seed", str(seed), "--quiet"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}  # use the recorded programs
    if cache is not None:
        env["LLB_CACHE_DIR"] = str(cache)
    completed = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise SystemExit(f"llb run failed on {name}: {completed.stderr.strip()}")
    result = json.loads((out / name / "result.json").read_text())
    return {"name": name, "seconds": seconds, "result": result, "profile": profile(out / name)}


def _cold_cache(folder: Path) -> Path:
    """An empty compile cache that shares the built toolchain (its header takes a minute to build,
    which is done first, in the default cache, so that no run's time includes it)."""
    from llb.files import default_cache_dir
    from llb.stan.toolchain import find_toolchain, precompiled_header, runner_object

    toolchain = find_toolchain()
    precompiled_header(toolchain)
    runner_object(toolchain)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "toolchain").symlink_to(default_cache_dir().resolve() / "toolchain")
    return folder


REFERENCE_PROGRAM = ROOT / "examples" / "polling" / "programs" / "01_rw_house_effects_centred.stan"


def reference_compile_seconds(scratch: Path) -> float:
    """Seconds one compile of a fixed program takes now (one compiler process, an empty cache): the
    machine's speed, which drifts by 10-30% over hours here, so that runs can be compared."""
    from llb.stan.compile import compile_program

    cache = _cold_cache(scratch)  # empty, so the program is compiled anew every time
    source = REFERENCE_PROGRAM.read_text()
    previous = os.environ.get("LLB_CACHE_DIR")
    os.environ["LLB_CACHE_DIR"] = str(cache)
    try:
        return compile_program(source, jobs=1).compile_seconds
    finally:
        if previous is None:
            os.environ.pop("LLB_CACHE_DIR", None)
        else:
            os.environ["LLB_CACHE_DIR"] = previous
        shutil.rmtree(cache, ignore_errors=True)


STAGES = {
    "validation": ("validate", "priors"),
    "compile": ("compile together", "compile", "load"),
    "first fit": ("sample", "complete", "summary"),
    "refits": ("refit", "sample as written"),
    "evidence": ("evidence", "prior normaliser"),
}


def profile(folder: Path) -> dict[str, float]:
    """Seconds per stage over the distinct programs of a run folder, the libraries compiled (a
    library compiled for several programs at once counts once) and the programs' models in them."""
    totals = {stage: 0.0 for stage in STAGES} | {"libraries": 0.0, "models": 0.0}
    for path in sorted(folder.glob("models/*/result.json")):
        record = json.loads(path.read_text())
        if record.get("duplicate_of"):
            continue
        timings = record.get("timings") or {}
        for stage, keys in STAGES.items():
            totals[stage] += sum(timings.get(key, 0.0) for key in keys)
        together = record.get("models_built_together") or 0
        totals["libraries"] += bool(record.get("library_built") or together)
        totals["models"] += together or bool(record.get("library_built"))
    return totals


def profile_table(rows: list[dict]) -> str:
    header = "| example | " + " | ".join(f"{stage} s" for stage in STAGES) + " | libraries built | models in them | wall s |"
    lines = [header, "|" + "|".join(["---"] * (len(STAGES) + 4)) + "|"]
    for row in rows:
        totals = row["profile"]
        cells = " | ".join(f"{totals[stage]:.0f}" for stage in STAGES)
        lines.append(f"| {row['name']} | {cells} | {totals['libraries']:.0f} | {totals['models']:.0f} | {row['seconds']:.0f} |")
    return "\n".join(lines)


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
    cold = parser.add_mutually_exclusive_group()
    cold.add_argument("--cold", action="store_true", help="fresh run folders and an empty compile cache for every example")
    cold.add_argument(
        "--cold-once", action="store_true",
        help="fresh run folders and one empty compile cache that the examples then share, in turn (a fresh machine running them all)",
    )  # fmt: skip
    args = parser.parse_args()
    names = args.examples or sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "problem.toml").exists())
    shared = _cold_cache(args.out / ".cache-shared") if args.cold_once else None
    speed_before = reference_compile_seconds(args.out / ".cache-reference")
    rows = []
    for name in names:
        print(f"running {name} ...", flush=True)
        if (args.cold or args.cold_once) and (args.out / name).exists():
            shutil.rmtree(args.out / name)
        cache = _cold_cache(args.out / f".cache-{name}") if args.cold else shared
        rows.append(run_example(name, seed=args.seed, out=args.out, cache=cache))
    if args.cold:
        cache_state = "cold compile cache"
    elif args.cold_once:
        cache_state = "one cold compile cache shared by the examples in turn"
    else:
        cache_state = "compile cache as found"
    try:
        speed_after = reference_compile_seconds(args.out / ".cache-reference")
    except Exception:  # noqa: BLE001 (the runs' results are published whatever happens here)
        speed_after = float("nan")
    total = f"\n\nTotal wall time: {sum(row['seconds'] for row in rows):.0f} s." if len(rows) > 1 else ""
    speed = f"\n\nMachine speed: the reference compile ({REFERENCE_PROGRAM.name}) took {speed_before:.2f} s before the runs and {speed_after:.2f} s after."
    publish(f"{heading('paper examples')}, seed {args.seed}, {cache_state}\n\n{table(rows)}\n\n{profile_table(rows)}{total}{speed}", RESULTS)


if __name__ == "__main__":
    main()
