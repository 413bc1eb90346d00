"""Benchmark llb's validate -> compile -> sample path on a few small Stan programs.

Usage: python benchmarks/compile_and_fit.py [--pystan] [--repeats N]

For each model it times stanc validation (of a good and of a broken program), a cold compile (a
program the cache has never seen) with llb's default number of compiler processes (two translation
units at once on a machine with two or more CPUs) and with one (what each program of a busy
``llb run`` gets), a warm compile (a cache hit) and NUTS sampling (4 chains, 1000
warmup and 1000 draws each). With --pystan, and if pystan 3 is importable, it also times
``stan.build`` (cold and warm) and ``posterior.sample`` with the same settings, and adds the
llb/pystan ratio. The table is printed and appended to benchmarks/results/compile_and_fit.md.

Cold compiles are forced without clearing any cache: each one gets a prior scale with fresh random
digits (``10.000<digits>``), which changes the program's normalised text and so its cache key (a
comment would not: comments are removed before hashing). The precompiled header and llb's runner
object are built (or found) once before any timing; that one-off cost has its own row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import statistics
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

import llb
from results_file import publish
from llb.stan.compile import CompiledProgram, compile_program, default_compile_jobs, usable_cpus
from llb.stan.model import StanModel
from llb.stan.sample import SamplerConfig, sample_nuts
from llb.stan.toolchain import Toolchain, find_toolchain, precompiled_header, runner_object
from llb.stan.validate import validate_program

RESULTS_FILE = Path(__file__).resolve().parent / "results" / "compile_and_fit.md"
CHAINS, WARMUP, DRAWS, SEED = 4, 1000, 1000, 1
BASE_SCALE = "10.0"
BROKEN_STATEMENT = "undeclared_scale ~ normal(0, 1);"


# -- models and data ----------------------------------------------------------------------------
# ``$scale`` is the prior scale that carries the unique literal; ``$extra`` is an extra model-block
# statement (empty, or one that stanc must reject).

NORMAL = """
data {
  int<lower=1> N;
  vector[N] y;
}
parameters {
  real mu;
  real<lower=0> sigma;
}
model {
  mu ~ normal(0, $scale);
  sigma ~ normal(0, 5);
  y ~ normal(mu, sigma);
  $extra
}
"""

LOGISTIC = """
data {
  int<lower=1> N;
  int<lower=1> K;
  matrix[N, K] X;
  array[N] int<lower=0, upper=1> y;
}
parameters {
  real alpha;
  vector[K] beta;
}
model {
  alpha ~ normal(0, $scale);
  beta ~ normal(0, 2.5);
  y ~ bernoulli_logit(alpha + X * beta);
  $extra
}
"""

EIGHT_SCHOOLS = """
data {
  int<lower=1> J;
  vector[J] y;
  vector<lower=0>[J] sigma;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] theta_raw;
}
transformed parameters {
  vector[J] theta = mu + tau * theta_raw;
}
model {
  mu ~ normal(0, $scale);
  tau ~ cauchy(0, 5);
  theta_raw ~ std_normal();
  y ~ normal(theta, sigma);
  $extra
}
"""


def normal_data(rng: np.random.Generator) -> dict[str, Any]:
    """50 draws from normal(1.5, 2)."""
    n = 50
    return {"N": n, "y": rng.normal(1.5, 2.0, size=n)}


def logistic_data(rng: np.random.Generator) -> dict[str, Any]:
    """100 rows, 4 standard-normal predictors, outcomes from a known logistic model."""
    n, k = 100, 4
    x = rng.normal(size=(n, k))
    beta = np.array([1.0, -0.5, 0.25, 0.0])
    p = 1.0 / (1.0 + np.exp(-(-0.3 + x @ beta)))
    return {"N": n, "K": k, "X": x, "y": (rng.uniform(size=n) < p).astype(np.int64)}


def eight_schools_data(rng: np.random.Generator) -> dict[str, Any]:
    """Eight school effects drawn around mu=5 with tau=4, observed with known standard errors."""
    j = 8
    sigma = rng.uniform(9.0, 18.0, size=j).round(1)
    theta = rng.normal(5.0, 4.0, size=j)
    return {"J": j, "y": rng.normal(theta, sigma).round(1), "sigma": sigma}


@dataclass(frozen=True)
class Case:
    """One benchmark model: its source template, data generator and a parameter to compare."""

    name: str
    template: str
    make_data: Callable[[np.random.Generator], dict[str, Any]]
    check: str

    def source(self, *, scale: str = BASE_SCALE, extra: str = "") -> str:
        return string.Template(self.template).substitute(scale=scale, extra=extra)

    def data(self, *, seed: int) -> dict[str, Any]:
        return self.make_data(np.random.default_rng(seed))


CASES = (
    Case("normal", NORMAL, normal_data, "mu"),
    Case("logistic", LOGISTIC, logistic_data, "alpha"),
    Case("eight_schools", EIGHT_SCHOOLS, eight_schools_data, "mu"),
)


def unique_scale() -> str:
    """A real literal equal to ~10 whose digits the caches have never seen."""
    return f"10.000{random.SystemRandom().randrange(10**11, 10**12)}"


def plain_data(data: dict[str, Any]) -> dict[str, Any]:
    """Data with numpy values turned into Python lists and scalars (for pystan)."""
    return {k: v.tolist() if isinstance(v, (np.ndarray, np.generic)) else v for k, v in data.items()}


# -- timing and results ---------------------------------------------------------------------------


@dataclass
class Row:
    model: str
    stage: str
    llb: list[float] = field(default_factory=list)
    pystan: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def toolchain_files(toolchain: Toolchain) -> set[Path]:
    root = toolchain.build_dir
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def setup_toolchain() -> tuple[Toolchain, Row]:
    """Find the toolchain and build (or find) the precompiled header and runner object."""
    toolchain = find_toolchain()
    before = toolchain_files(toolchain)
    pch_seconds, _ = timed(lambda: precompiled_header(toolchain))
    runner_seconds, _ = timed(lambda: runner_object(toolchain))
    built = len(toolchain_files(toolchain) - before) > 0
    row = Row("(toolchain)", "pch + runner (one-off)", [pch_seconds + runner_seconds])
    row.notes.append(f"{'built' if built else 'already cached'}; pch {fmt_seconds(pch_seconds)}, runner {fmt_seconds(runner_seconds)}")
    return toolchain, row


def cold_compile(case: Case, jobs: int | None = None) -> tuple[str, CompiledProgram]:
    """Compile a copy of the program that no cache has seen; retries on the rare digit clash."""
    for _ in range(5):
        source = case.source(scale=unique_scale())
        result = compile_program(source, jobs=jobs)
        if not result.cache_hit:
            return source, result
    raise RuntimeError(f"{case.name}: could not produce a program the cache had not seen")


def bench_llb(case: Case, *, repeats: int, fast_repeats: int) -> tuple[list[Row], dict[str, Any]]:
    """validate / broken / cold / warm / sample rows for one model; also the data used."""
    source, data = case.source(), case.data(seed=SEED)

    validate = Row(case.name, "validate")
    for _ in range(fast_repeats):
        seconds, verdict = timed(lambda: validate_program(source))
        if not verdict.ok:
            raise RuntimeError(f"{case.name}: stanc rejected the benchmark program: {verdict.error}")
        validate.llb.append(seconds)
    validate.notes.append(f"{len(verdict.warnings)} pedantic warning(s)")

    broken_source = case.source(extra=BROKEN_STATEMENT)
    broken = Row(case.name, "validate (broken)")
    for _ in range(fast_repeats):
        seconds, verdict = timed(lambda: validate_program(broken_source))
        if verdict.ok:
            raise RuntimeError(f"{case.name}: stanc accepted a broken program")
        broken.llb.append(seconds)
    broken.notes.append(f"rejected at line {verdict.line}")

    cold_rows = [cold_compile_row(case, jobs, repeats) for jobs in (None, 1)]
    cold_source, result = cold_rows[0][1]
    cold = cold_rows[0][0]

    warm = Row(case.name, "compile warm")
    for _ in range(fast_repeats):
        seconds, result = timed(lambda: compile_program(cold_source))
        if not result.cache_hit:
            raise RuntimeError(f"{case.name}: compiling the same program twice was not a cache hit")
        warm.llb.append(seconds)
    warm.notes.append("cache hit")

    sample = Row(case.name, f"sample {CHAINS}x({WARMUP}+{DRAWS})")
    config = SamplerConfig(chains=CHAINS, warmup=WARMUP, draws=DRAWS, seed=SEED)

    def run() -> Any:
        model = StanModel(result.library, data)
        try:
            return sample_nuts(model, config)
        finally:
            model.close()

    seconds, fit = timed(run)
    sample.llb.append(seconds)
    sample.notes.append(f"llb: {case.check} mean {fit.column(case.check).mean():.3f}, {fit.num_divergent} divergent")
    return [validate, broken, cold, cold_rows[1][0], warm, sample], data


def cold_compile_row(case: Case, jobs: int | None, repeats: int) -> tuple[Row, tuple[str, CompiledProgram]]:
    """Cold compiles with ``jobs`` compiler processes (None: llb's default); the row and the last build."""
    default_jobs = default_compile_jobs()
    row = Row(case.name, "compile cold" if jobs is None else f"compile cold, {jobs} job")
    splits: list[tuple[float, float, float, float, float]] = []
    units = set()
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, (source, result) = timed(lambda: cold_compile(case, jobs))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        row.llb.append(seconds)
        units.add(result.translation_units)
        parts = (result.stanc_seconds, result.compile_seconds, result.link_seconds)
        splits.append((*parts, seconds - sum(parts), cpu))
    stanc_s, cxx_s, link_s, other_s, cpu_s = (statistics.median(column) for column in zip(*splits))
    row.notes.append(
        f"{'/'.join(map(str, sorted(units)))} translation unit(s){f' (default: {default_jobs} jobs)' if jobs is None else ''};"
        f" stanc {fmt_seconds(stanc_s)} / c++ {fmt_seconds(cxx_s)} / link {fmt_seconds(link_s)}"
        f" / other {fmt_seconds(other_s)}; compiler CPU {fmt_seconds(cpu_s)};"
        f" range {fmt_seconds(min(row.llb))}-{fmt_seconds(max(row.llb))}"
    )
    return row, (source, result)


def bench_pystan(case: Case, rows: list[Row], *, data: dict[str, Any], repeats: int, warm_repeats: int) -> None:
    """Add pystan's build (cold, warm) and sample times to the llb rows of one model."""
    import stan

    by_stage = {row.stage: row for row in rows}
    pydata = plain_data(data)
    posterior = None
    source = ""
    for _ in range(repeats):
        source = case.source(scale=unique_scale())
        seconds, posterior = timed(lambda: stan.build(source, data=pydata, random_seed=SEED))
        by_stage["compile cold"].pystan.append(seconds)
    for _ in range(warm_repeats):
        seconds, posterior = timed(lambda: stan.build(source, data=pydata, random_seed=SEED))
        by_stage["compile warm"].pystan.append(seconds)
    sample = next(row for row in rows if row.stage.startswith("sample"))
    seconds, fit = timed(lambda: posterior.sample(num_chains=CHAINS, num_samples=DRAWS, num_warmup=WARMUP))
    sample.pystan.append(seconds)
    divergent = int(np.sum(fit["divergent__"]))
    sample.notes.append(f"pystan: {case.check} mean {np.mean(fit[case.check]):.3f}, {divergent} divergent")


def render(rows: list[Row], *, with_pystan: bool) -> list[str]:
    """The rows as an aligned markdown table."""
    header = ["model", "stage", "runs", "llb (median)"]
    if with_pystan:
        header += ["pystan (median)", "llb/pystan"]
    header.append("notes")
    body = []
    for row in rows:
        llb_median, pystan_median = median(row.llb), median(row.pystan)
        cells = [row.model, row.stage, str(len(row.llb)), fmt_seconds(llb_median)]
        if with_pystan:
            ratio = f"{llb_median / pystan_median:.2f}" if llb_median and pystan_median else ""
            runs = f"{len(row.llb)}/{len(row.pystan)}" if row.pystan else str(len(row.llb))
            cells[2] = runs
            cells += [fmt_seconds(pystan_median), ratio]
        cells.append("; ".join(row.notes))
        body.append(cells)
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"

    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)]


