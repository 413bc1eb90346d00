"""Programs whose evidence is easy to get wrong, with their data and exact log evidence.

Shared by tests/test_evidence_trust.py and benchmarks/evidence.py. Each is a kind of program LLMs
write; the exact values are closed forms or quadrature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import integrate, special, stats

Y = [0.52, 1.31, -0.24, 0.98, 2.05]
COUNTS = [1, 3, 3, 2, 1, 3, 2, 3]  # categories of eight draws
SECOND_COUNTS = [2, 2, 1, 2]
HEADER = "data { int N; vector[N] y; }\n"
DATA = {"N": len(Y), "y": Y}
CATEGORIES = {"M": len(COUNTS), "c": COUNTS, "L": len(SECOND_COUNTS), "d": SECOND_COUNTS}


@dataclass(frozen=True)
class TrustCase:
    key: str
    source: str
    data: dict[str, Any]
    exact: float


def normal_mean_evidence(prior_variance: float, y=Y) -> float:
    """log p(y) for y_i ~ normal(mu, 1) and mu ~ normal(0, sqrt(prior_variance))."""
    n = len(y)
    return float(stats.multivariate_normal(np.zeros(n), np.eye(n) + prior_variance * np.ones((n, n))).logpdf(y))


def dirichlet_one_categorical(counts: list[int], k: int = 3) -> float:
    """log p(c) for c_i ~ categorical(p) with p ~ Dirichlet(1, ..., 1)."""
    n_k = np.bincount(counts, minlength=k + 1)[1:]
    return float(special.gammaln(k) + special.gammaln(n_k + 1).sum() - special.gammaln(len(counts) + k))


def normal_on_simplex_evidence() -> float:
    """simplex[3] p ~ normal(0.3, 1) (renormalised on the simplex), COUNTS ~ categorical(p)."""
    counts = np.bincount(COUNTS, minlength=4)[1:]

    def integral(with_likelihood: bool) -> float:
        def density(p2: float, p1: float) -> float:
            p = np.array([p1, p2, 1 - p1 - p2])
            value = stats.norm(0.3, 1).pdf(p).prod()
            return value * np.prod(p**counts) if with_likelihood else value

        return integrate.dblquad(density, 0, 1, 0, lambda p1: 1 - p1, epsabs=1e-13, epsrel=1e-10)[0]

    return math.log(integral(True)) - math.log(integral(False))


def half_normal_scale_evidence(scale: float = 10.0) -> float:
    """y_i ~ normal(0, sigma), sigma ~ half-normal(0, scale)."""

    def integrand(sigma: float) -> float:
        return math.exp(stats.norm(0, sigma).logpdf(Y).sum() + stats.halfnorm(scale=scale).logpdf(sigma) + 10)

    return math.log(integrate.quad(integrand, 0, np.inf, limit=200)[0]) - 10


ODE_TIMES = [0.5, 1.0, 2.0, 3.0]
ODE_OBSERVED = [0.80, 0.57, 0.40, 0.20]


def decay_evidence() -> float:
    """obs ~ normal(exp(-k t), 0.1), k ~ lognormal(-0.5, 0.5)."""

    def integrand(k: float) -> float:
        mean = np.exp(-k * np.array(ODE_TIMES))
        return math.exp(stats.norm(mean, 0.1).logpdf(ODE_OBSERVED).sum() + stats.lognorm(0.5, scale=math.exp(-0.5)).logpdf(k))

    return math.log(integrate.quad(integrand, 0, 5, points=[0.5], limit=200)[0])


def trust_cases() -> list[TrustCase]:
    gauss = "functions { real gauss_lpdf(real x, real m, real s) { return -0.5 * square((x - m) / s); } }\n"
    categorical = "data { int M; array[M] int<lower=1, upper=3> c; int L; array[L] int<lower=1, upper=3> d; }\n"
    return [
        # the density integrates to 2 sqrt(2 pi), not 1
        TrustCase("user_density_prior", gauss + HEADER + "parameters { real mu; } model { mu ~ gauss(0, 2); y ~ normal(mu, 1); }",
                  DATA, normal_mean_evidence(4.0)),
        # normal(0, 2) times exp(-mu^2 / 8) is normal(0, sqrt(2)) once normalised
        TrustCase("target_prior_term", HEADER + "parameters { real mu; }\n"
                  "model { mu ~ normal(0, 2); target += normal_lpdf(y | mu, 1) - 0.5 * square(mu / 2); }", DATA, normal_mean_evidence(2.0)),
        TrustCase("prior_stated_twice", HEADER + "parameters { real mu; } model { mu ~ normal(0, 2); mu ~ normal(0, 2); y ~ normal(mu, 1); }",
                  DATA, normal_mean_evidence(2.0)),
        TrustCase("normal_on_simplex", categorical + "parameters { simplex[3] p; }\nmodel { p ~ normal(0.3, 1); c ~ categorical(p); }",
                  CATEGORIES, normal_on_simplex_evidence()),
        TrustCase("array_of_simplexes", categorical + "parameters { array[2] simplex[3] q; }\nmodel { c ~ categorical(q[1]); d ~ categorical(q[2]); }",
                  CATEGORIES, dirichlet_one_categorical(COUNTS) + dirichlet_one_categorical(SECOND_COUNTS)),
        # y = 10 z: y ~ normal(10 mu_z, 1) with 10 mu_z ~ normal(0, 10)
        TrustCase("rescaled_data", HEADER + "transformed data { vector[N] z = y / 10; }\n"
                  "parameters { real mu_z; }\nmodel { mu_z ~ normal(0, 1); z ~ normal(mu_z, 0.1); }", DATA, normal_mean_evidence(100.0)),
        TrustCase("target_prior_on_bounded", HEADER + "parameters { real<lower=0> sigma; }\n"
                  "model { target += normal_lpdf(sigma | 0, 10); y ~ normal(0, sigma); }", DATA, half_normal_scale_evidence()),
        TrustCase("ode_bdf", """
functions { vector decay(real t, vector y, real k) { return -k * y; } }
data { int N; array[N] real ts; vector[N] obs; }
parameters { real<lower=0> k; }
model {
  array[N] vector[1] mu = ode_bdf(decay, [1.0]', 0.0, ts, k);
  k ~ lognormal(-0.5, 0.5);
  for (n in 1:N) obs[n] ~ normal(mu[n][1], 0.1);
}
""", {"N": len(ODE_TIMES), "ts": ODE_TIMES, "obs": ODE_OBSERVED}, decay_evidence()),
    ]  # fmt: skip
