"""Estimate a program's log marginal likelihood log p(x | m) from its posterior draws.

All estimators work in Stan's unconstrained space, on the fully normalised log joint density
log p(z, x | m) (every constant kept, Jacobian included), given as ``log_density(thetas) -> values``
for an (n, d) array. They need only numpy and scipy.

- ``"bridge"`` (default): bridge sampling (Meng and Wong 1996) with the iterative optimal bridge.
  The proposal is a full-covariance Gaussian fitted to the first half of each chain's draws; the
  second halves are the posterior side of the bridge. Both terms of the optimal bridge are bounded,
  so unlike importance sampling its error depends on the overlap of proposal and posterior, not on
  the proposal's tails: an imperfect fit costs variance, never an infinite-variance estimate. (A
  Student-t proposal was measured to give 2-3 times larger errors, being a looser fit.)
- ``"is"``: importance sampling from a multivariate Student-t (5 degrees of freedom) fitted to the
  draws, heavier-tailed than the posterior as importance sampling needs, with the Pareto k-hat of the
  importance ratios (Vehtari et al., "Pareto smoothed importance sampling") as its reliability figure.
- ``"iw"``: the estimator of the Large Language Bayes paper: a full-covariance Gaussian fitted to the
  posterior draws and the importance-weighted bound log (1/K) sum_k p(z_k, x) / q(z_k).

Each returns an ``Evidence`` record with a Monte Carlo standard error in nats and, where it
applies, the Pareto k-hat of the proposal's importance ratios.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special

from llb.stats.summary import ess_basic

LogDensityFn = Callable[[np.ndarray], np.ndarray]

METHODS = ("bridge", "is", "iw")
DEFAULT_METHOD = "bridge"
T_DEGREES_OF_FREEDOM = 5.0
DEFAULT_NUM_PROPOSAL = 4000
_BRIDGE_TOLERANCE = 1e-10
_BRIDGE_MAX_ITERATIONS = 1000


@dataclass(frozen=True)
class Evidence:
    method: str
    log_evidence: float
    mc_se: float  # Monte Carlo standard error of log_evidence, in nats
    pareto_k: float  # importance sampling's reliability (> 0.7: unreliable); nan for bridge sampling
    num_proposal: int
    seconds: float

    def to_json(self) -> dict[str, float | str | int | None]:
        def clean(value: float) -> float | None:
            return float(value) if math.isfinite(value) else None

        return {
            "method": self.method,
            "log_evidence": clean(self.log_evidence),
            "mc_se": clean(self.mc_se),
            "pareto_k": clean(self.pareto_k),
            "num_proposal": self.num_proposal,
            "seconds": round(self.seconds, 4),
        }


# -- proposals ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proposal:
    """A multivariate normal (df = inf) or Student-t with location, scale matrix and its Cholesky factor."""

    mean: np.ndarray
    cov: np.ndarray
    chol: np.ndarray
    df: float

    @property
    def dim(self) -> int:
        return self.mean.size

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        z = rng.standard_normal((size, self.dim)) @ self.chol.T
        if math.isfinite(self.df):
            z /= np.sqrt(rng.chisquare(self.df, size) / self.df)[:, None]
        return self.mean + z

    def log_density(self, thetas: np.ndarray) -> np.ndarray:
        d = self.dim
        solved = np.linalg.solve(self.chol, (thetas - self.mean).T)  # lower-triangular solve
        maha = np.sum(solved**2, axis=0)
        log_det = 2.0 * np.sum(np.log(np.diag(self.chol)))
        if not math.isfinite(self.df):
            return -0.5 * (d * math.log(2 * math.pi) + log_det + maha)
        nu = self.df
        return (
            special.gammaln((nu + d) / 2)
            - special.gammaln(nu / 2)
            - 0.5 * (d * math.log(nu * math.pi) + log_det)
            - 0.5 * (nu + d) * np.log1p(maha / nu)
        )


def fit_proposal(draws: np.ndarray, *, df: float = math.inf) -> Proposal:
    """Moment-matched proposal for (n, d) draws, covariance regularised towards a small multiple of I.

    For a Student-t the scale matrix is the covariance times (df - 2) / df, so its covariance
    matches the draws'.
    """
    n, d = draws.shape
    mean = draws.mean(axis=0)
    cov = np.cov(draws, rowvar=False).reshape(d, d) if n > 1 else np.eye(d)
    # Shrink as Stan does for its metric: (n / (n + 5)) cov + 1e-3 (5 / (n + 5)) I
    cov = (n / (n + 5.0)) * cov + 1e-3 * (5.0 / (n + 5.0)) * np.eye(d)
    if math.isfinite(df):
        cov = cov * (df - 2.0) / df
    chol = _safe_cholesky(cov)
    return Proposal(mean, chol @ chol.T, chol, df)


def _safe_cholesky(cov: np.ndarray) -> np.ndarray:
    jitter = 0.0
    scale = float(np.mean(np.diag(cov))) or 1.0
    for _ in range(10):
        try:
            return np.linalg.cholesky(cov + jitter * np.eye(cov.shape[0]))
        except np.linalg.LinAlgError:
            jitter = max(jitter * 10, 1e-10 * scale)
    raise np.linalg.LinAlgError("covariance of the posterior draws is not positive definite")


# -- helpers -------------------------------------------------------------------------------------
def _log_mean_exp(values: np.ndarray) -> float:
    return float(special.logsumexp(values) - math.log(values.size))


def _log_mean_exp_se(log_ratios: np.ndarray) -> float:
    """Delta-method standard error of log(mean(exp(r))) for independent ratios."""
    finite = log_ratios[np.isfinite(log_ratios)]
    if finite.size < 2:
        return math.inf
    w = np.exp(log_ratios - finite.max())
    mean = w.mean()
    return float(w.std(ddof=1) / (math.sqrt(w.size) * mean)) if mean > 0 else math.inf


def _evaluate(log_density: LogDensityFn, thetas: np.ndarray) -> np.ndarray:
    values = np.asarray(log_density(thetas), dtype=float)
    return np.where(np.isnan(values), -np.inf, values)


def pareto_khat(log_ratios: np.ndarray) -> float:
    """Pareto k-hat of the upper tail of importance ratios (Zhang and Stephens 2009 fit).

    Tail size M = min(n / 5, 3 sqrt(n)), as in PSIS. k < 0.5: reliable; 0.5-0.7: usable; > 0.7: not.
    """
    finite = np.sort(log_ratios[np.isfinite(log_ratios)])
    n = finite.size
    tail_size = int(min(n / 5, 3 * math.sqrt(n)))
    if tail_size < 5:
        return math.inf
    shifted = np.exp(finite - finite[-1])
    threshold = shifted[-tail_size - 1]
    exceedances = shifted[-tail_size:] - threshold
    if np.all(exceedances <= 0):
        return 0.0
    return _gpd_shape(exceedances)


def _gpd_shape(x: np.ndarray) -> float:
    """Shape of a generalised Pareto fitted to exceedances x > 0 (Zhang and Stephens 2009, with
    the weakly informative prior of Vehtari et al. shrinking k towards 0.5)."""
    x = np.sort(x)
    n = x.size
    prior = 3.0
    m = 30 + int(math.sqrt(n))
    quartile = x[int(n / 4 + 0.5) - 1]
    theta = 1 / x[-1] + (1 - np.sqrt(m / (np.arange(1, m + 1) - 0.5))) / (prior * quartile)
    k = np.mean(np.log1p(-theta[:, None] * x[None, :]), axis=1)
    log_lik = n * (np.log(-theta / k) - k - 1)
    weights = np.exp(-special.logsumexp(log_lik[None, :] - log_lik[:, None], axis=1))
    theta_hat = np.sum(theta * weights)
    k_hat = float(np.mean(np.log1p(-theta_hat * x)))
    return (n * k_hat + 10 * 0.5) / (n + 10)


# -- estimators ----------------------------------------------------------------------------------
def _importance_estimate(
    method: str, proposal: Proposal, log_density: LogDensityFn, rng: np.random.Generator, num_proposal: int, start: float
) -> Evidence:
    z = proposal.sample(rng, num_proposal)
    log_ratios = _evaluate(log_density, z) - proposal.log_density(z)
    return Evidence(
        method,
        _log_mean_exp(log_ratios),
        _log_mean_exp_se(log_ratios),
        pareto_khat(log_ratios),
        num_proposal,
        time.perf_counter() - start,
    )


def iw_bound(
    log_density: LogDensityFn, draws: np.ndarray, *, rng: np.random.Generator, num_proposal: int = DEFAULT_NUM_PROPOSAL
) -> Evidence:
    """The paper's estimator: Gaussian fitted to all draws, importance-weighted bound with K draws."""
    start = time.perf_counter()
    return _importance_estimate("iw", fit_proposal(draws), log_density, rng, num_proposal, start)


