"""Benchmark llb's log-evidence estimates against exact values, over seeds and estimator methods.

Usage: python benchmarks/evidence.py [--seeds N] [--methods bridge is iw] [--models ...]

Every run goes through the whole per-program pipeline, ``llb.pipeline.program.fit_program``: the prior check
(and its rewrites, such as truncating a half-normal written without ``T[0, ]``), NUTS, the
non-centring rescue when the program as written diverges, the adapt_delta ladder, and finally the
evidence estimator. The sampler seed and the estimator seed are both the run's seed.

The exact log evidence of each model is computed here: closed forms for conjugate models, and
one-dimensional quadrature (over a scale parameter, with everything else integrated out
analytically) otherwise.

The last rows are programs whose evidence is easy to get wrong (tests/trust_cases.py): a prior
through a user-defined density, prior terms added with target +=, a prior stated twice, a normal
density on a simplex, arrays of simplexes without a prior, rescaled data, a target += prior on a
bounded parameter, an ODE model.

The rows marked "(as written, no rescue)" fit eight schools without the sampler fixes: no
adapt_delta ladder, and the non-centring rewrite switched off (``llb.pipeline.program.noncentre`` is replaced
by a function that finds nothing, for the duration of those fits only). The prior normalisation
is kept, since without it the program's evidence is a different number. These rows isolate the
estimator: they show what it makes of the draws NUTS gives for the raw program.

The table is printed and appended to benchmarks/results/evidence.md, with the date, the git commit
and the number of processors.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
from scipy import integrate, special, stats

import llb.pipeline.program
from results_file import publish

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from trust_cases import trust_cases  # noqa: E402  (programs whose evidence is easy to get wrong)
from llb.stats.evidence import METHODS
from llb.pipeline.program import FitSettings, fit_program
from llb.stan.sample import SamplerConfig

ROOT = Path(__file__).resolve().parent.parent
STAN_DIR = ROOT / "tests" / "stan"
RESULTS_FILE = Path(__file__).resolve().parent / "results" / "evidence.md"
NAT = 0.1  # an estimate within this many nats of the truth counts as accurate
Z = 4.5  # an error within this many reported standard errors counts as honestly reported
AS_WRITTEN = " (as written, no rescue)"


# -- exact log evidences --------------------------------------------------------------------------
def gaussian_linear_log_evidence(*, y: np.ndarray, design: np.ndarray, prior_mean: float, prior_sd: float, noise_sd: float) -> float:
    """log p(y) for y = design @ beta + noise, beta ~ N(prior_mean, prior_sd^2 I), noise ~ N(0, noise_sd^2 I)."""
    n = y.size
    mean = design @ np.full(design.shape[1], prior_mean)
    cov = noise_sd**2 * np.eye(n) + prior_sd**2 * design @ design.T
    return float(stats.multivariate_normal(mean, cov).logpdf(y))


def log_integral_over_scale(*, log_integrand: Callable[[float], float]) -> float:
    """log of the integral over (0, inf) of exp(log_integrand(s)) ds, by quadrature in u = log s."""

    def log_g(u: float) -> float:
        return log_integrand(math.exp(u)) + u

    grid = np.linspace(-20.0, 20.0, 4001)
    values = np.array([log_g(u) for u in grid])
    peak = float(grid[int(np.argmax(values))])
    shift = float(values.max())
    # three pieces, so the quadrature cannot miss the peak; the tails beyond |u| = 60 are negligible here
    edges = (-60.0, peak - 5.0, peak + 5.0, 60.0)
    value = sum(
        integrate.quad(lambda u: math.exp(log_g(u) - shift), a, b, limit=400, epsabs=0.0, epsrel=1e-10)[0]
        for a, b in zip(edges[:-1], edges[1:])
    )
    return math.log(value) + shift


def beta_binomial_log_evidence(*, n: int, k: int, a: float, b: float) -> float:
    """log p(k) with theta ~ beta(a, b) and k ~ binomial(n, theta)."""
    log_choose = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    return float(log_choose + special.betaln(a + k, b + n - k) - special.betaln(a, b))


def half_normal_scale_log_evidence(*, y: np.ndarray, prior_scale: float) -> float:
    """log p(y) with sigma ~ half-normal(0, prior_scale) and y_i ~ N(0, sigma)."""

    def log_joint(sigma: float) -> float:
        return float(stats.norm.logpdf(y, 0.0, sigma).sum() + stats.halfnorm.logpdf(sigma, scale=prior_scale))

    return log_integral_over_scale(log_integrand=log_joint)


def eight_schools_log_evidence(*, y: np.ndarray, sigma: np.ndarray, mu_sd: float, tau_scale: float) -> float:
    """log p(y) with mu ~ N(0, mu_sd), tau ~ half-Cauchy(0, tau_scale), theta_j ~ N(mu, tau), y_j ~ N(theta_j, sigma_j).

    Given tau, y is Gaussian with covariance diag(sigma^2 + tau^2) + mu_sd^2 (theta and mu integrated out).
    """

    def log_joint(tau: float) -> float:
        cov = np.diag(sigma**2 + tau**2) + mu_sd**2
        return float(stats.multivariate_normal(np.zeros(y.size), cov).logpdf(y) + stats.halfcauchy.logpdf(tau, scale=tau_scale))

    return log_integral_over_scale(log_integrand=log_joint)


# -- models ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One benchmark row group: a Stan program from tests/stan, its data and exact log evidence."""

    key: str
    label: str
    program: str
    data: dict[str, Any]
    exact: float
    rescue: bool = True  # False: no non-centring and no adapt_delta ladder
    inline: str | None = None  # the program's text, when it is not a file of tests/stan

    def source(self) -> str:
        return self.inline if self.inline is not None else (STAN_DIR / self.program).read_text()


