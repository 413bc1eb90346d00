"""The runner's log density keeps every constant (propto=False): compare with scipy, term by term."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from conftest import make_model

N = 6
# parameter order in zoo.stan: mu, sigma, nu, p, a, c, u, s (2 unconstrained), m (2)
PARAMS = {"mu": 0.3, "sigma": 1.7, "nu": 4.5, "p": 0.35, "a": 2.5, "c": 0.8, "u": 1.2, "s": [0.2, 0.5, 0.3], "m": [0.4, -0.9]}


def zoo_data(which: int, rng) -> dict:
    S = np.array([[1.5, 0.4], [0.4, 0.8]])
    return {
        "which": which,
        "N": N,
        "y": rng.gamma(2.0, 1.0, size=N).round(3).tolist(),
        "k": rng.integers(0, 6, size=N).tolist(),
        "trials": [8] * N,
        "b": rng.integers(0, 2, size=N).tolist(),
        "x": rng.normal(size=N).round(3).tolist(),
        "yy": rng.normal(size=(N, 2)).round(3).tolist(),
        "S": S.tolist(),
    }


def constrained_vector() -> np.ndarray:
    flat = []
    for value in PARAMS.values():
        flat.extend(value if isinstance(value, list) else [value])
    return np.array(flat)


def scipy_log_density(which: int, data: dict) -> float:
    P = PARAMS
    y, k, trials, b, x = (np.array(data[key]) for key in ("y", "k", "trials", "b", "x"))
    if which == 0:
        return 0.0
    if which == 1:
        return stats.norm(P["mu"], P["sigma"]).logpdf(y).sum()
    if which == 2:
        return stats.t(P["nu"], P["mu"], P["sigma"]).logpdf(y).sum()
    if which == 3:
        return stats.lognorm(P["sigma"], scale=np.exp(P["mu"])).logpdf(y).sum()
    if which == 4:  # Stan's gamma(alpha, beta) has rate beta
        return stats.gamma(P["a"], scale=1 / P["sigma"]).logpdf(y).sum()
    if which == 5:
        return stats.beta(P["a"], P["sigma"]).logpdf(P["p"])
    if which == 6:
        return stats.binom(trials, P["p"]).logpmf(k).sum()
    if which == 7:
        return stats.poisson(P["a"]).logpmf(k).sum()
    if which == 8:
        eta = P["mu"] + P["c"] * x
        return np.sum(b * special.log_expit(eta) + (1 - b) * special.log_expit(-eta))
    if which == 9:
        return stats.multivariate_normal(P["m"], np.array(data["S"])).logpdf(np.array(data["yy"])).sum()
    if which == 10:
        return stats.dirichlet([2, 3, 4]).logpdf(P["s"])
    raise ValueError(which)


@pytest.mark.parametrize("which", range(1, 11), ids=["normal", "student_t", "lognormal", "gamma", "beta", "binomial", "poisson", "bernoulli_logit", "multi_normal", "dirichlet"])
def test_log_density_matches_scipy_with_all_constants(compiled, rng, which):
    data = zoo_data(which, rng)
    with make_model(compiled("zoo.stan"), data) as model:
        theta = model.unconstrain(constrained_vector())
        expected = scipy_log_density(which, data)
        assert model.log_density(theta, jacobian=False) == pytest.approx(expected, rel=1e-10, abs=1e-10)
        # the gradient is the derivative of the same function: check one central difference per coordinate
        value, gradient = model.log_density_gradient(theta, jacobian=False)
        assert value == pytest.approx(expected, rel=1e-10, abs=1e-10)
        h = 1e-6
        for i in range(model.n_unconstrained):
            step = np.zeros_like(theta)
            step[i] = h
            numeric = (model.log_density(theta + step, jacobian=False) - model.log_density(theta - step, jacobian=False)) / (2 * h)
            assert gradient[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_propto_drops_exactly_the_constants(compiled, rng):
    data = zoo_data(1, rng)
    with make_model(compiled("zoo.stan"), data) as model:
        theta = model.unconstrain(constrained_vector())
        full = model.log_density(theta, jacobian=False)
        dropped = model.log_density(theta, propto=True, jacobian=False)
        # normal with a parameter sigma: only -N/2 log(2 pi) is constant
        assert full - dropped == pytest.approx(-N / 2 * np.log(2 * np.pi), rel=1e-12)


def test_batch_log_density_equals_single_evaluations(compiled, rng):
    data = zoo_data(2, rng)
    with make_model(compiled("zoo.stan"), data) as model:
        thetas = rng.normal(size=(20, model.n_unconstrained))
        batch = model.log_density_many(thetas)
        single = [model.log_density(t) for t in thetas]
        np.testing.assert_allclose(batch, single, rtol=1e-12)


def test_batch_gives_minus_infinity_where_the_model_rejects(compiled, rng):
    data = zoo_data(1, rng)
    with make_model(compiled("zoo.stan"), data) as model:
        thetas = np.zeros((2, model.n_unconstrained))
        thetas[1, 1] = -800.0  # sigma = exp(-800) underflows to 0: normal_lpdf rejects the scale
        values = model.log_density_many(thetas)
        assert np.isfinite(values[0])
        assert values[1] == -np.inf
