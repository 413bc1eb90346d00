"""Evidence weights and the evidence-weighted mixture of goal posteriors, against exact values.

Monte Carlo tolerances are 4.5 standard errors, with the standard errors computed exactly from the
distributions the draws come from (stratified sampling: each program contributes a fixed number of draws).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from llb.stats.combine import compute_weights, mixture_summary, weighted_quantiles
from llb.stats.summary import QUANTILES

Z = 4.5  # standard errors allowed for Monte Carlo comparisons
SEEDS = range(8)


def random_log_evidence(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(2, 12))
    return rng.normal(-50.0, 5.0, size)


# -- compute_weights ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_weights_are_normalised_softmax(seed):
    values = random_log_evidence(seed)
    weights = compute_weights(list(values))
    expected = np.exp(values - values.max())
    expected /= expected.sum()
    assert weights.evidence.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(weights.evidence, expected, rtol=1e-10, atol=0)
    np.testing.assert_allclose(weights.flat, np.full(values.size, 1.0 / values.size), rtol=1e-15)
    assert weights.effective_sample_size == pytest.approx(1.0 / np.sum(expected**2), rel=1e-10)
    assert 1.0 - 1e-12 <= weights.effective_sample_size <= values.size + 1e-9


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shift", [-1e3, -7.25, 3.0, 1e3])
def test_adding_a_constant_to_every_log_evidence_changes_nothing(seed, shift):
    values = random_log_evidence(seed)
    before, after = compute_weights(list(values)), compute_weights(list(values + shift))
    np.testing.assert_allclose(after.evidence, before.evidence, rtol=1e-9, atol=1e-300)
    np.testing.assert_array_equal(after.flat, before.flat)
    assert after.effective_sample_size == pytest.approx(before.effective_sample_size, rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_permuting_the_input_permutes_the_weights(seed):
    values = random_log_evidence(seed)
    permutation = np.random.default_rng(seed + 100).permutation(values.size)
    before, after = compute_weights(list(values)), compute_weights(list(values[permutation]))
    np.testing.assert_allclose(after.evidence, before.evidence[permutation], rtol=1e-12, atol=0)
    np.testing.assert_array_equal(after.flat, before.flat[permutation])
    assert after.effective_sample_size == pytest.approx(before.effective_sample_size, rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_duplicates_get_equal_weight_and_count_once_per_draw(seed):
    values = random_log_evidence(seed)
    duplicated = np.concatenate([values, values[:1], values[:1]])  # program 0 drawn three times
    weights = compute_weights(list(duplicated))
    copies = weights.evidence[[0, values.size, values.size + 1]]
    assert copies[0] == copies[1] == copies[2]
    # each copy has the weight of a program with evidence exp(L_0) among the others
    expected = np.exp(duplicated - duplicated.max())
    expected /= expected.sum()
    np.testing.assert_allclose(weights.evidence, expected, rtol=1e-10)
    assert weights.evidence.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bad", [None, -math.inf, math.nan, math.inf])
def test_invalid_entries_get_zero_weight(seed, bad):
    values = random_log_evidence(seed)
    rng = np.random.default_rng(seed + 200)
    invalid = rng.random(values.size) < 0.4
    invalid[0] = False  # at least one valid program
    mixed = [bad if flag else float(v) for v, flag in zip(values, invalid)]
    weights = compute_weights(mixed)
    assert np.all(weights.evidence[invalid] == 0.0)
    assert np.all(weights.flat[invalid] == 0.0)
    valid = ~invalid
    expected = np.exp(values[valid] - values[valid].max())
    expected /= expected.sum()
    np.testing.assert_allclose(weights.evidence[valid], expected, rtol=1e-10)
    np.testing.assert_allclose(weights.flat[valid], 1.0 / valid.sum(), rtol=1e-15)
    assert weights.evidence.sum() == pytest.approx(1.0, abs=1e-12)
    assert weights.flat.sum() == pytest.approx(1.0, abs=1e-12)
    assert weights.effective_sample_size == pytest.approx(1.0 / np.sum(expected**2), rel=1e-10)


@pytest.mark.parametrize("count", [1, 2, 5, 17])
def test_equal_evidence_gives_equal_weights_and_full_effective_size(count):
    weights = compute_weights([-123.4] * count)
    np.testing.assert_allclose(weights.evidence, 1.0 / count, rtol=1e-12)
    np.testing.assert_allclose(weights.flat, 1.0 / count, rtol=1e-15)
    assert weights.effective_sample_size == pytest.approx(count, rel=1e-12)


def test_one_dominating_program_has_effective_size_one():
    weights = compute_weights([-10.0, -70.0, -80.0, None, -65.0])
    assert weights.evidence[0] == pytest.approx(1.0, abs=1e-20)
    # ESS = 1 / (w0^2 + ...) with the others about e^-55 at most: 1 to double precision
    assert weights.effective_sample_size == pytest.approx(1.0, abs=1e-12)
    assert weights.flat[3] == 0.0 and weights.flat[0] == 0.25


@pytest.mark.parametrize("values", [[], [None], [None, -math.inf, math.nan], [math.inf, None]])
def test_all_invalid_gives_zeros(values):
    weights = compute_weights(values)
    assert weights.evidence.shape == weights.flat.shape == (len(values),)
    assert np.all(weights.evidence == 0.0) and np.all(weights.flat == 0.0)
    assert weights.effective_sample_size == 0.0


@pytest.mark.parametrize("big", [1e4, 1e6, -1e6])
def test_huge_log_evidence_does_not_overflow(big):
    weights = compute_weights([big, big - 1.0])
    e = math.exp(-1.0)
    assert np.all(np.isfinite(weights.evidence))
    assert weights.evidence[0] == pytest.approx(1.0 / (1.0 + e), rel=1e-9)
    assert weights.evidence[1] == pytest.approx(e / (1.0 + e), rel=1e-9)
    assert weights.effective_sample_size == pytest.approx(1.0 / np.sum(weights.evidence**2), rel=1e-12)


def test_weights_sum_to_one_beyond_double_precision_of_the_log_evidence():
    weights = compute_weights([1e17, 1e17, -1e17])
    np.testing.assert_array_equal(weights.evidence, [0.5, 0.5, 0.0])
    assert weights.effective_sample_size == pytest.approx(2.0, rel=1e-12)


# -- mixture_summary on continuous goals ----------------------------------------------------------
COMPONENTS = [(0.0, 1.0), (3.0, 2.0)]  # (mean, sd) of each program's goal posterior
MIX_WEIGHTS = np.array([0.25, 0.75])
NUM_DRAWS = 200_000


def mixture_cdf(x: float) -> float:
    return sum(w * stats.norm.cdf(x, m, s) for w, (m, s) in zip(MIX_WEIGHTS, COMPONENTS))


def mixture_pdf(x: float) -> float:
    return sum(w * stats.norm.pdf(x, m, s) for w, (m, s) in zip(MIX_WEIGHTS, COMPONENTS))


@pytest.fixture(scope="module")
def normal_mixture_draws():
    rng = np.random.default_rng(314159)
    return [rng.normal(m, s, (NUM_DRAWS, 1)) for m, s in COMPONENTS]


def test_mixture_mean_and_sd_are_exact_within_monte_carlo_error(normal_mixture_draws):
    summary = mixture_summary(normal_mixture_draws, MIX_WEIGHTS, ["z"], discrete=False)
    assert set(summary) == {"z"} and set(summary["z"]) == {"mean", "sd", "q05", "q50", "q95"}
    mean, sd, se_mean, se_sd = normal_mixture_moments(COMPONENTS, MIX_WEIGHTS, NUM_DRAWS)
    assert mean == 2.25 and sd == pytest.approx(math.sqrt(10 - 2.25**2), rel=1e-14)
    assert abs(summary["z"]["mean"] - mean) < Z * se_mean
    assert abs(summary["z"]["sd"] - sd) < Z * se_sd


@pytest.mark.parametrize("key, p", [("q05", 0.05), ("q50", 0.5), ("q95", 0.95)])
def test_mixture_quantiles_are_exact_within_monte_carlo_error(normal_mixture_draws, key, p):
    assert QUANTILES == (0.05, 0.5, 0.95)
    summary = mixture_summary(normal_mixture_draws, MIX_WEIGHTS, ["z"], discrete=False)
    exact = optimize.brentq(lambda x: mixture_cdf(x) - p, -20, 20, xtol=1e-12)
    # The weighted empirical CDF at the quantile has variance sum w_k^2 F_k (1 - F_k) / n (stratified),
    # at most p (1 - p) / n; dividing by the density gives the quantile's standard error.
    cdf_var = sum(
        w**2 * stats.norm.cdf(exact, m, s) * stats.norm.sf(exact, m, s) / NUM_DRAWS
        for w, (m, s) in zip(MIX_WEIGHTS, COMPONENTS)
    )
    assert cdf_var <= p * (1 - p) / NUM_DRAWS
    se = math.sqrt(cdf_var) / mixture_pdf(exact)
    assert abs(summary["z"][key] - exact) < Z * se


def normal_mixture_moments(components, weights, n):
    """Exact mean and sd of a mixture of normals, and the Monte Carlo standard errors of their estimates
    from n draws per component (each component averaged with a fixed weight)."""
    mean = sum(w * m for w, (m, _) in zip(weights, components))
    second = sum(w * (s**2 + m**2) for w, (m, s) in zip(weights, components))
    sd = math.sqrt(second - mean**2)
    se_mean = math.sqrt(sum(w**2 * s**2 for w, (_, s) in zip(weights, components)) / n)
    # Influence function of the variance is (x - mean)^2; for x ~ N(m, s^2), with d = m - mean,
    # Var((x - mean)^2) = 2 s^4 + 4 d^2 s^2. The delta method gives se(sd) = se(var) / (2 sd).
    var_of_square = [2 * s**4 + 4 * (m - mean) ** 2 * s**2 for m, s in components]
    se_var = math.sqrt(sum(w**2 * v for w, v in zip(weights, var_of_square)) / n)
    return mean, sd, se_mean, se_var / (2 * sd)


def test_mixture_of_several_elements_summarises_each_column():
    rng = np.random.default_rng(7)
    n = 100_000
    first, second = [(0.0, 1.0), (4.0, 1.0)], [(10.0, 1.0), (-10.0, 1.0)]
    a = np.column_stack([rng.normal(first[0][0], 1, n), rng.normal(second[0][0], 1, n)])
    b = np.column_stack([rng.normal(first[1][0], 1, n), rng.normal(second[1][0], 1, n)])
    summary = mixture_summary([a, b], np.array([0.5, 0.5]), ["z[1]", "z[2]"], discrete=False)
    assert list(summary) == ["z[1]", "z[2]"]
    for name, components in (("z[1]", first), ("z[2]", second)):
        mean, sd, se_mean, se_sd = normal_mixture_moments(components, [0.5, 0.5], n)
        assert abs(summary[name]["mean"] - mean) < Z * se_mean
        assert abs(summary[name]["sd"] - sd) < Z * se_sd


def test_zero_weight_and_missing_draws_are_skipped(normal_mixture_draws):
    reference = mixture_summary(normal_mixture_draws, MIX_WEIGHTS, ["z"], discrete=False)
    wild = np.full((50, 1), 1e9)
    draws = [normal_mixture_draws[0], wild, None, normal_mixture_draws[1], np.empty((0, 1))]
    weights = np.array([0.25, 0.0, 0.9, 0.75, 0.3])  # None and empty draws are skipped even with weight
    skipped = mixture_summary(draws, weights, ["z"], discrete=False)
    assert list(skipped) == ["z"] and skipped["z"] == pytest.approx(reference["z"], rel=1e-12)
    # Only the relative weights of the used programs matter.
    scaled = mixture_summary(normal_mixture_draws, 4 * MIX_WEIGHTS, ["z"], discrete=False)
    assert scaled["z"] == pytest.approx(reference["z"], rel=1e-12)


def test_nothing_to_summarise_gives_empty_summary():
    assert mixture_summary([None, np.ones((3, 1))], np.array([1.0, 0.0]), ["z"], discrete=False) == {}
    assert mixture_summary([], np.array([]), ["z"], discrete=False) == {}


def test_programs_with_different_numbers_of_draws_are_weighted_per_program():
    # Program weights, not draw counts, decide: 10 draws of 0 with weight 0.5 and 1000 draws of 1 with weight 0.5.
    summary = mixture_summary([np.zeros((10, 1)), np.ones((1000, 1))], np.array([0.5, 0.5]), ["z"], discrete=False)
    assert summary["z"]["mean"] == pytest.approx(0.5, abs=1e-12)
    assert summary["z"]["sd"] == pytest.approx(0.5, abs=1e-12)


# -- mixture_summary on discrete goals ------------------------------------------------------------
def binary_draws(count: int, ones: int, seed: int) -> np.ndarray:
    values = np.zeros(count)
    values[:ones] = 1.0
    return np.random.default_rng(seed).permutation(values)[:, None]


@pytest.mark.parametrize(
    "weights, expected_quantiles",
    [
        ((0.4, 0.6), (0.0, 1.0, 1.0)),  # P(1) = 0.4*0.3 + 0.6*0.8 = 0.6
        ((0.9, 0.1), (0.0, 0.0, 1.0)),  # P(1) = 0.35
        ((1.0, 0.0), (0.0, 0.0, 1.0)),  # P(1) = 0.3: only the first program
        ((0.0, 1.0), (0.0, 1.0, 1.0)),  # P(1) = 0.8
    ],
)
def test_binary_goal_mean_and_quantiles(weights, expected_quantiles):
    draws = [binary_draws(1000, 300, 1), binary_draws(400, 320, 2)]  # frequencies of 1: 0.3 and 0.8
    weights = np.array(weights)
    p_one = weights[0] * 0.3 + weights[1] * 0.8
    summary = mixture_summary(draws, weights, ["gold"], discrete=True)["gold"]
    assert summary["mean"] == pytest.approx(p_one, abs=1e-12)
    assert summary["sd"] == pytest.approx(math.sqrt(p_one * (1 - p_one)), abs=1e-12)
    assert (summary["q05"], summary["q50"], summary["q95"]) == expected_quantiles


@pytest.mark.parametrize(
    "ones, expected",
    [
        (30, (0.0, 0.0, 0.0)),
        (970, (1.0, 1.0, 1.0)),
        (60, (0.0, 0.0, 1.0)),
        (940, (0.0, 1.0, 1.0)),
        (499, (0.0, 0.0, 1.0)),
    ],
)
def test_binary_goal_quantile_edges(ones, expected):
    # P(1) = ones / 1000: q05 is 1 only when P(0) < 0.05, q95 is 0 only when P(0) >= 0.95.
    summary = mixture_summary([binary_draws(1000, ones, 3)], np.array([1.0]), ["x"], discrete=True)["x"]
    assert (summary["q05"], summary["q50"], summary["q95"]) == expected
    assert summary["mean"] == pytest.approx(ones / 1000, abs=1e-12)


# -- weighted_quantiles ---------------------------------------------------------------------------
PROBABILITIES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


@pytest.mark.parametrize("seed", range(4))
def test_equal_weights_are_numpy_hazen_quantiles(seed):
    # Mid-point interpolation with equal weights is exactly the "hazen" definition (position n p - 1/2).
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(rng.integers(5, 2000)))
    got = weighted_quantiles(x, np.full(x.size, 3.0), PROBABILITIES, discrete=False)
    np.testing.assert_allclose(got, np.quantile(x, PROBABILITIES, method="hazen"), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("discrete", [False, True])
def test_the_order_of_tied_draws_does_not_matter(discrete):
    # repeated values with different weights, as a chain that stays put gives
    rng = np.random.default_rng(3)
    x = np.repeat(rng.standard_normal(40).round(1), rng.integers(1, 6, 40))
    w = rng.random(x.size)
    reference = weighted_quantiles(x, w, PROBABILITIES, discrete=discrete)
    # two tied draws of weights 0.1 and 0.5, then 0.4 at 1: one point of weight 0.6 at 0, whichever comes first
    for first, second in ((0.1, 0.5), (0.5, 0.1)):
        got = weighted_quantiles(np.array([0.0, 0.0, 1.0]), np.array([first, second, 0.4]), (0.6,), discrete=discrete)
        assert got == pytest.approx([0.0 if discrete else 0.6])
    for _ in range(5):
        permutation = rng.permutation(x.size)
        got = weighted_quantiles(x[permutation], w[permutation], PROBABILITIES, discrete=discrete)
        np.testing.assert_allclose(got, reference, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_equal_weights_agree_with_numpy_default_for_large_samples(seed):
    rng = np.random.default_rng(seed)
    n = 100_000
    x = rng.gamma(2.0, size=n)
    got = np.array(weighted_quantiles(x, np.ones(n), PROBABILITIES, discrete=False))
    expected = np.quantile(x, PROBABILITIES)
    # numpy's position (n - 1) p and the mid-point position n p - 1/2 differ by |1/2 - p| < 1 index:
    # the two answers lie between the order statistics around those positions.
    s = np.sort(x)
    for p, g, e in zip(PROBABILITIES, got, expected):
        low = s[int(math.floor(min((n - 1) * p, n * p - 0.5)))]
        high = s[int(math.ceil(max((n - 1) * p, n * p - 0.5)))]
        assert low <= g <= high and low <= e <= high
        assert abs(g - e) <= high - low


@pytest.mark.parametrize("seed", range(6))
def test_discrete_quantiles_are_sample_values_with_the_right_cumulative_weight(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 6, size=int(rng.integers(1, 300))).astype(float)
    w = rng.random(x.size)
    got = weighted_quantiles(x, w, PROBABILITIES, discrete=True)
    values = np.unique(x)
    cumulative = np.array([w[x <= v].sum() for v in values]) / w.sum()
    for p, g in zip(PROBABILITIES, got):
        assert g in set(x.tolist())
        # the smallest value whose cumulative weight reaches p
        assert g == values[np.argmax(cumulative >= p - 1e-12)]


def test_weighted_quantiles_use_the_weights():
    x = np.array([0.0, 1.0, 2.0])
    assert weighted_quantiles(x, np.array([0.1, 0.1, 0.8]), [0.5], discrete=True) == [2.0]
    assert weighted_quantiles(x, np.array([0.8, 0.1, 0.1]), [0.5], discrete=True) == [0.0]
    # Unsorted input is sorted with its weights.
    assert weighted_quantiles(x[::-1], np.array([0.8, 0.1, 0.1]), [0.5], discrete=True) == [2.0]
    # Continuous: mid-points of cumulative weight are 0.05, 0.15, 0.6; p = 0.375 is halfway from 0.15 to 0.6.
    assert weighted_quantiles(x, np.array([0.1, 0.1, 0.8]), [0.375], discrete=False) == [pytest.approx(1.5)]


def test_summaries_under_several_weightings_equal_each_summary_alone():
    """One sort serves the weightings that keep the same programs; each result is exactly that of
    mixture_summary with that weighting alone, also when a weighting drops a program the other keeps
    (an evidence weight that underflows to 0) whose draws are not even finite."""
    from llb.stats.combine import mixture_summaries

    rng = np.random.default_rng(3)
    draws = [rng.normal(size=(400, 2)), rng.gamma(2.0, size=(300, 2)), np.full((200, 2), np.nan), None]
    weightings = {"llb": np.array([0.7, 0.3, 0.0, 0.0]), "flat": np.array([1 / 3, 1 / 3, 1 / 3, 0.0]), "same": np.array([0.2, 0.8, 0.0, 0.0])}
    together = mixture_summaries(draws, weightings, ["a", "b"], discrete=False)
    for label, weights in weightings.items():
        alone = mixture_summary(draws, weights, ["a", "b"], discrete=False)
        assert repr(together[label]) == repr(alone)  # exactly, NaN included (NaN != NaN in a dict comparison)
    assert all(math.isfinite(v) for v in together["llb"]["a"].values())
    assert math.isnan(together["flat"]["a"]["mean"])  # the flat average does include the program
