"""The evidence estimators on log densities whose normaliser is known exactly, without Stan.

"Posterior draws" are exact independent draws (numpy), shaped (4 chains, 1000, d). Over 60 seeds, the
errors divided by each estimate's reported Monte Carlo standard error should look like a standard normal:
for z ~ N(0, 1), E|z| = sqrt(2/pi) and sd|z| = sqrt(1 - 2/pi), so the mean of 60 |z| lies within
sqrt(2/pi) +- 4.5 sqrt((1 - 2/pi)/60) = [0.45, 1.15] and the mean z within +-4.5/sqrt(60) = +-0.58. That
checks both that the estimates are right and that the reported error is honest: an error reported twice
too small (mean |z| 1.6) or twice too large (0.4) fails.

Estimator/target pairs are tested for honesty only where the importance ratios have finite variance,
which is what the delta-method standard errors assume:
- bridge: its terms p/(s1 p + s2 q) and q/(s1 p + s2 q) are bounded, so every target;
- is (Student-t, 5 df, proposal): the ratio p/q is bounded for the Gaussian, the banana and the log-gamma
  targets (their tails are lighter than the t's), and for the t with 3 df p^2/q ~ |x|^-2 is integrable;
- iw (Gaussian proposal): the Gaussian target only; for the others p^2/q is not integrable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from scipy import integrate, special, stats

from llb.stats import evidence
from llb.stats.evidence import METHODS, Evidence, estimate_evidence, fit_proposal, pareto_khat

Z = 4.5
NUM_SEEDS = 60
CHAINS, DRAWS = 4, 1000
MEAN_ABS_Z = math.sqrt(2 / math.pi)
MEAN_ABS_Z_TOLERANCE = Z * math.sqrt((1 - 2 / math.pi) / NUM_SEEDS)
MEAN_Z_TOLERANCE = Z / math.sqrt(NUM_SEEDS)


@dataclass(frozen=True)
class Target:
    log_density: Callable[[np.ndarray], np.ndarray]  # (n, d) -> (n,)
    log_z: float  # exact log normaliser
    draw: Callable[[np.random.Generator], np.ndarray]  # exact draws shaped (CHAINS, DRAWS, d)


def gaussian_target() -> Target:
    """An unnormalised correlated 3-D Gaussian kernel times e^7.3: Z = e^7.3 (2 pi)^(3/2) |S|^(1/2)."""
    mu = np.array([1.0, -2.0, 0.5])
    cov = np.array([[2.0, 1.2, -0.6], [1.2, 1.5, 0.3], [-0.6, 0.3, 0.8]])
    precision = np.linalg.inv(cov)
    chol = np.linalg.cholesky(cov)
    log_c = 7.3

    def log_density(theta):
        r = theta - mu
        return log_c - 0.5 * np.einsum("ni,ij,nj->n", r, precision, r)

    log_z = log_c + 1.5 * math.log(2 * math.pi) + 0.5 * np.linalg.slogdet(cov)[1]
    return Target(log_density, log_z, lambda rng: mu + rng.standard_normal((CHAINS, DRAWS, 3)) @ chol.T)


def banana_target(b: float = 0.5, s1: float = 1.5, s2: float = 1.0, log_c: float = 2.0) -> Target:
    """(y1, y2 - b y1^2) is N(0, diag(s1^2, s2^2)); the transform has Jacobian 1, so Z = e^c 2 pi s1 s2."""

    def log_density(theta):
        y1, y2 = theta[:, 0], theta[:, 1]
        return log_c - 0.5 * (y1 / s1) ** 2 - 0.5 * ((y2 - b * y1**2) / s2) ** 2

    def draw(rng):
        x = rng.standard_normal((CHAINS, DRAWS, 2))
        y1 = s1 * x[..., 0]
        return np.stack([y1, s2 * x[..., 1] + b * y1**2], axis=-1)

    return Target(log_density, log_c + math.log(2 * math.pi * s1 * s2), draw)


def log_gamma_target(shapes=(0.7, 2.0, 5.0)) -> Target:
    """Independent logs of Gamma(a, 1) variables, skewed to the left: kernel exp(a y - e^y), Z = prod Gamma(a)."""
    a = np.array(shapes)
    return Target(
        lambda theta: np.sum(a * theta - np.exp(theta), axis=1),
        float(np.sum(special.gammaln(a))),
        lambda rng: np.log(rng.gamma(a, size=(CHAINS, DRAWS, a.size))),
    )


def student_t3_target(log_c: float = -1.1) -> Target:
    """A 1-D Student-t with 3 degrees of freedom (tails heavier than the proposals'), times e^-1.1."""
    return Target(
        lambda theta: stats.t(3).logpdf(theta[:, 0]) + log_c,
        log_c,
        lambda rng: rng.standard_t(3, size=(CHAINS, DRAWS, 1)),
    )


TARGETS = {
    "gaussian": gaussian_target(),
    "banana": banana_target(),
    "log_gamma": log_gamma_target(),
    "student_t3": student_t3_target(),
}
FINITE_VARIANCE = [
    ("gaussian", "bridge"), ("gaussian", "is"), ("gaussian", "iw"),
    ("banana", "bridge"), ("banana", "is"),
    ("log_gamma", "bridge"), ("log_gamma", "is"),
    ("student_t3", "bridge"), ("student_t3", "is"),
]  # fmt: skip


def z_scores(target: Target, method: str) -> np.ndarray:
    scores = []
    for seed in range(NUM_SEEDS):
        draws = target.draw(np.random.default_rng([2024, seed]))
        result = estimate_evidence(target.log_density, draws, method=method, seed=seed)
        assert result.method == method
        assert math.isfinite(result.log_evidence) and 0 < result.mc_se < math.inf
        scores.append((result.log_evidence - target.log_z) / result.mc_se)
    return np.array(scores)


@pytest.mark.parametrize("target_name, method", FINITE_VARIANCE)
def test_errors_over_reported_standard_errors_look_standard_normal(target_name, method):
    z = z_scores(TARGETS[target_name], method)
    assert abs(np.mean(np.abs(z)) - MEAN_ABS_Z) < MEAN_ABS_Z_TOLERANCE, z
    assert abs(np.mean(z)) < MEAN_Z_TOLERANCE, z


def test_finite_variance_pairs_cover_every_method():
    assert {method for _, method in FINITE_VARIANCE} == set(METHODS)


@pytest.mark.parametrize("target_name", ["gaussian", "banana", "log_gamma", "student_t3"])
def test_default_estimate_is_within_its_error(target_name):
    target = TARGETS[target_name]
    draws = target.draw(np.random.default_rng(99))
    result = estimate_evidence(target.log_density, draws, seed=5)
    assert result.method == evidence.DEFAULT_METHOD == "bridge"
    assert result.num_proposal == evidence.DEFAULT_NUM_PROPOSAL
    assert abs(result.log_evidence - target.log_z) < Z * result.mc_se
    # The same seed gives the same answer.
    again = estimate_evidence(target.log_density, draws, seed=5)
    assert again.log_evidence == result.log_evidence and again.mc_se == result.mc_se


def test_bridge_accepts_a_single_chain():
    target = TARGETS["gaussian"]
    draws = target.draw(np.random.default_rng(3)).reshape(-1, 3)  # (n, d): one chain
    result = estimate_evidence(target.log_density, draws, method="bridge", seed=1)
    assert abs(result.log_evidence - target.log_z) < Z * result.mc_se


def test_more_proposal_draws_shrink_the_error():
    # IS on the Gaussian target: the delta-method error scales as 1 / sqrt(num_proposal).
    target = TARGETS["gaussian"]
    draws = target.draw(np.random.default_rng(11))
    small = estimate_evidence(target.log_density, draws, method="is", seed=2, num_proposal=1000)
    large = estimate_evidence(target.log_density, draws, method="is", seed=2, num_proposal=16000)
    assert small.num_proposal == 1000 and large.num_proposal == 16000
    assert large.mc_se < small.mc_se
    assert abs(large.log_evidence - target.log_z) < Z * large.mc_se


def test_log_density_returning_nan_counts_as_zero_density():
    # The Gaussian target with NaN outside a box holding essentially all of the proposal's mass
    # except a sliver: the estimate is of the density restricted to the box, which is < Z.
    target = TARGETS["gaussian"]

    def with_nan(theta):
        values = target.log_density(theta)
        return np.where(theta[:, 0] > 1.0, np.nan, values)  # half the mass (mean of theta_0 is 1)

    draws = target.draw(np.random.default_rng(4))
    draws = draws[draws[..., 0] <= 1.0][: CHAINS * 400].reshape(CHAINS, 400, 3)  # the truncated posterior
    result = estimate_evidence(with_nan, draws, method="is", seed=0)
    assert abs(result.log_evidence - (target.log_z - math.log(2))) < Z * result.mc_se


# -- Pareto k-hat ---------------------------------------------------------------------------------
def test_khat_of_a_narrow_proposal_is_large():
    # Ratios N(0, 3^2) / N(0, 1) at N(0, 1) draws: w ~ exp(4 x^2 / 9), whose tail index is k = 8/9.
    x = np.random.default_rng(17).standard_normal(1_000_000)
    k = pareto_khat(stats.norm.logpdf(x, scale=3.0) - stats.norm.logpdf(x))
    assert k > 0.7


def test_khat_of_a_wide_proposal_is_small():
    # Ratios N(0, 1) / N(0, 3^2) at N(0, 3^2) draws are bounded: k < 0.
    x = 3.0 * np.random.default_rng(18).standard_normal(4000)
    k = pareto_khat(stats.norm.logpdf(x) - stats.norm.logpdf(x, scale=3.0))
    assert k < 0.5


@pytest.mark.parametrize("shape", [0.2, 0.6, 1.2])
def test_khat_recovers_the_shape_of_pareto_tails(shape):
    # Generalised Pareto ratios with shape k: the estimate's sd is about (1 + k) / sqrt(M), M = 3 sqrt(n),
    # and it is shrunk towards 0.5 with weight 10 / (M + 10).
    n = 40_000
    ratios = 1.0 + stats.genpareto(c=shape).rvs(size=n, random_state=np.random.default_rng(5))
    tail = int(3 * math.sqrt(n))
    expected = (tail * shape + 10 * 0.5) / (tail + 10)
    assert abs(pareto_khat(np.log(ratios)) - expected) < Z * (1 + shape) / math.sqrt(tail)


def test_khat_with_too_few_ratios_is_infinite():
    assert pareto_khat(np.zeros(20)) == math.inf  # tail of 4 < 5
    assert pareto_khat(np.array([0.0, 1.0, -np.inf, np.nan] * 3)) == math.inf


def test_khat_of_constant_ratios_is_zero():
    assert pareto_khat(np.full(1000, -2.5)) == 0.0


# -- programs with no parameters, bad input --------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", [(4, 1000, 0), (250, 0)])
def test_no_parameters_is_exact(method, shape):
    calls = []

    def log_density(theta):
        calls.append(theta.shape)
        return np.full(theta.shape[0], -3.75)

    result = estimate_evidence(log_density, np.empty(shape), method=method)
    assert isinstance(result, Evidence)
    assert result.log_evidence == -3.75 and result.mc_se == 0.0
    assert result.method == method
    assert calls == [(1, 0)]


def test_unknown_method_raises():
    target = TARGETS["gaussian"]
    with pytest.raises(ValueError, match="unknown evidence method 'laplace'"):
        estimate_evidence(target.log_density, target.draw(np.random.default_rng(0)), method="laplace")


def test_draws_of_the_wrong_rank_raise():
    with pytest.raises(ValueError, match="draws must be"):
        estimate_evidence(lambda t: np.zeros(t.shape[0]), np.zeros(10))


def test_to_json_cleans_non_finite_values():
    record = Evidence("bridge", -math.inf, math.inf, math.nan, 4000, 0.123456).to_json()
    assert record == {
        "method": "bridge",
        "log_evidence": None,
        "mc_se": None,
        "pareto_k": None,
        "num_proposal": 4000,
        "seconds": 0.1235,
    }


# -- the proposal ----------------------------------------------------------------------------------
def random_draws(seed: int, n: int = 5000, d: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d))
    return rng.normal(size=d) + rng.standard_normal((n, d)) @ mixing.T


