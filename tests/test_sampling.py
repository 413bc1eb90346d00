"""NUTS recovers exact conjugate posteriors within Monte Carlo error.

Tolerances are 4.5 Monte Carlo standard errors (per check, a false alarm about once in 150,000 runs),
with the effective sample size estimated from the draws themselves.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from conftest import make_model
from llb.stan.sample import SamplerConfig, sample_nuts
from llb.stats.summary import ess_bulk, ess_tail, rhat

Z = 4.5


@pytest.fixture(scope="module")
def conjugate_fit(compiled):
    rng = np.random.default_rng(7)
    data = {
        "N": 12, "y": rng.normal(1.3, 2.0, size=12).round(4).tolist(), "sigma": 2.0, "mu0": 0.0, "tau0": 3.0,
        "n": 20, "h": 14, "alpha": 2.0, "beta": 2.0,
        "M": 9, "counts": rng.poisson(3.4, size=9).tolist(), "shape": 1.5, "rate": 0.5,
    }  # fmt: skip
    with make_model(compiled("conjugate.stan"), data) as model:
        fit = sample_nuts(model, SamplerConfig(chains=4, warmup=1000, draws=2000, seed=11))
    return data, fit


def exact_posteriors(data: dict) -> dict:
    y = np.array(data["y"])
    precision = 1 / data["tau0"] ** 2 + len(y) / data["sigma"] ** 2
    mean = (data["mu0"] / data["tau0"] ** 2 + y.sum() / data["sigma"] ** 2) / precision
    return {
        "mu": stats.norm(mean, precision**-0.5),
        "theta": stats.beta(data["alpha"] + data["h"], data["beta"] + data["n"] - data["h"]),
        "lambda": stats.gamma(data["shape"] + sum(data["counts"]), scale=1 / (data["rate"] + data["M"])),
        "y_new": stats.norm(mean, np.sqrt(1 / precision + data["sigma"] ** 2)),
    }


@pytest.mark.parametrize("name", ["mu", "theta", "lambda", "y_new"])
def test_posterior_moments_and_quantiles_within_monte_carlo_error(conjugate_fit, name):
    data, fit = conjugate_fit
    exact = exact_posteriors(data)[name]
    x = fit.column(name)
    assert rhat(x) < 1.01
    ess = min(ess_bulk(x), ess_tail(x))
    assert ess > 1000
    sd = exact.std()
    assert abs(x.mean() - exact.mean()) < Z * sd / np.sqrt(ess)
    excess_kurtosis = float(exact.stats(moments="k"))
    sd_error = sd * np.sqrt((excess_kurtosis + 2) / (4 * ess))
    assert abs(x.std(ddof=1) - sd) < Z * sd_error
    for p in (0.05, 0.95):
        q = exact.ppf(p)
        quantile_error = np.sqrt(p * (1 - p) / ess) / exact.pdf(q)
        assert abs(np.quantile(x, p) - q) < Z * quantile_error


def test_sampler_diagnostics_are_recorded(conjugate_fit):
    _, fit = conjugate_fit
    assert fit.draws.shape == (4, 2000, 4)
    assert fit.unconstrained.shape == (4, 2000, 3)
    assert fit.num_divergent == 0
    diagnostics = fit.diagnostics()
    assert all(0 < s < 3 for s in diagnostics["stepsize"])
    assert 0.6 < diagnostics["mean_accept_stat"] < 1.0
    assert fit.inv_metric.shape == (4, 3) and np.all(fit.inv_metric > 0)


def test_unconstrained_draws_match_constrained_draws(conjugate_fit):
    _, fit = conjugate_fit
    # theta = logistic(t), lambda = exp(t)
    np.testing.assert_allclose(fit.column("mu"), fit.unconstrained[:, :, 0], rtol=1e-12)
    np.testing.assert_allclose(fit.column("theta"), 1 / (1 + np.exp(-fit.unconstrained[:, :, 1])), rtol=1e-9)
    np.testing.assert_allclose(fit.column("lambda"), np.exp(fit.unconstrained[:, :, 2]), rtol=1e-9)


def test_same_seed_same_draws_and_chains_differ(compiled):
    data = {"N": 3, "y": [0.1, 0.5, -0.2]}
    config = SamplerConfig(chains=2, warmup=200, draws=100, seed=5)
    with make_model(compiled("normal.stan"), data) as model:
        first = sample_nuts(model, config)
        second = sample_nuts(model, config)
    np.testing.assert_array_equal(first.draws, second.draws)
    assert not np.array_equal(first.draws[0], first.draws[1])


def synthetic_fit(unconstrained: np.ndarray, energy: np.ndarray, divergent: int = 0):
    from llb.stan.sample import Fit

    chains, draws, _ = unconstrained.shape
    sampler = np.zeros((chains, draws, 7))
    sampler[:, :, 6] = energy
    sampler[0, :divergent, 5] = 1
    return Fit(("x",), (), unconstrained, ("x",), unconstrained, sampler, np.ones(chains), np.ones((chains, 1)), 10, "", 0.0)


def test_sampling_trouble_counts_divergences_low_e_bfmi_and_disagreeing_chains():
    from llb.pipeline.program import sampling_trouble

    rng = np.random.default_rng(2)
    good = rng.normal(size=(4, 500, 1))
    iid_energy = rng.normal(size=(4, 500))
    assert sampling_trouble(synthetic_fit(good, iid_energy)) == (0, 0)
    assert sampling_trouble(synthetic_fit(good, iid_energy, divergent=3)) == (3, 0)
    shifted = good + np.array([0, 0, 0, 2.0])[:, None, None]  # one chain elsewhere: R-hat far above 1.01
    assert sampling_trouble(synthetic_fit(shifted, iid_energy)) == (0, 1)
    sticky = np.cumsum(rng.normal(size=(4, 500)), axis=1)  # energy as a random walk: E-BFMI near 0
    assert sampling_trouble(synthetic_fit(good, sticky)) == (0, 4)


def test_fits_are_ranked_by_divergences_and_warning_signs_together():
    """Hundreds of divergences rank worse than a few and one disagreeing coordinate; many
    disagreeing coordinates rank worse than a few divergences; at equal weight, fewer warnings win."""
    from llb.pipeline.program import WARNING_WEIGHT, sampling_trouble, trouble_rank

    rng = np.random.default_rng(4)
    energy = rng.normal(size=(4, 500))

    def fit(divergent, disagreeing, dimension=40):
        draws = rng.normal(size=(4, 500, dimension))
        draws[3, :, :disagreeing] += 2.0  # one chain elsewhere in these coordinates
        made = synthetic_fit(draws, energy, divergent=divergent)
        assert sampling_trouble(made) == (divergent, disagreeing)
        return made

    assert trouble_rank(fit(3, 1)) < trouble_rank(fit(330, 0))
    assert trouble_rank(fit(30, 0)) < trouble_rank(fit(0, 37))
    assert trouble_rank(fit(0, 0)) < trouble_rank(fit(1, 0)) < trouble_rank(fit(0, 1))
    assert trouble_rank(fit(WARNING_WEIGHT, 0)) < trouble_rank(fit(0, 1))  # same weight: fewer warnings


def test_adapt_delta_rises_only_while_divergences_fall_fast_enough_to_end():
    from dataclasses import dataclass

    from llb.stan.sample import climb_adapt_delta

    @dataclass
    class FakeFit:
        num_divergent: int

        @property
        def expected_divergences(self) -> float:
            return float(self.num_divergent)

    def sampler(divergences_by_delta):
        tried = []

        def sample(config, previous):
            assert previous.num_divergent > 0  # the refit starts from the fit it is to improve
            tried.append(config.adapt_delta)
            return FakeFit(divergences_by_delta[config.adapt_delta])

        return sample, tried

    ladder = (0.95, 0.99, 0.999)
    sample, tried = sampler({0.95: 4, 0.99: 4, 0.999: 0})
    config, fit = climb_adapt_delta(FakeFit(20), SamplerConfig(), ladder, sample)
    assert tried == [0.95, 0.99] and config.adapt_delta == 0.95 and fit.num_divergent == 4  # 0.99 did not help: stop
    # 20 -> 15 is a fall of 0.75 a rung: two rungs more would leave 15 * 0.75**2 = 8.4, so the climb stops
    sample, tried = sampler({0.95: 15, 0.99: 1, 0.999: 0})
    config, fit = climb_adapt_delta(FakeFit(20), SamplerConfig(), ladder, sample)
    assert tried == [0.95] and config.adapt_delta == 0.95 and fit.num_divergent == 15
    # 20 -> 4 -> 2: the second fall (0.5) projects 2 * 0.5 = 1 divergence at 0.999, not fewer: stop at 0.99
    sample, tried = sampler({0.95: 4, 0.99: 2, 0.999: 0})
    config, fit = climb_adapt_delta(FakeFit(20), SamplerConfig(), ladder, sample)
    assert tried == [0.95, 0.99] and config.adapt_delta == 0.99 and fit.num_divergent == 2
    sample, tried = sampler({0.95: 4, 0.99: 1, 0.999: 0})
    config, fit = climb_adapt_delta(FakeFit(20), SamplerConfig(), ladder, sample)
    assert tried == [0.95, 0.99, 0.999] and config.adapt_delta == 0.999 and fit.num_divergent == 0
    sample, tried = sampler({0.95: 0})
    assert climb_adapt_delta(FakeFit(3), SamplerConfig(), ladder, sample)[0].adapt_delta == 0.95 and tried == [0.95]
    sample, tried = sampler({})
    assert climb_adapt_delta(FakeFit(0), SamplerConfig(), ladder, sample)[1].num_divergent == 0 and tried == []


def test_a_warm_start_continues_from_the_earlier_fit(conjugate_fit, compiled):
    """Chains started from an earlier fit's last draws, step sizes and metrics, with a warmup too short
    for Stan to estimate a metric (< 20 iterations): they keep that metric exactly (a cold start keeps
    the identity) and their draws are already those of the posterior."""
    data, fit = conjugate_fit
    with make_model(compiled("conjugate.stan"), data) as model:
        warm = sample_nuts(model, SamplerConfig(chains=4, warmup=10, draws=2000, seed=12), warm=fit)
        cold = sample_nuts(model, SamplerConfig(chains=1, warmup=10, draws=10, seed=12))
        with pytest.raises(ValueError, match="unconstrained values"):
            model.sample_chain(seed=1, chain=1, num_warmup=10, num_draws=10, init=np.zeros(model.n_unconstrained + 1))
    np.testing.assert_array_equal(warm.inv_metric, fit.inv_metric)
    assert np.all(cold.inv_metric == 1.0)
    for name in ("mu", "theta"):
        exact = exact_posteriors(data)[name]
        x = warm.column(name)
        assert rhat(x) < 1.01
        assert abs(x.mean() - exact.mean()) < Z * exact.std() / np.sqrt(ess_bulk(x))


COLLINEAR_SIGMA, COLLINEAR_PRIOR_SD = 0.8, 2.0


@pytest.fixture(scope="module")
def collinear_regression(compiled):
    """A regression whose first two predictors nearly coincide: a posterior correlation near -1,
    which a diagonal metric can only cross in many small leapfrog steps."""
    rng = np.random.default_rng(21)
    N = 30
    first = rng.normal(size=N)
    X = np.column_stack([first, first + 0.05 * rng.normal(size=N), rng.normal(size=N)])
    y = X @ np.array([1.0, -0.5, 0.3]) + rng.normal(0, COLLINEAR_SIGMA, size=N)
    data = {"N": N, "K": 3, "X": X.tolist(), "y": y.tolist(), "sigma": COLLINEAR_SIGMA, "prior_sd": COLLINEAR_PRIOR_SD}
    precision = X.T @ X / COLLINEAR_SIGMA**2 + np.eye(3) / COLLINEAR_PRIOR_SD**2
    covariance = np.linalg.inv(precision)
    mean = covariance @ X.T @ y / COLLINEAR_SIGMA**2
    log_evidence = stats.multivariate_normal(np.zeros(N), COLLINEAR_SIGMA**2 * np.eye(N) + COLLINEAR_PRIOR_SD**2 * X @ X.T).logpdf(y)
    return compiled("regression.stan"), data, mean, covariance, log_evidence


def test_strongly_correlated_draws_get_a_dense_metric_that_recovers_the_exact_posterior(collinear_regression):
    from llb.stan.sample import correlation_condition, dense_refit, draws_metric, warm_refits

    library, data, mean, covariance, _ = collinear_regression
    config = SamplerConfig(seed=3)
    with make_model(library, data) as model:
        diagonal = sample_nuts(model, config)
        assert correlation_condition(diagonal) > 50  # the trigger
        dense = dense_refit(model, diagonal, config)
        assert dense is not None and dense.dense and dense.inv_metric.shape == (4, 3, 3)
        assert dense.diagnostics()["metric"] == "dense" and diagonal.diagnostics()["metric"] == "diag"
        # the metric given is kept through warmup: the chains end with exactly the draws' covariance
        for chain in range(4):
            np.testing.assert_allclose(dense.inv_metric[chain], draws_metric(diagonal, dense=True), rtol=1e-12)
        # a refit after a dense fit (a higher adapt_delta, say) stays dense, on the new draws' covariance
        refit = warm_refits(model)(SamplerConfig(seed=4, adapt_delta=0.95), dense)
        assert refit.dense
        np.testing.assert_allclose(refit.inv_metric[0], draws_metric(dense, dense=True), rtol=1e-12)
    # crossing the correlation takes far fewer leapfrog steps
    assert dense.sampler_column("n_leapfrog__").mean() < 0.5 * diagonal.sampler_column("n_leapfrog__").mean()
    for fit in (dense, refit):
        x = fit.unconstrained
        for k in range(3):
            column = x[:, :, k]
            ess = ess_bulk(column)
            assert rhat(column) < 1.01 and ess > 1000
            sd = np.sqrt(covariance[k, k])
            assert abs(column.mean() - mean[k]) < Z * sd / np.sqrt(ess)
            assert abs(column.std(ddof=1) - sd) < Z * sd * np.sqrt(2 / (4 * ess))  # Gaussian: excess kurtosis 0
        exact_rho = covariance[0, 1] / np.sqrt(covariance[0, 0] * covariance[1, 1])
        assert exact_rho < -0.95
        rho = np.corrcoef(x[:, :, 0].ravel(), x[:, :, 1].ravel())[0, 1]
        ess = min(ess_bulk(x[:, :, 0]), ess_bulk(x[:, :, 1]))
        assert abs(rho - exact_rho) < Z * (1 - exact_rho**2) / np.sqrt(ess)


def test_the_evidence_from_dense_metric_draws_is_exact(collinear_regression):
    from llb.stan.sample import dense_refit
    from llb.stats.evidence import estimate_evidence

    library, data, _, _, exact = collinear_regression
    config = SamplerConfig(seed=5)
    with make_model(library, data) as model:
        dense = dense_refit(model, sample_nuts(model, config), config)
        assert dense is not None
        evidence = estimate_evidence(model.log_density_many, dense.unconstrained, method="bridge", seed=5)
    # regression.stan drops no constants (normal() statements keep them in log_density_many)
    error = evidence.log_evidence - exact
    assert abs(error) < 0.1 and abs(error) < Z * evidence.mc_se + 1e-9, (evidence.log_evidence, exact, evidence.mc_se)


def test_a_dense_metric_is_not_tried_for_weakly_correlated_draws(conjugate_fit, compiled):
    from llb.stan.sample import correlation_condition, dense_refit

    data, fit = conjugate_fit
    assert correlation_condition(fit) < 5  # three independent posteriors
    with make_model(compiled("conjugate.stan"), data) as model:
        assert dense_refit(model, fit, SamplerConfig()) is None


def test_extended_chains_continue_the_fit_and_keep_sampling_the_posterior(conjugate_fit, compiled):
    from llb.stan.sample import draws_metric, extend_chains

    data, fit = conjugate_fit
    short = replace_draws(fit, 500)
    with make_model(compiled("conjugate.stan"), data) as model:
        longer = extend_chains(model, short, SamplerConfig(seed=13))
    assert longer.draws.shape == (4, 1000, 4) and longer.unconstrained.shape == (4, 1000, 3)
    np.testing.assert_array_equal(longer.draws[:, :500], short.draws)  # the first part is the fit itself
    np.testing.assert_allclose(longer.inv_metric[0], draws_metric(short, dense=False), rtol=1e-12)  # kept fixed
    assert longer.sampler.shape[1] == 1000
    for name in ("mu", "theta", "lambda"):
        exact = exact_posteriors(data)[name]
        x = longer.column(name)[:, 500:]  # the new part alone is a sample of the posterior
        assert abs(x.mean() - exact.mean()) < Z * exact.std() / np.sqrt(ess_bulk(x))


def replace_draws(fit, keep: int):
    """The fit with only its first ``keep`` draws in each chain."""
    from dataclasses import replace

    return replace(fit, draws=fit.draws[:, :keep], unconstrained=fit.unconstrained[:, :keep], sampler=fit.sampler[:, :keep])


def test_only_chains_that_mix_slowly_are_run_for_longer():
    from llb.pipeline.program import _mixes_slowly

    rng = np.random.default_rng(4)
    good = rng.normal(size=(4, 500, 1))
    iid_energy = rng.normal(size=(4, 500))
    shifted = good + np.array([0, 0, 0, 0.6])[:, None, None]  # chains that do not quite agree: R-hat about 1.03
    assert _mixes_slowly(synthetic_fit(shifted, iid_energy))
    assert not _mixes_slowly(synthetic_fit(good, iid_energy))  # nothing wrong
    assert not _mixes_slowly(synthetic_fit(shifted, iid_energy, divergent=2))  # divergences: other remedies
    sticky = np.cumsum(rng.normal(size=(4, 500)), axis=1)
    assert not _mixes_slowly(synthetic_fit(shifted, sticky))  # poor energy exploration: more draws will not help


def test_a_refit_that_fails_leaves_the_fit_in_hand(monkeypatch):
    import llb.pipeline.program as program
    from llb.stan.model import ModelRuntimeError

    def failing_refits(model):
        def refit(config, previous):
            raise ModelRuntimeError("the chains could not start")

        return refit

    monkeypatch.setattr(program, "warm_refits", failing_refits)
    rng = np.random.default_rng(6)
    fit = synthetic_fit(rng.normal(size=(4, 500, 1)), rng.normal(size=(4, 500)), divergent=5)
    config, kept = program._remedy(None, fit, SamplerConfig(), (0.95, 0.99))
    assert kept is fit and config.adapt_delta == 0.8


def test_continued_chains_keep_their_sampler_and_draw_from_the_posterior(conjugate_fit, compiled):
    """A continuation adapts nothing: each chain goes on with its step size and metric, its earlier
    draws kept as they were, and the new draws are draws of the exact posterior."""
    from llb.stan.sample import continue_chains

    data, fit = conjugate_fit
    config = SamplerConfig(chains=4, warmup=1000, draws=2000, seed=11)
    with make_model(compiled("conjugate.stan"), data) as model:
        longer = continue_chains(model, fit, config, 1500)
    assert longer.draws.shape[1] == 3500 and longer.planned_draws == 0
    np.testing.assert_array_equal(longer.draws[:, :2000], fit.draws)
    np.testing.assert_array_equal(longer.stepsize, fit.stepsize)
    np.testing.assert_array_equal(longer.sampler_column("stepsize__")[:, 2000:], np.repeat(fit.stepsize[:, None], 1500, axis=1))
    np.testing.assert_array_equal(longer.inv_metric, fit.inv_metric)
    for name in ("mu", "theta"):
        exact = exact_posteriors(data)[name]
        x = longer.column(name)[:, 2000:]
        assert rhat(x) < 1.01
        assert abs(x.mean() - exact.mean()) < Z * exact.std() / np.sqrt(ess_bulk(x))


def test_a_chain_without_a_usable_step_size_is_not_continued(conjugate_fit, compiled):
    """The runner goes on without adaptation only from a positive step size; from any other it would
    adapt one from scratch without warmup: an error instead, never such draws."""
    from llb.stan.model import ModelRuntimeError
    from llb.stan.sample import continue_chains

    data, fit = conjugate_fit
    for bad in (0.0, np.nan):
        broken = replace(fit, stepsize=np.where(np.arange(len(fit.stepsize)) == 1, bad, fit.stepsize))
        with make_model(compiled("conjugate.stan"), data) as model, pytest.raises(ModelRuntimeError, match="step size"):
            continue_chains(model, broken, SamplerConfig(chains=4, seed=11), 10)


def test_a_first_fit_stops_chains_that_diverge_early_and_completes_them_when_kept(compiled):
    """Eight schools, centred, at adapt_delta 0.8 diverges within its first draws: the fit stops there,
    stands for its planned length in comparisons (its divergences scaled), and ``complete`` runs the
    same chains on to that length."""
    from llb.stan.sample import complete, first_fit, probe_length

    from test_evidence_exact import EIGHT_SCHOOLS

    config = SamplerConfig(chains=4, warmup=1000, draws=1000, seed=4)
    with make_model(compiled("eight_schools_centered.stan"), EIGHT_SCHOOLS) as model:
        short = probe_length(config, model.n_unconstrained)
        stopped = first_fit(model, config)
        assert stopped.num_divergent > 0
        assert stopped.draws.shape[1] == short == 250 and stopped.planned_draws == 1000
        assert stopped.expected_divergences == stopped.num_divergent * 1000 / 250
        np.testing.assert_array_equal(stopped.draws, sample_nuts(model, replace(config, draws=short)).draws)
        full = complete(model, stopped, config)
    assert full.draws.shape[1] == 1000 and full.planned_draws == 0 and full.expected_divergences == full.num_divergent
    np.testing.assert_array_equal(full.draws[:, :short], stopped.draws)


def test_a_first_fit_without_early_divergences_is_a_probe_and_its_continuation(conjugate_fit, compiled):
    from llb.stan.sample import first_fit, probe_length

    data, _ = conjugate_fit
    config = SamplerConfig(chains=2, warmup=500, draws=1000, seed=21)
    with make_model(compiled("conjugate.stan"), data) as model:
        fit = first_fit(model, config)
        short = probe_length(config, model.n_unconstrained)
        probe = sample_nuts(model, replace(config, draws=short))
    assert fit.num_divergent == 0 and fit.draws.shape[1] == 1000 and fit.planned_draws == 0
    np.testing.assert_array_equal(fit.draws[:, :short], probe.draws)
    assert probe_length(SamplerConfig(chains=4), 400) == 1000  # enough draws for a dense metric of 400 coordinates


def test_a_refit_that_cannot_lower_the_divergences_stops_after_its_first_draws(conjugate_fit, compiled):
    """warm_refits gives up a refit once its first draws diverge as often as the whole fit it is to
    improve; the climb then keeps that fit. A fit without divergences cannot be improved on: its
    refit stops at once."""
    from llb.stan.sample import probe_length, warm_refits

    data, fit = conjugate_fit
    config = SamplerConfig(chains=4, warmup=1000, draws=1000, seed=3, adapt_delta=0.95)
    with make_model(compiled("conjugate.stan"), data) as model:
        refit = warm_refits(model)(config, fit)
        assert fit.num_divergent == 0
        assert refit.planned_draws == 1000 and refit.draws.shape[1] == probe_length(config, model.n_unconstrained)