def beta_binomial_case(*, a: float, b: float) -> Case:
    n, k = 20, 14
    tag = f"{a:g}_{b:g}"
    return Case(
        f"beta_binomial_{tag}",
        f"beta_binomial ({a:g},{b:g})",
        "beta_binomial.stan",
        {"n": n, "k": k, "a": a, "b": b},
        beta_binomial_log_evidence(n=n, k=k, a=a, b=b),
    )


def normal_known_sd_case() -> Case:
    y = np.random.default_rng(3).normal(2.0, 1.5, size=15)
    sigma, mu0, tau = 1.5, 0.0, 4.0
    exact = gaussian_linear_log_evidence(y=y, design=np.ones((y.size, 1)), prior_mean=mu0, prior_sd=tau, noise_sd=sigma)
    data = {"N": y.size, "y": y.tolist(), "sigma": sigma, "mu0": mu0, "tau": tau}
    return Case("normal_known_sd", "normal_known_sd", "normal_known_sd.stan", data, exact)


def half_normal_cases() -> list[Case]:
    y = np.random.default_rng(5).normal(0.0, 2.0, size=10)
    data = {"N": y.size, "y": y.tolist()}
    exact = half_normal_scale_log_evidence(y=y, prior_scale=3.0)
    return [
        Case("half_normal", "half_normal (untruncated)", "half_normal_scale.stan", data, exact),
        Case("half_normal_truncated", "half_normal (truncated)", "half_normal_scale_truncated.stan", data, exact),
    ]


def regression_case(*, k: int, n: int, seed: int) -> Case:
    rng = np.random.default_rng(seed)
    sigma, prior_sd = 0.8, 2.0
    x = rng.normal(size=(n, k))
    beta = rng.normal(0.0, 1.0, size=k)
    y = x @ beta + rng.normal(0.0, sigma, size=n)
    exact = gaussian_linear_log_evidence(y=y, design=x, prior_mean=0.0, prior_sd=prior_sd, noise_sd=sigma)
    data = {"N": n, "K": k, "X": x.tolist(), "y": y.tolist(), "sigma": sigma, "prior_sd": prior_sd}
    return Case(f"regression_k{k}", f"regression K={k}", "regression.stan", data, exact)


def eight_schools_cases() -> list[Case]:
    y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    data = {"J": 8, "y": y.tolist(), "sigma": sigma.tolist()}
    exact = eight_schools_log_evidence(y=y, sigma=sigma, mu_sd=5.0, tau_scale=5.0)
    cases = []
    for variant in ("centered", "noncentered"):
        name = f"eight_schools_{variant}"
        cases.append(Case(name, name, f"{name}.stan", data, exact))
    for variant in ("centered", "noncentered"):
        name = f"eight_schools_{variant}"
        cases.append(Case(f"{name}_as_written", name + AS_WRITTEN, f"{name}.stan", data, exact, rescue=False))
    return cases


