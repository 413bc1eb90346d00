"""Constraining transforms: round trips, and the log Jacobian against exact formulas and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from conftest import make_model
from test_log_density import constrained_vector, zoo_data


def test_unconstrain_inverts_constrain(compiled, rng):
    with make_model(compiled("zoo.stan"), zoo_data(0, rng)) as model:
        for _ in range(5):
            theta = rng.normal(size=model.n_unconstrained)
            values = model.constrain(theta, include_tp=False, include_gq=False)
            np.testing.assert_allclose(model.unconstrain(values), theta, rtol=1e-9, atol=1e-9)
        values = constrained_vector()
        np.testing.assert_allclose(model.constrain(model.unconstrain(values), include_gq=False), values, rtol=1e-12)


def test_names_and_shapes(compiled, rng):
    with make_model(compiled("zoo.stan"), zoo_data(0, rng)) as model:
        assert model.constrained_names == ("mu", "sigma", "nu", "p", "a", "c", "u", "s[1]", "s[2]", "s[3]", "m[1]", "m[2]")
        assert model.n_unconstrained == 11
        shapes = {v.name: v.shape for v in model.variables}
        assert shapes["s"] == (3,) and shapes["mu"] == ()
        assert {v.block for v in model.variables} == {"parameters"}


def test_log_jacobian_of_bounded_transforms_is_exact(compiled, rng):
    """With an empty model block, log density with Jacobian minus without is log|J| of the transforms."""
    with make_model(compiled("zoo.stan"), zoo_data(0, rng)) as model:
        for _ in range(5):
            theta = rng.normal(size=model.n_unconstrained)
            assert model.log_density(theta, jacobian=False) == 0.0
            log_jac = model.log_density(theta, jacobian=True)
            t_sigma, t_nu, t_p, t_a, t_c, t_u = theta[1:7]
            expected = (
                t_sigma  # lower=0: x = exp(t)
                + t_nu  # lower=1: x = 1 + exp(t)
                + special.log_expit(t_p) + special.log_expit(-t_p)  # (0, 1): logistic
                + t_a
                + np.log(3.0) + special.log_expit(t_c) + special.log_expit(-t_c)  # (-1, 2)
                + t_u  # upper=3: x = 3 - exp(t)
            )
            simplex_part = log_jac - expected
            assert simplex_part == pytest.approx(simplex_log_jacobian_fd(model, theta), abs=1e-6)


def simplex_log_jacobian_fd(model, theta: np.ndarray) -> float:
    """log|det d(s_1, s_2)/d(t_1, t_2)| by central differences of constrain (s_3 = 1 - s_1 - s_2)."""
    index = [model.constrained_names.index("s[1]"), model.constrained_names.index("s[2]")]
    positions = [model.unconstrained_names.index(n) for n in model.unconstrained_names if n.startswith("s[")]
    h = 1e-6
    jac = np.zeros((2, 2))
    for col, pos in enumerate(positions):
        step = np.zeros_like(theta)
        step[pos] = h
        plus = model.constrain(theta + step, include_gq=False)[index]
        minus = model.constrain(theta - step, include_gq=False)[index]
        jac[:, col] = (plus - minus) / (2 * h)
    return float(np.log(abs(np.linalg.det(jac))))
