"""Likelihood statements about a transformation of the data (likelihood.py) are found; copies are not.

Only stanc is called (its canonical form); nothing is compiled.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from llb.analysis.likelihood import data_transformations
from llb.analysis.priors import check_priors
from llb.pipeline.outcome import Diagnostics, PriorFindings, ProgramOutcome
from llb.pipeline.run import ProgramRecord, reliability
from llb.analysis.stan_syntax import blocks
from llb.stan.validate import canonical_form, validate_program

SCALED = (
    "data { int N; vector[N] y; }\ntransformed data { vector[N] z = y / 100; }\n"
    "parameters { real mu; real<lower=0> s; }\nmodel { mu ~ normal(0, 1); s ~ exponential(1); z ~ normal(mu, s); }"
)


def concerns(source: str, toolchain) -> list[str]:
    return data_transformations(blocks(canonical_form(source, toolchain=toolchain)))[1]


def jacobians(source: str, toolchain) -> list[str]:
    return [j.expression for j in data_transformations(blocks(canonical_form(source, toolchain=toolchain)))[0]]


COUNTS = (
    "data { int N; array[N] int r; }\ntransformed data { int k = sum(r); }\n"
    "parameters { real<lower=0, upper=1> p; }\nmodel { p ~ beta(1, 1); k ~ binomial(N, p); }"
)


@pytest.mark.parametrize(
    "source, expected",
    [
        # a count computed from a sequence, by a function or in a loop
        (COUNTS, "the likelihood of k is for values computed from the data"),
        (
            "data { int N; array[N] int r; }\ntransformed data { int k = 0; for (n in 1:N) k += r[n]; }\n"
            "parameters { real<lower=0, upper=1> p; }\nmodel { p ~ beta(1, 1); k ~ binomial(N, p); }",
            "the likelihood of k is for values computed from the data",
        ),
        # a map that is not invertible (a square of data that may be negative), a subset, a sum
        (
            "data { int N; vector[N] y; }\ntransformed data { vector[N] z = y .^ 2; }\nparameters { real<lower=0> s; }\n"
            "model { s ~ exponential(1); z ~ exponential(s); }",
            "the likelihood of z is for values computed from the data",
        ),
        (
            "data { int N; vector[N] y; }\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); y[1:2] / 10 ~ normal(mu, 1); }",
            "the likelihood of `y[1 : 2] / 10` is for an expression of the data",
        ),
        (
            "data { int N; vector[N] y; vector[N] x; }\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); y + x .* y ~ normal(mu, 1); }",
            "the likelihood of `y + x .* y` is for an expression of the data",
        ),
    ],
)
def test_likelihoods_of_transformed_data_are_found(toolchain, source, expected):
    found = concerns(source, toolchain)
    assert len(found) == 1 and found[0].startswith(expected), found
    assert jacobians(source, toolchain) == []


@pytest.mark.parametrize(
    "source, expected",
    [
        (SCALED, "num_elements(y) * (-log(abs(100)))"),
        # standardised in the model block: the mean and sd are taken as the constants they are
        (
            "data { int N; vector[N] y; }\nparameters { real mu; }\n"
            "model { vector[N] z = (y - mean(y)) / sd(y); mu ~ normal(0, 1); z ~ normal(mu, 1); }",
            "num_elements(y) * (-log(abs(sd(y))))",
        ),
        # expressions of the data on the left, in ~ and in target +=
        (
            "data { int N; vector<lower=0>[N] y; }\nparameters { real mu; real<lower=0> s; }\n"
            "model { mu ~ normal(0, 1); s ~ exponential(1); log(y) ~ normal(mu, s); }",
            "sum(-log(y))",
        ),
        (
            "data { int N; vector[N] y; }\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); target += normal_lpdf(y / 10 | mu, 1); }",
            "num_elements(y) * (-log(abs(10)))",
        ),
        # a chain of definitions, element by element in a loop over the whole vector
        (
            "data { int N; vector<lower=0>[N] y; }\ntransformed data { vector[N] a = log1p(y); vector[N] b = 3 * a; }\n"
            "parameters { real mu; }\nmodel { mu ~ normal(0, 1); for (n in 1:N) b[n] ~ normal(mu, 1); }",
            "num_elements(y) * (log(abs(3))) + sum(-log1p(y))",
        ),
    ],
)
def test_invertible_maps_of_the_data_get_their_jacobian(toolchain, source, expected):
    assert jacobians(source, toolchain) == [expected]
    assert concerns(source, toolchain) == []
    validation = validate_program(source, toolchain=toolchain)
    checked = check_priors(source, validation.warnings, toolchain=toolchain)
    assert checked.ok and checked.rewritten and "target += llb_log_jacobian_1;" in checked.source
    assert validate_program(checked.source, toolchain=toolchain).ok


@pytest.mark.parametrize(
    "source",
    [
        # a copy made in a loop (rain: today[t - 1] = rain[t]), a slice, a reshape, a constrained copy
        "data { int N; array[N] int rain; }\ntransformed data { array[N - 1] int today; for (t in 2:N) today[t - 1] = rain[t]; }\n"
        "parameters { real<lower=0, upper=1> p; }\nmodel { p ~ beta(1, 1); today ~ bernoulli(p); }",
        "data { int N; vector[N] y; }\ntransformed data { vector[N - 1] y2 = y[2:N]; }\nparameters { real mu; }\n"
        "model { mu ~ normal(0, 1); y2 ~ normal(mu, 1); }",
        "data { int N; array[N] real y; }\ntransformed data { vector[N] v = to_vector(y); }\nparameters { real mu; }\n"
        "model { mu ~ normal(0, 1); v ~ normal(mu, 1); }",
        "data { int N; vector[N] y; }\ntransformed data { vector<lower=-100>[N] v = y; }\nparameters { real mu; }\n"
        "model { mu ~ normal(0, 1); v ~ normal(mu, 1); }",
        # transformed covariates, an autoregression on the data, a mixture, locals computed from parameters
        "data { int N; vector[N] y; vector[N] x; }\ntransformed data { vector[N] xc = x - mean(x); }\n"
        "parameters { real a; real b; }\nmodel { a ~ normal(0, 1); b ~ normal(0, 1); y ~ normal(a + b * xc, 1); }",
        "data { int N; vector[N] y; }\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); y[2:N] ~ normal(mu * y[1:(N - 1)], 1); }",
        "data { int N; vector[N] y; }\nparameters { real mu; real<lower=0, upper=1> p; }\n"
        "model { mu ~ normal(0, 1); p ~ beta(1, 1);\n"
        "  for (n in 1:N) target += log_mix(p, normal_lpdf(y[n] | mu, 1), normal_lpdf(y[n] | 0, 1)); }",
        "data { int N; vector[N] y; }\nparameters { real mu; }\n"
        "model { real m2 = mu * 2; real m3 = m2 + 1; mu ~ normal(0, 1); y ~ normal(m3, 1); }",
    ],
)
def test_the_data_as_given_raise_no_concern(toolchain, source):
    assert concerns(source, toolchain) == []


def test_incomparable_likelihoods_are_refused_unless_kept(toolchain):
    validation = validate_program(COUNTS, toolchain=toolchain)
    refused = check_priors(COUNTS, validation.warnings, toolchain=toolchain)
    assert not refused.ok and refused.refusal == "incomparable" and "not comparable" in refused.reason
    checked = check_priors(COUNTS, validation.warnings, toolchain=toolchain, allow_incomparable=True)
    assert checked.ok and len(checked.likelihood_concerns) == 1
    diagnostics = Diagnostics(0, 0, 3.0, (0.5,), 0.9, (1.0,), 0.8, 1.0)
    outcome = ProgramOutcome("k", "ok", None, -3.0, 0.01, diagnostics=diagnostics, prior=PriorFindings(likelihood_concerns=checked.likelihood_concerns))
    assert reliability(ProgramRecord("counts", COUNTS, outcome)) == checked.likelihood_concerns[0]
    assert reliability(ProgramRecord("plain", COUNTS, replace(outcome, prior=PriorFindings()))) == "good"


def test_a_continuous_density_for_integer_data_is_incomparable(toolchain):
    source = (
        "data { int N; array[N] int<lower=0> k; }\nparameters { real<lower=0> lambda; }\n"
        "model { lambda ~ exponential(0.1); k ~ normal(lambda, sqrt(lambda)); }"
    )
    checked = check_priors(source, validate_program(source, toolchain=toolchain).warnings, toolchain=toolchain)
    assert not checked.ok and checked.refusal == "incomparable" and "continuous density normal" in checked.reason
    counts = source.replace("k ~ normal(lambda, sqrt(lambda))", "k ~ poisson(lambda)")
    assert check_priors(counts, validate_program(counts, toolchain=toolchain).warnings, toolchain=toolchain).ok


def test_a_program_that_ignores_the_data_is_incomparable(toolchain):
    source = "data { int N; vector[N] y; }\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); }"
    checked = check_priors(source, validate_program(source, toolchain=toolchain).warnings, toolchain=toolchain)
    assert not checked.ok and checked.refusal == "incomparable" and "ignores y" in checked.reason
    # data used only as constants of the prior are fine
    prior_only = "data { real m; }\nparameters { real mu; }\nmodel { mu ~ normal(m, 1); }"
    assert check_priors(prior_only, (), toolchain=toolchain).ok


@pytest.mark.parametrize(
    "model, twice",
    [
        ("y ~ normal(mu, 1); y ~ student_t(3, mu, 1);", "y[1] to y[4]"),
        ("y ~ normal(mu, 1); for (n in 2:N) y[n] ~ normal(y[n - 1], 1);", "y[2] to y[4]"),
        ("for (n in 1:N) target += normal_lpdf(y[n] | mu, 1); target += normal_lpdf(y[1] | 0, 5);", "y[1]"),
    ],
)
def test_data_given_a_density_twice_are_incomparable(toolchain, model, twice):
    source = f"data {{ int N; vector[N] y; }}\nparameters {{ real mu; }}\nmodel {{ mu ~ normal(0, 1); {model} }}"
    checked = check_priors(source, validate_program(source, toolchain=toolchain).warnings, toolchain=toolchain, data={"N": 4, "y": [0.0] * 4})
    assert not checked.ok and checked.refusal == "incomparable"
    assert checked.reason.startswith(f"the data {twice} get a density more than once")