def importance_sampling(
    log_density: LogDensityFn, draws: np.ndarray, *, rng: np.random.Generator, num_proposal: int = DEFAULT_NUM_PROPOSAL
) -> Evidence:
    """Importance sampling from a Student-t fitted to the draws; k-hat says whether to trust it."""
    start = time.perf_counter()
    proposal = fit_proposal(draws, df=T_DEGREES_OF_FREEDOM)
    return _importance_estimate("is", proposal, log_density, rng, num_proposal, start)


def bridge_sampling(
    log_density: LogDensityFn,
    draws: np.ndarray,
    *,
    rng: np.random.Generator,
    num_proposal: int = DEFAULT_NUM_PROPOSAL,
) -> Evidence:
    """Iterative optimal bridge between a Gaussian proposal and the posterior.

    ``draws`` are posterior draws shaped (chains, n, d) (or (n, d) for one chain); the first half of
    each chain is used to fit the proposal and the second half for the bridge. ``posterior_ess`` (the effective size of
    the bridge half) corrects the error estimate for autocorrelation; without it the draws are
    treated as independent.
    """
    start = time.perf_counter()
    chains = draws if draws.ndim == 3 else draws[None]
    half = chains.shape[1] // 2
    fit_half = chains[:, :half].reshape(-1, chains.shape[2])
    bridge_half = chains[:, half:].reshape(-1, chains.shape[2])
    proposal = fit_proposal(fit_half)
    z = proposal.sample(rng, num_proposal)
    # log ratios l = log p(., x) - log q(.) at proposal draws and at posterior draws
    l_prop = _evaluate(log_density, z) - proposal.log_density(z)
    l_post = _evaluate(log_density, bridge_half) - proposal.log_density(bridge_half)
    n1, n2 = bridge_half.shape[0], num_proposal
    s1, s2 = n1 / (n1 + n2), n2 / (n1 + n2)
    # Iterate log r <- log mean_q[ l / (s1 l + s2 r) ] - log mean_p[ 1 / (s1 l + s2 r) ] (Meng and Wong, eq. 4.1)
    log_r = _log_mean_exp(l_prop) if np.isfinite(l_prop).any() else 0.0
    log_s1, log_s2 = math.log(s1), math.log(s2)
    for _ in range(_BRIDGE_MAX_ITERATIONS):
        numerator = l_prop - np.logaddexp(log_s1 + l_prop, log_s2 + log_r)
        denominator = -np.logaddexp(log_s1 + l_post, log_s2 + log_r)
        new_log_r = _log_mean_exp(numerator) - _log_mean_exp(denominator)
        if not math.isfinite(new_log_r):
            return Evidence("bridge", -math.inf, math.inf, math.inf, num_proposal, time.perf_counter() - start)
        converged = abs(new_log_r - log_r) < _BRIDGE_TOLERANCE
        log_r = new_log_r
        if converged:
            break
    mc_se = _bridge_error(l_prop, l_post, log_r, s1, s2, chains.shape[0])
    # Pareto k describes importance sampling from the proposal; the bridge does not depend on the
    # proposal's tails (its error is mc_se), so k would only alarm without cause: not reported.
    return Evidence("bridge", log_r, mc_se, math.nan, num_proposal, time.perf_counter() - start)