def all_cases() -> list[Case]:
    return [
        beta_binomial_case(a=1.0, b=1.0),
        beta_binomial_case(a=50.0, b=50.0),
        normal_known_sd_case(),
        *half_normal_cases(),
        regression_case(k=3, n=30, seed=8),
        regression_case(k=10, n=40, seed=9),
        *eight_schools_cases(),
        *(Case(t.key, t.key, "", t.data, t.exact, inline=t.source) for t in trust_cases()),
    ]


# -- running --------------------------------------------------------------------------------------
@contextlib.contextmanager
def noncentring_disabled() -> Iterator[None]:
    """Within the block, the pipeline finds no non-centred rewrite for any program."""
    original = llb.pipeline.program.noncentre
    llb.pipeline.program.noncentre = lambda source, **_: None
    try:
        yield
    finally:
        llb.pipeline.program.noncentre = original


@dataclass
class Outcome:
    """What one (model, method) pair gave over its seeds."""

    case: Case
    method: str
    dim: int | None = None
    errors: list[float] = field(default_factory=list)
    estimates: list[float] = field(default_factory=list)
    mc_ses: list[float] = field(default_factory=list)
    pareto_ks: list[float] = field(default_factory=list)
    evidence_seconds: list[float] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reparameterised: int = 0
    raised_delta: int = 0

    @property
    def runs(self) -> int:
        return len(self.errors) + len(self.failures)


def run_one(*, case: Case, method: str, seed: int, outcome: Outcome) -> None:
    """Fit ``case`` once with ``method`` and ``seed`` and add the result to ``outcome``."""
    config = SamplerConfig(seed=seed)
    if case.rescue:
        settings = FitSettings(sampler=config, evidence_method=method)
        context: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    else:
        settings = FitSettings(sampler=config, evidence_method=method, adapt_delta_ladder=())
        context = noncentring_disabled()
    start = time.perf_counter()
    with context:
        report = fit_program(case.source(), case.data, settings=settings)
    seconds = time.perf_counter() - start
    if not report.ok or report.log_evidence is None or report.evidence is None:
        outcome.failures.append(f"{report.status}: {report.reason}")
        return
    if report.fit is not None:
        outcome.dim = report.fit.unconstrained.shape[-1]
    outcome.errors.append(report.log_evidence - case.exact)
    outcome.estimates.append(report.log_evidence)
    outcome.mc_ses.append(report.evidence.mc_se)
    outcome.pareto_ks.append(report.evidence.pareto_k)
    outcome.evidence_seconds.append(report.timings.get("evidence", math.nan))
    outcome.fit_seconds.append(seconds)
    outcome.reparameterised += report.reparameterisation is not None
    outcome.raised_delta += report.adapt_delta is not None and report.adapt_delta > config.adapt_delta


# -- reporting ------------------------------------------------------------------------------------
def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:.{digits}f}"


def fraction(count: int, total: int) -> str:
    return f"{count / total:.2f}" if total else "-"


def row_cells(outcome: Outcome) -> list[str]:
    """One table row; fractions count failed fits as misses."""
    errors = np.array(outcome.errors)
    ses = np.array(outcome.mc_ses)
    absolute = np.abs(errors)
    notes = []
    if outcome.failures:
        notes.append(f"{len(outcome.failures)} failed ({outcome.failures[0]})")
    if outcome.reparameterised:
        notes.append(f"non-centred {outcome.reparameterised}/{outcome.runs}")
    if outcome.raised_delta:
        notes.append(f"adapt_delta raised {outcome.raised_delta}/{outcome.runs}")
    have = errors.size > 0
    return [
        outcome.case.label,
        str(outcome.dim) if outcome.dim is not None else "-",
        outcome.method,
        f"{errors.size}/{outcome.runs}",
        fmt(outcome.case.exact, 3),
        fmt(float(errors.mean()) if have else None, 4),
        fmt(float(absolute.mean()) if have else None, 4),
        fmt(float(absolute.max()) if have else None, 4),
        fmt(float(ses.mean()) if have else None, 4),
        fraction(int((absolute < NAT).sum()), outcome.runs),
        fraction(int((absolute < Z * ses).sum()), outcome.runs),
        fmt(float(np.median(outcome.pareto_ks)) if have else None, 2),
        fmt(statistics.median(outcome.evidence_seconds) if have else None, 3),
        fmt(statistics.median(outcome.fit_seconds) if have else None, 2),
        "; ".join(notes),
    ]