def shrunk_covariance(draws: np.ndarray) -> np.ndarray:
    n, d = draws.shape
    return (n / (n + 5)) * np.cov(draws, rowvar=False).reshape(d, d) + 1e-3 * (5 / (n + 5)) * np.eye(d)


@pytest.mark.parametrize("seed", range(3))
def test_student_t_proposal_matches_the_draws_covariance(seed):
    draws = random_draws(seed)
    proposal = fit_proposal(draws, df=5.0)
    assert proposal.df == 5.0 and proposal.dim == 3
    np.testing.assert_allclose(proposal.mean, draws.mean(axis=0), rtol=1e-12, atol=1e-12)
    # The scale matrix of a t with df degrees of freedom is its covariance times (df - 2) / df.
    np.testing.assert_allclose(proposal.cov, shrunk_covariance(draws) * 3 / 5, rtol=1e-10)
    np.testing.assert_allclose(proposal.chol @ proposal.chol.T, proposal.cov, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.tril(proposal.chol), proposal.chol)
    thetas = random_draws(seed + 10, n=50)
    expected = stats.multivariate_t(loc=proposal.mean, shape=proposal.cov, df=5.0).logpdf(thetas)
    np.testing.assert_allclose(proposal.log_density(thetas), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_gaussian_proposal_is_moment_matched(seed):
    draws = random_draws(seed)
    proposal = fit_proposal(draws)
    assert proposal.df == math.inf
    np.testing.assert_allclose(proposal.cov, shrunk_covariance(draws), rtol=1e-10)
    thetas = random_draws(seed + 10, n=50)
    expected = stats.multivariate_normal(mean=proposal.mean, cov=proposal.cov).logpdf(thetas)
    np.testing.assert_allclose(proposal.log_density(thetas), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("df", [math.inf, 5.0])
def test_proposal_density_integrates_to_one(df):
    proposal = fit_proposal(np.random.default_rng(8).normal(2.0, 1.7, (500, 1)), df=df)
    total, error = integrate.quad(lambda x: math.exp(proposal.log_density(np.array([[x]]))[0]), -np.inf, np.inf)
    assert total == pytest.approx(1.0, abs=max(10 * error, 1e-8))


@pytest.mark.parametrize("df", [math.inf, 5.0])
def test_proposal_samples_have_the_proposal_covariance(df):
    # Sample covariance around the known mean, entry by entry, within its exact standard error:
    # Var(x_i x_j) = c (S_ii S_jj + 2 S_ij^2) - Sigma_ij^2 with c = 1 for a normal and
    # c = df^2 / ((df - 2)(df - 4)) for a t with scale matrix S (whose covariance is Sigma = S df / (df - 2)).
    proposal = fit_proposal(random_draws(21), df=df)
    n = 200_000
    x = proposal.sample(np.random.default_rng(22), n) - proposal.mean
    scale = proposal.cov
    if math.isfinite(df):
        sigma = scale * df / (df - 2)
        c = df**2 / ((df - 2) * (df - 4))
    else:
        sigma, c = scale, 1.0
    diag = np.diag(scale)
    variance = c * (np.outer(diag, diag) + 2 * scale**2) - sigma**2
    se = np.sqrt(variance / n)
    assert np.all(np.abs(x.T @ x / n - sigma) < Z * se)
    assert np.all(np.abs(x.mean(axis=0)) < Z * np.sqrt(np.diag(sigma) / n))


def test_fit_proposal_handles_degenerate_draws():
    # One draw: identity covariance. Identical draws: the 1e-3 shrinkage keeps it positive definite.
    one = fit_proposal(np.array([[1.0, 2.0]]))
    np.testing.assert_allclose(one.cov, (1 / 6) * np.eye(2) + 1e-3 * (5 / 6) * np.eye(2), rtol=1e-12)
    same = fit_proposal(np.ones((100, 2)), df=5.0)
    np.testing.assert_allclose(same.cov, 1e-3 * (5 / 105) * np.eye(2) * 3 / 5, rtol=1e-10)