def _bridge_error(l_prop: np.ndarray, l_post: np.ndarray, log_r: float, s1: float, s2: float, num_chains: int) -> float:
    """Approximate standard error of log r from the relative MSE of Fruehwirth-Schnatter (2004)."""
    n1, n2 = l_post.size, l_prop.size
    # With p_hat = p / r: f_prop = p_hat / (s1 p_hat + s2 q) at proposal draws and
    # f_post = q / (s1 p_hat + s2 q) at posterior draws (both times s2, which cancels).
    f_prop = s2 * np.exp(-np.logaddexp(math.log(s1) + l_prop - log_r, math.log(s2))) * np.exp(l_prop - log_r)
    f_post = s2 * np.exp(-np.logaddexp(math.log(s1) + l_post - log_r, math.log(s2)))
    mean_prop, mean_post = f_prop.mean(), f_post.mean()
    if mean_prop <= 0 or mean_post <= 0:
        return math.inf
    ess_post = ess_basic(f_post.reshape(num_chains, -1)) if n1 >= 4 * num_chains else n1
    ess_post = min(ess_post, n1) if math.isfinite(ess_post) else n1
    relative_mse = f_prop.var() / (n2 * mean_prop**2) + f_post.var() / (ess_post * mean_post**2)
    return float(math.sqrt(relative_mse))


def estimate_evidence(
    log_density: LogDensityFn,
    draws: np.ndarray,
    *,
    method: str = DEFAULT_METHOD,
    seed: int = 0,
    num_proposal: int = DEFAULT_NUM_PROPOSAL,
) -> Evidence:
    """log p(x | m) by ``method`` from unconstrained posterior draws, shaped (chains, n, d) or (n, d).

    A program with no parameters (d = 0) has p(x | m) = p(x, z | m) at the empty z: exact.
    """
    if method not in METHODS:
        raise ValueError(f"unknown evidence method {method!r}; choose one of {', '.join(METHODS)}")
    rng = np.random.default_rng(seed)
    draws = np.asarray(draws, dtype=float)
    if draws.ndim not in (2, 3):
        raise ValueError("draws must be an (n, d) or (chains, n, d) array")
    if draws.shape[-1] == 0:
        start = time.perf_counter()
        value = float(_evaluate(log_density, np.zeros((1, 0)))[0])
        return Evidence(method, value, 0.0, 0.0, 0, time.perf_counter() - start)
    flat = draws.reshape(-1, draws.shape[-1])
    if method == "iw":
        return iw_bound(log_density, flat, rng=rng, num_proposal=num_proposal)
    if method == "is":
        return importance_sampling(log_density, flat, rng=rng, num_proposal=num_proposal)
    return bridge_sampling(log_density, draws, rng=rng, num_proposal=num_proposal)