def machine_lines(toolchain: Toolchain, *, args: argparse.Namespace, pystan_version: str | None) -> list[str]:
    nproc = usable_cpus()
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=Path(__file__).resolve().parent,
            capture_output=True, text=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return [
        f"- nproc: {nproc}; {platform.machine()}; Python {platform.python_version()}; llb {llb.__version__}"
        + (f" (git {commit})" if commit else ""),
        f"- compiler: {toolchain.compiler_version} ({toolchain.compiler}); Stan {toolchain.stan_version}",
        f"- repeats: cold compile {args.repeats}, validate/warm {args.fast_repeats}"
        + (f", pystan cold build {args.pystan_repeats}" if pystan_version else ""),
        f"- sampling: {CHAINS} chains x ({WARMUP} warmup + {DRAWS} draws), seed {SEED}; llb runs chains one after another"
        + ("; pystan runs them in parallel processes" if pystan_version else ""),
        f"- pystan: {pystan_version}" if pystan_version else "- pystan: not measured",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and append it to the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pystan", action="store_true", help="also time pystan 3 (stan.build, posterior.sample)")
    parser.add_argument("--repeats", type=int, default=3, help="cold compiles per model (default 3)")
    parser.add_argument("--fast-repeats", type=int, default=10, help="validations and warm compiles per model (default 10)")
    parser.add_argument("--pystan-repeats", type=int, default=1, help="cold pystan builds per model (default 1; each takes ~40 s on 2 cores)")
    parser.add_argument("--models", nargs="+", choices=[case.name for case in CASES], help="only these models")
    parser.add_argument("--results", type=Path, default=RESULTS_FILE, help=f"file to append to (default {RESULTS_FILE})")
    parser.add_argument("--fresh-cache", action="store_true", help="use an empty temporary llb cache (rebuilds the pch and runner)")
    args = parser.parse_args(argv)
    if min(args.repeats, args.fast_repeats, args.pystan_repeats) < 1:
        parser.error("repeat counts must be at least 1")

    pystan_version = None
    if args.pystan:
        try:
            import httpstan
            import stan
        except ImportError as error:
            print(f"note: pystan 3 is not importable ({error}); skipping the pystan columns", file=sys.stderr)
        else:
            pystan_version = f"{getattr(stan, '__version__', '3.x')} (httpstan {httpstan.__version__})"

    with tempfile.TemporaryDirectory(prefix="llb-bench-cache-") as tmp:
        if args.fresh_cache:
            os.environ["LLB_CACHE_DIR"] = tmp
        started = time.perf_counter()
        toolchain, setup_row = setup_toolchain()
        rows = [setup_row]
        cold_medians, one_job_medians = [], []
        for case in CASES:
            if args.models and case.name not in args.models:
                continue
            print(f"... {case.name}", file=sys.stderr, flush=True)
            case_rows, data = bench_llb(case, repeats=args.repeats, fast_repeats=args.fast_repeats)
            if pystan_version:
                bench_pystan(case, case_rows, data=data, repeats=args.pystan_repeats, warm_repeats=min(args.fast_repeats, 3))
            cold_medians.append(next(statistics.median(r.llb) for r in case_rows if r.stage == "compile cold"))
            one_job_medians.append(next(statistics.median(r.llb) for r in case_rows if r.stage == "compile cold, 1 job"))
            rows += case_rows
        total = time.perf_counter() - started

    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    lines = [f"## compile_and_fit {now}", "", *machine_lines(toolchain, args=args, pystan_version=pystan_version), ""]
    lines += render(rows, with_pystan=pystan_version is not None)
    lines += ["", f"Median cold compile over {len(cold_medians)} models: {fmt_seconds(statistics.median(cold_medians))}"
              f" (one job: {fmt_seconds(statistics.median(one_job_medians))}; benchmark wall time {fmt_seconds(total)})", ""]  # fmt: skip
    publish("\n".join(lines), args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
