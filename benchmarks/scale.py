"""Scale: hundreds of programs with many duplicates, on this machine.

Usage: python benchmarks/scale.py [--programs 500] [--distinct 40] [--skip-dask]

Writes a candidate set the way an LLM produces one (a few popular programs repeated many times, a long
tail of rarer ones, some broken), then runs it:
1. cold: every distinct program compiled and fitted (2 workers);
2. warm, 1 worker; 3. warm, 2 workers; 4. warm, local Dask cluster with 2 workers
(warm = compile cache filled, fresh run folder, so every distinct program is fitted again).
For each it reports wall time, programs per second, the parent's peak memory, the largest memory of
any worker process seen, and the parent's memory after 10% and after all of the programs (no growth
means no leak per program). The table is printed and appended to benchmarks/results/scale.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from results_file import heading, publish

from llb.pipeline.execute import DaskExecutor, Limits, LocalExecutor
from llb.problem import load_problem
from llb.llm.candidates import read_program_folder
from llb.pipeline.run import run_problem

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "tests" / "problems" / "coin"
RESULTS = ROOT / "benchmarks" / "results" / "scale.md"
HEADER = "data {\n  int<lower=0> num_flips;\n  int<lower=0, upper=num_flips> num_heads;\n}\n"


def variant(index: int) -> str:
    """The index-th distinct program: beta, logit-normal or normal priors with varying scales."""
    family = index % 3
    scale = 1 + index // 3
    if family == 0:
        body = f"parameters {{\n  real<lower=0, upper=1> bias;\n}}\nmodel {{\n  bias ~ beta({scale}, {scale});\n  num_heads ~ binomial(num_flips, bias);\n}}\n"
    elif family == 1:
        body = (
            "parameters {\n  real log_odds;\n}\ntransformed parameters {\n  real<lower=0, upper=1> bias = inv_logit(log_odds);\n}\n"
            f"model {{\n  log_odds ~ normal(0, {1 / scale:.4f});\n  num_heads ~ binomial_logit(num_flips, log_odds);\n}}\n"
        )
    else:
        body = f"parameters {{\n  real<lower=0, upper=1> bias;\n}}\nmodel {{\n  bias ~ normal(0.5, {0.5 / scale:.4f});\n  num_heads ~ binomial(num_flips, bias);\n}}\n"
    return HEADER + body


def write_candidates(folder: Path, *, programs: int, distinct: int, seed: int) -> None:
    """Zipf-like popularity: program k is drawn with probability proportional to 1 / (k + 1)."""
    rng = np.random.default_rng(seed)
    popularity = 1 / np.arange(1, distinct + 1)
    choices = rng.choice(distinct, size=programs, p=popularity / popularity.sum())
    folder.mkdir(parents=True)
    for n, k in enumerate(choices):
        source = variant(int(k))
        if n % 20 == 7:
            source = source.replace("real<lower=0, upper=1> bias;", "real<lower=0, upper=1> bias")  # a syntax slip
        (folder / f"m{n:04d}.stan").write_text(f"// candidate {n}\n" + source)


class MemoryWatch:
    """Samples this process's and its descendants' resident memory every 0.2 s."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.parent_peak = 0
        self.worker_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.parent_peak = max(self.parent_peak, self.me.memory_info().rss)
            for child in self.me.children(recursive=True):
                try:
                    self.worker_peak = max(self.worker_peak, child.memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(0.2)

    def __enter__(self) -> "MemoryWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(label: str, candidates, *, out: Path, executor) -> dict:
    problem = load_problem(PROBLEM)
    done = {"n": 0}
    marks: dict[str, float] = {}
    total = len(candidates)

    def on_program(record, reused: bool) -> None:
        done["n"] += 1
        if done["n"] == max(1, total // 10):
            marks["rss_10"] = psutil.Process().memory_info().rss
    start = time.perf_counter()
    with MemoryWatch() as watch:
        result = run_problem(problem, candidates, out_dir=out, executor=executor, seed=1, on_program=on_program)
    seconds = time.perf_counter() - start
    return {
        "label": label,
        "seconds": seconds,
        "rate": total / seconds,
        "valid": result["num_valid"],
        "distinct": result["num_unique"],
        "parent_peak": watch.parent_peak,
        "worker_peak": watch.worker_peak,
        "rss_10": marks.get("rss_10", 0),
        "rss_end": psutil.Process().memory_info().rss,
    }


def mb(value: float) -> str:
    return f"{value / 2**20:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=500)
    parser.add_argument("--distinct", type=int, default=40)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="llb-scale-"))
    write_candidates(work / "programs", programs=args.programs, distinct=args.distinct, seed=3)
    candidates = read_program_folder(work / "programs")
    limits = Limits()
    rows = [measure("cold cache, 2 workers", candidates, out=work / "cold", executor=LocalExecutor(workers=2, limits=limits))]
    rows.append(measure("warm cache, 1 worker", candidates, out=work / "warm1", executor=LocalExecutor(workers=1, limits=limits)))
    rows.append(measure("warm cache, 2 workers", candidates, out=work / "warm2", executor=LocalExecutor(workers=2, limits=limits)))
    if not args.skip_dask:
        import dask
        from distributed import Client, LocalCluster

        dask.config.set({"distributed.worker.daemon": False})
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            rows.append(measure("warm cache, Dask (2 local workers)", candidates, out=work / "dask", executor=DaskExecutor(client, limits=limits)))
    header = "| run | programs | distinct | valid | seconds | programs/s | parent peak MB | largest worker MB | parent MB at 10% | parent MB at end |"
    lines = [header, "|" + "|".join(["---"] * 10) + "|"]
    for row in rows:
        lines.append(
            f"| {row['label']} | {len(candidates)} | {row['distinct']} | {row['valid']} | {row['seconds']:.1f} | {row['rate']:.2f} | "
            f"{mb(row['parent_peak'])} | {mb(row['worker_peak'])} | {mb(row['rss_10'])} | {mb(row['rss_end'])} |"
        )
    publish(f"{heading('scale')}\n\n" + "\n".join(lines), RESULTS)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
