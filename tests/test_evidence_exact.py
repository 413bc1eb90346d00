"""Log evidence from the whole per-program pipeline (priors check, NUTS, estimator) against exact values.

Exact references: conjugate closed forms, and one-dimensional quadrature where a closed form is not
available. Each estimate must be within 0.1 nat of the truth and within 4.5 of its own Monte Carlo
standard errors (so the reported error is honest too).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from conftest import read_program
from llb.pipeline.program import FitSettings, fit_program
from llb.stan.sample import SamplerConfig

Z = 4.5
NAT = 0.1


def fit(name: str, data: dict, seed: int = 1, method: str = "bridge"):
    report = fit_program(read_program(name), data, settings=FitSettings(sampler=SamplerConfig(seed=seed), evidence_method=method))
    assert report.ok, report.reason
    return report


def assert_close(report, exact: float) -> None:
    error = report.log_evidence - exact
    se = report.evidence.mc_se
    assert abs(error) < NAT, f"estimate {report.log_evidence:.4f}, exact {exact:.4f}"
    assert abs(error) < Z * se + 1e-9, f"error {error:.4f} is more than {Z} standard errors ({se:.4f})"


@pytest.mark.parametrize("a,b", [(1.0, 1.0), (50.0, 50.0), (0.7, 3.0), (20.0, 2.0)])
def test_beta_binomial(compiled, a, b):
    compiled("beta_binomial.stan")
    n, k = 20, 14
    exact = math.log(math.comb(n, k)) + special.betaln(k + a, n - k + b) - special.betaln(a, b)
    assert_close(fit("beta_binomial.stan", {"n": n, "k": k, "a": a, "b": b}), exact)


def test_normal_mean_with_known_sd(compiled):
    compiled("normal_known_sd.stan")
    rng = np.random.default_rng(3)
    y = rng.normal(2.0, 1.5, size=15)
    sigma, mu0, tau = 1.5, 0.0, 4.0
    cov = sigma**2 * np.eye(y.size) + tau**2 * np.ones((y.size, y.size))
    exact = stats.multivariate_normal(np.full(y.size, mu0), cov).logpdf(y)
    data = {"N": y.size, "y": y.tolist(), "sigma": sigma, "mu0": mu0, "tau": tau}
    assert_close(fit("normal_known_sd.stan", data), exact)


def half_normal_scale_exact(y: np.ndarray) -> float:
    def integrand(sigma: float) -> float:
        return math.exp(stats.norm(0, sigma).logpdf(y).sum() + stats.halfnorm(scale=3).logpdf(sigma) + 40)

    value, _ = integrate.quad(integrand, 0, np.inf, limit=200)
    return math.log(value) - 40


def test_untruncated_half_normal_is_corrected_to_the_truncated_model(compiled):
    y = np.random.default_rng(5).normal(0, 2.0, size=10)
    data = {"N": y.size, "y": y.tolist()}
    exact = half_normal_scale_exact(y)
    untruncated = fit("half_normal_scale.stan", data)
    truncated = fit("half_normal_scale_truncated.stan", data)
    assert untruncated.prior_check.rewritten and not truncated.prior_check.rewritten
    assert "T[0, ]" in untruncated.prior_check.source
    assert_close(untruncated, exact)
    assert_close(truncated, exact)
    # without the correction the program as written would be off by log 2
    assert abs(untruncated.log_evidence - (exact - math.log(2))) > 0.5


def test_conjugate_linear_regression(compiled):
    rng = np.random.default_rng(8)
    N, K, sigma, prior_sd = 30, 3, 0.8, 2.0
    X = rng.normal(size=(N, K))
    y = X @ np.array([1.0, -0.5, 0.3]) + rng.normal(0, sigma, size=N)
    exact = stats.multivariate_normal(np.zeros(N), sigma**2 * np.eye(N) + prior_sd**2 * X @ X.T).logpdf(y)
    data = {"N": N, "K": K, "X": X.tolist(), "y": y.tolist(), "sigma": sigma, "prior_sd": prior_sd}
    assert_close(fit("regression.stan", data), exact)


EIGHT_SCHOOLS = {"J": 8, "y": [28, 8, -3, 7, -1, 1, 18, 12], "sigma": [15, 10, 16, 11, 9, 11, 10, 18]}


def eight_schools_exact() -> float:
    """theta integrated out analytically, mu too (Gaussian), tau by quadrature."""
    y, s = np.array(EIGHT_SCHOOLS["y"], float), np.array(EIGHT_SCHOOLS["sigma"], float)

    def integrand(tau: float) -> float:
        cov = np.diag(s**2 + tau**2) + 5.0**2
        log_prior = math.log(2 / (math.pi * 5 * (1 + (tau / 5) ** 2)))
        return math.exp(stats.multivariate_normal(np.zeros(8), cov).logpdf(y) + log_prior + 30)

    value, _ = integrate.quad(integrand, 0, np.inf, limit=200)
    return math.log(value) - 30


def test_equivalent_programs_get_the_same_evidence(compiled):
    """Centered and non-centered eight schools are one model: equal evidence within 0.1 nat."""
    exact = eight_schools_exact()
    centered = fit("eight_schools_centered.stan", EIGHT_SCHOOLS)
    noncentered = fit("eight_schools_noncentered.stan", EIGHT_SCHOOLS)
    assert centered.prior_check.rewritten  # tau ~ cauchy(0, 5) on lower=0 was truncated
    assert abs(centered.log_evidence - noncentered.log_evidence) < NAT
    assert abs(noncentered.log_evidence - exact) < NAT
    assert abs(centered.log_evidence - exact) < NAT
    # the centered program diverged as written, so the pipeline sampled its non-centred rewrite
    assert centered.reparameterisation == "non-centred theta with <offset, multiplier> (same model, better geometry)"
    assert "array[J] real<offset=mu, multiplier=tau> theta;" in centered.fitted_source
    # ... from the library compiled for the program as written, which holds both versions
    assert "llb_rewrite" in (centered.compiled.library.parent / "program.stan").read_text()
    assert noncentered.reparameterisation is None


def test_a_rewritten_program_checks_its_prior_in_the_coordinates_it_was_sampled_in(compiled):
    """Centred eight schools is sampled non-centred from its switchable library; the numerical check
    of its prior's normalisation samples the prior there too (centred, the prior is a funnel) and
    finds the constant the analysis gives (its log is 0 once llb has truncated the half-Cauchy)."""
    settings = FitSettings(sampler=SamplerConfig(seed=1), verify_normalisation=True)
    report = fit_program(read_program("eight_schools_centered.stan"), EIGHT_SCHOOLS, settings=settings)
    assert report.ok, report.reason
    assert report.reparameterisation is not None
    normaliser = report.prior_normaliser
    assert normaliser is not None and normaliser.ok, normaliser
    assert abs(normaliser.log_normaliser) < max(4 * normaliser.mc_se, 0.05)
    assert_close(report, eight_schools_exact())