HEADER = [
    "model", "dim", "method", "ok", "exact", "mean err", "mean abs err", "max abs err", "mean mc_se",
    f"abs err<{NAT:g}", f"abs err<{Z:g}se", "median k", "evidence s", "fit s", "notes",
]  # fmt: skip


def render(rows: list[list[str]]) -> list[str]:
    """An aligned markdown table."""
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    return [line(HEADER), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)]


def summary_lines(outcomes: list[Outcome], *, methods: list[str]) -> list[str]:
    """Worst mean |error| per method, and how far apart the two eight-schools programs land."""
    lines = ["Summary:"]
    by_key = {(o.case.key, o.method): o for o in outcomes}
    for method in methods:
        for rescue, scope in ((True, "pipeline rows"), (False, "as-written rows")):
            scored = [(float(np.mean(np.abs(o.errors))), o.case.label) for o in outcomes
                      if o.method == method and o.case.rescue is rescue and o.errors]  # fmt: skip
            if scored:
                worst, label = max(scored)
                lines.append(f"- {method}: worst mean |error| over {scope}: {worst:.4f} nat ({label})")
        for suffix, scope in (("", "pipeline"), ("_as_written", "as written")):
            pair = [by_key.get((f"eight_schools_{v}{suffix}", method)) for v in ("centered", "noncentered")]
            if all(o is not None and o.estimates for o in pair):
                gap = abs(float(np.mean(pair[0].estimates)) - float(np.mean(pair[1].estimates)))
                lines.append(f"- {method}: |centered - noncentered| of mean estimates, eight schools {scope}: {gap:.4f} nat")
    failed = sum(len(o.failures) for o in outcomes)
    if failed:
        lines.append(f"- {failed} fit(s) failed; they count as misses in the fraction columns")
    return lines


def git_commit() -> str:
    try:
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip() or "unknown"


def processor_count() -> str:
    try:
        result = subprocess.run(["nproc"], capture_output=True, text=True, timeout=10)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return str(os.cpu_count() or "unknown")


def main(argv: list[str] | None = None) -> int:
    """Run every (model, method, seed), print the table and append it to the results file."""
    cases = all_cases()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per model and method (default 10; seeds 1..N)")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS), help="estimators (default all)")
    keys = [c.key for c in cases]
    parser.add_argument("--models", nargs="+", choices=keys, metavar="MODEL", help=f"only these models (default all): {', '.join(keys)}")
    parser.add_argument("--results", type=Path, default=RESULTS_FILE, help=f"file to append to (default {RESULTS_FILE})")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    selected = [c for c in cases if not args.models or c.key in args.models]

    started = time.perf_counter()
    outcomes: list[Outcome] = []
    for case in selected:
        for method in args.methods:
            outcome = Outcome(case, method)
            case_start = time.perf_counter()
            for seed in range(1, args.seeds + 1):
                run_one(case=case, method=method, seed=seed, outcome=outcome)
            print(f"... {case.label} / {method}: {time.perf_counter() - case_start:.1f} s", file=sys.stderr, flush=True)
            outcomes.append(outcome)
    total = time.perf_counter() - started

    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    lines = [
        f"## evidence {now}",
        "",
        f"- git {git_commit()}; nproc {processor_count()}",
        f"- {args.seeds} seed(s) per row (seeds 1..{args.seeds}); NUTS 4 chains x (1000 warmup + 1000 draws); "
        f"full llb.pipeline.program.fit_program pipeline; wall time {total:.1f} s",
        f"- err = estimate - exact (nats); abs err<{NAT:g}: fraction of seeds within {NAT:g} nat; "
        f"abs err<{Z:g}se: fraction within {Z:g} reported mc_se (failed fits count as misses); "
        "k: Pareto k-hat of the proposal's importance ratios; evidence s / fit s: medians",
        "",
        *render([row_cells(o) for o in outcomes]),
        "",
        *summary_lines(outcomes, methods=args.methods),
        "",
    ]
    publish("\n".join(lines), args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
