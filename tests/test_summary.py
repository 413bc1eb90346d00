"""Convergence diagnostics agree with ArviZ's implementation of the same definitions."""

from __future__ import annotations

import numpy as np
import pytest

from llb.stats.summary import ess_bulk, ess_tail, rhat, summarise

az = pytest.importorskip("arviz")


def ar1_chains(rng, *, phi: float, chains: int = 4, draws: int = 1000, offsets=None) -> np.ndarray:
    x = np.zeros((chains, draws))
    noise = rng.normal(size=(chains, draws))
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    if offsets is not None:
        x += np.asarray(offsets)[:, None]
    return x


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9, -0.3])
def test_rhat_and_ess_match_arviz(rng, phi):
    x = ar1_chains(rng, phi=phi)
    assert rhat(x) == pytest.approx(float(az.rhat(x, method="rank")), rel=1e-8)
    assert ess_bulk(x) == pytest.approx(float(az.ess(x, method="bulk")), rel=1e-6)
    assert ess_tail(x) == pytest.approx(float(az.ess(x, method="tail")), rel=1e-6)


def test_rhat_flags_chains_that_disagree(rng):
    x = ar1_chains(rng, phi=0.5, offsets=[0.0, 0.0, 0.0, 3.0])
    assert rhat(x) > 1.1
    assert rhat(x) == pytest.approx(float(az.rhat(x, method="rank")), rel=1e-8)


def test_constant_draws_have_no_diagnostics():
    x = np.ones((4, 100))
    assert np.isnan(rhat(x)) and np.isnan(ess_bulk(x))
    row = summarise(x[:, :, None], ["c"])[0]
    assert row["mean"] == 1.0 and row["sd"] == 0.0 and row["q05"] == 1.0


def test_summary_quantiles(rng):
    x = rng.normal(2.0, 3.0, size=(4, 5000, 1))
    row = summarise(x, ["a"])[0]
    assert row["name"] == "a"
    assert row["q50"] == pytest.approx(np.median(x))
    assert row["q05"] == pytest.approx(np.quantile(x, 0.05))
    assert row["mean"] == pytest.approx(2.0, abs=4.5 * 3 / np.sqrt(20000))
